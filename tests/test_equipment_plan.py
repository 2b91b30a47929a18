"""Equipment-aware plans (issue 13, section 1): whatever equipment a lifter has, the plan
asks for nothing they lack, and every day shown can be done.

The property runs over every equipment answer (any subset of the choices) together with
the answers that add exercises or days (lagging hamstrings, glute dominance, goals, three
leg days), so an added exercise competing with a slot's options is exercised too.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legrules import Assessment, Engine, RulePackError, load_answers_file, load_pack
from legrules.audit.model import redact_assessment
from legrules.report.assessment import render_text
from tests.conftest import EXAMPLES
from tests.profiles import examples
from tests.test_invariants import PACK

EQUIPMENT: list[str] = PACK.questions()["equipment"].values or []
TEMPLATE = {day.id: list(day.items) for day in PACK.catalogue.template}
MACHINES = {"leg_press", "leg_extension", "leg_curl", "extension_curl_station"}

#: Answers that add exercises, days or machine advice, so the options compete.
EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "hamstrings_lag": st.booleans(),
        "tight_hips": st.booleans(),
        "squat_felt_most": st.sampled_from(["glutes", "quads", "evenly"]),
        "goal": st.sampled_from(["hamstring_strength", "quad_development", "joint_friendly"]),
        "days_available": st.integers(1, 4),
        "rep_speed": st.sampled_from(["controlled", "usually_momentum"]),
        "form_breaks_late": st.booleans(),
        "experience": st.sampled_from(["beginner", "advanced"]),
    },
)


def _doable(groups: list[list[str]] | None, have: set[str]) -> bool:
    return any(set(group) <= have for group in groups or [[]])


def check_equipment(result: Assessment, have: set[str]) -> None:
    assert result.plan is not None
    planned: list[str] = []
    for day in result.plan.days:
        assert day.items, f"{day.id} is shown with nothing to do"
        for item in day.items:
            assert item.equipment_ok is not False, (day.id, item.exercise, item.title)
            chosen = {c.id: c for c in PACK.catalogue.choices(item.exercise)}[item.option or ""]
            assert _doable(chosen.equipment_any, have), (day.id, item.option, sorted(have))
            if not day.optional:
                planned.append(item.option or "")
        if day.id in TEMPLATE:
            # every slot of a template day is filled: nothing the lifter cannot do is left
            slots = [item.exercise for item in day.items]
            assert set(TEMPLATE[day.id]) <= set(slots), (day.id, slots)
    assert len(planned) == len(set(planned)), planned  # each option planned once
    ids = {rec.id for rec in result.recommendations}
    if not have & MACHINES:
        assert "use_machines" not in ids


@settings(max_examples=examples(400), deadline=None)
@given(
    have=st.sets(st.sampled_from(EQUIPMENT)),
    location=st.sampled_from(["home_gym", "both"]),
    extras=EXTRAS,
)
def test_no_plan_item_needs_equipment_the_lifter_lacks(
    engine: Engine, have: set[str], location: str, extras: dict[str, Any]
) -> None:
    answers = {"training_location": location, "equipment": sorted(have), **extras}
    check_equipment(engine.assess(answers), have)


def test_every_single_piece_of_equipment_and_none(engine: Engine) -> None:
    """Deterministic corners: nothing, each piece alone, each pair."""
    for size in (0, 1, 2):
        for have in combinations(EQUIPMENT, size):
            answers = {"training_location": "home_gym", "equipment": list(have)}
            check_equipment(engine.assess({**answers, "hamstrings_lag": True}), set(have))


def _doable_count(result: Assessment) -> tuple[int, int]:
    assert result.plan is not None
    items = [item for day in result.plan.days for item in day.items]
    return sum(1 for item in items if item.equipment_ok is not False), len(items)


def test_home_personas_can_do_every_item(engine: Engine) -> None:
    """The issue's measure: before, 0 of 6 items with no equipment, 1 of 8 with bands."""
    for name, total in (("home-gym-no-equipment", 6), ("home-gym-bands-only", 9)):
        path = EXAMPLES / f"{name}.json"
        result = engine.assess(load_answers_file(path, engine.questionnaire))
        assert _doable_count(result) == (total, total), name


