"""Differential test: durable-rules and the pure-Python evaluator fire the same rules.

The evaluator defines what a condition means; the compiler's job is to make durable agree
with it, including negation on unanswered questions and chaining through findings.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from legrules import Engine, validate_answers
from legrules.logic.evaluator import run_pack
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import Question, Questionnaire
from legrules.pack.schema import Condition, Recommend, Rule, SourceRef, Then
from legrules.paths import default_rules_dir
from legrules.run.compiler import compile_pack
from legrules.run.loader import load_pack
from tests.conftest import REPO
from tests.profiles import examples
from tests.strategies import answers_strategy, random_pack

DEFAULT_PACK = load_pack(default_rules_dir())
DEFAULT_ENGINE = Engine(DEFAULT_PACK)


@settings(max_examples=examples(3000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=answers_strategy(DEFAULT_PACK.questionnaire, DEFAULT_PACK))
def test_default_pack_engine_matches_evaluator(raw: dict[str, Any]) -> None:
    answers = validate_answers(raw, DEFAULT_PACK.questionnaire)
    expected, expected_findings = run_pack(DEFAULT_PACK, answers)
    assessment = DEFAULT_ENGINE.assess(answers)
    assert sorted(f.rule for f in assessment.trace) == sorted(expected)
    assert sorted(assessment.findings) == sorted(expected_findings)


def assert_agree(pack: RulePack, data: st.DataObject, rounds: int = 8) -> None:
    """The engine fires what the evaluator fires, for answers often at rule thresholds."""
    # Everything is drawn before the engine runs, so an engine that misbehaves
    # differently on a replay cannot make the data generation look flaky.
    raws = [data.draw(answers_strategy(pack.questionnaire, pack)) for _ in range(rounds)]
    with Engine(pack) as engine:
        for raw in raws:
            answers = validate_answers(raw, pack.questionnaire)
            expected, _expected_findings = run_pack(pack, answers)
            fired = engine.fired_rules(answers)
            assert len(fired) == len(set(fired)), "a rule fired twice"
            assert sorted(fired) == sorted(expected)
        assert engine.live_sessions() == 0


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), pack=random_pack(DEFAULT_PACK))
def test_random_packs_engine_matches_evaluator(data: st.DataObject, pack: RulePack) -> None:
    assert_agree(pack, data)


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), pack=random_pack(DEFAULT_PACK, max_rules=6, tricky=True))
def test_hostile_names_wide_negations_and_deep_chains_match_evaluator(
    data: st.DataObject, pack: RulePack
) -> None:
    """Question ids and options that collided in the engine's fact (``id``, ``sid``, an
    option ``n`` beside the count, ``zp__knee`` beside ``zp``'s option ``knee``), int
    bounds at the edge of the safe range, 10-24 leaves under one ``not`` (durable error
    113 from 15 on an optional question) and chains up to the depth limit."""
    assert_agree(pack, data)


def question(question_id: str, kind: str, **fields: Any) -> Question:
    return Question.model_validate(
        {"id": question_id, "group": "symptoms", "type": kind, "prompt": "?", "why": "test"}
        | fields
    )


def pack_of(conditions: list[dict[str, Any]], extra: list[Question]) -> RulePack:
    """The default questionnaire plus ``extra``, and one rule ``r-<n>`` per condition."""
    questionnaire = Questionnaire(questions=[*DEFAULT_PACK.questionnaire.questions, *extra])
    rules = [
        Rule(
            id=f"r-{index}",
            title="test",
            version=1,
            provenance="inferred",
            when=CONDITION.validate_python(when),
            then=Then(recommend=[Recommend(id="leg_extension")]),
            because="test",
            sources=[SourceRef(ref="WEEKLY")],
        )
        for index, when in enumerate(conditions)
    ]
    return dataclasses.replace(DEFAULT_PACK, questionnaire=questionnaire).with_rules(rules)


CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)

#: Question ids that were engine fields too (a finding's ``id``, the session's ``sid``), a
#: multi-select option named like its count (``n``), ``zp__knee`` (= multi ``zp``'s option
#: ``knee``) and ``zq__n`` (= multi ``zq``'s count), and an int at the edge of the range.
COLLIDING = pack_of(
    [
        {"not": {"fact": "id", "eq": True}},
        {"fact": "id", "missing": True},
        {"fact": "sid", "gte": 3},
        {"fact": "zp", "contains": "n"},
        {"fact": "zp__knee", "eq": True},
        {"fact": "zp", "contains": "knee"},
        {"fact": "zq__n", "eq": 1},
        {"fact": "zq", "empty": False},
        {"fact": "big", "gt": 2**53 - 2},
        {"fact": "big", "lt": -(2**53) + 2},
    ],
    [
        question("id", "bool"),
        question("sid", "int", min=0, max=10),
        question("zp", "multi", values=["knee", "n"]),
        question("zp__knee", "bool"),
        question("zq", "multi", values=["a"]),
        question("zq__n", "int", min=0, max=5),
        question("big", "int", min=-(2**53) + 1, max=2**53 - 1),
    ],
)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"id": False, "sid": 5},
        {"id": True, "sid": 1},
        {"zp": ["n"], "zp__knee": False},
        {"zp": [], "zp__knee": True},
        {"zq": ["a"], "zq__n": 0},
        {"zq": [], "zq__n": 1},
        {"big": 2**53 - 1},
        {"big": -(2**53) + 1},
    ],
)
def test_reserved_and_colliding_names_agree_with_the_evaluator(raw: dict[str, Any]) -> None:
    answers = validate_answers(raw, COLLIDING.questionnaire)
    with Engine(COLLIDING) as engine:
        assert sorted(engine.fired_rules(answers)) == sorted(run_pack(COLLIDING, answers)[0])


@pytest.mark.parametrize("width", [14, 15, 24])
def test_not_any_of_many_tests_on_an_optional_question_runs(width: int) -> None:
    # durable rejected 15 or more with error 113 (one "x != v or x missing" group each)
    pack = pack_of([{"not": {"any": [{"fact": "age", "eq": 20 + k} for k in range(width)]}}], [])
    with Engine(pack) as engine:
        for raw in ({}, {"age": 20}, {"age": 20 + width - 1}, {"age": 20 + width}, {"age": 90}):
            answers = validate_answers(raw, pack.questionnaire)
            assert engine.fired_rules(answers) == run_pack(pack, answers)[0]


#: Answers that pass 64 of the shipped pack's first tests at once (every red flag,
#: every option of every multi-select): durable's 64-entry match stack overflowed and
#: the process aborted (heap corruption) while one ruleset held the whole pack.
YES_TO_EVERYTHING: dict[str, Any] = {
    **{q.id: True for q in DEFAULT_PACK.questionnaire.questions if q.type == "bool"},
    **{q.id: q.values for q in DEFAULT_PACK.questionnaire.questions if q.type == "multi"},
    "age": 60,
    "pain_type": "sharp",
    "pain_score": 9,
    "recent_injury": "not_cleared",
    "knee_ache": "frequent",
    "low_back_tires_in_hinges": "often",
    "squat_felt_most": "glutes",
    "hinge_felt_most": "lower_back",
    "dominant_leg": "left",
    "experience": "advanced",
    "leg_sessions_per_week": 3,
    "heavy_sessions": "every_session",
    "hamstring_work": "none",
    "rep_speed": "usually_momentum",
    "tracks_progress": "no",
    "days_available": 3,
    "goal": "joint_friendly",
    "training_location": "home_gym",
}

#: Run in a child process: before the fix these aborted the interpreter.
_MATCH_STACK_SCRIPT = """
import sys
from legrules import Engine, validate_answers
from legrules.logic.evaluator import run_pack
from tests.test_engine_vs_evaluator import DEFAULT_PACK, YES_TO_EVERYTHING, pack_of

