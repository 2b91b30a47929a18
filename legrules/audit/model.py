"""What one audit record holds, how it is hashed into the chain, and how answers are redacted.

The chain: a record's ``hash`` is ``sha256:`` of ``prev_hash + "\\n" + content``, where
``content`` is the canonical JSON (sorted keys, compact separators, UTF-8) of the record
without ``prev_hash`` and ``hash``. Anyone can recompute it from an export with ``json``
and ``hashlib`` alone.

The first record's ``prev_hash`` is the log's genesis hash (:func:`genesis_hash`): the
same formula over :data:`GENESIS` and the canonical JSON of the log's metadata (format,
schema version, creation time and redaction salt), so the chain, and a head hash kept
elsewhere, commit to the salt too. An empty log's head is its genesis hash. (Logs of
schema version 1 started from :data:`GENESIS` itself and did not commit to the salt.)

Everything else a row stores beside ``content`` (its ``seq``, ``assessment_id``,
``timestamp``, ``status`` and ``fingerprint`` columns, which exist to be queried) is
derived from the hashed content by :func:`index_columns`, by the writer and again by
``verify``, so an edited column cannot go unnoticed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from legrules.canonical import canonical_json
from legrules.errors import EXIT_CHECK_FAILED, LegrulesError, Problem
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Questionnaire
from legrules.pack.schema import facts_read, findings_read
from legrules.run.assessment import Assessment, RulesetInfo
from legrules.run.compact import expand, is_compact
from legrules.run.plan import EQUIPMENT, unsubstituted

RECORD_VERSION = 1
GENESIS = "sha256:" + "0" * 64
#: The meta table's moving head pointer, checked against the last record instead.
HEAD_KEYS = ("head_seq", "head_hash")
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


def chain_hash(prev_hash: str, content: str) -> str:
    """A record's hash from the previous record's hash and its own canonical content."""
    digest = hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()
    return f"sha256:{digest}"


def genesis_hash(meta: Mapping[str, str], schema_version: int) -> str:
    """The hash record 1 links to: a "record 0" made of the log's metadata.

    ``meta`` is the log's meta table; its moving head (``head_seq``, ``head_hash``) is
    left out, every other entry (the salt above all) is committed to, whatever it is.
    """
    fixed = {k: v for k, v in meta.items() if k not in HEAD_KEYS}
    return chain_hash(GENESIS, canonical_json({**fixed, "schema_version": schema_version}))


def index_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The queryable columns of a record row, derived from its hashed content.

    One definition for the writer and for ``verify``: a column of the ``records`` table
    that is not ``content``, ``prev_hash`` or ``hash`` must be listed here. Raises
    KeyError, TypeError or AttributeError when the content lacks a field.
    """
    return {
        "seq": data["seq"],
        "assessment_id": data["assessment_id"],
        "timestamp": data["timestamp"],
        "status": data["assessment"]["status"],
        "fingerprint": data["ruleset"]["fingerprint"],
    }


def redaction_hash(salt: bytes, field: str, value: AnswerValue) -> str:
    """The value stored instead of a redacted answer: HMAC-SHA256 keyed by the log's salt.

    The question id is part of the message, so equal values of different questions do
    not share a hash.
    """
    mac = hmac.new(salt, f"{field}\n{canonical_json(value)}".encode(), hashlib.sha256)
    return REDACTED_PREFIX + mac.hexdigest()


def is_redacted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(REDACTED_PREFIX)


def redaction_closure(fields: Iterable[str], questionnaire: Questionnaire) -> set[str]:
    """The fields to redact: those asked for, and every question whose default is
    derived from one of them (``default_from``, transitively), because a derived
    default gives its source away (``equipment`` "all" means a commercial gym)."""
    hidden = set(fields)
    grew = True
    while grew:
        derived = {
            q.id
            for q in questionnaire.questions
            if q.default_from is not None and q.default_from.question in hidden
        }
        grew = not derived <= hidden
        hidden |= derived
    return hidden


def redact_assessment(
    assessment: Mapping[str, Any], fields: Iterable[str], salt: bytes, pack: RulePack
) -> dict[str, Any]:
    """The assessment JSON (made by ``pack``) with nothing left that gives a redacted
    answer away, but what the rules concluded.

    ``fields`` is already closed over derived defaults (:func:`redaction_closure`).
    Each value is replaced by its salted hash wherever an answer is quoted (``answers``,
    every reason's ``answers``, the trace); ``unanswered`` no longer says whether a
    redacted field has a value; plan items no longer say whether the (redacted)
    equipment can do them. Which alternative of a rule's condition held depends on the
    answers, so for a rule that reads a redacted answer, its reasons and firing list
    every answer and (derived) finding the rule reads, and its branch is the rule id.
    """
    names = set(fields)
    data: dict[str, Any] = json.loads(canonical_json(assessment))  # a deep copy
    coarse = _coarse_matches(data, names, pack)

    def scrub(values: dict[str, Any]) -> None:
        for name in names & values.keys():
            values[name] = redaction_hash(salt, name, values[name])

    for reason in (r for rec in data["recommendations"] for r in rec["because"]):
        if reason["rule"] in coarse:
            reason["answers"], reason["findings"] = coarse[reason["rule"]]
        scrub(reason["answers"])
    for firing in data["trace"]:
        if firing["rule"] in coarse:
            firing["branch"] = firing["rule"]
            firing["matched"]["answers"], firing["matched"]["findings"] = coarse[firing["rule"]]
        scrub(firing["matched"]["answers"])
    scrub(data["answers"])
    if data.get("training_log") is not None:
        _redact_training_log(data["training_log"], names, salt)
    data["unanswered"] = [name for name in data["unanswered"] if name not in names]
    if names:  # which questions were answered depends on the answers (see provided)
        data["given"] = None
    if EQUIPMENT in names and data["plan"] is not None:
        for day in data["plan"]["days"]:
            day["items"] = [
                unsubstituted(pack, item, optional=day["optional"]) for item in day["items"]
            ]
    return data


