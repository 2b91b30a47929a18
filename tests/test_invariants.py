"""Invariants of the default pack that must hold for every valid answer set.

Property tests over random answers (knowledge base R06, R08, R26, R35, R37, R38, R40, R42,
R44) plus static checks of the pack's text: nothing tells a lifter to go heavier as the
fix, and the article's product example and shopping link appear nowhere in ``rules/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from legrules import Assessment, Engine, validate_answers
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.profiles import examples
from tests.strategies import answers_strategy

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
ARTICLE = Path(
    os.environ.get("LEGRULES_ARTICLE", REPO.parent / "shared" / "seed" / "leg-training-article.txt")
)

PACK = load_pack(default_rules_dir())
CATALOGUE = PACK.recommendations()

QUAD_ISOLATION = "leg_extension"
HAMSTRING_ISOLATION = "leg_curl"
COMPOUNDS = ("squat_or_leg_press", "romanian_deadlift", "walking_lunge")
HEAVY = frozenset(COMPOUNDS)

# "Go heavier" as the fix (R42). A match preceded closely by a negation ("not just by
# going heavier", "rather than lifting heavier") is the opposite advice and is allowed.
_HEAVIER_AS_FIX = re.compile(
    r"\b(?:go|going|lift|lifting|squat|squatting|train|training|load|loading) heavier\b"
    r"|\b(?:add|adding|put on|use|using) (?:more|extra) (?:weight|load)\b[^.;:]{0,25}\bto fix\b"
    r"|\bheavier (?:weights?|loads?) (?:will|would|should) fix\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|nor|without|instead of|rather than)\b|n(?:'|\u2019)t\b", re.IGNORECASE
)


def says_go_heavier(text: str) -> list[str]:
    """The phrases in ``text`` that tell the reader to go heavier as a fix."""
    found = []
    for match in _HEAVIER_AS_FIX.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if not _NEGATION.search(before):
            found.append(match.group(0))
    return found


def assessment_texts(result: Assessment) -> Iterator[tuple[str, str]]:
    """Every piece of advice text in an assessment, with where it is."""
    for rec in result.recommendations:
        yield f"recommendation {rec.id} title", rec.title
        yield f"recommendation {rec.id} detail", rec.detail
        for reason in rec.because:
            yield f"{rec.id} because {reason.rule} title", reason.title
            yield f"{rec.id} because {reason.rule} rationale", reason.rationale
            if reason.detail:
                yield f"{rec.id} because {reason.rule} detail", reason.detail
    if result.plan is None:
        return
    for note in result.plan.notes:
        yield "plan note", note.text
    if result.plan.schedule:
        yield f"schedule {result.plan.schedule.id}", result.plan.schedule.detail
    for day in result.plan.days:
        yield f"{day.id} focus", day.focus
        for note in day.notes:
            yield f"{day.id} note", note.text
        for item in day.items:
            if item.cue:
                yield f"{day.id} {item.exercise} cue", item.cue
            if item.note:
                yield f"{day.id} {item.exercise} note", item.note


def check_plan(result: Assessment, answers: dict[str, Any]) -> None:
    if result.status == "referral":
        assert result.plan is None
        assert {rec.kind for rec in result.recommendations} <= {"safety"}
        return
    plan = result.plan
    assert plan is not None
    days = [day for day in plan.days if not day.optional]
    optional = [day for day in plan.days if day.optional]
    main_items = [item.exercise for day in days for item in day.items]

    # R08: both engines, every plan.
    assert QUAD_ISOLATION in main_items
    assert HAMSTRING_ISOLATION in main_items
    # R06: the compound base is never removed.
    assert set(COMPOUNDS) <= set(main_items)
    # R35, R38: never more than the two template days; R26: one heavy day.
    assert len(days) <= 2, [day.id for day in days]
    assert sum(1 for day in days if HEAVY & {i.exercise for i in day.items}) == 1
    # R35: no exercise, and so no focus, on more than two days a week.
    per_day = [item.exercise for day in plan.days for item in day.items]
    assert all(per_day.count(e) <= 2 for e in per_day), per_day
    # R37: an extra day is never heavy.
    for day in optional:
        heavy = HEAVY & {item.exercise for item in day.items}
        assert not heavy, f"optional day {day.id} has heavy lifts {sorted(heavy)}"
    # R44: one plan, each exercise listed once.
    assert len(main_items) == len(set(main_items)), main_items
    for day in plan.days:
        exercises = [item.exercise for item in day.items]
        assert len(exercises) == len(set(exercises)), (day.id, exercises)

    available = answers.get("equipment")
    for day in plan.days:
        for item in day.items:
            # Numbers the article does not give are never shown as if it did.
            if item.prescription_source == "not_specified":
                assert item.sets is None, (day.id, item.exercise, item.sets)
                assert item.reps is None, (day.id, item.exercise, item.reps)
            # R40: each slot holds the first option the answered equipment can do that
            # is not already in the plan; unknown equipment changes nothing.
            choices = PACK.catalogue.choices(item.exercise)
            if not isinstance(available, list):
                assert item.option == item.exercise
                assert item.equipment_ok is None
                continue
            chosen = next(c for c in choices if c.id == item.option)
            assert any(set(group) <= set(available) for group in chosen.equipment_any or [[]])
            assert item.equipment_ok is True
            assert item.requires_equipment is None
            before = choices[: choices.index(chosen)]
            assert [s.option for s in item.options_skipped] == [c.id for c in before]
            if item.option != item.exercise:
                assert item.prescription_source == "not_specified"
                assert item.title == chosen.title
                assert item.option_provenance == chosen.provenance


@settings(max_examples=examples(1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=answers_strategy(PACK.questionnaire, PACK))
def test_every_assessment_keeps_the_invariants(engine: Engine, raw: dict[str, Any]) -> None:
    answers = validate_answers(raw, PACK.questionnaire)
    result = engine.assess(answers)
    check_plan(result, dict(result.answers))
    for where, text in assessment_texts(result):
        assert not says_go_heavier(text), f"{where}: {text!r}"


def test_no_rule_or_catalogue_text_says_go_heavier() -> None:
    """Statically, so rules that random answers rarely reach are checked too."""
    texts: list[tuple[str, str]] = []
    for rule in PACK.rules:
        texts += [(f"rule {rule.id} title", rule.title), (f"rule {rule.id} because", rule.because)]
        texts += [(f"rule {rule.id} {r.id}", r.detail or "") for r in rule.then.recommend]
        texts += [(f"rule {rule.id} emphasis", r.emphasis or "") for r in rule.then.recommend]
        if rule.then.plan:
            texts += [(f"rule {rule.id} note", note) for note in rule.then.plan.notes]
            texts += [(f"rule {rule.id} note", n.text) for n in rule.then.plan.day_notes]
    for definition in PACK.catalogue.recommendations:
        texts.append((f"catalogue {definition.id}", definition.detail))
    for schedule in PACK.catalogue.schedules:
        texts.append((f"schedule {schedule.id}", schedule.detail))
    for day in [*PACK.catalogue.template, *PACK.catalogue.optional_days]:
        texts.append((f"day {day.id}", day.focus))
    offenders = [f"{where}: {found}" for where, text in texts if (found := says_go_heavier(text))]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "text",
    [
        "Go heavier on squats.",
        "The fix is to lift heavier.",
        "Just add more weight to fix the lagging quads.",
        "Heavier loads will fix it.",
    ],
)
def test_the_go_heavier_check_catches_the_advice(text: str) -> None:
    assert says_go_heavier(text)


@pytest.mark.parametrize(
    "text",
    [
        "Strong legs are not just built by going heavier.",
        "Don't lift heavier to fix a lagging muscle; isolate it.",
        "Isolate the quads rather than squatting heavier.",
        "Once you reach the top of the rep range, add a little weight next time.",
        "The heavy work stays on Day 1.",
    ],
)
def test_the_go_heavier_check_allows_the_opposite_advice(text: str) -> None:
    assert not says_go_heavier(text)


def test_optional_days_and_schedules_in_the_catalogue_are_never_heavy() -> None:
    for day in PACK.catalogue.optional_days:
        assert not HEAVY & set(day.items), day.id
    assert {s.id for s in PACK.catalogue.schedules} >= {"one_day", "three_plus"}


def _home_section_strings() -> tuple[str, str]:
    """The article's product example and its shopping-link wording, read from the article.

    The product is the line after the HOME section's "here's one example ...:" paragraph;
    the shopping link is the article's last line. Neither string is written in this file.
    """
    text = ARTICLE.read_text(encoding="utf-8")
    heading = PACK.meta.references["HOME"].title
    assert heading in text, f"the HOME heading {heading!r} is not in {ARTICLE}"
    lines = [line.strip() for line in text[text.index(heading) :].splitlines() if line.strip()]
    intro = next(i for i, line in enumerate(lines) if line.endswith(":"))
    product = lines[intro + 1].rstrip(".")
    link = lines[-1]
    for name, value in (("product", product), ("shopping link", link)):
        assert 0 < len(value) <= 80, f"could not find the article's {name} line: {value!r}"
    return product, link


@pytest.mark.skipif(
    not ARTICLE.is_file(),
    reason=f"source article not found at {ARTICLE} (set LEGRULES_ARTICLE); "
    "the product name and shopping link are read from it, never copied into the tests",
)
def test_no_file_in_rules_names_the_articles_product_or_link() -> None:
    product, link = _home_section_strings()
    brand = " ".join(takewhile(lambda word: not any(c.isdigit() for c in word), product.split()))
    forbidden = [s for s in (product, brand, link) if s]

    def normal(text: str) -> str:
        return " ".join(text.split()).casefold()

    offenders = []
    for path in sorted(RULES_DIR.rglob("*")):
        if not path.is_file():
            continue
        content = normal(path.read_text(encoding="utf-8", errors="replace"))
        offenders += [
            f"{path.relative_to(REPO)}: {phrase!r}"
            for phrase in forbidden
            if normal(phrase) in content
        ]
    assert not offenders, "\n".join(offenders)
