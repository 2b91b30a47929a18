"""``default_from`` cases other than ``all``: a list, a number and a yes/no default.

The shipped pack only uses ``commercial_gym: all``, so these cases need their own
questionnaire: equipment for a home gym, two days a week by default at home, and a bool
question whose default depends on the place too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from legrules.audit.model import redaction_closure
from legrules.interview.skips import default_for, walk
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import Questionnaire
from legrules.run.answers import validate_answers
from tests.rulekit import SHIPPED

HOME_EQUIPMENT = ["dumbbells", "bench_or_step"]


def _questionnaire() -> Questionnaire:
    data: dict[str, Any] = SHIPPED.questionnaire.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    by_id = {q["id"]: q for q in data["questions"]}
    by_id["equipment"]["default_from"]["cases"]["home_gym"] = HOME_EQUIPMENT
    by_id["days_available"]["default_from"] = {
        "question": "training_location",
        "cases": {"home_gym": 3},
    }
    data["questions"].append(
        {
            "id": "short_sessions",
            "group": "schedule",
            "type": "bool",
            "prompt": "Are your sessions short?",
            "why": "Test only.",
            "default": False,
            "default_from": {"question": "training_location", "cases": {"home_gym": True}},
        }
    )
    return Questionnaire.model_validate(data)


QUESTIONNAIRE = _questionnaire()
PACK: RulePack = replace(SHIPPED, questionnaire=QUESTIONNAIRE)


@pytest.mark.parametrize(
    ("place", "equipment", "days", "short"),
    [
        ("home_gym", HOME_EQUIPMENT, 3, True),
        ("commercial_gym", None, 2, False),  # "all" is filled in below
        ("both", None, 2, False),
    ],
)
def test_default_from_value_cases(
    place: str, equipment: list[str] | None, days: int, short: bool
) -> None:
    every = list(QUESTIONNAIRE.by_id()["equipment"].values or [])
    expected_equipment = every if place == "commercial_gym" else equipment
    answers = validate_answers({"training_location": place}, QUESTIONNAIRE)
    assert answers["equipment"] == expected_equipment
    assert answers["days_available"] == days
    assert answers["short_sessions"] is short
    steps = walk(PACK, {"training_location": place}, ask_all=True)
    questions = QUESTIONNAIRE.by_id()
    assert default_for(questions["days_available"], steps) == days
    assert default_for(questions["short_sessions"], steps) is short
    if place == "home_gym":
        assert default_for(questions["equipment"], steps) == HOME_EQUIPMENT


def test_a_given_answer_wins_over_the_case() -> None:
    answers = validate_answers(
        {"training_location": "home_gym", "days_available": 1, "short_sessions": False},
        QUESTIONNAIRE,
    )
    assert answers["days_available"] == 1
    assert answers["short_sessions"] is False


def test_redacting_the_source_redacts_every_derived_default() -> None:
    assert redaction_closure(["training_location"], QUESTIONNAIRE) == {
        "training_location",
        "equipment",
        "days_available",
        "short_sessions",
    }
