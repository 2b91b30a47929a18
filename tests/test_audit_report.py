"""``legrules audit show`` text: the record for an auditor, laid out and worded as the
other reports are (shared wrap, value formatter and dose)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legrules import Engine
from legrules.audit import AuditLog, AuditRecord
from legrules.audit.report import record_text


@pytest.fixture(scope="module")
def log(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditLog]:
    path = tmp_path_factory.mktemp("report") / "decisions.db"
    with AuditLog(path) as writer:
        writer.record(engine.assess({"squat_felt_most": "glutes"}), engine.compiled)
    with AuditLog(path, readonly=True) as reader:
        yield reader


@pytest.fixture(scope="module")
def record(log: AuditLog) -> AuditRecord:
    return next(log.records())


def test_rule_ids_are_never_split_at_their_hyphens(record: AuditRecord) -> None:
    text = record_text(record)
    for rule in record.rules:
        assert f"{rule.id} v{rule.version}" in text.replace("\n    ", " ")
    assert "  rules:      " in text  # lined up with the other header fields
