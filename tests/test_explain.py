"""WHY NOT: each candidate rule either fired (maybe overruled) or names its failed condition."""

from __future__ import annotations

import pytest

from legrules import Engine
from legrules.errors import UnknownIdError
from legrules.explain.whynot import why_not
from legrules.logic.conditions import describe


def test_why_not_names_the_failed_condition_and_answer(engine: Engine) -> None:
    answers = engine.validate({"squat_felt_most": "quads"})
    result = why_not(engine.pack, answers, "heel_elevated_squat", engine.assess(answers))
    assert not result.made
    verdict = next(v for v in result.verdicts if v.rule == "glute-dominance")
    assert verdict.outcome == "not_fired"
    assert verdict.failed_condition == "squat_felt_most is glutes"
    assert verdict.answers == {"squat_felt_most": "quads"}


def test_why_not_reports_a_withheld_recommendation(engine: Engine) -> None:
    answers = engine.validate({"pain_type": "sharp"})
    result = why_not(engine.pack, answers, "leg_curl", engine.assess(answers))
    baseline = next(v for v in result.verdicts if v.rule == "two-day-baseline")
    assert baseline.outcome == "fired"
    assert baseline.suppressed_by == "sharp-or-escalating-pain"
    assert not result.made


def test_why_not_follows_a_missing_finding(engine: Engine) -> None:
    answers = engine.validate({})
    result = why_not(engine.pack, answers, "prioritize_hamstrings")
    verdict = next(
        v for v in result.verdicts if v.rule == "hamstrings-underused-keep-hinges-honest"
    )
    assert verdict.missing_finding == "hamstrings_underused"
    assert verdict.derived_by == ["lowback-compensation-in-hinges"]


def test_why_not_on_a_made_recommendation(engine: Engine) -> None:
    answers = engine.validate({"squat_felt_most": "glutes"})
    result = why_not(engine.pack, answers, "heel_elevated_squat", engine.assess(answers))
    assert result.made
    assert result.lines()[0] == (
        "Heel-elevated squats (heel_elevated_squat) was recommended, by glute-dominance."
    )


def test_unknown_recommendation_is_an_unknown_id_with_a_suggestion(engine: Engine) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'leg_curl'") as caught:
        why_not(engine.pack, engine.validate({}), "leg_curls")
    assert caught.value.suggestion == "leg_curl"
    assert caught.value.exit_code == 2


def test_why_not_takes_a_title_as_the_cli_does(engine: Engine) -> None:
    result = why_not(engine.pack, engine.validate({}), "Leg curls")
    assert result.recommendation == "leg_curl"


def test_describe_reads_like_a_sentence(engine: Engine) -> None:
    rule = engine.pack.rule("sharp-or-escalating-pain")
    assert describe(rule.when) == (
        "pain_type is sharp or (pain_score >= 6 and not pain_type is muscle_fatigue) or "
        "(pain_worse_next_day is true and not pain_type is muscle_fatigue)"
    )
