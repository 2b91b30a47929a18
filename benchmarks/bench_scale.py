"""Target 3: synthetic packs of 50 to 4,000 rules (with chaining) load and assess with no
engine error, fire exactly what the pure-Python evaluator fires, and report compile time,
matching time and what a whole assessment costs beyond matching (thread CPU time, the
two measured alternately on the same answers)."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from legrules import Engine, validate_answers
from legrules.logic.evaluator import run_pack
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import Question
from legrules.pack.schema import (
    AllOf,
    AnyOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    NotOf,
    Recommend,
    Rule,
    SourceRef,
    Then,
)
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

BASE = load_pack(default_rules_dir())


def _leaf(rng: random.Random, question: Question) -> FactLeaf:
    if question.type == "bool":
        return FactLeaf.model_validate({"fact": question.id, "eq": rng.random() < 0.5})
    if question.type == "int":
        assert question.min is not None
        assert question.max is not None
        op = rng.choice(["gte", "lt", "eq", "ne"])
        return FactLeaf.model_validate(
            {"fact": question.id, op: rng.randint(question.min, question.max)}
        )
    values = question.values or []
    if question.type == "enum":
        op = rng.choice(["eq", "ne", "in"])
        value: Any = rng.sample(values, 2) if op == "in" else rng.choice(values)
        return FactLeaf.model_validate({"fact": question.id, op: value})
    return FactLeaf.model_validate({"fact": question.id, "contains": rng.choice(values)})


def synthetic_pack(size: int, seed: int = 7) -> RulePack:
    """Rules of 1-3 tests (all/any/not) over the real questionnaire; one in five derives
    a finding and three in ten also need an earlier finding, so chains form."""
    rng = random.Random(seed)
    questions = BASE.questionnaire.questions
    rules: list[Rule] = []
    derived: list[str] = []
    for index in range(size):
        parts: list[Condition] = [
            _leaf(rng, rng.choice(questions)) for _ in range(rng.randint(1, 3))
        ]
        if rng.random() < 0.15:
            parts[0] = NotOf.model_validate({"not": parts[0]})
        when: Condition = AllOf(all=parts) if rng.random() < 0.6 else AnyOf(any=parts)
        if derived and rng.random() < 0.3:
            when = AllOf(all=[when, FindingLeaf(finding=rng.choice(derived))])
        new = [f"finding_{index}"] if rng.random() < 0.2 else []
        rules.append(
            Rule(
                id=f"synthetic-{index}",
                title="synthetic",
                version=1,
                priority=rng.randint(0, 1000),
                provenance="inferred",
                when=when,
                then=Then(derive=new, recommend=[] if new else [Recommend(id="leg_extension")]),
                because="synthetic",
                sources=[SourceRef(ref="WEEKLY")],
            )
        )
        derived.extend(new)
    return BASE.with_rules(rules)


def _answers(rng: random.Random) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for q in BASE.questionnaire.questions:
        if q.type == "bool":
            raw[q.id] = rng.random() < 0.5
        elif q.type == "int":
            assert q.min is not None
            assert q.max is not None
            raw[q.id] = rng.randint(q.min, q.max)
        elif q.type == "enum":
            raw[q.id] = rng.choice(q.values or [])
        else:
            raw[q.id] = rng.sample(q.values or [], rng.randint(0, len(q.values or [])))
    return raw


@pytest.mark.parametrize("size", [50, 500, 2000, 4000])
def test_scale(size: int, full: bool, results: Callable[..., None]) -> None:
    pack = synthetic_pack(size)
    start = time.perf_counter()
    engine = Engine(pack)
    compile_seconds = time.perf_counter() - start
    rng = random.Random(size)
    samples = 40 if full else (12 if size >= 2000 else 25)
    timings: list[float] = []
    whole: list[float] = []
    clock = time.thread_time
    with engine:
        for _ in range(samples):
            answers = validate_answers(_answers(rng), pack.questionnaire)
            begin = clock()
            fired = engine.fired_rules(answers)
            middle = clock()
            engine.assess(answers)
            timings.append(middle - begin)
            whole.append(clock() - middle)
            assert sorted(fired) == sorted(run_pack(pack, answers)[0])
        assert engine.live_sessions() == 0
        shards = len(engine.compiled.shards)
    match, assess = statistics.median(timings), statistics.median(whole)
    results(
        f"scale_{size}_rules",
        rules=size,
        shards=shards,
        compile_s=round(compile_seconds, 3),
        match_median_ms=round(match * 1e3, 2),
        assess_median_ms=round(assess * 1e3, 2),
        assess_over_match=round(assess / match, 2),
        target="assess <= 1.5x matching at 4,000 rules",
        samples=samples,
        identical_to_evaluator=True,
    )
