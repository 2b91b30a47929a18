"""Hostile answers documents and rule files: refused quickly, with file:line, never a crash.

Covers issue 17 items 9 (unbounded reads), 14 (unbounded messages) and non-UTF-8 input
(part of 21).
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from legrules import AnswersError, InputFileError, RulePackError, answers, loader
from legrules.answers import load_answers_file, validate_answers
from legrules.cli import cli
from legrules.errors import MAX_LISTED, SHOWN_CHARS, closest, show
from legrules.loader import load_pack
from legrules.packcache import cache_key, compiled_pack
from legrules.paths import default_rules_dir
from legrules.yamlio import ANSWERS_LIMIT, PACK_FILE_LIMIT, read_stream

from .conftest import RuleWriter

QUESTIONNAIRE = load_pack(default_rules_dir()).questionnaire
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


def pack_error(pack: Path) -> str:
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    return str(caught.value)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# --- 9. bounded reads of regular files only ---------------------------------------------


@needs_dev_zero
def test_answers_from_dev_zero_are_refused() -> None:
    with pytest.raises(InputFileError, match="/dev/zero: is a device, not a regular file"):
        load_answers_file(Path("/dev/zero"), QUESTIONNAIRE)


@needs_fifo
def test_an_answers_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="named pipe"):
        load_answers_file(fifo, QUESTIONNAIRE)


def test_an_answers_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(b"#" * ANSWERS_LIMIT + b"\n")  # a comment: valid, and empty
    with pytest.raises(InputFileError, match="too large: the limit is 1 MiB"):
        load_answers_file(path, QUESTIONNAIRE)


def test_stdin_is_read_up_to_the_limit_only() -> None:
    stream = io.BytesIO(b"#" * (ANSWERS_LIMIT + 10))
    with pytest.raises(InputFileError, match="<stdin>: too large: the limit is 1 MiB"):
        read_stream(stream, "<stdin>", ANSWERS_LIMIT)
    assert stream.tell() == ANSWERS_LIMIT + 1


def test_cli_stdin_over_the_limit_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", "-", "--json"], input=b"#" * (ANSWERS_LIMIT + 1)
    )
    assert result.exit_code == 2
    assert "<stdin>: too large: the limit is 1 MiB" in result.stderr


@needs_dev_zero
def test_cli_answers_from_dev_zero_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--answers", "/dev/zero", "--json"])
    assert result.exit_code == 2
    assert "/dev/zero: is a device, not a regular file" in result.stderr


@needs_dev_zero
def test_a_rule_file_symlinked_to_dev_zero_is_refused(pack_copy: Path) -> None:
    (pack_copy / "rules" / "zero.yaml").symlink_to("/dev/zero")
    assert "zero.yaml: is a device, not a regular file" in pack_error(pack_copy)


@needs_fifo
def test_a_fifo_rule_file_is_refused_and_the_cache_does_not_hang(
    pack_copy: Path, tmp_path: Path
) -> None:
    os.mkfifo(pack_copy / "rules" / "pipe.yaml")
    assert cache_key(pack_copy) is None
    with pytest.raises(RulePackError, match=r"pipe\.yaml: is a named pipe"):
        compiled_pack(pack_copy, tmp_path / "cache")


def test_a_rule_file_over_the_limit_is_refused(pack_copy: Path) -> None:
    (pack_copy / "rules" / "huge.yaml").write_bytes(b"#" * PACK_FILE_LIMIT + b"\nrules: []\n")
    assert "huge.yaml: too large: the limit is 4 MiB" in pack_error(pack_copy)


def test_a_directory_named_like_a_rule_file_is_refused(pack_copy: Path) -> None:
    (pack_copy / "rules" / "folder.yaml").mkdir()
    assert "folder.yaml: is a directory, expected a file" in pack_error(pack_copy)


@needs_fifo
def test_a_fifo_cache_entry_is_ignored_and_replaced(pack_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    key = cache_key(pack_copy)
    entry = cache / f"pack-{key}.pickle"
    os.mkfifo(entry, 0o600)
    compiled = compiled_pack(pack_copy, cache)
    assert compiled.pack.rules
    assert stat.S_ISREG(entry.lstat().st_mode), "the FIFO was replaced by a real entry"


# --- 14. bounded messages and did-you-mean work -----------------------------------------


def test_a_huge_value_gives_a_short_message_with_its_length() -> None:
    with pytest.raises(AnswersError) as caught:
        validate_answers({"pain_locations": ["x" * 1_000_000]}, QUESTIONNAIRE)
    message = str(caught.value)
    assert len(message) < 1000
    assert "(1000002 characters)" in message


def test_a_huge_unknown_key_gives_a_short_message() -> None:
    with pytest.raises(AnswersError) as caught:
        validate_answers({"k" * 1_000_000: 1}, QUESTIONNAIRE)
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize(
    "raw",
    [{"age": 10**5000}, {"pain_locations": [10**5000]}, {"age": [[[[]]]] * 3}],
    ids=["long-int", "long-int-in-list", "nested"],
)
def test_values_python_cannot_print_still_give_a_message(raw: dict[str, Any]) -> None:
    with pytest.raises(AnswersError) as caught:
        validate_answers(raw, QUESTIONNAIRE)
    assert len(str(caught.value)) < 1000


def test_show_survives_deep_nesting_and_long_integers() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert show(deep) == "a list too large or too deeply nested to show"
    assert show(10**5000) == "an integer of about 5001 digits"
    assert show("é" * 100) == '"' + "é" * (SHOWN_CHARS - 1) + "... (102 characters)"


def test_many_unknown_keys_list_and_suggest_for_the_first_problems_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def counting(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
        calls.append(word)
        return closest(word, choices, cutoff)

    monkeypatch.setattr(answers, "closest", counting)
    with pytest.raises(AnswersError) as caught:
        validate_answers({f"squat_felt_mots{i}": "glutes" for i in range(5000)}, QUESTIONNAIRE)
    assert len(caught.value.problems) == 5000
    assert len(calls) == MAX_LISTED
    lines = str(caught.value).splitlines()
    assert len(lines) == MAX_LISTED + 2
    assert lines[-1] == f"  ... and {5000 - MAX_LISTED} more"


def test_many_unknown_keys_in_a_rule_file_are_capped(
    pack_copy: Path, write_rules: RuleWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counting(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
        calls.append(word)
        return closest(word, choices, cutoff)

    monkeypatch.setattr(loader, "closest", counting)
    junk = "\n".join(f"    junk{i}: 1" for i in range(500))
    write_rules(f"rules:\n  - id: x\n    ? key{'y' * 100_000}\n    : 1\n{junk}\n")
    message = pack_error(pack_copy)
    assert len(calls) <= MAX_LISTED
    assert len(message) < 50_000
    assert "more" in message.splitlines()[-1]


# --- 21. non-UTF-8 input ---------------------------------------------------------------


def test_a_non_utf8_answers_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(b"age: 30\npain_type: \xff\n")
    with pytest.raises(InputFileError, match=r"answers\.yaml:2: not UTF-8 text"):
        load_answers_file(path, QUESTIONNAIRE)


def test_non_utf8_stdin_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--answers", "-", "--json"], input=b"age: \xff\n")
    assert result.exit_code == 2
    assert "<stdin>:1: not UTF-8 text" in result.stderr
    assert "internal error" not in result.stderr
