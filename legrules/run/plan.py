"""The weekly plan: the article's two-day template, shaped by what the rules concluded.

The template is the baseline for everyone who is not referred. Rules do not add heavy
sessions: they annotate the template's items (which rules asked for them, extra cues),
reorder a day (``plan.first``), add notes, pick a schedule variant for one or three-plus
leg days a week, or add an optional non-heavy day from the catalogue. An exercise
outside the template joins the day the catalogue names for it when a rule recommends it.

Equipment awareness is structural: an item the answered equipment cannot do is kept
but marked, with the capabilities it needs, never silently swapped for something the
article does not prescribe. A referral withholds the plan entirely (``None``). Like the
recommendations, the plan is built as plain data and validated once, as part of the
Assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import Rule
from legrules.run.recommend import Outcome
from legrules.run.wording import merge_cues, progression

#: The one answer the plan reads directly rather than through rules: each item's
#: ``equipment_ok`` and ``requires_equipment`` are derived from it (and the audit log's
#: redaction blanks them when it is redacted).
EQUIPMENT = "equipment"

#: Questions the plan reads directly, not through a rule: a question here matters even
#: when no rule reads it (the questionnaire asks it, lint does not call it unread).
PLAN_FACTS = frozenset({EQUIPMENT})


def _equipment(
    definition: RecommendationDef, available: AnswerValue
) -> tuple[bool | None, list[list[str]] | None]:
    if not definition.equipment_any or not isinstance(available, list):
        return None, None
    have = set(available)
    if any(set(option) <= have for option in definition.equipment_any):
        return True, None
    return False, [list(option) for option in definition.equipment_any]


Data = dict[str, Any]


def _notes(pairs: Sequence[tuple[str, str]]) -> list[Data]:
    merged: dict[str, list[str]] = {}
    for text, rule_id in pairs:
        rules = merged.setdefault(text, [])
        if rule_id not in rules:
            rules.append(rule_id)
    return [{"text": text, "because": rules} for text, rules in merged.items()]


def build_plan(
    pack: RulePack,
    outcome: Outcome,
    fired: Sequence[Rule],
    answers: Mapping[str, AnswerValue],
) -> Data | None:
    if outcome.status == "referral":
        return None
    catalogue = pack.recommendations()
    recommended: dict[str, Data] = {
        rec["id"]: rec for rec in outcome.recommendations if rec["kind"] == "exercise"
    }
    first: dict[str, list[str]] = {}
    plan_notes: list[tuple[str, str]] = []
    day_notes: dict[str, list[tuple[str, str]]] = {}
    schedule: tuple[str, list[str]] | None = None
    extra_days: dict[str, list[str]] = {}
    for rule in fired:
        change = rule.then.plan
        if change is None:
            continue
        for exercise in change.first:
            first.setdefault(exercise, []).append(rule.id)
        plan_notes.extend((text, rule.id) for text in change.notes)
        for note in change.day_notes:
            day_notes.setdefault(note.day, []).append((note.text, rule.id))
        if change.schedule:
            if schedule is None:
                schedule = (change.schedule, [rule.id])
            elif schedule[0] == change.schedule:
                schedule[1].append(rule.id)
        if change.extra_day:
            extra_days.setdefault(change.extra_day, []).append(rule.id)

    in_template = pack.catalogue.template_items()
    days: list[Data] = []
    optional_days = [day for day in pack.catalogue.optional_days if day.id in extra_days]
    for day in [*pack.catalogue.template, *optional_days]:
        is_optional = day in optional_days
        exercise_ids = list(day.items)
        if not is_optional:
            exercise_ids += [
                rec_id
                for rec_id in recommended
                if rec_id not in in_template and catalogue[rec_id].plan_day == day.id
            ]
        # rules that ask for an exercise to come first keep their relative order
        exercise_ids.sort(key=lambda e: 0 if e in first else 1)
        items = [
            _item(
                exercise_id,
                catalogue=catalogue,
                outcome=outcome,
                recommended=recommended,
                first=first,
                answers=answers,
                dose_from_article=not is_optional,
                added_by=extra_days.get(day.id, []) if is_optional else [],
            )
            for exercise_id in exercise_ids
        ]
        notes = _notes(day_notes.get(day.id, []))
        days.append(
            {
                "id": day.id,
                "title": day.title,
                "focus": day.focus,
                "optional": is_optional,
                "notes": notes,
                "items": items,
            }
        )
    choice: Data | None = None
    if schedule is not None:
        found = pack.catalogue.schedule(schedule[0])
        assert found is not None  # the loader checked it
        choice = {
            "id": found.id,
            "title": found.title,
            "detail": found.detail,
            "because": schedule[1],
        }
    return {"days": days, "schedule": choice, "notes": _notes(plan_notes)}


def _item(
    exercise_id: str,
    *,
    catalogue: Mapping[str, RecommendationDef],
    outcome: Outcome,
    recommended: Mapping[str, Data],
    first: Mapping[str, list[str]],
    answers: Mapping[str, AnswerValue],
    dose_from_article: bool,
    added_by: list[str],
) -> Data:
    definition = catalogue[exercise_id]
    prescription = definition.prescription
    assert prescription is not None  # the catalogue model requires one for exercises
    if not dose_from_article:
        # An optional day is not in the article's template: it says "as needed" and
        # gives no sets x reps, so none are shown as if they were its numbers.
        prescription = prescription.model_copy(
            update={
                "sets": None,
                "reps": None,
                "source": "not_specified",
                "note": "Optional day: the article says 'as needed' and gives no sets x reps.",
            }
        )
    cues = merge_cues([prescription.cue or "", *outcome.emphasis.get(exercise_id, [])])
    rec = recommended.get(exercise_id)
    because = [r["rule"] for r in rec["because"]] if rec else []
    because += first.get(exercise_id, [])
    because += added_by
    equipment_ok, requires = _equipment(definition, answers.get(EQUIPMENT))
    return {
        "exercise": exercise_id,
        "title": definition.title,
        "sets": prescription.sets,
        "reps": prescription.reps,
        "per_leg": prescription.per_leg,
        "cue": "; ".join(cues) or None,
        "prescription_source": prescription.source,
        "note": prescription.note,
        "equipment_ok": equipment_ok,
        "requires_equipment": requires,
        "because": list(dict.fromkeys(because)),
        "progression": progression(prescription.sets, prescription.reps, prescription.per_leg),
    }
