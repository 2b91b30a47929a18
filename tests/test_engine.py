"""The engine: chaining, the loop guard, sessions always cleaned up, errors raised, fingerprints."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Set
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine, RuleLoopError
from legrules.compiler import compile_pack
from legrules.engine import DurableRuleset
from legrules.errors import EngineError
from legrules.facts import ANSWERS_KIND, KIND_KEY, Fact, answer_field, count_field, item_field
from legrules.loader import load_pack
from legrules.questionnaire import AnswerValue, Questionnaire

LOWBACK = {"hinge_felt_most": "lower_back"}


def test_forward_chaining_through_a_derived_finding(engine: Engine) -> None:
    result = engine.assess(LOWBACK)
    order = [f.rule for f in result.trace]
    assert "lowback-compensation-in-hinges" in order
    assert "hamstrings-underused-keep-hinges-honest" in order
    assert order.index("lowback-compensation-in-hinges") < order.index(
        "hamstrings-underused-keep-hinges-honest"
    )
    chained = next(f for f in result.trace if f.rule == "hamstrings-underused-keep-hinges-honest")
    assert chained.matched.findings == ["hamstrings_underused"]
    source = next(f for f in result.trace if f.rule == "lowback-compensation-in-hinges")
    assert source.asserted.derive == ["hamstrings_underused"]
    assert "hamstrings_underused" in result.findings


def test_chain_does_not_fire_without_its_finding(engine: Engine) -> None:
    fired = engine.fired_rules({"hinge_felt_most": "hamstrings"})
    assert "hamstrings-underused-keep-hinges-honest" not in fired


def test_trace_seq_is_consecutive_and_records_versions(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes", **LOWBACK})
    assert [f.seq for f in result.trace] == list(range(1, len(result.trace) + 1))
    glute = next(f for f in result.trace if f.rule == "glute-dominance")
    assert glute.version == 1
    assert glute.matched.answers == {"squat_felt_most": "glutes"}
    assert glute.asserted.recommend == ["leg_extension", "heel_elevated_squat"]


def test_loop_guard_stops_a_runaway_chain_and_names_the_rules() -> None:
    with Engine(max_firings=2) as tight:
        with pytest.raises(RuleLoopError) as caught:
            tight.assess(LOWBACK)
        assert "loop guard" in str(caught.value)
        assert caught.value.rules
        assert set(caught.value.rules) <= {r.id for r in tight.pack.rules}
        assert tight.live_sessions() == 0
        # the engine is not left in a broken state: the next run behaves the same way
        with pytest.raises(RuleLoopError):
            tight.assess(LOWBACK)
        assert tight.live_sessions() == 0


def test_error_inside_an_action_is_raised_and_the_session_is_deleted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("action failed")

    monkeypatch.setattr("legrules.api.witness", boom)
    with pytest.raises(RuntimeError, match="action failed"):
        engine.assess(LOWBACK)
    monkeypatch.undo()
    assert engine.live_sessions() == 0
    assert "hamstrings_underused" in engine.assess(LOWBACK).findings


def test_no_session_is_left_behind(engine: Engine) -> None:
    for _ in range(50):
        engine.assess(LOWBACK)
    assert engine.live_sessions() == 0


def test_live_sessions_detects_a_leaked_session() -> None:
    """live_sessions() must be able to fail, or the cleanup tests above prove nothing."""
    import durable_rules_engine

    ruleset = DurableRuleset({"r": {"all": [{"a": {"_t": "answers"}}]}})
    try:
        calls: list[str] = []

        def record(name: str) -> list[dict[str, Any]]:
            calls.append(name)
            return []

        ruleset.run({"_t": "answers"}, record)
        assert calls == ["r"]
        assert ruleset.live_sessions() == 0
        # leave session "1" behind on purpose, bypassing run()'s cleanup
        durable_rules_engine.assert_fact(ruleset._handles[0], '{"sid": "1", "_t": "answers"}')
        assert ruleset.live_sessions() == 1
    finally:
        ruleset.close()


def test_closed_engine_refuses_to_assess() -> None:
    closed = Engine()
    closed.close()
    with pytest.raises(EngineError, match="closed"):
        closed.assess({})


def test_fingerprint_is_stable_and_tracks_content(tmp_path: Path) -> None:
    from legrules.paths import default_rules_dir

    first = compile_pack(load_pack(default_rules_dir())).fingerprint
    again = compile_pack(load_pack(default_rules_dir())).fingerprint
    assert first == again
    assert first.startswith("sha256:")
    assert len(first) == len("sha256:") + 64
    copy = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), copy)
    path = copy / "rules" / "compensation.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1))
    assert compile_pack(load_pack(copy)).fingerprint != first


def test_two_engines_on_one_pack_are_independent() -> None:
    with Engine() as one, Engine() as two:
        assert one.fingerprint == two.fingerprint
        a = one.assess(LOWBACK).model_dump(exclude={"assessment_id", "created_at"})
        b = two.assess(LOWBACK).model_dump(exclude={"assessment_id", "created_at"})
        assert a == b


def answers_fact(
    answers: Mapping[str, AnswerValue],
    questionnaire: Questionnaire,
    fields: Set[str] | None = None,
) -> Fact:
    """The fact, spelled out plainly: the oracle the planned FactBuilder is held to."""
    fact: Fact = {KIND_KEY: ANSWERS_KIND}
    for question in questionnaire.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type == "multi":
            chosen = set(value) if isinstance(value, list) else set()
            for position, option in enumerate(question.values or ()):
                fact[item_field(question.id, position)] = option in chosen
            fact[count_field(question.id)] = len(chosen)
        elif not isinstance(value, list):
            fact[answer_field(question.id)] = value
    if fields is not None:
        fact = {k: v for k, v in fact.items() if k == KIND_KEY or k in fields}
    return fact


def test_fact_builder_matches_answers_fact(engine: Engine) -> None:
    """The planned builder and the plain function shape the same fact."""
    from legrules.facts import FactBuilder

    fields = engine.compiled.fact_fields
    builder = FactBuilder(engine.questionnaire, fields)
    for raw in (
        {},
        {"pain_locations": ["knee"], "equipment": ["dumbbells"], "age": 50},
        {"training_location": "home_gym"},
    ):
        answers = engine.validate(raw)
        assert builder.build(answers) == answers_fact(answers, engine.questionnaire, fields)
        full = FactBuilder(engine.questionnaire).build(answers)
        assert full == answers_fact(answers, engine.questionnaire)


def test_engines_share_a_compiled_pack_without_changing_it() -> None:
    # The engine hands the shards to durable as JSON text, without copying them; a
    # compiled pack (from the cache, or shared by several engines) must stay as it was.
    import copy

    from legrules.paths import default_rules_dir

    compiled = compile_pack(load_pack(default_rules_dir()))
    before = copy.deepcopy(compiled.shards)
    with Engine(compiled) as first, Engine(compiled) as second:
        for engine in (first, second):
            engine.assess({"squat_felt_most": "glutes", "hinge_felt_most": "lower_back"})
    assert compiled.shards == before
