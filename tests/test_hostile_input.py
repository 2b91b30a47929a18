"""Hostile answers documents and rule files: refused quickly, with file:line, never a crash.

Covers issue 17 items 8 (aliases), 9 (unbounded reads), 14 (unbounded messages), 15
(duplicate keys), 16 (YAML 1.1 scalars and tags) and the parsing part of 21.
"""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from legrules import AnswersError, InputFileError, LegrulesError, RulePackError
from legrules.cli import cli
from legrules.errors import MAX_LISTED, SHOWN_CHARS, closest, show
from legrules.pack.typed import dump_answers
from legrules.pack.yamlio import ANSWERS_LIMIT, PACK_FILE_LIMIT, parse_json, parse_yaml, read_stream
from legrules.paths import default_rules_dir
from legrules.run import answers, loader
from legrules.run.answers import load_answers_file, parse_answers_document, validate_answers
from legrules.run.batch import run_batch
from legrules.run.loader import load_pack
from legrules.run.packcache import cache_key, compiled_pack

from .conftest import RuleWriter

QUESTIONNAIRE = load_pack(default_rules_dir()).questionnaire
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


def refused(text: str, source: str = "answers.yaml") -> LegrulesError:
    with pytest.raises(LegrulesError) as caught:
        validate_answers(parse_answers_document(text, source), QUESTIONNAIRE, source=source)
    return caught.value


def pack_error(pack: Path) -> str:
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    return str(caught.value)