WITHHELD_EVIDENCE = "withheld: the record redacts an answer the training log measures"


def _redact_training_log(use: dict[str, Any], names: set[str], salt: bytes) -> None:
    """What a training log contributed, with nothing left that gives a redacted answer
    away.

    A measured answer that is redacted is stored as its salted hash; what the person had
    answered, and whether the two agreed, are not stored (that they disagreed, or a
    hash of theirs unequal to the measured one's, tells a yes from a no). The evidence
    of every measured answer is withheld too, with the clarify notes that quote it and
    the reasons a question was not measured: all of them are counts over the same
    sessions and sets (the sessions a week behind ``leg_sessions_per_week`` are the
    sessions ``heavy_sessions`` counts), so one answer's evidence can give another
    away. The logs' digests, sizes and dates stay: they say which log was read, not
    what it measured.
    """
    measured = {item["question"] for item in use["measured"]}
    judged = measured | {item["question"] for item in use["not_measured"]}
    if names.isdisjoint(judged):
        return
    for item in use["measured"]:
        item["evidence"] = None
        item["note"] = None
        if item["question"] in names:
            item["value"] = redaction_hash(salt, item["question"], item["value"])
            item["reported"] = item["agrees"] = None
    for item in use["not_measured"]:
        item["reason"] = WITHHELD_EVIDENCE


def _coarse_matches(
    data: Mapping[str, Any], names: set[str], pack: RulePack
) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """For each fired rule that reads a redacted answer: every answer it reads (values
    not yet hashed) and every finding it reads that the assessment derived."""
    rules = pack.rules_by_id()
    out: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for firing in data["trace"]:
        rule = rules[firing["rule"]]
        reads = facts_read(rule.when)
        if names.isdisjoint(reads):
            continue
        answers = {fact: copy.deepcopy(data["answers"].get(fact)) for fact in reads}
        found = [f for f in findings_read(rule.when) if f in data["findings"]]
        out[rule.id] = (answers, found)
    return out


class _Frozen(BaseModel):
    """The audit records' base, deliberately not :class:`legrules.strict.StrictModel`
    (the base of every other model): a record is read back from what this or an older
    legrules version stored, so it is closed and immutable but validated leniently (a
    value an older version stored in a looser type still reads, and its decision can
    still be shown and verified)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EngineRef(_Frozen):
    name: str
    version: str


class RuleRef(_Frozen):
    id: str
    version: int


class AuditRecord(_Frozen):
    """One decision, as stored: who decided (engine, rules), on what (answers), what, why.

    ``assessment`` is the docs/CONTRACT.md section 3 JSON of the result (with redacted
    answers replaced by their hashes); :meth:`result` parses it back into an
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
        description="Questions the person answered (the rest took defaults); null: unknown, "
        "or not stored because answers are redacted (which questions are asked depends on "
        "earlier answers)."
    )
    redacted: list[str] = Field(description="Answers stored as salted hashes, not values.")
    assessment: dict[str, Any]
    prev_hash: str
    hash: str

    #: The full form of a compact ``assessment``, given back from the record's pack by
    #: the log that read or wrote it (:meth:`expanded_by`).
    _full: dict[str, Any] | None = PrivateAttr(default=None)

    def content(self) -> str:
        """The canonical JSON that is hashed: everything but ``prev_hash`` and ``hash``."""
        return canonical_json(self.model_dump(mode="json", exclude={"prev_hash", "hash"}))

    def expanded_by(self, pack: RulePack) -> AuditRecord:
        """This record, its result readable in full: ``assessment`` stays as stored (and
        hashed); a compact one (docs/CONTRACT.md) is expanded with ``pack``, the pack of
        its fingerprint."""
        if is_compact(self.assessment):
            self._full = expand(self.assessment, pack)
        return self

    def written_from(self, full: dict[str, Any]) -> AuditRecord:
        """This record, just written from ``full`` (its result before compaction): the
        full form it reads back as, without expanding it again (compacting is lossless:
        ``expand(compact(a), pack)`` is ``a``, tests/test_compact.py)."""
        if is_compact(self.assessment):
            self._full = full
        return self

    @property
    def full_assessment(self) -> dict[str, Any]:
        """The result's JSON, as ``Assessment.to_json`` gave it (redacted answers hashed)."""
        if self._full is not None:
            return self._full
        if is_compact(self.assessment):
            raise AuditError(
                f"record {self.assessment_id} is stored compact: read it through its "
                "AuditLog, which holds the rule pack that expands it"
            )
        return self.assessment

    @property
    def status(self) -> str:
        return str(self.assessment["status"])

    @property
    def answers(self) -> dict[str, AnswerValue]:
        return dict(self.full_assessment["answers"])

    def recommendation_ids(self) -> list[str]:
        return [str(rec["id"]) for rec in self.assessment["recommendations"]]

    def fired_rules(self) -> list[str]:
        return [str(firing["rule"]) for firing in self.assessment["trace"]]

    def result(self) -> Assessment:
        """The stored result as an Assessment (AuditError if this legrules cannot read it)."""
        try:
            return Assessment.model_validate(self.full_assessment)
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
