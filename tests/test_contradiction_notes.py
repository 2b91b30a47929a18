"""Issue 13, section 3: contradictions are flagged with a clarify note near the top."""

from __future__ import annotations

from typing import Any

import pytest

from legrules import Engine
from legrules.report.assessment import render_markdown, render_text

CONTRADICTIONS = [
    ({"pain_type": "none", "pain_locations": ["hip"]}, "no-pain-but-pain-location"),
    ({"leg_sessions_per_week": 4, "days_available": 2}, "more-sessions-than-days-available"),
    (
        {"squat_felt_most": "dont_squat", "current_exercises": ["lunge"]},
        "dont-squat-but-squat-answers",
    ),
]


@pytest.mark.parametrize(("answers", "rule"), CONTRADICTIONS, ids=[r for _, r in CONTRADICTIONS])
def test_each_contradiction_is_flagged_right_after_safety(
    engine: Engine, answers: dict[str, Any], rule: str
) -> None:
    result = engine.assess(answers)
    clarify = result.recommendation("clarify_answers")
    assert clarify is not None
    assert [reason.rule for reason in clarify.because] == [rule]
    (detail,) = [reason.detail for reason in clarify.because]
    assert detail is not None
    first_words = " ".join(detail.split()[:8])
    for text in (render_text(result, engine.pack, width=400), render_markdown(result, engine.pack)):
        flat = " ".join(text.split())
        check = flat.index("Check these answers")
        assert flat.index("Safety first") < check < flat.index("What we found")
        assert flat.count(first_words) == 1  # near the top, and not again under habits


def test_no_contradiction_no_section(engine: Engine) -> None:
    result = engine.assess({"leg_sessions_per_week": 2, "days_available": 2})
    assert "Check these answers" not in render_text(result, engine.pack)