def agree(pack, raws):
    with Engine(pack) as engine:
        for raw in raws:
            answers = validate_answers(raw, pack.questionnaire)
            assert sorted(engine.fired_rules(answers)) == sorted(run_pack(pack, answers)[0])

case = sys.argv[1]
if case == "shipped":
    agree(DEFAULT_PACK, [YES_TO_EVERYTHING])
elif case == "many-rules":  # 70 lint-clean rules, one fact passes 69 of their tests
    agree(pack_of([{"fact": "age", "ne": 12 + k} for k in range(70)], []), [{"age": 50}, {}])
else:  # one rule whose "any" has 70 tests one fact passes
    wide = {"any": [{"fact": "age", "ne": 12 + k} for k in range(70)]}
    agree(pack_of([wide], []), [{"age": 50}, {"age": 12}, {}])
print("agreed")
"""


@pytest.mark.parametrize("case", ["shipped", "many-rules", "wide-any"])
def test_one_fact_passing_many_tests_does_not_overflow_the_match_stack(case: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _MATCH_STACK_SCRIPT, case],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "agreed"), done.stderr[-2000:]


SMALL_SHARDS = Engine(compile_pack(DEFAULT_PACK, stack_limit=8))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=answers_strategy(DEFAULT_PACK.questionnaire))
def test_the_shipped_pack_in_many_small_rulesets_matches_the_evaluator(
    raw: dict[str, Any],
) -> None:
    """A tiny match-stack limit splits the shipped pack into many rulesets: findings
    must still reach every rule that reads them."""
    answers = validate_answers(raw, DEFAULT_PACK.questionnaire)
    assert len(SMALL_SHARDS.compiled.shards) > 5
    expected, expected_findings = run_pack(DEFAULT_PACK, answers)
    assessment = SMALL_SHARDS.assess(answers)
    assert sorted(f.rule for f in assessment.trace) == sorted(expected)
    assert sorted(assessment.findings) == sorted(expected_findings)


def test_a_pack_whose_only_rule_can_never_hold_still_runs() -> None:
    # over durable's pattern budget, so the compiler splits it, and every piece needs
    # age both missing and equal to something: no engine rule at all is left
    never = {
        "all": [
            {"fact": "age", "missing": True},
            *[
                {"any": [{"fact": "age", "eq": 20 + k}, {"fact": "age", "eq": 40 + k}]}
                for k in range(15)
            ],
        ]
    }
    pack = pack_of([never], [])
    with Engine(pack) as engine:
        assert engine.compiled.definition == {}
        for raw in ({}, {"age": 20}):
            assert engine.fired_rules(validate_answers(raw, pack.questionnaire)) == []
