"""The audit trail: a decision log that answers "why was this recommended?" months later.

Modelled on Open Policy Agent's decision logs (decision id, policy revision, input,
result, replay) and the expert-system explanation facility (HOW, WHY NOT).

>>> from legrules import Engine
>>> from legrules.audit import AuditLog
>>> engine = Engine(audit_log="decisions.db")            # doctest: +SKIP
>>> engine = Engine(audit_log=AuditLog("decisions.db", redact=["age"]))  # doctest: +SKIP
>>> log = AuditLog("decisions.db", readonly=True)        # doctest: +SKIP
>>> [r.assessment_id for r in log.records(status="referral")]  # doctest: +SKIP
>>> log.explain(record_id, "leg_curl").lines()            # doctest: +SKIP
>>> log.replay(record_id).lines()                         # doctest: +SKIP
>>> log.verify().ok                                       # doctest: +SKIP

What a record holds, and the file's layout: see :mod:`legrules.audit.log` and
:class:`AuditRecord`. The chain and the redaction hash: :mod:`legrules.audit.model`.
"""

from __future__ import annotations

from legrules.audit.log import SCHEMA_VERSION, AuditLog, RecordWhyNot
from legrules.audit.model import (
    GENESIS,
    AuditError,
    AuditLogError,
    AuditRecord,
    AuditWriteError,
    RecordNotFoundError,
    chain_hash,
)
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
    "RecordWhyNot",
    "VerifyReport",
    "chain_hash",
]
