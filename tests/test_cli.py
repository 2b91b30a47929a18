"""The minimal CLI path: assess to JSON, --version, schema export, exit codes, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules._version import __version__
from legrules.cli import cli
from tests.conftest import EXAMPLES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"legrules, version {__version__}"


def test_assess_json_from_example(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", str(EXAMPLES / "lowback-hinges.yaml"), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["status"] == "ok"
    assert data["trace"], "the trace must not be empty"
    assert all(rec["because"] for rec in data["recommendations"])
    assert data["ruleset"]["fingerprint"].startswith("sha256:")


def test_assess_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", "-", "--json"], input='{"squat_felt_most": "glutes"}'
    )
    assert result.exit_code == 0, result.stderr
    ids = [r["id"] for r in json.loads(result.stdout)["recommendations"]]
    assert "heel_elevated_squat" in ids


def test_assess_text_report(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--answers", str(EXAMPLES / "glute-dominant.json")])
    assert result.exit_code == 0
    assert "This week's plan" in result.stdout
    assert "Heel-elevated squats" in result.stdout


def test_referral_is_exit_zero_without_plan(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", str(EXAMPLES / "sharp-knee-pain.json"), "--json"]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "referral"
    assert data["plan"] is None


def test_no_answers_without_tty_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--answers" in result.stderr
    assert "--defaults" in result.stderr


def test_defaults_on_purpose(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--defaults", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "ok"


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ('{"age": 30,}', "a.json", "not valid JSON"),
        ("age: [30\n", "a.yaml", "not valid YAML"),
        ('{"squat_felt_mots": "glutes"}', "a.json", "did you mean 'squat_felt_most'"),
        ('{"age": "thirty"}', "a.json", "whole number"),
        ('{"pain_score": 42}', "a.json", "out of range"),
        ('{"goal": "big legs"}', "a.json", "one of: overall_strength"),
        ("!!python/object/apply:os.system ['true']\n", "a.yaml", "only plain YAML data"),
    ],
)
def test_bad_answers_exit_2_with_a_clear_message(
    runner: CliRunner, tmp_path: Path, content: str, name: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--answers", str(path), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["", "\n  \n", "# answers to come\n"])
def test_an_empty_answers_file_is_exit_2_pointing_at_defaults(
    runner: CliRunner, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--answers", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(path) in result.stderr
    assert "--defaults" in result.stderr


@pytest.mark.parametrize("command", [["assess"], ["explain"]])
def test_empty_stdin_is_exit_2_pointing_at_defaults(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(cli, [*command, "--answers", "-"], input="")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "<stdin>" in result.stderr
    assert "--defaults" in result.stderr


def test_missing_answers_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", "--answers", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_bad_rule_pack_exit_2(runner: CliRunner, pack_copy: Path) -> None:
    (pack_copy / "rules" / "bad.yaml").write_text(
        "rules:\n  - id: Bad Id\n    title: t\n", encoding="utf-8"
    )
    result = runner.invoke(cli, ["assess", "--defaults", "--rules", str(pack_copy)])
    assert result.exit_code == 2
    assert "invalid rule pack" in result.stderr
    assert "bad.yaml:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_rules_from_environment(
    runner: CliRunner, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pack_copy / "pack.yaml").write_text(
        (pack_copy / "pack.yaml")
        .read_text(encoding="utf-8")
        .replace("name: leg-training", "name: my-pack"),
        encoding="utf-8",
    )
    monkeypatch.setenv("LEGRULES_RULES", str(pack_copy))
    result = runner.invoke(cli, ["assess", "--defaults", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ruleset"]["name"] == "my-pack"


def test_unexpected_error_is_one_line_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("legrules.api.Engine.assess", broken)
    result = runner.invoke(cli, ["assess", "--defaults"])
    assert result.exit_code == 1
    assert "internal error: RuntimeError: simulated bug" in result.stderr
    assert "Traceback" not in result.stderr


def test_schema_rules_is_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["schema", "rules"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "legrules rule file"
    assert "rules" in schema["properties"]
    assert "Rule" in schema["$defs"]


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "legrules", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("legrules, version")
