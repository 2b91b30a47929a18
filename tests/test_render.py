"""The report for a person (text and Markdown), explanations, and WHY NOT as text."""

from __future__ import annotations

import pytest

from legrules import Assessment, Engine, load_answers_file
from legrules.explain.whynot import why_not
from legrules.report.assessment import (
    NOT_GIVEN,
    dose,
    explanation_lines,
    render_markdown,
    render_text,
    report,
    short_title,
)
from legrules.report.document import Block, Document, Items, Paragraph, Part
from legrules.run.assessment import PlanItem
from tests.conftest import EXAMPLES


def flat(text: str) -> str:
    return " ".join(text.split())


def with_item(result: Assessment, exercise: str, **changes: object) -> Assessment:
    """The assessment with one plan item changed (to render cases the pack may not produce)."""
    assert result.plan is not None
    days = []
    for day in result.plan.days:
        items = [
            item.model_copy(update=changes) if item.exercise == exercise else item
            for item in day.items
        ]
        days.append(day.model_copy(update={"items": items}))
    return result.model_copy(update={"plan": result.plan.model_copy(update={"days": days})})


def test_sections_in_order_for_a_lifter(engine: Engine) -> None:
    text = render_text(engine.assess({"squat_felt_most": "glutes"}), engine.pack)
    heads = ["Safety first", "What we found", "This week's plan", "Habits to fix"]
    positions = [text.index(f"\n{head}\n") for head in heads]
    assert positions == sorted(positions)
    found = text[text.index("What we found") : text.index("This week's plan")]
    assert "* Glutes take over in squats - you said: Glutes" in found
    assert "Exercise" in text
    assert "Sets x reps" in text
    assert "Why" in text
    explained = render_text(engine.assess({"squat_felt_most": "glutes"}), engine.pack, explain=True)
    found = explained[explained.index("What we found") : explained.index("This week's plan")]
    assert "Where do you feel squats and lunges working the most? Glutes" in flat(found)
    assert "glute-dominance" not in text


def test_habits_to_fix_are_the_guidance(engine: Engine) -> None:
    result = engine.assess({"tracks_progress": "no"})
    guidance = [r.title for r in result.recommendations if r.kind == "guidance"]
    assert guidance
    text = render_text(result, engine.pack)
    habits = text[text.index("Habits to fix") :]
    for title in guidance:
        assert title in habits


