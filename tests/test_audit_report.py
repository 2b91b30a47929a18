"""``legrules audit show`` text: the record for an auditor, laid out and worded as the
other reports are (shared wrap, value formatter and dose)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legrules import Engine
from legrules.audit import AuditLog, AuditRecord
from legrules.report.audit import record_lines, record_text


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


def test_sets_and_reps_are_never_attributed_to_the_article(record: AuditRecord) -> None:
    result = record.result()
    assert result.plan is not None
    day = result.plan.days[0]
    borrowed = day.items[0].model_copy(
        update={
            "sets": "3",
            "reps": "8-12",
            "per_leg": True,
            "prescription_source": "not_specified",
        }
    )
    missing = day.items[1].model_copy(update={"sets": None, "reps": None})
    plan = result.plan.model_copy(
        update={"days": [day.model_copy(update={"items": [borrowed, missing]})]}
    )
    text = "\n".join(record_lines(record, result.model_copy(update={"plan": plan})))
    assert f"- {borrowed.exercise}: 3 x 8-12 per leg (not from the article) (because:" in text
    assert f"- {missing.exercise}: sets x reps not given by the article (because:" in text
