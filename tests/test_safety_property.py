"""Property tests: safety screening wins over everything else that was answered.

"Hard red flag" is defined here from the knowledge base (section C: RF-1 to RF-6), not
from the rule files, so a safety rule that goes missing or gets a wrong threshold makes
these tests fail. The answers around the flags are random valid answers (every other
question omitted, null, or any allowed value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import Engine
from legrules.paths import default_rules_dir
from legrules.run.assessment import Assessment
from legrules.run.loader import load_pack
from tests.profiles import examples
from tests.strategies import answers_strategy, value_strategy

SHIPPED = load_pack(default_rules_dir())
QUESTIONNAIRE = SHIPPED.questionnaire

# KB C.1: the seven PAR-Q+ page-1 questions (S1-S7).
PARQ = (
    "parq_heart_condition",
    "parq_chest_pain",
    "parq_dizziness",
    "parq_chronic_condition",
    "parq_medication",
    "parq_bone_joint_problem",
    "parq_supervised_only",
)
# KB RF-3 (S14) and RF-4 (S15), in the CONTRACT's value names.
KNEE_SIGNS = (
    "locks",
    "gives_way",
    "cannot_bear_weight",
    "marked_swelling",
    "changed_shape",
    "hot_red_with_fever",
)
NERVE_EMERGENCY = ("saddle_numbness", "bladder_or_bowel_change", "both_legs")
NERVE_URGENT = ("numbness_or_tingling", "pain_below_knee", "leg_weakness")
# KB RF-2: the pain-monitoring model calls pain above 5/10 unacceptable.
PAIN_LIMIT = 5
# Issue 13: "muscle burn, tiredness or soreness only" rates effort, not pain, so its score
# and next-day soreness (DOMS) are no red flag. Every other pain_type answer keeps them,
# "no pain" and unanswered included (a contradiction resolves conservatively, KB R45).
EFFORT_ONLY = "muscle_fatigue"

SETTINGS = settings(
    max_examples=examples(2000), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def hard_flags(raw: Mapping[str, Any]) -> list[str]:
    """The KB section C hard red flags in a raw answers document.

    Unanswered (left out or null) is never a flag: every safety default in the CONTRACT
    is the clear answer.
    """
    flags = [f"RF-1 {q}" for q in PARQ if raw.get(q) is True]
    if raw.get("pain_type") == "sharp":
        flags.append("RF-2 sharp pain")
    pain = raw.get("pain_type") != EFFORT_ONLY
    score = raw.get("pain_score")
    if pain and isinstance(score, int) and score > PAIN_LIMIT:
        flags.append("RF-2 pain score")
    if pain and raw.get("pain_worse_next_day") is True:
        flags.append("RF-2 worse next day")
    if raw.get("knee_signs"):
        flags.append("RF-3 knee signs")
    if raw.get("nerve_signs"):
        flags.append("RF-4 nerve signs")
    if raw.get("recent_injury") == "not_cleared":
        flags.append("RF-5 injury not cleared")
    if raw.get("pregnant_or_ill") is True:
        flags.append("RF-6 pregnant or ill")
    return flags


def is_emergency(raw: Mapping[str, Any]) -> bool:
    """KB RF-4E, and RF-3's hot red knee with fever."""
    nerve = raw.get("nerve_signs") or []
    knee = raw.get("knee_signs") or []
    return any(v in nerve for v in NERVE_EMERGENCY) or "hot_red_with_fever" in knee


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Null (not answered) or one of ``values``; the key may also be left out."""
    return st.one_of(st.none(), values)


# Answers to the safety questions that are not red flags: a clear value, null or left out.
CLEAR_SAFETY: dict[str, st.SearchStrategy[Any]] = {
    **{q: _maybe(st.just(False)) for q in PARQ},
    "pain_type": _maybe(st.sampled_from(["none", "muscle_fatigue", "dull_ache"])),
    "pain_score": _maybe(st.integers(0, PAIN_LIMIT)),
    "pain_worse_next_day": _maybe(st.just(False)),
    "knee_signs": _maybe(st.just([])),
    "nerve_signs": _maybe(st.just([])),
    "recent_injury": _maybe(st.sampled_from(["none", "cleared"])),
    "pregnant_or_ill": _maybe(st.just(False)),
}
assert set(CLEAR_SAFETY) <= {q.id for q in QUESTIONNAIRE.questions}

# Each hard red flag on its own, as the answers that raise it.
FLAG_ANSWERS: list[st.SearchStrategy[dict[str, Any]]] = [
    *(st.just({q: True}) for q in PARQ),
    st.just({"pain_type": "sharp"}),
    st.integers(PAIN_LIMIT + 1, 10).map(lambda s: {"pain_score": s, "pain_type": "dull_ache"}),
    st.just({"pain_worse_next_day": True, "pain_type": "dull_ache"}),
    st.lists(st.sampled_from(KNEE_SIGNS), min_size=1, unique=True).map(lambda v: {"knee_signs": v}),
    st.lists(st.sampled_from(NERVE_EMERGENCY + NERVE_URGENT), min_size=1, unique=True).map(
        lambda v: {"nerve_signs": v}
    ),
    st.just({"recent_injury": "not_cleared"}),
    st.just({"pregnant_or_ill": True}),
]


def _merge(parts: tuple[dict[str, Any], list[dict[str, Any]]]) -> dict[str, Any]:
    raw, flags = parts
    for flag in flags:
        raw = {**raw, **flag}
    return raw


# Strategies are built once: hypothesis validates a strategy the first time it is drawn.
# Random valid answers whose safety questions raise no hard red flag.
CLEAR_ANSWERS: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        q.id: CLEAR_SAFETY.get(q.id, _maybe(value_strategy(q))) for q in QUESTIONNAIRE.questions
    },
)
# The same, with one or more hard red flags injected.
FLAGGED_ANSWERS: st.SearchStrategy[dict[str, Any]] = st.tuples(
    CLEAR_ANSWERS, st.lists(st.one_of(FLAG_ANSWERS), min_size=1, max_size=4)
).map(_merge)
ANY_ANSWERS = answers_strategy(QUESTIONNAIRE, SHIPPED)


def assert_referral(result: Assessment, raw: Mapping[str, Any]) -> None:
    assert result.status == "referral", (hard_flags(raw), raw)
    assert result.plan is None
    training = [r.id for r in result.recommendations if r.kind in ("exercise", "guidance")]
    assert training == [], training
    # a referral always says where to go; the advisories "follow the plan" are gone
    ids = {r.id for r in result.recommendations}
    assert ids & {"see_professional", "emergency_care", "delay_training"}
    assert not ids & {"consult_before_vigorous", "youth_supervision"}


@SETTINGS
@given(raw=FLAGGED_ANSWERS)
def test_any_hard_red_flag_withholds_the_plan(engine: Engine, raw: dict[str, Any]) -> None:
    assert hard_flags(raw)  # the generator really injected a flag
    result = engine.assess(raw)
    assert_referral(result, raw)
    if is_emergency(raw):
        assert [r.id for r in result.recommendations] == ["emergency_care"]
    elif raw.get("knee_signs"):
        (referral,) = [r for r in result.recommendations if r.id == "see_professional"]
        assert referral.urgency == "same_day"


@SETTINGS
@given(raw=CLEAR_ANSWERS)
def test_without_a_hard_red_flag_the_plan_stands(engine: Engine, raw: dict[str, Any]) -> None:
    assert not hard_flags(raw)
    result = engine.assess(raw)
    assert result.status == "ok"
    assert result.plan is not None
    ids = {r.id for r in result.recommendations}
    assert not ids & {"see_professional", "emergency_care", "delay_training"}
    age = raw.get("age")
    advisory = isinstance(age, int) and age > 45 and raw.get("used_to_vigorous_exercise") is False
    # RF-A: advisory only - the plan stays, with the advice and a Day 1 note
    assert ("consult_before_vigorous" in ids) == advisory
    rules = engine.pack.rules_by_id()
    day1 = next(day for day in result.plan.days if day.id == "day1")
    rf_a_notes = [n for n in day1.notes if any("RF-A" in rules[r].kb for r in n.because)]
    assert bool(rf_a_notes) == advisory


@SETTINGS
@given(raw=ANY_ANSWERS)
def test_referral_exactly_when_a_hard_red_flag_is_present(
    engine: Engine, raw: dict[str, Any]
) -> None:
    result = engine.assess(raw)
    if hard_flags(raw):
        assert_referral(result, raw)
    else:
        assert result.status == "ok", raw
        assert result.plan is not None


EFFORT_ANSWERS: st.SearchStrategy[dict[str, Any]] = st.tuples(
    CLEAR_ANSWERS,
    st.fixed_dictionaries(
        {"pain_type": st.just(EFFORT_ONLY)},
        optional={
            "pain_score": st.integers(0, 10),
            "pain_worse_next_day": st.booleans(),
            "pain_locations": st.lists(
                st.sampled_from(["knee", "hip", "low_back", "hamstring", "quad", "other"]),
                unique=True,
            ),
        },
    ),
).map(lambda parts: {**parts[0], **parts[1]})


@SETTINGS
@given(raw=EFFORT_ANSWERS)
def test_effort_and_soreness_alone_never_refer(engine: Engine, raw: dict[str, Any]) -> None:
    """Issue 13: the burn of a hard set (any score) and next-day soreness are effort."""
    assert not hard_flags(raw)
    result = engine.assess(raw)
    assert result.status == "ok", raw
    assert not {r.id for r in result.recommendations} & {"see_professional", "train_around_ache"}


def test_cleared_injury_keeps_the_plan_with_a_build_up_note(engine: Engine) -> None:
    result = engine.assess({"recent_injury": "cleared"})
    assert result.status == "ok"
    assert result.plan is not None
    assert [n.because for n in result.plan.notes] == [["injury-cleared-build-gradually"]]
