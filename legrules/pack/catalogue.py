"""The catalogue: what each recommendation id means, exercise prescriptions, the template.

Kept as data (``rules/catalogue.yaml``) because it is domain content a coach should be
able to read and correct. Prescriptions carry their provenance: a sets x reps figure the
article does not give is labelled as such, never attributed to it.
"""

# No ``from __future__ import annotations`` here: pydantic would compile every field's
# string annotation again when the class is made (3.5 ms of start-up over the pack and
# output models, tests/test_startup_path.py); names not yet defined are quoted instead.

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from legrules.pack.schema import NAME_PATTERN, Kind
from legrules.strict import StrictModel, empty_list


class Prescription(StrictModel):
    """Sets and reps as strings so ranges stay exact ("2-3", "10-14")."""

    sets: str | None = None
    reps: str | None = None
    per_leg: bool = False
    cue: str | None = None
    source: Literal["article", "not_specified"] = Field(
        description="article: the article states these numbers; not_specified: it gives none."
    )
    note: str | None = None

    @model_validator(mode="after")
    def _numbers_match_source(self) -> "Prescription":
        if self.source == "article" and (self.sets is None or self.reps is None):
            raise ValueError("an article prescription needs both sets and reps")
        if self.source == "not_specified" and (self.sets or self.reps) and not self.note:
            raise ValueError("numbers the article does not give need a 'note' saying whose")
        return self


#: Where the exercise itself comes from: every catalogue exercise is the article's (its
#: weekly template or its quick-reference table).
OWN_SOURCE = "the article's own exercise"


class PlanOption(StrictModel):
    """Another way to fill an exercise's plan slot, for equipment that cannot do it.

    Either a reference to another catalogue exercise (only ``id``: title, detail and
    equipment come from that exercise, which is the article's), or a substitute of its
    own with every field, labelled ``inferred`` where the article is silent about it.
    ``equipment_any`` may hold an empty set: nothing needed but body weight.
    """

    id: str = Field(pattern=NAME_PATTERN)
    title: str | None = None
    detail: str | None = None
    provenance: Literal["article", "inferred"] | None = None
    source: str | None = Field(
        default=None,
        description="Where the option comes from: the article's passage, or why it is a "
        "fair substitute when the article is silent.",
    )
    equipment_any: list[list[str]] | None = None

    def is_reference(self) -> bool:
        return self.title is None and self.detail is None and self.equipment_any is None

    @model_validator(mode="after")
    def _reference_or_complete(self) -> "PlanOption":
        own = (self.title, self.detail, self.provenance, self.source, self.equipment_any)
        if self.provenance is None and self.source is None and self.is_reference():
            return self
        if any(field is None for field in own):
            raise ValueError(
                "an option is either only an id (another catalogue exercise) or has "
                "title, detail, provenance, source and equipment_any"
            )
        return self

    def needs_nothing(self) -> bool:
        return self.equipment_any is not None and [] in self.equipment_any


