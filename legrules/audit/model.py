"""What one audit record holds, how it is hashed into the chain, and how answers are redacted.

The chain: a record's ``hash`` is ``sha256:`` of ``prev_hash + "\\n" + content``, where
``content`` is the canonical JSON (sorted keys, compact separators, UTF-8) of the record
without ``prev_hash`` and ``hash``. The first record's ``prev_hash`` is :data:`GENESIS`.
Anyone can recompute it from an export with ``json`` and ``hashlib`` alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from legrules.assessment import Assessment, RulesetInfo
from legrules.errors import EXIT_CHECK_FAILED, LegrulesError, Problem
from legrules.questionnaire import AnswerValue

RECORD_VERSION = 1
GENESIS = "sha256:" + "0" * 64
REDACTED_PREFIX = "redacted:hmac-sha256:"


class AuditError(LegrulesError):
    """Something about the audit log itself is wrong (exit code 2: bad input)."""


class AuditLogError(AuditError):
    """The file is not a usable audit log: missing, unreadable, not SQLite, damaged, newer."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}", problems=[Problem(location=path, message=reason)])


class RecordNotFoundError(AuditError):
    """No record (or more than one, for a prefix) matches the id asked for."""


class AuditWriteError(AuditError):
    """A record could not be written (busy past the timeout, disk full...). Exit code 1."""

    exit_code = EXIT_CHECK_FAILED


def canonical(data: Any) -> str:
    """The one JSON text a value hashes as: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def chain_hash(prev_hash: str, content: str) -> str:
    """A record's hash from the previous record's hash and its own canonical content."""
    digest = hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()
    return f"sha256:{digest}"


def redaction_hash(salt: bytes, field: str, value: AnswerValue) -> str:
    """The value stored instead of a redacted answer: HMAC-SHA256 keyed by the log's salt.

    The question id is part of the message, so equal values of different questions do
    not share a hash.
    """
    mac = hmac.new(salt, f"{field}\n{canonical(value)}".encode(), hashlib.sha256)
    return REDACTED_PREFIX + mac.hexdigest()


def is_redacted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(REDACTED_PREFIX)


def redact_assessment(
    assessment: Mapping[str, Any], fields: Iterable[str], salt: bytes
) -> dict[str, Any]:
    """The assessment JSON with each field's value replaced by its salted hash everywhere
    an answer is quoted: ``answers``, every reason's ``answers`` and the trace."""
    names = set(fields)
    data: dict[str, Any] = json.loads(canonical(assessment))  # a deep copy

    def scrub(values: dict[str, Any]) -> None:
        for name in names & values.keys():
            values[name] = redaction_hash(salt, name, values[name])

    scrub(data["answers"])
    for rec in data["recommendations"]:
        for reason in rec["because"]:
            scrub(reason["answers"])
    for firing in data["trace"]:
        scrub(firing["matched"]["answers"])
    return data


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EngineRef(_Frozen):
    name: str
    version: str


class RuleRef(_Frozen):
    id: str
    version: int


class AuditRecord(_Frozen):
    """One decision, as stored: who decided (engine, rules), on what (answers), what, why.

    ``assessment`` is the CONTRACT section 3 JSON of the result (with redacted answers
    replaced by their hashes); :meth:`result` parses it back into an
    :class:`~legrules.Assessment`.
    """

    record_version: int = RECORD_VERSION
    seq: int = Field(description="Position in the chain, from 1.")
    assessment_id: str
    timestamp: str = Field(description="When the assessment was made (UTC, ISO 8601, Z).")
    logged_at: str = Field(description="When the record was written (UTC, ISO 8601, Z).")
    legrules_version: str
    engine: EngineRef
    ruleset: RulesetInfo
    pack_hash: str = Field(description="sha256 of the stored pack files (packs table).")
    rules: list[RuleRef] = Field(description="Every rule of the pack, with its version.")
    provided: list[str] | None = Field(
        description="Questions the person answered (the rest took defaults); null: unknown."
    )
    redacted: list[str] = Field(description="Answers stored as salted hashes, not values.")
    assessment: dict[str, Any]
    prev_hash: str
    hash: str

    def content(self) -> str:
        """The canonical JSON that is hashed: everything but ``prev_hash`` and ``hash``."""
        return canonical(self.model_dump(mode="json", exclude={"prev_hash", "hash"}))

    @property
    def status(self) -> str:
        return str(self.assessment["status"])

    @property
    def answers(self) -> dict[str, AnswerValue]:
        return dict(self.assessment["answers"])

    def recommendation_ids(self) -> list[str]:
        return [str(rec["id"]) for rec in self.assessment["recommendations"]]

    def fired_rules(self) -> list[str]:
        return [str(firing["rule"]) for firing in self.assessment["trace"]]

    def result(self) -> Assessment:
        """The stored result as an Assessment (AuditError if this legrules cannot read it)."""
        try:
            return Assessment.model_validate(self.assessment)
        except ValidationError as error:
            raise AuditError(
                f"record {self.assessment_id}: its result (written by legrules "
                f"{self.legrules_version}) does not fit this version's Assessment model: "
                f"{error.error_count()} problem(s), first: {error.errors()[0]['msg']}"
            ) from None

    @classmethod
    def from_row(cls, content: str, prev_hash: str, hash_: str) -> AuditRecord:
        data = json.loads(content)
        if not isinstance(data, dict):
            raise ValueError("record content is not a JSON object")
        return cls.model_validate({**data, "prev_hash": prev_hash, "hash": hash_})
