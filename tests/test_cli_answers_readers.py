"""Every way an answers document comes in reads it alike: the library's
load_answers_file, ``--answers FILE``, ``--answers -`` and ``--resume FILE``.

Each reader gets the same text; each must find the same answers in it, or refuse it with
the same message (apart from the name it gives the source).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules import Engine, LegrulesError, load_answers_file
from legrules.cli import cli

DOCUMENTS = {
    # YAML 1.2: "no" is the enum value, not False
    "yaml": ("answers.yaml", "tracks_progress: no\nage: 34\n"),
    # JSON by its first character, whatever the file is called
    "json-by-content": ("answers.txt", '{"age": 34, "squat_felt_most": "glutes"}'),
    "empty": ("answers.yaml", ""),
    "only-comments": ("answers.yaml", "# nothing yet\n"),
    "null": ("answers.yaml", "null\n"),
    "a-list": ("answers.yaml", "- age\n- 34\n"),
    "bad-yaml": ("answers.yaml", "age: [34\n"),
    "bad-json": ("answers.json", '{"age": 34,}'),
    "unknown-id": ("answers.yaml", "agee: 34\n"),
}

# what a reader saw: ("answers", {id: value for the document's ids}) or ("error", message)
Outcome = tuple[str, object]
Reader = Callable[[Path, str, Engine, pytest.MonkeyPatch], Outcome]


def _cli_outcome(args: list[str], stdin: str | None, keys: list[str], source: str) -> Outcome:
    result = CliRunner().invoke(cli, args, input=stdin)
    if result.exit_code == 0:
        answers = json.loads(result.stdout)["answers"]
        return "answers", {key: answers[key] for key in keys}
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    message = result.stderr.removeprefix("legrules: ").rstrip("\n")
    return "error", message.replace(source, "SOURCE")


def _keys(text: str) -> list[str]:
    return [line.split(":")[0].strip('{" ') for line in text.replace(",", "\n").splitlines()]


def library(path: Path, text: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    try:
        answers = load_answers_file(path, engine.questionnaire)
    except LegrulesError as error:
        return "error", str(error).replace(str(path), "SOURCE")
    return "answers", {key: answers[key] for key in _keys(text)}


def answers_file(path: Path, text: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    return _cli_outcome(["assess", "--answers", str(path), "--json"], None, _keys(text), str(path))


def stdin(path: Path, text: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    return _cli_outcome(["assess", "--answers", "-", "--json"], text, _keys(text), "<stdin>")


def resume(path: Path, text: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    monkeypatch.setattr("legrules.cli._common.stdin_is_tty", lambda: True)
    args = ["assess", "--resume", str(path), "--json"]
    return _cli_outcome(args, "\n" * 200, _keys(text), str(path))


READERS: dict[str, Reader] = {
    "library": library,
    "--answers FILE": answers_file,
    "--answers -": stdin,
    "--resume FILE": resume,
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_reader_reads_a_document_alike(
    name: str, tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    filename, text = DOCUMENTS[name]
    outcomes: dict[str, Outcome] = {}
    for reader_name, reader in READERS.items():
        path = tmp_path / filename
        path.write_text(text, encoding="utf-8")  # --resume may have saved over it
        outcomes[reader_name] = reader(path, text, engine, monkeypatch)
    first = outcomes["library"]
    assert all(outcome == first for outcome in outcomes.values()), outcomes
    if name == "yaml":
        assert first == ("answers", {"tracks_progress": "no", "age": 34})