def test_the_chosen_option_and_why_are_in_the_json(engine: Engine) -> None:
    result = engine.assess({"training_location": "home_gym", "equipment": ["bands"]})
    assert result.plan is not None
    data = json.loads(result.to_json())
    day2 = {item["exercise"]: item for item in data["plan"]["days"][1]["items"]}
    curl = day2["leg_curl"]
    assert curl["option"] == "band_leg_curl"
    assert curl["title"] == "Band leg curls"
    assert curl["option_provenance"] == "inferred"
    assert curl["sets"] is None
    assert curl["prescription_source"] == "not_specified"
    assert "In place of Leg curls" in curl["note"]
    skipped = [s["option"] for s in curl["options_skipped"]]
    assert skipped == ["leg_curl", "hip_hinge"]  # hip hinge is Day 1's RDL stand-in
    assert curl["options_skipped"][1]["reason"] == "already in your plan"
    assert curl["options_skipped"][0]["reason"].startswith("needs leg curl machine")
    assert curl["cue"] == "pause and squeeze"  # the slot's cue carries over
    text = render_text(result, engine.pack)
    assert "Band leg curls" in text
    assert "your equipment cannot do this yet" not in text


def test_an_added_exercise_keeps_its_place_and_the_slot_takes_the_next_option(
    engine: Engine,
) -> None:
    result = engine.assess({"training_location": "home_gym", "equipment": [], "tight_hips": True})
    assert result.plan is not None
    day1 = {item.exercise: item.option for item in result.plan.days[0].items}
    assert day1["hip_hinge"] == "long_lever_bridge"  # added by the rule, its own stand-in
    assert day1["romanian_deadlift"] == "single_leg_rdl"


def test_redacted_equipment_is_not_given_away_by_the_chosen_option(engine: Engine) -> None:
    result = engine.assess({"training_location": "home_gym", "equipment": []})
    data = json.loads(result.to_json())
    redacted = redact_assessment(data, {"equipment", "training_location"}, b"salt", engine.pack)
    items = [i for d in redacted["plan"]["days"] for i in d["items"]]
    assert all(i["option"] == i["exercise"] and not i["options_skipped"] for i in items)
    assert "Sliding leg curls" not in json.dumps(redacted)
    Assessment.model_validate(redacted)


#: problem expected in the message -> (where in catalogue.yaml, text there, replacement)
BROKEN_CATALOGUES = {
    # the leg curl slot's body-weight fallback needs bands now: a slot could stay empty
    "needs no equipment": ("id: sliding_leg_curl", "- []", "- [bands]"),
    # an inline option without its provenance
    "title, detail, provenance": ("id: band_leg_curl", "provenance: inferred\n", ""),
}


@pytest.mark.parametrize("problem", sorted(BROKEN_CATALOGUES))
def test_a_catalogue_whose_options_cannot_always_fill_a_slot_is_refused(
    pack_copy: Path, problem: str
) -> None:
    anchor, old, new = BROKEN_CATALOGUES[problem]
    path = pack_copy / "catalogue.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(old, text.index(anchor))
    path.write_text(text[:start] + new + text[start + len(old) :], encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack_copy)
    message = str(caught.value)
    assert "catalogue.yaml" in message
    assert problem in message


def test_an_option_may_not_name_a_template_exercise(pack_copy: Path) -> None:
    path = pack_copy / "catalogue.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      - id: heel_elevated_squat\n", "      - id: leg_curl\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError, match="not an exercise id outside the template"):
        load_pack(pack_copy)


def test_redaction_makes_two_equipment_answers_indistinguishable(engine: Engine) -> None:
    """Same rules fire for no equipment and for bands only; redacted, the plans match."""
    plans = []
    for have in ([], ["bands"]):
        result = engine.assess({"training_location": "home_gym", "equipment": have})
        data = json.loads(result.to_json())
        plans.append(redact_assessment(data, {"equipment"}, b"salt", engine.pack)["plan"])
    assert plans[0] == plans[1]
