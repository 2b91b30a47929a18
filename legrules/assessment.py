"""The Assessment: one pydantic model that renderers, the CLI and the audit log all read.

Its JSON form is CONTRACT section 3. Field order is fixed by the model, lists are built in
a deterministic order, and only ``assessment_id`` and ``created_at`` vary between two
runs on the same answers and rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from legrules.questionnaire import AnswerValue
from legrules.ruleschema import Kind
from legrules.strict import StrictModel

SCHEMA_VERSION = 1


class RulesetInfo(StrictModel):
    name: str
    version: str
    fingerprint: str = Field(description="sha256 of the canonical compiled pack")


class EngineInfo(StrictModel):
    name: str
    version: str
    legrules_version: str


class Reason(StrictModel):
    """One rule's part in a recommendation: the HOW of the explanation."""

    rule: str
    rule_version: int
    title: str
    rationale: str
    source: str
    provenance: Literal["article", "inferred", "safety"]
    detail: str | None = None
    answers: dict[str, AnswerValue] = Field(
        description="The answers that made the rule's condition true."
    )
    findings: list[str] = Field(default_factory=list)


class Recommendation(StrictModel):
    id: str
    kind: Kind
    title: str
    detail: str
    urgency: str | None = None
    because: list[Reason] = Field(min_length=1)


class PlanNote(StrictModel):
    text: str
    because: list[str] = Field(description="Rule ids that asked for this note.")


class PlanItem(StrictModel):
    exercise: str
    title: str
    sets: str | None
    reps: str | None
    per_leg: bool
    cue: str | None
    prescription_source: Literal["article", "not_specified"]
    note: str | None = None
    equipment_ok: bool | None = Field(
        default=None,
        description="False: the answers' equipment cannot do this item; null: not known.",
    )
    requires_equipment: list[list[str]] | None = Field(
        default=None,
        description="When equipment_ok is false: alternatives, any one of which is enough.",
    )
    because: list[str] = Field(description="Rule ids that shaped this item.")


class PlanDay(StrictModel):
    id: str
    title: str
    focus: str
    optional: bool = False
    notes: list[PlanNote] = Field(default_factory=list)
    items: list[PlanItem]


class ScheduleChoice(StrictModel):
    id: str
    title: str
    detail: str
    because: list[str]


class Plan(StrictModel):
    days: list[PlanDay]
    schedule: ScheduleChoice | None = None
    notes: list[PlanNote] = Field(default_factory=list)


class TraceMatch(StrictModel):
    answers: dict[str, AnswerValue]
    findings: list[str]


class TraceAsserted(StrictModel):
    recommend: list[str] = Field(default_factory=list)
    derive: list[str] = Field(default_factory=list)
    suppress: list[str] = Field(default_factory=list)


class Firing(StrictModel):
    seq: int
    rule: str
    version: int
    branch: str = Field(description="The compiled branch that matched (rule id or id#n).")
    matched: TraceMatch
    asserted: TraceAsserted


class Suppression(StrictModel):
    recommendation: str
    by: str = Field(description="The rule that withheld it.")
    made_by: list[str] = Field(description="The rules that had recommended it.")


class Assessment(StrictModel):
    schema_version: int = SCHEMA_VERSION
    assessment_id: str
    created_at: str
    status: Literal["ok", "referral"]
    ruleset: RulesetInfo
    engine: EngineInfo
    answers: dict[str, AnswerValue]
    unanswered: list[str] = Field(description="Questions with no answer and no default.")
    findings: list[str]
    recommendations: list[Recommendation]
    suppressed: list[Suppression]
    plan: Plan | None
    trace: list[Firing]

    def to_json(self) -> str:
        """The CONTRACT section 3 JSON text (UTF-8 safe, two-space indented)."""
        return self.model_dump_json(indent=2)

    def recommendation(self, rec_id: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.id == rec_id), None)
