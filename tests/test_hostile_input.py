"""Hostile answers documents and rule files: refused quickly, with file:line, never a crash.

Covers issue 17 item 14 (unbounded messages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from legrules import AnswersError, RulePackError, answers, loader
from legrules.answers import validate_answers
from legrules.errors import MAX_LISTED, SHOWN_CHARS, closest, show
from legrules.loader import load_pack
from legrules.paths import default_rules_dir

from .conftest import RuleWriter

QUESTIONNAIRE = load_pack(default_rules_dir()).questionnaire


def pack_error(pack: Path) -> str:
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    return str(caught.value)


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
