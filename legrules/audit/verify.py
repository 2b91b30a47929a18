"""Checking the hash chain: the first edited, deleted or reordered record, and why.

Tamper evidence, not tamper proofing: a writer who rewrites every hash after an edit
produces a chain that checks out. Keep the head hash (printed by ``legrules audit
verify``) somewhere else and pass it back with ``--expect-head`` to anchor the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from legrules.audit.model import GENESIS, chain_hash

ProblemKind = Literal["edited", "deleted", "reordered", "pack", "head"]


@dataclass(frozen=True)
class ChainProblem:
    """One break in the chain. ``seq`` is the record the problem is about (None: the log)."""

    kind: ProblemKind
    seq: int | None
    assessment_id: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "assessment_id": self.assessment_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`AuditLog.verify`: ``ok`` when nothing was found."""

    path: str
    records: int
    head_hash: str
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> ChainProblem | None:
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "records": self.records,
            "head_hash": self.head_hash,
            "problems": [p.to_dict() for p in self.problems],
        }

    def lines(self) -> list[str]:
        if self.ok:
            return [
                f"ok: {self.records} records, hash chain intact",
                f"head: {self.head_hash}",
            ]
        first = self.problems[0]
        lines = [f"FAILED: {first.message}"]
        if len(self.problems) > 1:
            lines.append(f"{len(self.problems) - 1} more problem(s) after the first:")
            lines.extend(f"  - {p.message}" for p in self.problems[1:11])
            if len(self.problems) > 11:
                lines.append(f"  ... and {len(self.problems) - 11} more")
        lines.append(f"records read: {self.records}")
        return lines


@dataclass(frozen=True)
class Row:
    """One ``records`` row as stored (the index columns are copies of content fields)."""

    seq: int
    assessment_id: str
    timestamp: str
    status: str
    fingerprint: str
    content: str
    prev_hash: str
    hash: str


def _name(seq: int, assessment_id: str | None) -> str:
    return f"record {seq}" + (f" ({assessment_id})" if assessment_id else "")


def _parse(content: str) -> dict[str, Any] | None:
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def check_row(row: Row, data: dict[str, Any] | None) -> ChainProblem | None:
    """Problems visible in one row alone: hash, content, index columns."""
    name = _name(row.seq, row.assessment_id)
    if chain_hash(row.prev_hash, row.content) != row.hash:
        return ChainProblem(
            "edited",
            row.seq,
            row.assessment_id,
            f"{name} was edited: its content no longer matches its hash",
        )
    if data is None:
        return ChainProblem("edited", row.seq, row.assessment_id, f"{name}: content is not JSON")
    if data.get("seq") != row.seq:
        return ChainProblem(
            "reordered",
            row.seq,
            row.assessment_id,
            f"{name} was moved: it is stored at position {row.seq} but was written as record "
            f"{data.get('seq')}",
        )
    assessment = data.get("assessment")
    columns = {
        "assessment_id": (row.assessment_id, data.get("assessment_id")),
        "status": (row.status, assessment.get("status") if isinstance(assessment, dict) else None),
        "fingerprint": (row.fingerprint, (data.get("ruleset") or {}).get("fingerprint")),
    }
    for column, (stored, written) in columns.items():
        if stored != written:
            return ChainProblem(
                "edited",
                row.seq,
                row.assessment_id,
                f"{name} was edited: its {column} column says {stored!r} but the hashed "
                f"record says {written!r}",
            )
    return None


def verify_rows(
    rows: Iterable[Row],
    head: tuple[int, str],
    packs: Mapping[str, tuple[str, str]],
    expect_head: str | None = None,
    path: str = "",
) -> VerifyReport:
    """Walk the chain in ``seq`` order.

    ``head`` is the log's own (seq, hash) of its last record; ``packs`` maps a fingerprint
    to (stored pack_hash, recomputed hash of the stored files).
    """
    problems: list[ChainProblem] = []
    expected_seq, expected_prev = 1, GENESIS
    count = 0
    last_hash = GENESIS
    last_seq = 0
    anchored = expect_head is None or expect_head == GENESIS
    for row in rows:
        count += 1
        anchored = anchored or row.hash == expect_head
        data = _parse(row.content)
        problem = check_row(row, data)
        if problem is None and row.seq > expected_seq:
            missing = (
                f"record {expected_seq}"
                if row.seq == expected_seq + 1
                else f"records {expected_seq} to {row.seq - 1}"
            )
            problem = ChainProblem(
                "deleted",
                expected_seq,
                None,
                f"{missing} deleted: the chain jumps from record {expected_seq - 1} to "
                f"{_name(row.seq, row.assessment_id)}",
            )
        elif problem is None and row.prev_hash != expected_prev:
            before = expected_seq - 1
            problem = ChainProblem(
                "edited",
                before,
                None,
                f"record {before} was edited or replaced (its hash was rewritten): "
                f"{_name(row.seq, row.assessment_id)} links to a different record {before}",
            )
        if problem is None and data is not None:
            fingerprint = row.fingerprint
            stored = packs.get(fingerprint)
            if stored is None:
                problem = ChainProblem(
                    "pack",
                    row.seq,
                    row.assessment_id,
                    f"{_name(row.seq, row.assessment_id)}: its rule pack {fingerprint} is missing "
                    "from the log",
                )
            elif data.get("pack_hash") != stored[0] or stored[0] != stored[1]:
                problem = ChainProblem(
                    "pack",
                    row.seq,
                    row.assessment_id,
                    f"{_name(row.seq, row.assessment_id)}: its stored rule pack {fingerprint} "
                    "was edited (its files no longer match the hash the record holds)",
                )
        if problem is not None:
            problems.append(problem)
        expected_seq, expected_prev = row.seq + 1, row.hash
        last_seq, last_hash = row.seq, row.hash
    head_seq, head_hash = head
    if head_seq > last_seq:
        missing = (
            f"record {head_seq}"
            if head_seq == last_seq + 1
            else f"records {last_seq + 1} to {head_seq}"
        )
        problems.append(
            ChainProblem(
                "deleted",
                last_seq + 1,
                None,
                f"{missing} deleted from the end: the log's head says it holds {head_seq} "
                f"records, the last one left is record {last_seq}",
            )
        )
    elif (head_seq, head_hash) != (last_seq, last_hash):
        problems.append(
            ChainProblem(
                "head",
                last_seq or None,
                None,
                f"the log's head ({head_seq}, {head_hash}) does not match its last record "
                f"({last_seq}, {last_hash}): records were added or changed outside legrules",
            )
        )
    if not anchored:
        problems.append(
            ChainProblem(
                "head",
                None,
                None,
                f"no record has the expected hash {expect_head}: the records up to that head "
                "were rewritten or removed since it was taken",
            )
        )
    return VerifyReport(path=path, records=count, head_hash=last_hash, problems=problems)
