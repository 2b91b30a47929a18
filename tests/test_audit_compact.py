"""Audit records store the compact form (legrules.run.compact): the pack's text is
stored once, with the pack, and given back on read; logs written before, with every
record in full, still read, verify and take new records."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine
from legrules.audit import AuditLog
from legrules.audit.model import AuditError, AuditRecord
from legrules.audit.replay import replay
from tests.conftest import EXAMPLES

PERSONAS = ["glute-dominant.json", "sharp-knee-pain.json", "home-gym-no-machines.json"]


def _answers(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "decisions.db"


@pytest.fixture
def full_form_log(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log as legrules wrote it before the compact form: every record in full."""
    with monkeypatch.context() as patched:
        patched.setattr("legrules.audit.log.compact", lambda result, pack: result)
        with Engine(audit_log=log_path) as engine:
            for name in PERSONAS[:2]:
                engine.assess(_answers(name))
    return log_path


def _stored_contents(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT content FROM records ORDER BY seq").fetchall()
    return [json.loads(row[0])["assessment"] for row in rows]


def test_records_are_stored_compact_and_read_in_full(engine: Engine, log_path: Path) -> None:
    with Engine(audit_log=log_path) as audited:
        made = [audited.assess(_answers(name)) for name in PERSONAS]
    stored = _stored_contents(log_path)
    assert all(item["compact"] == 1 for item in stored)
    for result, item in zip(made, stored):
        assert len(json.dumps(item)) < len(result.model_dump_json()) / 2
    with AuditLog(log_path, readonly=True) as log:
        assert log.verify().ok
        for result in made:
            record = log.get(result.assessment_id)
            assert record.result() == result
            assert record.answers == result.answers
            assert record.recommendation_ids() == [r.id for r in result.recommendations]
            reproduced = replay(log, result.assessment_id, engine=engine)
            assert reproduced.reproduced


def test_a_log_of_full_records_still_reads_verifies_and_grows(full_form_log: Path) -> None:
    assert not any("compact" in item for item in _stored_contents(full_form_log))
    with Engine(audit_log=full_form_log) as engine:
        added = engine.assess(_answers(PERSONAS[2]))
    stored = _stored_contents(full_form_log)
    assert ["compact" in item for item in stored] == [False, False, True]
    with AuditLog(full_form_log, readonly=True) as log:
        assert log.verify().ok
        records = list(log.records())
        assert [r.result().assessment_id for r in records][-1] == added.assessment_id
        for record in records:
            assert record.result().ruleset.fingerprint == added.ruleset.fingerprint
        exported = io.StringIO()
        assert log.export_jsonl(exported) == 3


def test_a_compact_record_outside_its_log_says_how_to_read_it(log_path: Path) -> None:
    with Engine(audit_log=log_path) as engine:
        result = engine.assess(_answers(PERSONAS[0]))
    with AuditLog(log_path, readonly=True) as log:
        exported = io.StringIO()
        log.export_jsonl(exported)
    line = json.loads(exported.getvalue())
    bare = AuditRecord.from_row(
        json.dumps({k: v for k, v in line.items() if k not in ("prev_hash", "hash")}),
        line["prev_hash"],
        line["hash"],
    )
    with pytest.raises(AuditError, match="read it through its AuditLog"):
        bare.result()
    assert bare.status == result.status
