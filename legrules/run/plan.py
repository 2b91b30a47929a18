"""The weekly plan: the article's two-day template, shaped by what the rules concluded.

The template is the baseline for everyone who is not referred. Rules do not add heavy
sessions: they annotate the template's items (which rules asked for them, extra cues),
reorder a day (``plan.first``), add notes, pick a schedule variant for one or three-plus
leg days a week, or add an optional non-heavy day from the catalogue. An exercise
outside the template joins the day the catalogue names for it when a rule recommends it.

Equipment awareness is structural: every exercise is a slot with an ordered list of
options (``rules/catalogue.yaml``), the article's own exercise first, then the article's
other options, then labelled common substitutes. The plan takes the first option the
answered equipment can do that is not already in the plan, and says which and why. Every
slot ends with an option of its own that needs nothing (the catalogue checks it), so no
day, optional days included, ever shows something the lifter cannot do, and which items
a plan holds never depends on the equipment (the audit log's redaction relies on that).
Unanswered equipment is not assumed to be missing: the article's exercise stays. A
referral withholds the plan entirely (``None``). Like the recommendations, the plan is
built as plain data and validated once, as part of the Assessment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from legrules.pack.catalogue import OWN_SOURCE, PlanOption, RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import Rule
from legrules.pack.typed import label
from legrules.run.assessment import PlanItem, Recommendation, SkippedOption
from legrules.run.construct import maker
from legrules.run.recommend import Outcome
from legrules.run.wording import merge_cues, progression

#: The one answer the plan reads directly rather than through rules: each item's
#: ``equipment_ok`` and ``requires_equipment`` are derived from it (and the audit log's
#: redaction blanks them when it is redacted).
EQUIPMENT = "equipment"

#: Questions the plan reads directly, not through a rule: a question here matters even
#: when no rule reads it (the questionnaire asks it, lint does not call it unread).
PLAN_FACTS = frozenset({EQUIPMENT})


Data = dict[str, Any]

#: Why an option was passed over because another slot (or a rule) already put it in the plan.
ALREADY_PLANNED = "already in your plan"


@dataclass
class Choice:
    """The option that fills a slot, and every option passed over before it, with why."""

    option: PlanOption | None
    skipped: list[SkippedOption] = field(default_factory=list)


@dataclass(frozen=True)
class _Option:
    """A slot's option with what deciding on it needs, worked out once per pack."""

    option: PlanOption
    needs: tuple[frozenset[str], ...]  # any one group of equipment will do
    needs_text: str  # why it was passed over when no group is there


