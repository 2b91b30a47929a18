"""What one server worker spends per request beyond the assessment itself (issue 15's
standing target, benchmarks/bench_serve.py): recorded assessments stay on the event
loop, and the heap start-up built is kept out of the garbage collector's walks without
keeping a pack that a reload replaced."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from legrules.audit import AuditLog
from legrules.run.answers import answers_model
from legrules.run.engine import freeze_heap
from legrules.serve import PackState, ServeConfig, api, create_app
from legrules.serve.runner import _server
from tests.conftest import EXAMPLES


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process's heap unfrozen again afterwards, whatever the test froze."""
    try:
        yield
    finally:
        gc.unfreeze()


def test_a_recorded_assessment_runs_on_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread hop per recorded assessment cost more in GIL hand-overs between the
    threads than overlapping its fsync gave back (benchmarks/README.md)."""
    on_loop: list[bool] = []
    assess_fast = api._assess_fast

    def watched(*args: object) -> tuple[object, str]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop.append(False)
        else:
            on_loop.append(True)
        return assess_fast(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_assess_fast", watched)
    log = tmp_path / "decisions.db"
    answers = json.loads((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
    with TestClient(create_app(ServeConfig(audit_log=log))) as client:
        response = client.post("/v1/assess", json=answers)
    assert response.status_code == 200
    assert on_loop == [True]
    with AuditLog(log, readonly=True) as opened:
        decision = response.json()["decision_id"]
        assert opened.get(decision).assessment_id == decision
        assert opened.verify().ok


def test_the_server_freezes_the_heap_start_up_built(thawed: None) -> None:
    gc.unfreeze()
    state = PackState(ServeConfig())
    try:
        _server(state, access_log=False)
        assert gc.get_freeze_count() > 0
    finally:
        state.close()


def test_a_reload_in_a_frozen_server_lets_the_pack_it_replaced_go(
    pack_copy: Path, thawed: None
) -> None:
    """A frozen reference cycle is never collected: the replaced pack's answers model
    is one, and would stay for as long as the server runs."""
    state = PackState(ServeConfig(rules_dir=pack_copy))
    try:
        replaced = weakref.ref(answers_model(state.current.questionnaire))
        freeze_heap()
        meta = pack_copy / "pack.yaml"
        text = meta.read_text(encoding="utf-8")
        meta.write_text(re.sub(r"(?m)^version: .*$", 'version: "0.2.0"', text), encoding="utf-8")
        assert state.reload().ok
        gc.collect()
        assert replaced() is None
    finally:
        state.close()