class RecommendationDef(StrictModel):
    id: str = Field(pattern=NAME_PATTERN)
    kind: Kind
    title: str
    detail: str
    withholds_plan: bool = Field(
        default=False, description="A referral: the training plan is withheld entirely."
    )
    prescription: Prescription | None = None
    plan_day: str | None = Field(
        default=None,
        description="For an exercise outside the template: the day it joins when recommended.",
    )
    muscles: list[str] = Field(default_factory=empty_list)
    equipment_any: list[list[str]] = Field(
        default_factory=empty_list,
        description="Alternatives, each a set of equipment that together suffices "
        "(an empty set: body weight is enough).",
    )
    options: list[PlanOption] = Field(
        default_factory=empty_list,
        description="Exercise only: what fills its plan slot when the lifter's equipment "
        "cannot do it, in order of preference (the article's options first).",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> "RecommendationDef":
        if self.withholds_plan and self.kind != "safety":
            raise ValueError("only safety recommendations can withhold the plan")
        if self.kind == "exercise" and self.prescription is None:
            raise ValueError("an exercise needs a prescription (say source: not_specified)")
        if self.options and self.kind != "exercise":
            raise ValueError("only an exercise has options for its plan slot")
        return self

    def as_option(self) -> PlanOption:
        """The exercise itself as the first option of its own slot.

        Made from this definition's fields, validated when the catalogue was, so it is
        not validated again: that built PlanOption's validator, 0.8 ms of every one-shot
        command on a cached pack, for nothing else."""
        return PlanOption.model_construct(
            id=self.id,
            title=self.title,
            detail=self.detail,
            provenance="article",
            source=OWN_SOURCE,
            equipment_any=self.equipment_any,
        )


class PlanDay(StrictModel):
    id: str = Field(pattern=NAME_PATTERN)
    title: str
    focus: str
    items: list[str] = Field(min_length=1)


class Schedule(StrictModel):
    """A way to fit the two goals into a different number of leg days a week."""

    id: str = Field(pattern=NAME_PATTERN)
    title: str
    detail: str


class Catalogue(StrictModel):
    recommendations: list[RecommendationDef] = Field(min_length=1)
    template: list[PlanDay] = Field(min_length=1)
    optional_days: list[PlanDay] = Field(
        default_factory=empty_list, description="Days a rule may add (never a heavy day)."
    )
    schedules: list[Schedule] = Field(default_factory=empty_list)
    _by_id: dict[str, RecommendationDef] | None = PrivateAttr(default=None)
    _positions: dict[str, int] | None = PrivateAttr(default=None)
    _template_items: frozenset[str] | None = PrivateAttr(default=None)
    _choices: dict[str, list[PlanOption]] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> "Catalogue":
        ids = [r.id for r in self.recommendations]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"recommendation ids defined twice: {', '.join(duplicates)}")
        kinds = {r.id: r.kind for r in self.recommendations}
        day_ids = {day.id for day in self.template}
        for day in [*self.template, *self.optional_days]:
            for item in day.items:
                if kinds.get(item) != "exercise":
                    raise ValueError(f"plan day {day.id!r} lists {item!r}, not an exercise id")
        for rec in self.recommendations:
            if rec.plan_day is not None and rec.plan_day not in day_ids:
                raise ValueError(f"{rec.id!r}: plan_day {rec.plan_day!r} is not a template day")
        self._check_options(kinds)
        return self

    def _check_options(self, kinds: Mapping[str, str]) -> None:
        """Every plan slot can always be filled: its last option needs nothing but body
        weight and belongs to that slot alone, so no other slot can take it first."""
        owners: dict[str, str] = {}
        for rec in self.recommendations:
            for option in rec.options:
                if option.is_reference():
                    if kinds.get(option.id) != "exercise" or option.id in self.template_items():
                        raise ValueError(
                            f"{rec.id!r}: option {option.id!r} is not an exercise id outside "
                            "the template"
                        )
                    continue
                if option.id in kinds or option.id in owners:
                    raise ValueError(f"{rec.id!r}: option id {option.id!r} is used twice")
                owners[option.id] = rec.id
        in_plans = self.template_items() | {i for d in self.optional_days for i in d.items}
        for rec in self.recommendations:
            if rec.id not in in_plans and rec.plan_day is None:
                continue
            last = ([rec.as_option()] + [o for o in rec.options if not o.is_reference()])[-1]
            if not last.needs_nothing():
                raise ValueError(
                    f"{rec.id!r}: an exercise the plan can hold needs a last option of its "
                    "own that needs no equipment (equipment_any: [[]])"
                )

    def by_id(self) -> dict[str, RecommendationDef]:
        """Recommendations by id (built once: every assessment looks ids up; read-only)."""
        if self._by_id is None:
            self._by_id = {r.id: r for r in self.recommendations}
        return self._by_id

    def positions(self) -> dict[str, int]:
        """Each recommendation's place in the catalogue, the order reports list them in."""
        if self._positions is None:
            self._positions = {r.id: index for index, r in enumerate(self.recommendations)}
        return self._positions

    def template_items(self) -> frozenset[str]:
        """Every exercise the two-day template already lists."""
        if self._template_items is None:
            self._template_items = frozenset(i for day in self.template for i in day.items)
        return self._template_items

    def choices(self, exercise_id: str) -> list[PlanOption]:
        """The exercise itself, then its options with references resolved, in order."""
        if self._choices is None:
            by_id = self.by_id()
            self._choices = {
                rec.id: [
                    rec.as_option(),
                    *(by_id[o.id].as_option() if o.is_reference() else o for o in rec.options),
                ]
                for rec in self.recommendations
                if rec.kind == "exercise"
            }
        return self._choices[exercise_id]

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.schedules if s.id == schedule_id), None)

    def optional_day(self, day_id: str) -> PlanDay | None:
        return next((d for d in self.optional_days if d.id == day_id), None)
