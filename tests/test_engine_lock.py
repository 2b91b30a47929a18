"""The engine's one lock can neither deadlock nor leak: finalizers, fork, interrupts.

Every call into durable goes through one non-reentrant lock. These tests hit it where a
thread used to wait for itself (a finalizer run by the cyclic GC inside an assessment),
where a child process inherited it held (fork while another thread assesses), and where
a signal handler's exception cut the clean-up short (sessions left in some shards).
Everything that could hang runs in a child process with a bounded wait.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import durable_rules_engine
import pytest

from legrules import Engine
from legrules.errors import EngineError
from legrules.run.durable import DurableRuleset, free_unused, native_ruleset_count
from legrules.run.facts import ANSWERS_KIND, KIND_KEY

pytestmark = pytest.mark.slow

ANSWERS_FACT = {KIND_KEY: ANSWERS_KIND}
GLUTES = {"squat_felt_most": "glutes", "hinge_felt_most": "lower_back"}


def _one_rule(name: str = "r") -> dict[str, Any]:
    return {name: {"all": [{"a": dict(ANSWERS_FACT)}]}}


# An unclosed ruleset in a reference cycle, freed by gc.collect() inside the firing
# callback of an assessment, that is while this thread holds the engine's lock. Then an
# assessment started from inside an assessment (as a signal handler could), which must
# be refused, not wait for itself.
FINALIZER_INSIDE_AN_ASSESSMENT = r"""
import gc, json
from legrules import Engine
from legrules.run.durable import DurableRuleset, native_ruleset_count
from legrules.errors import EngineError

RULE = {"r": {"all": [{"a": {"_t": "answers"}}]}}
real_run = DurableRuleset.run


def orphan_in_a_cycle():
    cycle = {"ruleset": DurableRuleset(RULE)}
    cycle["self"] = cycle


engine = Engine()
gc.disable()
before = native_ruleset_count()
orphan_in_a_cycle()
collected = []


def collecting(self, fact, on_fire):
    def fire(name):
        collected.append(gc.collect())
        return on_fire(name)

    return real_run(self, fact, fire)


DurableRuleset.run = collecting
status = engine.assess({"squat_felt_most": "glutes"}).status
DurableRuleset.run = real_run
out = {"status": status, "collected": collected[0], "freed": before + 1 - native_ruleset_count()}


def reenter(self, fact, on_fire):
    def fire(name):
        engine.assess({})
        return on_fire(name)

    return real_run(self, fact, fire)


DurableRuleset.run = reenter
try:
    engine.assess({})
except EngineError as error:
    out["reentry"] = str(error)
DurableRuleset.run = real_run
out["after"] = engine.assess({}).status
out["live"] = engine.live_sessions()
print(json.dumps(out))
"""


def test_a_finalizer_inside_an_assessment_does_not_deadlock() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FINALIZER_INSIDE_AN_ASSESSMENT],
        capture_output=True,
        text=True,
        timeout=120,  # a hang bound: the fixed script takes about a second
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "ok"
    assert out["collected"] > 0, "the cycle should have been collected inside the callback"
    assert out["freed"] == 1, "the orphan's native ruleset is freed when the lock is let go"
    assert "not re-entrant" in out["reentry"]
    assert (out["after"], out["live"]) == ("ok", 0)


def test_a_collected_ruleset_is_freed_by_the_next_holder_of_the_lock() -> None:
    before = native_ruleset_count()
    orphan = DurableRuleset(_one_rule())
    assert native_ruleset_count() == before + 1
    del orphan  # the finalizer only queues it ...
    assert native_ruleset_count() == before + 1
    free_unused()  # ... and the next holder of the lock frees it
    assert native_ruleset_count() == before


def test_close_frees_at_once() -> None:
    before = native_ruleset_count()
    ruleset = DurableRuleset([_one_rule("a"), _one_rule("b")])
    assert native_ruleset_count() == before + 2
    ruleset.close()
    assert native_ruleset_count() == before
    with pytest.raises(EngineError, match="closed"):
        ruleset.run(ANSWERS_FACT, lambda name: [])


def _wait(pid: int, seconds: float) -> int | None:
    """The child's wait status, or None if it is still running after ``seconds`` (it is
    killed then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)  # polling a child against a deadline; nothing waits on this
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _comparable(engine: Engine) -> str:
    result = engine.assess(GLUTES)
    return result.model_copy(update={"assessment_id": "", "created_at": ""}).to_json()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork.*:DeprecationWarning")
