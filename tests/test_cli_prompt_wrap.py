"""How the terminal questionnaire wraps a long numbered choice."""

from __future__ import annotations

import pytest

from legrules.cli import _questionnaire


def test_a_wrapped_choice_continues_under_its_text_not_its_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_questionnaire, "_width", lambda: 40)
    _questionnaire._say(
        "   6) Do you have a bone, joint or soft-tissue problem that more activity could worsen?"
    )
    _questionnaire._say("  10) Heel-elevated squat with a very long label that wraps")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("   6) Do you")
    assert all(line.startswith("      ") and line[6] != " " for line in lines[1:3])
    ten = lines.index(next(line for line in lines if line.startswith("  10) ")))
    assert lines[ten + 1][:7].strip() == lines[ten + 1][6]  # six spaces, then text
