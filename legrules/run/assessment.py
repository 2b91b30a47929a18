"""The Assessment: one pydantic model that renderers, the CLI and the audit log all read.

Its JSON form is docs/CONTRACT.md section 3. Field order is fixed by the model, lists are
built in a deterministic order, and only ``assessment_id`` and ``created_at`` vary between two
runs on the same answers and rules.
"""

# No ``from __future__ import annotations`` here: pydantic would compile every field's
# string annotation again when the class is made (3.5 ms of start-up over the pack and
# output models, tests/test_startup_path.py); names not yet defined are quoted instead.

from typing import Literal

from pydantic import Field

from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import Kind
from legrules.strict import StrictModel, empty_dict, empty_list

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
        default_factory=empty_list, description="The findings the rule's condition matched."
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


class SkippedOption(StrictModel):
    option: str = Field(description="An exercise id or an option id.")
    reason: str = Field(
        description='Why it was passed over: "needs ..." (equipment) or "already in your plan".'
    )


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
        description="True: the answered equipment can do the planned option; null: not "
        "known. False is no longer produced: a slot always takes an option it can do.",
    )
    requires_equipment: list[list[str]] | None = Field(
        default=None,
        description="When equipment_ok is false: alternatives, any one of which is enough "
        "(kept for older records; see options_skipped for what each option needs).",
    )
    because: list[str] = Field(description="Rule ids that shaped this item.")
    option: str | None = Field(
        default=None,
        description="What is planned in this exercise's slot: the exercise itself, or the "
        "first option on its list the answered equipment can do (an exercise id or an "
        "option id, docs/CONTRACT.md section 2); title and numbers are the option's.",
    )
    option_provenance: Literal["article", "inferred"] | None = Field(
        default=None,
        description="article: the article names this option; inferred: a common "
        "substitute the article does not mention.",
    )
    option_source: str | None = Field(
        default=None, description="Where the option comes from, in words."
    )
    option_reason: str | None = Field(
        default=None,
        description="Why this option was chosen; null when equipment was not answered "
        "(nothing is substituted then).",
    )
    options_skipped: list[SkippedOption] = Field(
        default_factory=empty_list,
        description="The options before it on the slot's list, each with why it was passed over.",
    )
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
    notes: list[PlanNote] = Field(default_factory=empty_list)
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
    notes: list[PlanNote] = Field(default_factory=empty_list)


class TraceMatch(StrictModel):
    answers: dict[str, AnswerValue] = Field(description="The answers the condition matched.")
    findings: list[str] = Field(description="The findings the condition matched.")


class TraceAsserted(StrictModel):
    recommend: list[str] = Field(default_factory=empty_list, description="Recommendation ids.")
    derive: list[str] = Field(default_factory=empty_list, description="Findings derived.")
    suppress: list[str] = Field(
        default_factory=empty_list, description="Recommendation ids it withholds."
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


class LogFile(StrictModel):
    """One training log an assessment read (``legrules assess --log``)."""

    source: str = Field(description="The file as given.")
    digest: str = Field(description="sha256 of the file's bytes: which log, exactly.")
    format: str = Field(description="strong, hevy, fitnotes or legrules.")
    variant: str = Field(description="Which export of that app (from the header).")
    sets: int = Field(description="Sets read.")
    skipped: int = Field(description="Rows left out (counted and reported, never guessed).")
    first_date: str | None = Field(description="The first set's date (ISO 8601).")
    last_date: str | None = Field(description="The last set's date (ISO 8601).")


class LogSet(StrictModel):
    """A logged set cited as evidence."""

    log: int = Field(description="Index into training_log.logs: the file it is in.")
    line: int = Field(description="Where it is in that file (JSON: its index in the list).")
    date: str
    exercise: str = Field(description="As the app spelt it.")
    weight_kg: float | None = Field(description="null: no load (body weight).")
    reps: int
    side: Literal["left", "right"] | None = None


class LogEvidence(StrictModel):
    """Why the log gives this value: a sentence the lifter can check against the log,
    and the dates, sets and numbers it rests on."""

    sentence: str
    dates: list[str] = Field(default_factory=empty_list, description="ISO 8601 dates.")
    sets: list[LogSet] = Field(default_factory=empty_list)
    numbers: dict[str, float | int | str | None] = Field(default_factory=empty_dict)


class MeasuredAnswer(StrictModel):
    """An answer measured from the training log; the assessment used ``value``."""

    question: str = Field(description="A question id.")
    value: AnswerValue = Field(description="The measured answer, the one assessed.")
    reported: AnswerValue = Field(
        default=None,
        description="What the person answered themselves, when they did; null otherwise "
        "(and in an audit record that redacts this question).",
    )
    agrees: bool | None = Field(
        default=None,
        description="Whether the two agree; null when nothing was reported (or redacted).",
    )
    note: str | None = Field(
        default=None,
        description="When they disagree: the clarify note the report shows near its top.",
    )
    evidence: LogEvidence | None = Field(
        description="What the value rests on; null only in an audit record that redacts "
        "an answer measured from the log (evidence gives measured values away)."
    )


class NotMeasured(StrictModel):
    question: str = Field(description="A question the log could not answer honestly.")
    reason: str


class TrainingLogUse(StrictModel):
    """What the training log(s) contributed to this assessment, with the evidence."""

    logs: list[LogFile]
    as_of: str = Field(description="The day the log was judged on (ISO 8601).")
    window: list[str] | None = Field(
        description="First and last day of the weeks habits were measured over; null when "
        "the log has no leg training legrules knows."
    )
    measured: list[MeasuredAnswer] = Field(
        description="Answers taken from the log (they replace any self-reported answer)."
    )
    not_measured: list[NotMeasured] = Field(
        default_factory=empty_list, description="Questions the log could not answer, and why."
    )

    def get(self, question: str) -> MeasuredAnswer | None:
        return next((m for m in self.measured if m.question == question), None)


class Screening(StrictModel):
    """Whether the safety questions were answered or only defaulted (issue 13)."""

    status: Literal["complete", "incomplete", "not_done"] = Field(
        description="complete: every safety question that could change the safety outcome "
        "was answered; incomplete: some were not; not_done: none was. Unanswered safety "
        "questions take their defaults (no red flag), so a result that is not complete "
        "found nothing only in what was answered."
    )
    missing: list[str] = Field(
        description="The safety question ids not answered that could still change the "
        "safety outcome, in asking order; empty when complete."
    )


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
    screening: Screening | None = Field(
        default=None,
        description="Whether the safety screening was answered; null only in results "
        "recorded before legrules reported it.",
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
    training_log: TrainingLogUse | None = Field(
        default=None,
        description="Answers measured from a training log (assess --log), each with its "
        "evidence, and where it disagrees with the person's own answer; null without a log.",
    )

    def to_json(self) -> str:
        """The docs/CONTRACT.md section 3 JSON text (UTF-8 safe, two-space indented)."""
        return self.model_dump_json(indent=2)

    def recommendation(self, rec_id: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.id == rec_id), None)
