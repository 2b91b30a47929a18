"""WHY (NOT) for a stored record: :func:`~legrules.explain.why_not` run on the rules the
log stored with it, so the answer still holds after the rules have changed.

Kept out of :class:`~legrules.audit.AuditLog`, which only stores and reads records.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from legrules.audit.model import is_redacted
from legrules.explain import RuleVerdict, WhyNot, why_not
from legrules.ruleschema import facts_read
from legrules.whyasked import resolve_recommendation

if TYPE_CHECKING:
    from legrules.audit.log import AuditLog


def explain_record(log: AuditLog, assessment_id: str, recommendation: str) -> WhyNot:
    """WHY (NOT) ``recommendation`` for the record ``assessment_id`` (an id or a unique
    prefix of 6+ characters), with the stored pack's rules.

    ``recommendation`` is an id or a catalogue title (as ``legrules explain`` takes); an
    unknown one raises RulePackError with a did-you-mean. Where a rule's condition reads
    a redacted answer, the log knows from the stored trace whether the rule fired, but
    not which part of its condition failed: its verdict says so (``redacted``: the
    redacted answers it reads) instead of guessing. ``.text()`` is what
    ``legrules audit explain`` prints.
    """
    record = log.get(assessment_id)
    pack = log.pack(record.ruleset.fingerprint)
    result = record.result()
    answers = {k: (None if is_redacted(v) else v) for k, v in record.answers.items()}
    recommendation = resolve_recommendation(pack, recommendation) or recommendation
    answer = why_not(pack, answers, recommendation, result)
    if not record.redacted:
        return answer
    # The evaluator saw the redacted answers as unanswered. The stored trace says which
    # rules fired; a "did not fire" verdict is kept only where it cannot depend on a
    # redacted answer.
    fired = set(record.fired_rules())
    withheld = {s.recommendation: s.by for s in result.suppressed}
    rules = pack.rules_by_id()
    verdicts: list[RuleVerdict] = []
    for verdict in answer.verdicts:
        if verdict.rule in fired:
            verdicts.append(
                RuleVerdict(
                    rule=verdict.rule,
                    title=verdict.title,
                    outcome="fired",
                    suppressed_by=withheld.get(recommendation),
                )
            )
            continue
        exact = (
            verdict.outcome == "not_fired"
            and not set(verdict.answers) & set(record.redacted)
            and (verdict.missing_finding is None or verdict.missing_finding not in result.findings)
        )
        if exact:
            verdicts.append(verdict)
        else:
            redacted = [
                name for name in facts_read(rules[verdict.rule].when) if name in record.redacted
            ]
            verdicts.append(
                RuleVerdict(verdict.rule, verdict.title, "not_fired", redacted=redacted)
            )
    return replace(answer, verdicts=verdicts)
