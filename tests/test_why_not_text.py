"""WHY NOT is written one way: the library, ``legrules explain --why-not`` and
``legrules audit explain`` print the same text for the same answers and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules.audit import AuditLog, explain_record
from legrules.cli import cli


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _record(runner: CliRunner, log: Path, answers: Path, *extra: str) -> str:
    result = runner.invoke(
        cli, ["assess", "--answers", str(answers), "--json", "--audit-log", str(log), *extra]
    )
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["assessment_id"])


def _stored(runner: CliRunner, log: Path, record: str, recommendation: str) -> str:
    args = ["audit", "explain", record, "--why-not", recommendation, "--audit-log", str(log)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _library(log: Path, record: str, recommendation: str) -> str:
    with AuditLog(log, readonly=True) as audit:
        return "\n".join(explain_record(audit, record, recommendation).lines()) + "\n"


@pytest.mark.parametrize(
    ("answers", "recommendation", "says"),
    [
        (
            {"squat_felt_most": "quads", "age": 34},
            "heel_elevated_squat",
            "(squat_felt_most = quads (Front of the thighs))",
        ),
        ({"squat_felt_most": "quads", "age": 34}, "consult_before_vigorous", "(age = 34)."),
        ({"squat_felt_most": "glutes"}, "heel_elevated_squat", "was recommended, by"),
        ({"pain_type": "sharp"}, "leg_curl", "withheld by sharp-or-escalating-pain"),
    ],
)
def test_library_and_both_commands_print_one_text(
    runner: CliRunner,
    tmp_path: Path,
    answers: dict[str, object],
    recommendation: str,
    says: str,
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    log = tmp_path / "decisions.db"
    record = _record(runner, log, path)
    live = runner.invoke(cli, ["explain", "--answers", str(path), "--why-not", recommendation])
    assert live.exit_code == 0, live.stderr
    library = _library(log, record, recommendation)
    assert library == _stored(runner, log, record, recommendation) == live.stdout
    assert says in " ".join(library.split())


def test_a_redacted_answer_is_said_the_same_way_by_the_library_and_the_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"pain_type": "none"}), encoding="utf-8")
    log = tmp_path / "decisions.db"
    record = _record(runner, log, path, "--redact", "pain_type")
    library = _library(log, record, "see_professional")
    assert library == _stored(runner, log, record, "see_professional")
    assert "reads the redacted answer(s) pain_type, so the log cannot say" in " ".join(
        library.split()
    )
