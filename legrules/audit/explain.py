"""WHY (NOT) for a stored record: :func:`~legrules.explain.whynot.why_not` run on the rules the
log stored with it, so the answer still holds after the rules have changed.

Kept out of :class:`~legrules.audit.AuditLog`, which only stores and reads records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from legrules.audit.model import is_redacted
from legrules.explain.whynot import WhyNot, why_not

if TYPE_CHECKING:
    from legrules.audit.log import AuditLog


def explain_record(log: AuditLog, assessment_id: str, recommendation: str) -> WhyNot:
    """WHY (NOT) ``recommendation`` for the record ``assessment_id`` (an id or a unique
    prefix of 6+ characters), with the stored pack's rules.

    ``recommendation`` is an id or a catalogue title (as ``legrules explain`` takes); an
    unknown one raises UnknownIdError with a did-you-mean. Where a rule's condition reads
    a redacted answer, the log knows from the stored trace whether the rule fired, but
    not which part of its condition failed: its verdict says so (``redacted``: the
    redacted answers it reads) instead of guessing. ``.text()`` is what
    ``legrules audit explain`` prints.
    """
    record = log.get(assessment_id)
    pack = log.pack(record.ruleset.fingerprint)
    result = record.result()
    answers = {k: (None if is_redacted(v) else v) for k, v in record.answers.items()}
    return why_not(
        pack,
        answers,
        recommendation,
        result,
        fired=record.fired_rules(),
        redacted=record.redacted,
    )
