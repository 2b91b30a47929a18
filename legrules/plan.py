"""The weekly plan: the article's two-day template, shaped by what the rules concluded.

The template is the baseline for everyone who is not referred; rules do not add
sessions, they annotate the template's items (which rules asked for them, extra cues)
and may add an exercise outside the template to the day the catalogue names for it.
A referral withholds the plan entirely: ``None``, not an empty plan.
"""

from __future__ import annotations

from legrules.assessment import Plan, PlanDay, PlanItem, Recommendation
from legrules.pack import RulePack
from legrules.recommend import Outcome


def build_plan(pack: RulePack, outcome: Outcome) -> Plan | None:
    if outcome.status == "referral":
        return None
    catalogue = pack.recommendations()
    recommended: dict[str, Recommendation] = {
        rec.id: rec for rec in outcome.recommendations if rec.kind == "exercise"
    }
    in_template = {item for day in pack.catalogue.template for item in day.items}
    days: list[PlanDay] = []
    for day in pack.catalogue.template:
        exercise_ids = list(day.items)
        exercise_ids += [
            rec_id
            for rec_id in recommended
            if rec_id not in in_template and catalogue[rec_id].plan_day == day.id
        ]
        items: list[PlanItem] = []
        for exercise_id in exercise_ids:
            definition = catalogue[exercise_id]
            prescription = definition.prescription
            assert prescription is not None  # the catalogue model requires one
            cues = [prescription.cue] if prescription.cue else []
            cues += [c for c in outcome.emphasis.get(exercise_id, []) if c not in cues]
            rec = recommended.get(exercise_id)
            items.append(
                PlanItem(
                    exercise=exercise_id,
                    title=definition.title,
                    sets=prescription.sets,
                    reps=prescription.reps,
                    per_leg=prescription.per_leg,
                    cue="; ".join(cues) or None,
                    prescription_source=prescription.source,
                    note=prescription.note,
                    because=list(dict.fromkeys(r.rule for r in rec.because)) if rec else [],
                )
            )
        days.append(PlanDay(id=day.id, title=day.title, focus=day.focus, items=items))
    return Plan(days=days)
