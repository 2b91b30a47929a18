"""The audit trail: a decision log that answers "why was this recommended?" months later.

Modelled on Open Policy Agent's decision logs (decision id, policy revision, input,
result, replay) and the expert-system explanation facility (HOW, WHY NOT).

>>> from legrules import Engine
>>> from legrules.audit import AuditLog, explain_record, replay
>>> engine = Engine(audit_log="decisions.db")            # doctest: +SKIP
>>> engine = Engine(audit_log=AuditLog("decisions.db", redact=["age"]))  # doctest: +SKIP
>>> log = AuditLog("decisions.db", readonly=True)        # doctest: +SKIP
>>> [r.assessment_id for r in log.records(status="referral")]  # doctest: +SKIP
>>> explain_record(log, record_id, "leg_curl").lines()    # doctest: +SKIP
>>> replay(log, record_id).lines()                        # doctest: +SKIP
>>> log.verify().ok                                       # doctest: +SKIP

:class:`AuditLog` is the storage (write, read, export, verify); explaining a stored record
(:func:`explain_record`) and replaying it against today's rules (:func:`replay`) are
functions over a log.

What a record holds, and the file's layout: see :mod:`legrules.audit.log` and
:class:`AuditRecord`. The chain and the redaction hash: :mod:`legrules.audit.model`.
"""

from __future__ import annotations

from legrules.audit.explain import explain_record
from legrules.audit.log import SCHEMA_VERSION, AuditLog
from legrules.audit.model import (
    GENESIS,
    AuditError,
    AuditLogError,
    AuditRecord,
    AuditWriteError,
    RecordNotFoundError,
    chain_hash,
)
from legrules.audit.replay import Replay, replay
from legrules.audit.verify import ChainProblem, VerifyReport
from legrules.paths import ENV_AUDIT_LOG

__all__ = [
    "ENV_AUDIT_LOG",
    "GENESIS",
    "SCHEMA_VERSION",
    "AuditError",
    "AuditLog",
    "AuditLogError",
    "AuditRecord",
    "AuditWriteError",
    "ChainProblem",
    "RecordNotFoundError",
    "Replay",
    "VerifyReport",
    "chain_hash",
    "explain_record",
    "replay",
]
