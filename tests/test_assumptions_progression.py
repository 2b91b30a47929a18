"""Issue 13: defaults shown as assumptions (section 3), progression for every plan item
(section 5) and cues said once (section 4)."""

from __future__ import annotations

import json

from legrules import Engine
from legrules.report.assessment import render_markdown, render_text
from legrules.run.wording import merge_cues, progression


def test_the_json_says_which_answers_were_given(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes", "age": 30})
    data = json.loads(result.to_json())
    assert data["given"] == ["age", "squat_felt_most"]  # questionnaire order
    assert "equipment" in data["answers"]  # a default, so not given


def test_defaulted_facts_read_as_assumptions_in_every_report(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes"})
    text = " ".join(render_text(result, engine.pack).split())
    markdown = render_markdown(result, engine.pack)
    assert "* Assumed (you did not answer): Which of this equipment can you use?" in text
    assert "- Assumed (you did not answer): Which of this equipment" in markdown
    # had nothing been given, the squat answer is an assumption too, and no finding
    several = result.model_copy(update={"given": []})
    several_text = " ".join(render_text(several, engine.pack).split())
    assert "* Assumed (you did not answer) - Where do you feel squats" in several_text
    assert "Glutes take over in squats - you said" not in several_text
    assert "(why: A lagging muscle and a machine to train it, equipment assumed)" in text
    assert "A lagging muscle and a machine to train it, equipment assumed" in markdown
    # the same answer given is a finding, not an assumption
    told = engine.assess({"squat_felt_most": "glutes", "equipment": ["leg_extension"]})
    assert "Assumed" not in render_text(told, engine.pack)


def test_only_real_findings_are_listed(engine: Engine) -> None:
    """A rule that read only the equipment (or a finding) is not something we found."""
    result = engine.assess({"squat_felt_most": "glutes"})
    text = render_text(result, engine.pack)
    found = text[text.index("What we found") : text.index("This week's plan")]
    assert "A lagging muscle and a machine" not in found
    assert "Glutes take over in squats - you said: Glutes" in found


def test_cues_are_not_doubled() -> None:
    assert merge_cues(["pause and squeeze", "pause and squeeze at the top of every rep"]) == [
        "pause and squeeze at the top of every rep"
    ]
    assert merge_cues(["slow, controlled", "slow and controlled, so the quads work"]) == [
        "slow and controlled, so the quads work"
    ]
    assert merge_cues(["a", "b", "a"]) == ["a", "b"]


def test_every_plan_item_says_how_to_progress_with_its_own_numbers(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes"})
    assert result.plan is not None
    for item in (i for day in result.plan.days for i in day.items):
        assert item.progression
        if item.reps:
            low, _, high = item.reps.partition("-")
            assert f"reaches {high}" in item.progression
            assert f"again at {low}" in item.progression
            assert "rule of thumb, not the article's" in item.progression
        else:
            assert item.progression.startswith("No sets or reps given")
    text = " ".join(render_text(result, engine.pack).split())
    assert (
        "To progress (a rule of thumb): reps up to the top of each range, then a little more "
        'weight and back to its bottom; "not given" means no numbers from the article: add a '
        "rep or two, then weight." in text
    )


def test_progression_uses_only_the_given_numbers() -> None:
    assert "reaches 14 per leg" in progression("2-3", "10-14", True)
    assert "again at 10" in progression("2-3", "10-14", True)
    assert progression("3", "8", False).startswith("When all 3 sets of 8 feel easy")
    assert "No sets or reps" in progression(None, None, False)


def test_one_day_lifters_are_not_told_two_sessions_a_week(engine: Engine) -> None:
    result = engine.assess({"days_available": 1, "squat_felt_most": "glutes"})
    for explain in (False, True):
        text = render_text(result, engine.pack, explain=explain)
        plan = text[text.index("This week's plan") : text.index("Habits to fix")]
        assert "Two sessions a week" not in plan


def test_explain_marks_an_assumed_answer_a_finding_rests_on(engine: Engine) -> None:
    """--explain (and the web result) lists the answers behind each finding; a default
    must not read as something the person said."""
    result = engine.assess({"squat_felt_most": "glutes"})
    text = " ".join(render_text(result, engine.pack, explain=True).split())
    assert "Combined leg extension and curl station (assumed: you did not answer)" in text
    assert "working the most? Glutes (assumed" not in text
