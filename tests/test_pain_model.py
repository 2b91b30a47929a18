"""Issue 13, section 2: the pain model a physiotherapist would sign.

The rule cases (rules/tests/pain.yaml, safety.yaml) say which rules fire; these tests
check what the lifter reads: the cues on the affected lifts, referral wording that fits
its cause, and the youth note.
"""

from __future__ import annotations

import pytest

from legrules import Engine
from legrules.report.assessment import render_text
from legrules.run.assessment import Assessment


def _cues(result: Assessment) -> dict[str, str]:
    assert result.plan is not None
    return {item.exercise: item.cue or "" for day in result.plan.days for item in day.items}


def _safety_text(engine: Engine, result: Assessment) -> str:
    return " ".join(render_text(result, engine.pack, width=200).split())


@pytest.mark.parametrize(
    ("area", "lifts", "words"),
    [
        ("low_back", ["romanian_deadlift", "squat_or_leg_press"], "lower-back ache"),
        ("hip", ["squat_or_leg_press", "walking_lunge", "step_up_or_split_squat"], "hip ache"),
        ("hamstring", ["romanian_deadlift", "leg_curl"], "hamstring ache"),
        ("quad", ["leg_extension", "squat_or_leg_press", "walking_lunge"], "front-of-thigh ache"),
        ("knee", ["squat_or_leg_press", "walking_lunge"], "knee ache"),
    ],
)
def test_a_mild_ache_cues_the_lifts_that_load_it(
    engine: Engine, area: str, lifts: list[str], words: str
) -> None:
    result = engine.assess({"pain_type": "dull_ache", "pain_locations": [area], "pain_score": 4})
    assert result.status == "ok"
    cues = _cues(result)
    for lift in lifts:
        assert words in cues[lift], (lift, cues[lift])
    untouched = set(cues) - set(lifts)
    assert not any(words in cues[lift] for lift in untouched)
    assert result.recommendation("train_around_ache") is not None


def test_a_lower_back_ache_gets_hinge_advice_not_a_referral(engine: Engine) -> None:
    result = engine.assess({"pain_type": "dull_ache", "pain_locations": ["low_back"]})
    assert result.status == "ok"
    assert result.recommendation("see_professional") is None
    assert "Train around a mild ache" in _safety_text(engine, result)
    rdl = result.recommendation("romanian_deadlift")
    assert rdl is not None
    assert any("flat back" in (reason.detail or "") for reason in rdl.because)


def test_effort_only_is_explained_not_referred(engine: Engine) -> None:
    result = engine.assess({"pain_type": "muscle_fatigue", "pain_worse_next_day": True})
    assert result.status == "ok"
    assert result.plan is not None
    assert any("effort, not pain" in note.text for note in result.plan.notes)
    text = _safety_text(engine, result)
    assert "not training fatigue" not in text  # the old referral contradicted the answer


def test_squats_felt_in_the_lower_back_get_advice(engine: Engine) -> None:
    baseline = engine.assess({})
    result = engine.assess({"squat_felt_most": "lower_back"})
    assert {r.id for r in result.recommendations} - {r.id for r in baseline.recommendations} >= {
        "alignment_check",
        "heel_elevated_squat",
    }
    assert "hips rise faster than your chest" in _cues(result)["squat_or_leg_press"]
    setup = result.recommendation("alignment_check")
    assert setup is not None
    assert any("brace" in r.detail for r in setup.because if r.detail)


@pytest.mark.parametrize(
    "answers", [{"parq_heart_condition": True}, {"parq_chronic_condition": True}]
)
def test_a_health_condition_referral_does_not_talk_about_an_injured_area(
    engine: Engine, answers: dict[str, bool]
) -> None:
    result = engine.assess(answers)
    assert result.status == "referral"
    text = _safety_text(engine, result)
    assert "affected area" not in text
    assert "painful area" not in text
    assert "before training your legs again" not in text
    assert "become more active" in text


def test_a_bone_or_joint_yes_is_not_titled_an_uncleared_injury(engine: Engine) -> None:
    result = engine.assess({"parq_bone_joint_problem": True})
    referral = result.recommendation("see_professional")
    assert referral is not None
    titles = [reason.title for reason in referral.because]
    assert titles == [
        "Bone, joint or soft-tissue problem that activity could worsen - have it checked first"
    ]
    assert not any("injury" in title.lower() for title in titles)


def test_sharp_pain_still_says_stop_loading_the_painful_area(engine: Engine) -> None:
    result = engine.assess({"pain_type": "sharp", "pain_locations": ["hamstring"]})
    assert "Stop loading the painful area" in _safety_text(engine, result)


@pytest.mark.parametrize("age", [12, 15, 17])
def test_a_teenager_gets_a_labelled_youth_note(engine: Engine, age: int) -> None:
    result = engine.assess({"age": age})
    assert result.status == "ok"
    youth = result.recommendation("youth_supervision")
    assert youth is not None
    assert youth.kind == "safety"
    (reason,) = youth.because
    assert reason.provenance == "safety"
    assert "youth resistance training" in reason.source.lower()
    assert result.plan is not None
    day1 = next(day for day in result.plan.days if day.id == "day1")
    assert any("Under 18" in note.text for note in day1.notes)
    assert "supervis" in _safety_text(engine, result)


def test_an_adult_gets_no_youth_note(engine: Engine) -> None:
    assert engine.assess({"age": 18}).recommendation("youth_supervision") is None