@dataclass(frozen=True)
class PlanTables:
    """What the plan looks up, made once per pack (an engine keeps it): each slot's
    options, the template's exercises, each exercise's prescription as data. Looked up
    through the pack's models per item they were a third of building a plan."""

    catalogue: Mapping[str, RecommendationDef]
    template_items: frozenset[str]
    options: Mapping[str, tuple[_Option, ...]]
    doses: Mapping[str, Data]  # shared between plans: read, never changed
    # (slot, option id, dose from the article) -> an item's fields that depend on nothing
    # else, and its dose's cue (as said alone, and as given); filled on first use (a few
    # dozen per pack), read, never changed (see fixed_part)
    fixed: dict[tuple[str, str, bool], tuple[Data, str | None, str]] = field(
        default_factory=dict, compare=False
    )

    def fixed_part(
        self, exercise_id: str, option: PlanOption, dose_from_article: bool
    ) -> tuple[Data, str | None, str]:
        """The fields of a plan item that depend only on its slot, option and whether the
        article's dose applies (the dose, titles, sources, progression), and its dose's
        cue as the item says it when no rule adds one, and as given: made once per pack,
        since working them out per item was a third of a plan."""
        key = (exercise_id, option.id, dose_from_article)
        found = self.fixed.get(key)
        if found is None:
            found = self.fixed[key] = self._fixed_part(exercise_id, option, dose_from_article)
        return found

    def _fixed_part(
        self, exercise_id: str, option: PlanOption, dose_from_article: bool
    ) -> tuple[Data, str | None, str]:
        if option.id == exercise_id:
            dose = self.doses[exercise_id]
        else:
            dose = _substitute_dose(self.catalogue[exercise_id], option, self.catalogue)
        if not dose_from_article:
            dose = _optional_dose(dose)
        fixed = {
            "exercise": exercise_id,
            "title": option.title,
            "sets": dose["sets"],
            "reps": dose["reps"],
            "per_leg": dose["per_leg"],
            "prescription_source": dose["source"],
            "note": dose["note"],
            "requires_equipment": None,
            "option": option.id,
            "option_provenance": option.provenance,
            "option_source": option.source,
            "progression": progression(dose["sets"], dose["reps"], dose["per_leg"]),
        }
        cue = dose["cue"] or ""
        return fixed, "; ".join(merge_cues([cue])) or None, cue

    @classmethod
    def of(cls, pack: RulePack) -> PlanTables:
        catalogue = dict(pack.recommendations())
        exercises = [rec for rec in catalogue.values() if rec.kind == "exercise"]
        return cls(
            catalogue=catalogue,
            template_items=pack.catalogue.template_items(),
            options={
                rec.id: tuple(
                    _Option(
                        option,
                        tuple(frozenset(group) for group in option.equipment_any or [[]]),
                        _needs(pack, option),
                    )
                    for option in pack.catalogue.choices(rec.id)
                )
                for rec in exercises
            },
            doses={rec.id: _dose(rec) for rec in exercises if rec.prescription is not None},
        )


def _doable(option: _Option, have: Set[str]) -> bool:
    return any(group <= have for group in option.needs)


def _needs(pack: RulePack, option: PlanOption) -> str:
    question = pack.questions().get(EQUIPMENT)
    groups = option.equipment_any or []

    def name(value: str) -> str:
        return label(question, value) if question else value

    return " or ".join(" + ".join(name(v).lower() for v in group) for group in groups)


def choose(
    tables: PlanTables,
    slot: str,
    have: Set[str] | None,
    taken: Set[str],
    reserved: Set[str],
) -> Choice:
    """The first option of ``slot`` the equipment ``have`` can do that is not in the plan
    yet (``taken`` by an earlier slot, or ``reserved`` by a rule that added it).

    Unknown equipment (``None``) is not assumed to be missing: the slot's own exercise."""
    candidates = tables.options[slot]
    if have is None:
        return Choice(candidates[0].option)
    skipped: list[SkippedOption] = []
    passed_over = maker(SkippedOption)
    for candidate in candidates:
        option = candidate.option
        if option.id in taken or (option.id != slot and option.id in reserved):
            skipped.append(passed_over(option.id, ALREADY_PLANNED))
        elif _doable(candidate, have):
            return Choice(option, skipped)
        else:
            skipped.append(passed_over(option.id, f"needs {candidate.needs_text}"))
    return Choice(None, skipped)


def _notes(pairs: Sequence[tuple[str, str]]) -> list[Data]:
    merged: dict[str, list[str]] = {}
    for text, rule_id in pairs:
        rules = merged.setdefault(text, [])
        if rule_id not in rules:
            rules.append(rule_id)
    return [{"text": text, "because": rules} for text, rules in merged.items()]


@dataclass
class _Changes:
    """What the fired rules ask of the plan (their ``then.plan``), gathered in firing order."""

    first: dict[str, list[str]] = field(default_factory=dict)
    plan_notes: list[tuple[str, str]] = field(default_factory=list)
    day_notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    schedule: tuple[str, list[str]] | None = None
    extra_days: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, fired: Sequence[Rule]) -> _Changes:
        out = cls()
        for rule in fired:
            change = rule.then.plan
            if change is None:
                continue
            for exercise in change.first:
                out.first.setdefault(exercise, []).append(rule.id)
            out.plan_notes.extend((text, rule.id) for text in change.notes)
            for note in change.day_notes:
                out.day_notes.setdefault(note.day, []).append((note.text, rule.id))
            if change.schedule:
                if out.schedule is None:
                    out.schedule = (change.schedule, [rule.id])
                elif out.schedule[0] == change.schedule:
                    out.schedule[1].append(rule.id)
            if change.extra_day:
                out.extra_days.setdefault(change.extra_day, []).append(rule.id)
        return out


