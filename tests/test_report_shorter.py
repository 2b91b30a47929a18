"""Issue 13 section 4 after the merge of equipment, pain and report work: the report
stays short without losing a detail (each mechanism below saves lines for a lifter,
and the explanation keeps what the short report leaves out)."""

from __future__ import annotations

from legrules import Engine, load_answers_file
from legrules.report.assessment import render_markdown, render_text
from legrules.report.document import Table, _widths
from tests.conftest import EXAMPLES


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_short_column_leaves_its_room_to_the_why_and_a_long_name_gets_spare_room() -> None:
    rows = (("Exercise", "Sets", "Cue", "Why"), ("Single-leg deadlifts (bw)", "3", "-", "base"))
    # shares would give the cue half the free room; it needs three columns
    assert _widths(Table(rows, fixed=(10, 4), shares=(1, 1)), 60, 2) == [25, 4, 3, 20]
    wide = (("Exercise", "Cue", "Why"), ("Squat", "x" * 40, "y" * 40))
    assert _widths(Table(wide, fixed=(10,), shares=(1, 1)), 60, 2) == [10, 22, 22]


def test_an_optional_day_that_repeats_day_2_is_a_sentence_of_the_schedule(
    engine: Engine,
) -> None:
    result = engine.assess(
        load_answers_file(EXAMPLES / "home-gym-bands-only.json", engine.questionnaire)
    )
    assert result.plan is not None
    optional = next(day for day in result.plan.days if day.optional)
    text = _flat(render_text(result, engine.pack, width=100))
    assert optional.title not in text  # no table of its own
    schedule = text[text.index("Three or more leg days a week:") : text.index("Day 1:")]
    names = " and ".join(item.title for item in optional.items)
    assert f"For the optional day, do {names} as on Day 2." in schedule
    assert "The article gives no sets x reps for extra days" in schedule


def test_a_habit_the_schedule_already_says_is_only_in_the_explanation(engine: Engine) -> None:
    result = engine.assess({"days_available": 3, "leg_sessions_per_week": 3})
    assert result.plan is not None
    assert result.plan.schedule is not None
    habit = result.recommendation("joint_friendly_volume")
    assert habit is not None
    assert {r.rule for r in habit.because} <= set(result.plan.schedule.because)
    assert habit.title not in render_text(result, engine.pack)
    assert habit.title not in render_markdown(result, engine.pack)
    assert habit.title in render_text(result, engine.pack, explain=True)


def test_findings_from_the_same_answers_share_one_line(engine: Engine) -> None:
    result = engine.assess(load_answers_file(EXAMPLES / "lowback-ache.yaml", engine.questionnaire))
    text = render_text(result, engine.pack, width=100)
    found = text[text.index("What we found") : text.index("This week's plan")]
    assert "* Dull ache of 5/10 or less; Dull lower-back ache - you said: pain type" in found
    assert found.count("pain score: 4") == 1


def test_a_long_cue_is_under_the_table_in_full(engine: Engine) -> None:
    result = engine.assess(load_answers_file(EXAMPLES / "lowback-ache.yaml", engine.questionnaire))
    assert result.plan is not None
    squat = next(i for d in result.plan.days for i in d.items if i.exercise == "squat_or_leg_press")
    assert squat.cue is not None
    assert len(squat.cue) > 60
    markdown = render_markdown(result, engine.pack)
    assert "| Squat or leg press | 4 x 5-8 | see below |" in markdown
    assert f"- Squat or leg press: {squat.cue}." in markdown
