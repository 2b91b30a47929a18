"""The one value formatter: each kind of answer in each form, and redaction."""

from __future__ import annotations

import pytest

from legrules import Engine
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.values import Form, show_value

CASES: list[tuple[str, AnswerValue, tuple[str, str, str]]] = [
    # question, value, (words, ids, both)
    ("squat_felt_most", "quads", ("Front of the thighs", "quads", "quads (Front of the thighs)")),
    ("squat_felt_most", "glutes", ("Glutes", "glutes", "glutes")),
    ("pain_locations", ["knee", "low_back"],
     ("Knee, Lower back", "[knee, low_back]", "[knee, low_back] (Knee, Lower back)")),
    ("pain_locations", [], ("None of these", "[]", "[]")),
    ("parq_medication", True, ("Yes", "true", "true")),
    ("parq_medication", False, ("No", "false", "false")),
    ("age", 34, ("34", "34", "34")),
    ("age", None, ("not answered", "unanswered", "unanswered")),
]  # fmt: skip


@pytest.mark.parametrize(("question_id", "value", "expected"), CASES)
def test_each_kind_of_value_in_each_form(
    engine: Engine, question_id: str, value: AnswerValue, expected: tuple[str, str, str]
) -> None:
    question = engine.pack.questions()[question_id]
    forms: tuple[Form, ...] = ("words", "ids", "both")
    assert tuple(show_value(value, question, form) for form in forms) == expected


@pytest.mark.parametrize("form", ["words", "ids", "both"])
def test_without_the_question_every_form_shows_ids(form: Form) -> None:
    assert show_value(["knee"], None, form) == "[knee]"
    assert show_value(False, None, form) == "false"
    assert show_value(None, None, form) == "unanswered"


@pytest.mark.parametrize("form", ["words", "ids", "both"])
def test_a_redacted_answer_never_shows_its_hash(engine: Engine, form: Form) -> None:
    question = engine.pack.questions()["pain_type"]
    assert show_value("hmac-sha256:abc", question, form, redacted=True) == "[redacted]"