def build_plan(
    pack: RulePack,
    outcome: Outcome,
    fired: Sequence[Rule],
    answers: Mapping[str, AnswerValue],
    tables: PlanTables | None = None,
) -> Data | None:
    if outcome.status == "referral":
        return None
    if tables is None:
        tables = PlanTables.of(pack)
    catalogue = tables.catalogue
    recommended: dict[str, Recommendation] = {
        rec.id: rec for rec in outcome.recommendations if rec.kind == "exercise"
    }
    changes = _Changes.of(fired)
    first, plan_notes, day_notes = changes.first, changes.plan_notes, changes.day_notes
    schedule, extra_days = changes.schedule, changes.extra_days

    in_template = tables.template_items
    available = answers.get(EQUIPMENT)
    have = set(available) if isinstance(available, list) else None
    added = {
        day.id: [
            rec_id
            for rec_id in recommended
            if rec_id not in in_template and catalogue[rec_id].plan_day == day.id
        ]
        for day in pack.catalogue.template
    }
    # an exercise a rule added is listed under its own id, so no slot takes it as an option
    reserved = {rec_id for ids in added.values() for rec_id in ids}
    taken: set[str] = set()
    chosen: dict[str, Choice] = {}
    days: list[Data] = []
    optional_days = [day for day in pack.catalogue.optional_days if day.id in extra_days]
    for day in [*pack.catalogue.template, *optional_days]:
        is_optional = day in optional_days
        exercise_ids = list(day.items) + ([] if is_optional else added[day.id])
        # rules that ask for an exercise to come first keep their relative order
        exercise_ids.sort(key=lambda e: 0 if e in first else 1)
        items = []
        for exercise_id in exercise_ids:
            if is_optional:
                # an optional day repeats the slot's choice on the template day
                found = chosen.get(exercise_id) or choose(tables, exercise_id, have, set(), set())
            else:
                found = choose(tables, exercise_id, have, taken, reserved)
            # the catalogue gives every exercise a plan can hold a last option of its own
            # that needs nothing, so no day ever shows something the lifter cannot do
            assert found.option is not None, exercise_id
            if not is_optional:
                taken.add(found.option.id)
                chosen[exercise_id] = found
            items.append(
                _item(
                    exercise_id,
                    found,
                    tables=tables,
                    outcome=outcome,
                    recommended=recommended,
                    first=first,
                    known=have is not None,
                    dose_from_article=not is_optional,
                    added_by=extra_days.get(day.id, []) if is_optional else [],
                )
            )
        days.append(
            {
                "id": day.id,
                "title": day.title,
                "focus": day.focus,
                "optional": is_optional,
                "notes": _notes(day_notes.get(day.id, [])),
                "items": items,
            }
        )
    return {
        "days": days,
        "schedule": _schedule(pack, schedule),
        "notes": _notes(plan_notes),
    }


def _schedule(pack: RulePack, schedule: tuple[str, list[str]] | None) -> Data | None:
    if schedule is None:
        return None
    found = pack.catalogue.schedule(schedule[0])
    assert found is not None  # the loader checked it
    return {"id": found.id, "title": found.title, "detail": found.detail, "because": schedule[1]}


def _made_by(recommended: Mapping[str, Recommendation], exercise_id: str) -> list[str]:
    rec = recommended.get(exercise_id)
    return [r.rule for r in rec.because] if rec else []


