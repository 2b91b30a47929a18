"""The Assessment: one pydantic model that renderers, the CLI and the audit log all read.

Its JSON form is docs/CONTRACT.md section 3. Field order is fixed by the model, lists are
built in a deterministic order, and only ``assessment_id`` and ``created_at`` vary between two
runs on the same answers and rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import Kind
from legrules.strict import StrictModel

SCHEMA_VERSION = 1


class RulesetInfo(StrictModel):
    name: str = Field(description="The rule pack's name (pack.yaml).")
    version: str = Field(description="The rule pack's version (pack.yaml).")
    fingerprint: str = Field(description="sha256 of the canonical compiled pack")


class EngineInfo(StrictModel):
    name: str = Field(description="The rule engine that ran the rules.")
    version: str = Field(description="Its version.")
    legrules_version: str


class Reason(StrictModel):
    """One rule's part in a recommendation: the HOW of the explanation."""

    rule: str = Field(description="The rule id.")
    rule_version: int
    title: str = Field(description="The rule's title.")
    rationale: str = Field(description="Why the rule recommends it, in the project's words.")
    source: str = Field(
        description="Where the guidance comes from: an article section heading or a named "
        "screening standard."
    )
    provenance: Literal["article", "inferred", "safety"] = Field(
        description="article: the article states it; inferred: assembled from several "
        "passages; safety: screening standards, not the article."
    )
    detail: str | None = Field(default=None, description="This rule's own advice text, if any.")
    answers: dict[str, AnswerValue] = Field(
        description="The answers that made the rule's condition true."
    )
    findings: list[str] = Field(
        default_factory=list, description="The findings the rule's condition matched."
    )


class Recommendation(StrictModel):
    id: str = Field(description="A recommendation id (docs/CONTRACT.md section 2).")
    kind: Kind
    title: str = Field(description="The catalogue's title, for a person.")
    detail: str = Field(description="The catalogue's explanation, for a person.")
    urgency: str | None = Field(
        default=None,
        description="Safety only: routine, soon, same_day or emergency, the most urgent "
        "any of its rules gave; else null.",
    )
    because: list[Reason] = Field(
        min_length=1, description="Every rule that made it, in firing order."
    )


class PlanNote(StrictModel):
    text: str
    because: list[str] = Field(description="Rule ids that asked for this note.")


class PlanItem(StrictModel):
    exercise: str = Field(description="An exercise id (docs/CONTRACT.md section 2).")
    title: str
    sets: str | None = Field(
        description='A string, so ranges stay exact ("2-3"); null when not given.'
    )
    reps: str | None = Field(
        description='A string, so ranges stay exact ("10-14"); null when not given.'
    )
    per_leg: bool = Field(description="The reps are per leg.")
    cue: str | None = Field(description="How to do it: the catalogue's cue and the rules' cues.")
    prescription_source: Literal["article", "not_specified"] = Field(
        description="article: the article gives these numbers; not_specified: it gives none."
    )
    note: str | None = Field(
        default=None, description="About the numbers, when they are not the article's."
    )
    equipment_ok: bool | None = Field(
        default=None,
        description="False: the answers' equipment cannot do this item; null: not known.",
    )
    requires_equipment: list[list[str]] | None = Field(
        default=None,
        description="When equipment_ok is false: alternatives, any one of which is enough.",
    )
    because: list[str] = Field(description="Rule ids that shaped this item.")
    progression: str | None = Field(
        default=None,
        description="How to progress it: reps up to the top of the article's range, then "
        "load; where the article gives no range, says so.",
    )


class PlanDay(StrictModel):
    id: str = Field(description="A template day id (day1, day2) or an optional day's id.")
    title: str
    focus: str
    optional: bool = Field(
        default=False, description="An extra day a rule added, not one of the template's."
    )
    notes: list[PlanNote] = Field(default_factory=list)
    items: list[PlanItem]


class ScheduleChoice(StrictModel):
    """How to fit the plan into the leg days a week the answers allow."""

    id: str
    title: str
    detail: str
    because: list[str] = Field(description="Rule ids that chose it.")


class Plan(StrictModel):
    days: list[PlanDay]
    schedule: ScheduleChoice | None = Field(
        default=None,
        description="A schedule variant a rule chose (one leg day a week, three or more).",
    )
    notes: list[PlanNote] = Field(default_factory=list)


class TraceMatch(StrictModel):
    answers: dict[str, AnswerValue] = Field(description="The answers the condition matched.")
    findings: list[str] = Field(description="The findings the condition matched.")


class TraceAsserted(StrictModel):
    recommend: list[str] = Field(default_factory=list, description="Recommendation ids.")
    derive: list[str] = Field(default_factory=list, description="Findings derived.")
    suppress: list[str] = Field(
        default_factory=list, description="Recommendation ids it withholds."
    )


class Firing(StrictModel):
    seq: int = Field(description="1, 2, ...: the firing order.")
    rule: str = Field(description="The rule id.")
    version: int = Field(description="The rule's version.")
    branch: str = Field(description="The compiled branch that matched (rule id or id#n).")
    matched: TraceMatch = Field(description="What made the condition true.")
    asserted: TraceAsserted = Field(description="What the rule asserted.")


class Suppression(StrictModel):
    recommendation: str = Field(description="The recommendation id withheld.")
    by: str = Field(description="The rule that withheld it.")
    made_by: list[str] = Field(description="The rules that had recommended it.")


class Assessment(StrictModel):
    schema_version: int = Field(
        default=SCHEMA_VERSION, description="This layout's version; only additions keep it."
    )
    assessment_id: str = Field(
        description="Unique per assessment: with created_at, all that differs between two "
        "runs on the same answers and rules."
    )
    created_at: str = Field(description="When, in UTC, ISO 8601 to the second.")
    status: Literal["ok", "referral"] = Field(
        description="referral: a safety rule withheld the plan (plan is null)."
    )
    ruleset: RulesetInfo = Field(description="The rule pack that produced this result.")
    engine: EngineInfo
    answers: dict[str, AnswerValue] = Field(
        description="By question id: the validated answers, defaults filled in."
    )
    unanswered: list[str] = Field(description="Questions with no answer and no default.")
    given: list[str] | None = Field(
        default=None,
        description="The questions the person answered, in questionnaire order; every other "
        "value in answers is a default (an assumption, and the reports say so). null: not "
        "known (an audit record with redacted answers).",
    )
    findings: list[str] = Field(
        description="What the rules concluded on the way (derived findings), in order."
    )
    recommendations: list[Recommendation] = Field(
        description="One per id: safety, then guidance, then exercises, each in catalogue order."
    )
    suppressed: list[Suppression] = Field(
        description="Recommendations a rule withheld (a referral withholds every non-safety one)."
    )
    plan: Plan | None = Field(description="The training plan; null on a referral.")
    trace: list[Firing] = Field(description="Every rule that fired, in order.")

    def to_json(self) -> str:
        """The docs/CONTRACT.md section 3 JSON text (UTF-8 safe, two-space indented)."""
        return self.model_dump_json(indent=2)

    def recommendation(self, rec_id: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.id == rec_id), None)
