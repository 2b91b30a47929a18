"""``ID=VALUE`` is read by one parser wherever it is typed: ``assess --answer`` and
``audit replay --value`` accept the same spellings and refuse the same mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules.cli import cli

REDACTED = ["--redact", "pain_type", "--redact", "pain_locations", "--redact", "age"]
GIVEN = ["pain_type=dull_ache", "pain_locations=knee,hip", "age=41"]


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A log with one record whose list, enum and number answers are redacted."""
    log = tmp_path_factory.mktemp("idvalue") / "log.db"
    args = ["assess", "--audit-log", str(log), *REDACTED, "--json"]
    for pair in GIVEN:
        args += ["--answer", pair]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return log, json.loads(result.stdout)["assessment_id"]


def _replay(record: tuple[Path, str], *pairs: str) -> tuple[int, str, str]:
    log, assessment_id = record
    args = ["audit", "replay", assessment_id, "--audit-log", str(log)]
    for pair in pairs:
        args += ["--value", pair]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.stdout, result.stderr


def test_values_typed_as_for_answer_replay_faithfully(record: tuple[Path, str]) -> None:
    code, out, err = _replay(record, *GIVEN)
    assert code == 0, err
    assert "answers: exactly as recorded" in out


@pytest.mark.parametrize(
    "pairs",
    [
        ["nonsense"],
        ["pain_type=sharpp"],
        ["pain_typ=sharp"],
        ["age=forty"],
        ["pain_locations=knee,elbow"],
        ["pain_type=sharp", "pain_type=dull_ache"],
    ],
    ids=" ".join,
)
def test_the_same_mistakes_get_the_same_message(record: tuple[Path, str], pairs: list[str]) -> None:
    answer_args = ["assess", "--json"]
    for pair in pairs:
        answer_args += ["--answer", pair]
    answered = CliRunner().invoke(cli, answer_args)
    code, out, err = _replay(record, *pairs)
    assert (answered.exit_code, code) == (2, 2)
    assert (answered.stdout, out) == ("", "")
    assert "invalid answers in --answer" in answered.stderr
    assert err == answered.stderr.replace("--answer", "--value")