def billion_laughs(levels: int) -> str:
    """The classic: each level is nine aliases of the one before (9**levels strings)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# --- 8. aliases and anchors -------------------------------------------------------------


def test_billion_laughs_answers_are_refused_at_the_first_anchor() -> None:
    message = str(refused(billion_laughs(5)))
    assert message.startswith("answers.yaml:1: anchor &l0: anchors and aliases are not accepted")


def test_an_alias_without_its_anchor_is_refused_with_its_line() -> None:
    assert str(refused("pain_type: none\nknee_ache: *x\n")).startswith("answers.yaml:2: alias *x")


def test_a_recursive_alias_is_refused_not_a_recursion_error() -> None:
    message = str(refused("pain_locations: &b [*b]\n"))
    assert message.startswith("answers.yaml:1: anchor &b")


def test_aliases_in_a_rule_file_are_refused_with_file_and_line(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    write_rules(billion_laughs(4).replace("l0:", "rules: []\nl0:"))
    message = pack_error(pack_copy)
    assert "zz-extra.yaml:2: anchor &l0: anchors and aliases are not accepted" in message


def test_saved_answers_write_shared_values_out_in_full() -> None:
    shared = ["knee"]
    text = dump_answers(
        {"pain_locations": shared, "knee_signs": shared}, json_format=False, stamp="now"
    )
    assert "&" not in text
    with pytest.raises(AnswersError, match="knee_signs"):  # read back, not refused as an alias
        validate_answers(
            parse_answers_document(text, "saved.yaml"), QUESTIONNAIRE, source="saved.yaml"
        )


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


# --- 15. duplicate keys ------------------------------------------------------------------


def test_a_duplicate_key_in_json_answers_names_the_key_and_line() -> None:
    text = '{\n  "pain_type": "sharp",\n  "age": 40,\n  "pain_type": "none"\n}\n'
    message = str(refused(text, "answers.json"))
    assert message == 'answers.json:4: duplicate key "pain_type"; each key may appear once'


def test_a_duplicate_key_in_one_line_json_is_refused() -> None:
    message = str(refused('{"pain_type":"sharp","pain_type":"none"}', "<stdin>"))
    assert message.startswith('<stdin>:1: duplicate key "pain_type"')


def test_json_duplicates_are_found_past_strings_and_nested_objects() -> None:
    text = '{"a": "{\\"b\\": 1, \\"b\\": 2}",\n "c": {"b": 1},\n "d": {"b": 1,\n "b": 2}}'
    with pytest.raises(InputFileError) as caught:
        parse_json(text, "x.json")
    assert str(caught.value).startswith('x.json:4: duplicate key "b"')
    assert parse_json('[{"a": 1}, {"a": 2}]', "x.json") == [{"a": 1}, {"a": 2}]


def test_a_duplicate_key_in_yaml_answers_names_both_lines() -> None:
    message = str(refused("pain_type: sharp\nage: 40\npain_type: none\n"))
    assert message == (
        'answers.yaml:3: duplicate key "pain_type" (first at line 1); each key may appear once'
    )


def test_a_duplicate_key_in_a_rule_file_names_file_and_line(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    write_rules("rules:\n  - id: x\n    title: one\n    title: two\n")
    assert 'zz-extra.yaml:4: duplicate key "title" (first at line 3)' in pack_error(pack_copy)


def test_a_duplicate_key_in_a_batch_line_is_that_lines_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"pain_type": "sharp", "pain_type": "none"}\n{"pain_type": "none"}\n', encoding="utf-8"
    )
    report = run_batch(source, tmp_path / "out.jsonl", workers=1)
    assert report.assessed == 1
    ((number, message),) = report.bad_lines
    assert number == 1
    assert 'duplicate key "pain_type"' in message


# --- 16. YAML 1.2 core schema, core tags only -------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("045", 45),  # decimal in YAML 1.2, not octal 37
        ("!!int 42", 42),
        ("+42", 42),
    ],
)
def test_yaml_12_integers(text: str, value: int) -> None:
    assert (
        validate_answers(
            parse_answers_document(f"age: {text}\n", "a.yaml"), QUESTIONNAIRE, source="a.yaml"
        )["age"]
        == value
    )


@pytest.mark.parametrize("text", ["0x1F", "0o17", "1:05", "3_4", "0b101", "1e1", "40.0"])
def test_yaml_11_and_non_decimal_numbers_are_not_integers(text: str) -> None:
    error = refused(f"age: {text}\n")
    assert isinstance(error, AnswersError)
    assert "expected a whole number" in str(error)


def test_plain_scalars_follow_the_core_schema() -> None:
    data, _ = parse_yaml(
        "a: yes\nb: 2001-12-14\nc: ~\nd: 1e3\ne: .inf\nf: '1'\ng: ! 12\nh: <<\ni: =\nj: TRUE\n",
        "x.yaml",
    )
    assert data == {
        "a": "yes",
        "b": "2001-12-14",
        "c": None,
        "d": 1000.0,
        "e": float("inf"),
        "f": "1",
        "g": "12",
        "h": "<<",
        "i": "=",
        "j": True,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("squat_form_breaks: !!bool yes", '!!bool "yes" is not true or false'),
        ("age: !!int abc", '!!int "abc" is not an integer'),
        ("age: !!float abc", '!!float "abc" is not a number'),
        ("squat_form_breaks: !!bool maybe", '!!bool "maybe" is not true or false'),
        ("age: !!null 3", '!!null "3" is not null'),
        ("age: !!timestamp 2001-12-14", "tag !!timestamp is not accepted"),
        ("age: !!binary aGk=", "tag !!binary is not accepted"),
        ("pain_locations: !!set {knee: null}", "tag !!set is not accepted"),
        ("pain_locations: !!str [knee]", "!!str does not fit a list"),
        ("pain_locations: !!map [knee]", "!!map does not fit a list"),
        ("age: !custom 3", "tag !custom is not accepted"),
        ("age: !!python/name:os.system ''", "tag !!python/name:os.system is not accepted"),
    ],
)
def test_tags_other_than_the_core_ones_and_misfits_are_errors(text: str, expected: str) -> None:
    error = refused(f"pain_type: none\n{text}\n")
    assert isinstance(error, InputFileError)
    assert str(error).startswith("answers.yaml:2: ")
    assert expected in str(error)


def test_core_tags_that_fit_are_accepted() -> None:
    text = (
        "pain_type: !!str none\nage: !!int 40\nknee_ache: !!null ~\n"
        "squat_form_breaks: !!bool true\npain_locations: !!seq [knee]\n"
    )
    loaded = validate_answers(parse_answers_document(text, "a.yaml"), QUESTIONNAIRE)
    assert (loaded["pain_type"], loaded["age"], loaded["knee_ache"]) == ("none", 40, "none")
    assert loaded["squat_form_breaks"] is True
    assert loaded["pain_locations"] == ["knee"]


def test_a_rule_file_does_not_read_yaml_11_integers(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    write_rules(
        "rules:\n  - id: x\n    title: t\n    version: 0x1\n    provenance: inferred\n"
        "    when: {all: []}\n    then: {recommend: [{id: leg_extension}]}\n"
        "    because: b\n    sources: [{ref: WEEKLY}]\n"
    )
    assert "zz-extra.yaml:4 (rule x) rules.0.version" in pack_error(pack_copy)


# --- 21. huge integers, non-UTF-8 -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("pain_type: none\nage: " + "9" * 5000 + "\n", "a.yaml"),
        ('{"pain_type": "none",\n "age": ' + "9" * 5000 + "}", "a.json"),
    ],
)
def test_integers_with_thousands_of_digits_are_refused_with_the_line(
    text: str, source: str
) -> None:
    error = refused(text, source)
    assert str(error) == f"{source}:2: an integer of 5000 digits is too long (at most 100)"


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


def test_cli_billion_laughs_file_exits_2_quickly(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(9), encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--answers", str(path), "--json"])
    assert result.exit_code == 2
    assert f"{path}:1: anchor &l0" in result.stderr


def test_a_lone_surrogate_in_library_text_is_an_input_error() -> None:
    assert "not valid text" in str(refused("pain_type: \ud800\n"))
    assert json.loads(show("\ud800")) == "\ud800"


def test_one_utf8_message_for_files_batch_lines_and_records(tmp_path: Path) -> None:
    """A document, a batch line and a re-scored record that are not UTF-8 are refused in
    the same words, the bad byte counted from 1 (legrules.pack.yamlio.decode_utf8)."""
    from legrules.pack.yamlio import read_text
    from legrules.run.batch import _parse_line
    from legrules.run.rescore import _answers

    data = b'{"age": "\xff"}'
    path = tmp_path / "answers.json"
    path.write_bytes(data)
    said = "not UTF-8 text (invalid start byte at byte 10)"
    for refuse, where in (
        (lambda: read_text(path), f"{path}:1"),
        (lambda: _parse_line(7, data), "line 7"),
        (lambda: _answers(data, "record 7"), "record 7"),
    ):
        with pytest.raises(InputFileError) as error:
            refuse()
        assert str(error.value) == f"{where}: {said}"
