"""Ctrl-C in the questionnaire keeps what was answered (with --save), and --resume goes
on from there. Driven through CliRunner with stdin declared a terminal; end of input
is the interruption here (the questionnaire treats Ctrl-D like Ctrl-C), and
tests/test_interactive_resume.py sends a real SIGINT on a pty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from legrules import Engine
from legrules.cli import cli
from tests.test_cli_assess import script


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("legrules.cli._common.stdin_is_tty", lambda: True)


def test_interrupt_with_save_keeps_the_answers_so_far(
    runner: CliRunner, tty: None, tmp_path: Path, engine: Engine
) -> None:
    saved = tmp_path / "mine.yaml"
    # none of the screening checklist, then the next question
    result = runner.invoke(cli, ["assess", "--save", str(saved)], input="\n34\n")
    assert result.exit_code == 130
    checklist, (second,) = script(engine, {})[:2]
    assert f"saved the {len(checklist) + 1} answers given so far" in result.stderr
    assert f"legrules assess --resume {saved}" in result.stderr
    expected = {**dict.fromkeys(checklist, False), second: 34}
    assert yaml.safe_load(saved.read_text(encoding="utf-8")) == expected
    assert list(tmp_path.iterdir()) == [saved]  # written atomically: no temporary left


def test_resume_asks_only_the_rest_and_saves_everything(
    runner: CliRunner, tty: None, tmp_path: Path, engine: Engine
) -> None:
    saved = tmp_path / "mine.yaml"
    # the first question answered "yes" (not its default): it must survive the resume
    runner.invoke(cli, ["assess", "--save", str(saved)], input="1\n")
    first = script(engine, {})[0][0]
    asked = script(engine, {first: True})
    before = yaml.safe_load(saved.read_text(encoding="utf-8"))
    result = runner.invoke(
        cli, ["assess", "--resume", str(saved), "--json"], input="\n" * (len(asked) - 1) + "\n"
    )
    assert result.exit_code == 0, result.stderr
    assert f"{len(before)} answers kept from before" in result.stderr
    assert result.stderr.count("> [") == len(asked) - 1, "a kept answer was asked again"
    assert json.loads(result.stdout)["answers"][first] is True
    kept = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert kept[first] is True
    assert set(kept) <= {q for batch in asked for q in batch}


def test_an_answer_left_blank_stays_asked_on_resume(
    runner: CliRunner, tty: None, tmp_path: Path, engine: Engine
) -> None:
    """A question without a default left blank (Enter) is saved as null and not asked
    again: it was answered "skip", which is not the same as never asked."""
    saved = tmp_path / "mine.yaml"
    order = script(engine, {})
    flat = [q for batch in order for q in batch]
    no_default = next(
        q.id for q in engine.questionnaire.questions if q.default is None and q.id in flat
    )
    before = order.index([no_default]) + 1
    runner.invoke(cli, ["assess", "--save", str(saved)], input="\n" * before)
    assert yaml.safe_load(saved.read_text(encoding="utf-8"))[no_default] is None
    result = runner.invoke(cli, ["assess", "--resume", str(saved), "--json"], input="\n" * 200)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("> [") == len(order) - before


def test_interrupt_before_any_answer_leaves_the_file_alone(
    runner: CliRunner, tty: None, tmp_path: Path
) -> None:
    saved = tmp_path / "mine.yaml"
    saved.write_text("age: 34\n", encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--save", str(saved)], input="")
    assert result.exit_code == 130
    assert "left as it was" in result.stderr
    assert saved.read_text(encoding="utf-8") == "age: 34\n"


def test_resume_of_a_file_not_there_yet_starts_from_the_beginning(
    runner: CliRunner, tty: None, tmp_path: Path
) -> None:
    saved = tmp_path / "new.yaml"
    result = runner.invoke(cli, ["assess", "--resume", str(saved), "--json"], input="\n" * 200)
    assert result.exit_code == 0, result.stderr
    assert saved.exists()


@pytest.mark.parametrize(
    "extra", [["--answer", "age=34"], ["--defaults"], ["--no-input"], ["--answers", "-"]]
)
def test_resume_with_given_answers_is_a_usage_error(
    runner: CliRunner, tty: None, tmp_path: Path, extra: list[str]
) -> None:
    result = runner.invoke(cli, ["assess", "--resume", str(tmp_path / "a.yaml"), *extra])
    assert result.exit_code == 2
    assert "--resume" in result.stderr


def test_resume_without_a_terminal_says_what_to_do(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", "--resume", str(tmp_path / "a.yaml")], input="")
    assert result.exit_code == 2
    assert "not a terminal" in result.stderr
    assert "--answers" in result.stderr