def test_sets_and_reps_the_article_does_not_give(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes"})
    assert result.plan is not None
    heel = next(i for d in result.plan.days for i in d.items if i.exercise == "heel_elevated_squat")
    assert heel.prescription_source == "not_specified"
    assert dose(heel) == NOT_GIVEN
    # the cell says "not given", the plan says once whose numbers are missing; the
    # explanation says it under the table for each item
    text = flat(render_text(result, engine.pack))
    assert '"not given" means no numbers from the article' in text
    assert "| Heel-elevated squats | not given |" in render_markdown(result, engine.pack)
    assert f"Heel-elevated squats: {NOT_GIVEN}" in flat(
        render_text(result, engine.pack, explain=True)
    )
    # numbers from somewhere else are never attributed to the article
    borrowed = with_item(result, "heel_elevated_squat", sets="3", reps="8-12")
    assert "3 x 8-12 (not from the article)" in render_markdown(borrowed, engine.pack)


def test_items_the_equipment_cannot_do(engine: Engine) -> None:
    """Each slot holds an option the equipment can do; the text says what it replaces."""
    result = engine.assess({"training_location": "home_gym", "equipment": ["dumbbells"]})
    assert result.plan is not None
    items = [i for d in result.plan.days for i in d.items if i.option != i.exercise]
    assert items
    assert all(i.equipment_ok is True for d in result.plan.days for i in d.items)
    markdown = render_markdown(result, engine.pack)
    explained = flat(render_text(result, engine.pack, explain=True))
    for item in items:
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {item.title} |"))
        assert row.split(" | ")[-1].startswith("in place of ")  # the why says what it replaces
        assert f"{item.title}: {NOT_GIVEN} (In place of" in explained
    assert "your equipment cannot do this yet" not in flat(render_text(result, engine.pack))


def test_referral_report(engine: Engine) -> None:
    result = engine.assess({"pain_type": "sharp", "squat_felt_most": "glutes"})
    text = render_text(result, engine.pack)
    assert "no training plan" in text
    assert "This week's plan" not in text
    assert "Your exercises in detail" not in render_text(result, engine.pack, explain=True)
    found = text[text.index("What we found") :]
    assert "Glutes take over" not in found  # held back, so not listed as a finding
    assert "Held back" in text


def test_style_hook_marks_safety_and_headings(engine: Engine) -> None:
    roles: list[str] = []

    def style(text: str, role: str) -> str:
        roles.append(role)
        return f"<{role}>{text}</{role}>"

    text = render_text(engine.assess({"pain_type": "sharp"}), engine.pack, style=style)
    assert "<safety>! See a qualified professional first" in text
    assert "<heading>Safety first</heading>" in text
    assert {"title", "heading", "safety", "dim"} <= set(roles)


def test_without_a_pack_raw_values_are_shown(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes"})
    text = render_text(result, explain=True)
    assert "squat_felt_most glutes" in text


def test_explanation_is_the_whole_chain(engine: Engine) -> None:
    result = engine.assess({"hinge_felt_most": "lower_back"})
    lines = "\n".join(explanation_lines(result, engine.pack))
    assert "Schedule your hamstring work (prioritize_hamstrings)" in lines
    assert "rule hamstrings-underused-keep-hinges-honest (v1, inferred)" in flat(lines)
    assert (
        "matched finding hamstrings_underused, derived by lowback-compensation-in-hinges "
        "(hinge_felt_most = lower_back" in flat(lines)
    )
    assert "rationale:" in lines
    assert "source:" in lines
    assert "Rules fired, in order:" in lines


def test_markdown_is_markdown(engine: Engine) -> None:
    text = render_markdown(engine.assess({"squat_felt_most": "glutes"}), engine.pack, explain=True)
    assert text.startswith("# Your leg-training assessment\n")
    assert "\n## This week's plan\n" in text
    assert "\n### Day 1" in text
    assert "|---|---|---|---|" in text
    assert "\n## How each recommendation was reached\n" in text


def test_why_not_text(engine: Engine) -> None:
    answers = engine.validate({"pain_type": "sharp"})
    result = engine.assess(answers)
    text = why_not(engine.pack, answers, "leg_curl", result).text()
    assert text.startswith("Leg curls (leg_curl) was not recommended:")
    assert "withheld by sharp-or-escalating-pain" in flat(text.splitlines()[0] + text)
    answers = engine.validate({"squat_felt_most": "quads"})
    text = why_not(engine.pack, answers, "heel_elevated_squat", engine.assess(answers)).text()
    assert "none of the" in text.splitlines()[0]
    assert "squat_felt_most = quads (Front of the thighs)" in flat(text)


def test_short_titles() -> None:
    assert short_title("Glutes take over in squats - add direct quad work") == (
        "Glutes take over in squats"
    )
    assert short_title("Goal - quad development (leg extensions, 1-2x a week)") == (
        "Goal: quad development"
    )
    assert short_title("no dash here") == "No dash here"


@pytest.mark.parametrize(
    ("sets", "reps", "source", "long", "short"),
    [
        ("2-3", "10-14", "article", "2-3 x 10-14 per leg", "2-3 x 10-14 per leg"),
        ("3", "8", "not_specified", "3 x 8 per leg (not from the article)", None),
        (None, None, "not_specified", NOT_GIVEN, "not given"),
    ],
)
def test_plan_item_dose(
    sets: str | None, reps: str | None, source: str, long: str, short: str | None
) -> None:
    """The one dose text (reports and the audit log): the article's numbers as given,
    other numbers marked as not the article's, and none where there are none."""
    item = PlanItem.model_validate(
        {
            "exercise": "walking_lunge",
            "title": "Walking lunges",
            "sets": sets,
            "reps": reps,
            "per_leg": True,
            "cue": None,
            "prescription_source": source,
            "because": [],
        }
    )
    assert dose(item) == long
    assert dose(item, short=True) == (short or long)


def test_a_chained_finding_says_where_it_follows_from(engine: Engine) -> None:
    result = engine.assess({"hinge_felt_most": "lower_back"})
    text = render_text(result, engine.pack, explain=True)
    found = flat(text[text.index("What we found") : text.index("This week's plan")])
    assert "* Hamstrings underused - follows from: Lower back takes over in hinges" in found


def _said(document: Document) -> list[str]:
    """Every heading and every piece of running text in the report model, in order."""
    said: list[str] = []

    def walk(blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            if isinstance(block, Paragraph):
                said.append(block.text)
            elif isinstance(block, Items):
                for item in block.items:
                    said.extend([item.head + item.suffix, *item.body, *item.points, item.why])
            elif isinstance(block, Part):
                said.append(block.title)
                walk(block.blocks)

    for section in document.sections:
        said.append(section.heading)
        walk(section.blocks)
    return [flat(text) for text in said if text]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.*")))
def test_text_and_markdown_are_one_report(engine: Engine, example: str) -> None:
    """Both formats write every heading and every sentence of the one report model, in
    the same order."""
    result = engine.assess(load_answers_file(EXAMPLES / example, engine.questionnaire))
    said = _said(report(result, engine.pack, explain=True))
    text = flat(render_text(result, engine.pack, explain=True))
    markdown = flat(render_markdown(result, engine.pack, explain=True).replace("**", ""))
    for written in (text, markdown):
        position = 0
        for piece in said:
            found = written.find(piece, position)
            assert found >= 0, piece
            position = found


def test_markdown_notes_what_the_text_notes(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes"})
    bare = with_item(result, "heel_elevated_squat", note=None)
    note = f"Heel-elevated squats: {NOT_GIVEN}"
    assert note in flat(render_text(bare, engine.pack, explain=True))
    assert f"- {note}" in render_markdown(bare, engine.pack, explain=True)


def test_an_urgency_is_said_wherever_it_is_set(engine: Engine) -> None:
    result = engine.assess({"tracks_progress": "no"})
    habit = next(r for r in result.recommendations if r.kind == "guidance")
    urgent = habit.model_copy(update={"urgency": "soon"})
    recommendations = [urgent if r.id == habit.id else r for r in result.recommendations]
    changed = result.model_copy(update={"recommendations": recommendations})
    assert f"* {habit.title} (soon)" in render_text(changed, engine.pack)
    assert f"- **{habit.title}** (soon) (why:" in render_markdown(changed, engine.pack)