def _item(
    exercise_id: str,
    found: Choice,
    *,
    tables: PlanTables,
    outcome: Outcome,
    recommended: Mapping[str, Recommendation],
    first: Mapping[str, list[str]],
    known: bool,
    dose_from_article: bool,
    added_by: list[str],
) -> PlanItem:
    """The plan item, made as the model at once (its fields in the model's order): made
    as a dict first, for the Assessment's builder to read again, it cost half as much
    again, ten items per plan."""
    option = found.option
    assert option is not None  # the caller leaves out a slot nothing can fill
    fixed, alone, cue = tables.fixed_part(exercise_id, option, dose_from_article)
    emphasis = outcome.emphasis.get(exercise_id)
    because = _made_by(recommended, exercise_id)
    because += first.get(exercise_id, [])
    because += added_by
    made: PlanItem = maker(PlanItem)(
        fixed["exercise"],
        fixed["title"],
        fixed["sets"],
        fixed["reps"],
        fixed["per_leg"],
        ("; ".join(merge_cues([cue, *emphasis])) or None) if emphasis else alone,
        fixed["prescription_source"],
        fixed["note"],
        True if known and option.equipment_any else None,
        fixed["requires_equipment"],
        list(dict.fromkeys(because)),
        fixed["option"],
        fixed["option_provenance"],
        fixed["option_source"],
        _reason(tables.catalogue[exercise_id], found, known),
        list(found.skipped),  # an optional day's item repeats its template slot's Choice
        fixed["progression"],
    )
    return made


def _dose(definition: RecommendationDef) -> Data:
    """The catalogue's prescription as plain data (the Assessment validates it once).

    ``dict(model)`` is ``model_dump()`` for a model of plain fields, as Prescription's
    are, without building its serializer (0.4 ms of a one-shot command)."""
    prescription = definition.prescription
    assert prescription is not None  # the catalogue model requires one for exercises
    return dict(prescription)


def _optional_dose(dose: Data) -> Data:
    """An optional day is not in the article's template: it says "as needed" and gives no
    sets x reps, so none are shown as if they were its numbers."""
    return {
        **dose,
        "sets": None,
        "reps": None,
        "source": "not_specified",
        "note": "Optional day: the article says 'as needed' and gives no sets x reps.",
    }


def unsubstituted(pack: RulePack, item: Mapping[str, Any], *, optional: bool) -> Data:
    """A plan item (JSON data) as if equipment had not been answered: the slot's own
    exercise, nothing chosen. The audit log stores this when equipment is redacted, since
    the option chosen (its title, its numbers) would give the equipment away."""
    definition = pack.catalogue.by_id()[item["exercise"]]
    dose = _dose(definition)
    if optional:
        dose = _optional_dose(dose)
    return {
        **item,
        "title": definition.title,
        "sets": dose["sets"],
        "reps": dose["reps"],
        "per_leg": dose["per_leg"],
        "prescription_source": dose["source"],
        "note": dose["note"],
        "equipment_ok": None,
        "requires_equipment": None,
        "option": definition.id,
        "option_provenance": "article",
        "option_source": OWN_SOURCE,
        "option_reason": None,
        "options_skipped": [],
        "progression": progression(dose["sets"], dose["reps"], dose["per_leg"]),
    }


def _reason(definition: RecommendationDef, found: Choice, known: bool) -> str | None:
    if not known:
        return None
    if not found.skipped:
        return "Your equipment can do it."
    return (
        f"In place of {definition.title}: the first option on its list that your "
        "equipment can do and that is not already in your plan."
    )


def _substitute_dose(
    slot: RecommendationDef, option: PlanOption, catalogue: Mapping[str, RecommendationDef]
) -> Data:
    """A substitute keeps the slot's cue, never its numbers: the article gives none for it.
    Another catalogue exercise brings its own note on that."""
    assert slot.prescription is not None
    other = catalogue.get(option.id)
    own_note = other.prescription.note if other and other.prescription else None
    note = f"In place of {slot.title}, which your equipment cannot do. " + " ".join(
        (own_note or f"{option.source} The article gives no sets x reps for it here.").split()
    )
    return {
        "sets": None,
        "reps": None,
        "per_leg": slot.prescription.per_leg,
        "cue": slot.prescription.cue,
        "source": "not_specified",
        "note": note,
    }
