"""The catalogue: what each recommendation id means, exercise prescriptions, the template.

Kept as data (``rules/catalogue.yaml``) because it is domain content a coach should be
able to read and correct. Prescriptions carry their provenance: a sets x reps figure the
article does not give is labelled as such, never attributed to it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from legrules.pack.schema import NAME_PATTERN, Kind
from legrules.strict import StrictModel


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
    def _numbers_match_source(self) -> Prescription:
        if self.source == "article" and (self.sets is None or self.reps is None):
            raise ValueError("an article prescription needs both sets and reps")
        if self.source == "not_specified" and (self.sets or self.reps) and not self.note:
            raise ValueError("numbers the article does not give need a 'note' saying whose")
        return self


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
    muscles: list[str] = Field(default_factory=list)
    equipment_any: list[list[str]] = Field(
        default_factory=list,
        description="Alternatives, each a set of equipment that together suffices.",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> RecommendationDef:
        if self.withholds_plan and self.kind != "safety":
            raise ValueError("only safety recommendations can withhold the plan")
        if self.kind == "exercise" and self.prescription is None:
            raise ValueError("an exercise needs a prescription (say source: not_specified)")
        return self


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
        default_factory=list, description="Days a rule may add (never a heavy day)."
    )
    schedules: list[Schedule] = Field(default_factory=list)
    _by_id: dict[str, RecommendationDef] | None = PrivateAttr(default=None)
    _positions: dict[str, int] | None = PrivateAttr(default=None)
    _template_items: frozenset[str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
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
        return self

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

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.schedules if s.id == schedule_id), None)

    def optional_day(self, day_id: str) -> PlanDay | None:
        return next((d for d in self.optional_days if d.id == day_id), None)