def test_fork_while_another_thread_assesses(engine: Engine) -> None:
    """Each child assesses once and checks its result and that no session is left (none
    of the thread's half-run ones either); before the fix nearly every child inherited
    the lock held by the other thread and waited forever."""
    expected = _comparable(engine)
    busy = DurableRuleset(_one_rule())
    stop = threading.Event()
    failures: list[BaseException] = []

    def hold_the_lock(name: str) -> list[str]:
        for _ in range(5_000):  # Python code with the lock held: the GIL changes hands here
            pass
        return []

    def assess_in_a_loop() -> None:
        try:
            while not stop.is_set():
                busy.run(ANSWERS_FACT, hold_the_lock)
        except BaseException as error:  # reported below
            failures.append(error)

    thread = threading.Thread(target=assess_in_a_loop)
    thread.start()
    statuses: list[int | None] = []
    try:
        for _ in range(20):
            pid = os.fork()
            if pid == 0:  # the child: never return into pytest
                code = 3
                try:
                    same = _comparable(engine) == expected
                    clean = engine.live_sessions() == busy.live_sessions() == 0
                    code = 0 if same and clean else 1
                finally:
                    os._exit(code)
            status = _wait(pid, 60)
            statuses.append(status)
            if status is None:
                break  # one hang is enough to fail; do not wait for the others
    finally:
        stop.set()
        thread.join(timeout=60)
        busy.close()
    assert not thread.is_alive()
    assert not failures, failures
    assert None not in statuses, f"a child hung after fork ({len(statuses)} forks)"
    assert [os.waitstatus_to_exitcode(s) for s in statuses if s is not None] == [0] * 20


def _sessions_held(ruleset: DurableRuleset, sid: str) -> int:
    """Shards still holding session ``sid``, asked of durable directly (live_sessions()
    would finish any queued clean-up first)."""
    held = 0
    for handle in ruleset._handles:
        try:
            durable_rules_engine.get_state(handle, sid)
        except durable_rules_engine.error:
            continue
        held += 1
    return held


@pytest.mark.parametrize("moment", ["before", "after"])
def test_an_interrupt_during_clean_up_still_deletes_every_shards_session(
    monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """A KeyboardInterrupt from a SIGINT handler lands between two bytecodes: just before
    or just after one shard's delete. Every shard's session is deleted all the same, and
    the interrupt still reaches the caller."""
    ruleset = DurableRuleset([_one_rule("a"), _one_rule("b"), _one_rule("c")])
    real_delete = durable_rules_engine.delete_state
    interrupts = [1]

    def interrupted_delete(handle: int, sid: str) -> None:
        if moment == "after":
            real_delete(handle, sid)
        if interrupts:
            interrupts.pop()
            raise KeyboardInterrupt
        if moment == "before":
            real_delete(handle, sid)

    fired: list[str] = []

    def record(name: str) -> list[str]:
        fired.append(name)
        return []

    try:
        ruleset.run(ANSWERS_FACT, record)
        assert sorted(fired) == ["a", "b", "c"]
        assert _sessions_held(ruleset, "1") == 0
        monkeypatch.setattr(durable_rules_engine, "delete_state", interrupted_delete)
        with pytest.raises(KeyboardInterrupt):
            ruleset.run(ANSWERS_FACT, lambda name: [])
        monkeypatch.undo()
        assert not interrupts
        assert _sessions_held(ruleset, "2") == 0
        assert ruleset.live_sessions() == 0
        fired.clear()
        ruleset.run(ANSWERS_FACT, record)
        assert sorted(fired) == ["a", "b", "c"]
    finally:
        ruleset.close()


def test_an_interrupt_inside_a_multi_shard_assessment_leaves_no_session() -> None:
    ruleset = DurableRuleset([_one_rule("a"), _one_rule("b"), _one_rule("c")])

    def interrupted(name: str) -> list[str]:
        if name == "b":
            raise KeyboardInterrupt
        return []

    try:
        with pytest.raises(KeyboardInterrupt):
            ruleset.run(ANSWERS_FACT, interrupted)
        assert _sessions_held(ruleset, "1") == 0
        assert ruleset.live_sessions() == 0
    finally:
        ruleset.close()
