"""The engine: chaining, the loop guard, sessions always cleaned up, errors raised, fingerprints."""

from __future__ import annotations

import functools
import shutil
import threading
import uuid
from collections.abc import Iterable, Mapping, Set
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine, RuleLoopError, api, validate_answers
from legrules.audit import AuditLog
from legrules.errors import EngineError
from legrules.pack.questionnaire import AnswerValue, Questionnaire
from legrules.paths import default_rules_dir
from legrules.run import engine as runtime
from legrules.run.assessment import Assessment
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.durable import DurableRuleset
from legrules.run.facts import (
    ANSWERS_KIND,
    KIND_KEY,
    Fact,
    FactBuilder,
    answer_field,
    count_field,
    item_field,
)
from legrules.run.loader import load_pack
from legrules.run.recorder import Recorder

LOWBACK = {"hinge_felt_most": "lower_back"}
# LOWBACK fires DERIVER, which derives the finding CHAINED reads
DERIVER = "lowback-compensation-in-hinges"
CHAINED = "hamstrings-underused-keep-hinges-honest"


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


def test_assessment_ids_are_random_uuids_written_as_uuid4_writes_them(engine: Engine) -> None:
    ids = [engine.assess({}).assessment_id for _ in range(200)]
    parsed = [uuid.UUID(text) for text in ids]
    assert [str(u) for u in parsed] == ids
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)
    assert len(set(ids)) == len(ids)


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


def test_error_inside_an_action_is_raised_and_the_session_is_deleted() -> None:
    """An action (the callback run for each firing) raises in the middle of a chain, on a
    pack split into several shards: the error comes out as raised, no shard keeps the
    session, and the ruleset assesses normally afterwards."""
    pack = load_pack(default_rules_dir())
    compiled = compile_pack(pack, stack_limit=20)
    assert len(compiled.shards) > 2
    rules = pack.rules_by_id()
    fact = FactBuilder(pack.questionnaire, compiled.fact_fields).build(
        validate_answers(LOWBACK, pack.questionnaire)
    )
    fired: list[str] = []
    derived: set[str] = set()

    def on_fire(branch: str, fail_on: str | None = None) -> list[str]:
        """As the Engine's: each rule counted once, each finding asserted once."""
        rule = rules[compiled.branch_rule[branch]]
        if rule.id == fail_on:
            raise RuntimeError("action failed")
        if rule.id in fired:
            return []
        fired.append(rule.id)
        new = [finding for finding in rule.then.derive if finding not in derived]
        derived.update(new)
        return new

    ruleset = DurableRuleset(compiled.shards, routes=compiled.shard_findings)
    try:
        with pytest.raises(RuntimeError, match="action failed"):
            ruleset.run(fact, functools.partial(on_fire, fail_on=CHAINED))
        # it failed mid-chain: the finding the failing rule matched had been derived
        assert DERIVER in fired
        assert ruleset.live_sessions() == 0
        fired.clear()
        derived.clear()
        ruleset.run(fact, on_fire)
        assert fired.index(DERIVER) < fired.index(CHAINED)
        assert ruleset.live_sessions() == 0
    finally:
        ruleset.close()


def test_an_engine_whose_action_raises_is_left_clean(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the Engine: recording a firing (inside the action) fails."""

    def boom(*args: object) -> None:
        raise RuntimeError("action failed")

    monkeypatch.setattr("legrules.run.engine._Fired", boom)
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

        def record(name: str) -> list[str]:
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
    from legrules.run.facts import FactBuilder

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


class _Notebook:
    """A Recorder that is not an AuditLog: the engine needs only the protocol."""

    def __init__(self) -> None:
        self.packs: list[str] = []
        self.records: list[tuple[str, list[str] | None]] = []
        self.closed = False

    def register_pack(self, compiled: CompiledPack) -> None:
        self.packs.append(compiled.fingerprint)

    def record(
        self, assessment: Assessment, pack: CompiledPack, *, provided: Iterable[str] | None = None
    ) -> None:
        assert pack.fingerprint == assessment.ruleset.fingerprint
        self.records.append((assessment.assessment_id, None if provided is None else [*provided]))

    def close(self) -> None:
        self.closed = True


def test_an_engine_records_through_any_recorder(engine: Engine) -> None:
    notebook = _Notebook()
    recorder: Recorder = notebook  # mypy checks the protocol here
    with runtime.Engine(engine.compiled, audit_log=recorder) as recording:
        assert notebook.packs == [engine.fingerprint]
        result = recording.assess({"age": 30})
    assert notebook.records == [(result.assessment_id, ["age"])]
    assert notebook.closed


def test_an_audit_log_is_a_recorder(tmp_path: Path) -> None:
    log: Recorder = AuditLog(tmp_path / "log.db")  # mypy checks the protocol here
    assert isinstance(log, Recorder)


def test_an_engine_refuses_what_is_not_a_recorder(engine: Engine) -> None:
    with pytest.raises(TypeError, match="audit_log must be a path or a Recorder"):
        Engine(engine.compiled, audit_log=42)  # type: ignore[arg-type]


def test_the_default_engine_is_built_once_by_threads_that_ask_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """8 threads call :func:`legrules.assess` at once while the default engine is slow to
    build (as compiling a pack is): one engine is built, and all 8 use it."""
    builds: list[object] = []
    assessed: list[object] = []
    second_build = threading.Event()
    count = threading.Lock()

    class SlowEngine:
        def __init__(self) -> None:
            with count:
                builds.append(self)
                if len(builds) > 1:
                    second_build.set()
            # stays "building" for a while, unless a second build shows the race at once
            second_build.wait(timeout=1.0)

        def assess(self, answers: Mapping[str, Any]) -> None:
            assessed.append(self)

    monkeypatch.setattr(api, "Engine", SlowEngine)
    monkeypatch.setattr(api, "_DEFAULT", None)
    start = threading.Barrier(8)

    def ask(_: int) -> None:
        start.wait()
        api.assess({})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, range(8)))
    assert len(builds) == 1
    assert assessed == builds * 8
