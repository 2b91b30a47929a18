"""Audit records as text for a person (an auditor, a coach). Pure functions, no printing."""

from __future__ import annotations

from collections.abc import Iterable

from legrules.audit.model import AuditRecord, is_redacted
from legrules.explain.whynot import WhyNot
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.values import show_value
from legrules.report.assessment import dose
from legrules.run.assessment import Assessment, TrainingLogUse
from legrules.text import wrap


def _shown(value: AnswerValue) -> str:
    return show_value(value, form="ids", redacted=is_redacted(value))


def _answers(values: dict[str, AnswerValue]) -> str:
    return ", ".join(f"{k} = {_shown(v)}" for k, v in values.items()) or "(none)"


def record_lines(record: AuditRecord, assessment: Assessment) -> list[str]:
    """The whole record: when, which rules, the answers, every recommendation with its
    reasons (rationale and source), what was withheld, the plan and the trace."""
    provided = set(record.provided) if record.provided is not None else None
    lines = [
        f"Assessment {record.assessment_id}",
        f"  assessed:   {record.timestamp} (logged {record.logged_at})",
        f"  status:     {assessment.status}"
        + ("  (safety referral: no training plan)" if assessment.status == "referral" else ""),
        f"  ruleset:    {record.ruleset.name} {record.ruleset.version} "
        f"{record.ruleset.fingerprint}",
        f"  engine:     {record.engine.name} {record.engine.version}, "
        f"legrules {record.legrules_version}",
        f"  record:     {record.seq}, hash {record.hash}",
    ]
    rules = ", ".join(f"{r.id} v{r.version}" for r in record.rules)
    lines.extend(
        wrap(
            f"rules:      {len(record.rules)} in the pack: {rules}",
            "    ",
            first="  ",
            collapse=False,
        )
    )
    if record.redacted:
        lines.append(
            f"  redacted:   {', '.join(record.redacted)} (stored as salted hashes, not values)"
        )
    lines += ["", "Answers"]
    for key, value in record.answers.items():
        mark = ""
        if provided is not None and key not in provided and value is not None:
            mark = "  (default)"
        lines.append(f"  {key}: {_shown(value)}{mark}")
    if assessment.training_log is not None:
        lines += ["", *training_log_lines(assessment.training_log)]
    lines += ["", "Recommendations"]
    if not assessment.recommendations:
        lines.append("  (none)")
    for rec in assessment.recommendations:
        urgency = f" [{rec.urgency.replace('_', ' ')}]" if rec.urgency else ""
        lines.append(f"* {rec.id} ({rec.kind}): {rec.title}{urgency}")
        lines.extend(wrap(rec.detail, "      ", first="    "))
        for reason in rec.because:
            lines.append(
                f"    because: rule {reason.rule} v{reason.rule_version} ({reason.provenance}): "
                f"{reason.title}"
            )
            lines.extend(wrap(f"rationale: {reason.rationale}", "        ", first="      "))
            lines.extend(wrap(f"source: {reason.source}", "        ", first="      "))
            lines.extend(
                wrap(
                    f"answers that mattered: {_answers(reason.answers)}", "        ", first="      "
                )
            )
            if reason.findings:
                lines.append(f"      findings: {', '.join(reason.findings)}")
    if assessment.suppressed:
        lines += ["", "Withheld"]
        for suppression in assessment.suppressed:
            lines.append(
                f"  - {suppression.recommendation}: recommended by "
                f"{', '.join(suppression.made_by)}, withheld by {suppression.by}"
            )
    lines += ["", "Plan"]
    if assessment.plan is None:
        lines.append("  (withheld)" if assessment.status == "referral" else "  (none)")
    else:
        for day in assessment.plan.days:
            lines.append(f"  {day.title} - {day.focus}")
            for item in day.items:
                because = ", ".join(item.because)
                lines.append(f"    - {item.exercise}: {dose(item)} (because: {because})")
            for note in day.notes:
                lines.extend(
                    wrap(f"note: {note.text} ({', '.join(note.because)})", "      ", first="    ")
                )
        if assessment.plan.schedule is not None:
            schedule = assessment.plan.schedule
            lines.append(f"  schedule: {schedule.title} ({', '.join(schedule.because)})")
        for note in assessment.plan.notes:
            lines.extend(wrap(f"note: {note.text} ({', '.join(note.because)})", "    ", first="  "))
    lines += ["", "Trace (every rule that fired, in order)"]
    for firing in assessment.trace:
        asserted = [
            f"{label} {', '.join(values)}"
            for label, values in (
                ("recommend", firing.asserted.recommend),
                ("derive", firing.asserted.derive),
                ("suppress", firing.asserted.suppress),
            )
            if values
        ]
        matched = _answers(firing.matched.answers)
        if firing.matched.findings:
            matched += f"; findings {', '.join(firing.matched.findings)}"
        lines.extend(
            wrap(
                f"{firing.seq}. {firing.rule} v{firing.version} matched {matched} -> "
                + ("; ".join(asserted) or "nothing asserted"),
                "    ",
                first="  ",
            )
        )
    return lines


def training_log_lines(use: TrainingLogUse, questions: Iterable[str] | None = None) -> list[str]:
    """The training log(s) a record was assessed with (each file's digest says which,
    exactly) and the answers measured from them with their evidence; ``questions``
    keeps only those answers."""
    lines = [f"Training log (judged as of {use.as_of})"]
    for number, log in enumerate(use.logs):
        lines.extend(
            wrap(
                f"log {number}: {log.source} ({log.format}; {log.sets} sets, {log.skipped} "
                f"skipped, {log.first_date} to {log.last_date}) {log.digest}",
                "      ",
                first="  ",
            )
        )
    wanted = None if questions is None else set(questions)
    for item in use.measured:
        if wanted is not None and item.question not in wanted:
            continue
        said = ""
        if item.agrees is False:
            said = f" (they answered {_shown(item.reported)}; the log's value was used)"
        lines.append(f"  measured {item.question} = {_shown(item.value)}{said}")
        evidence = (
            item.evidence.sentence
            if item.evidence is not None
            else "withheld: the record redacts an answer measured from the log"
        )
        lines.extend(wrap(f"evidence: {evidence}", "      ", first="    "))
    return lines


def why_not_log_lines(assessment: Assessment, answer: WhyNot) -> list[str]:
    """For ``legrules audit explain``: the log evidence behind the answers that the
    rules which can make the recommendation read (none without a log)."""
    use = assessment.training_log
    if use is None:
        return []
    rules = {verdict.rule for verdict in answer.verdicts}
    read = {q for verdict in answer.verdicts for q in verdict.answers}
    read |= {
        q for firing in assessment.trace if firing.rule in rules for q in firing.matched.answers
    }
    if not read & {item.question for item in use.measured}:
        return []
    return ["", *training_log_lines(use, read)]


def record_text(record: AuditRecord) -> str:
    return "\n".join(record_lines(record, record.result())) + "\n"


def summary_row(record: AuditRecord) -> list[str]:
    """The columns of ``legrules audit list``."""
    return [
        str(record.seq),
        record.timestamp,
        record.assessment_id,
        record.status,
        f"{record.ruleset.name} {record.ruleset.version}",
        ", ".join(record.recommendation_ids()) or "-",
    ]


LIST_HEADER = ["SEQ", "ASSESSED (UTC)", "ASSESSMENT ID", "STATUS", "RULESET", "RECOMMENDATIONS"]
