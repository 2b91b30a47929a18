"""Checking the hash chain: the first edited, deleted or reordered record, and why.

Tamper evidence, not tamper proofing: a writer who rewrites every hash after an edit
produces a chain that checks out, and one who appends a record with a correctly
computed hash adds a record that checks out (the chain has no secret key). Keep the head
hash (printed by ``legrules audit verify``) somewhere else and pass it back with
``--expect-head`` to anchor the chain: everything up to that head is then proven
unchanged, and the records after it are counted and reported as not covered by it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from legrules.audit.model import GENESIS, chain_hash, index_columns

ProblemKind = Literal["edited", "deleted", "reordered", "pack", "head", "meta"]


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
    """The result of :meth:`AuditLog.verify`: ``ok`` when nothing was found.

    ``after_expected_head`` is, when an expected head was given and found, how many
    records were written after it: they are not covered by that head (an intact chain
    cannot tell a forged record appended with a recomputed hash from a real one).
    ``notes`` are facts about what was (not) checked, not problems.
    """

    path: str
    records: int
    head_hash: str
    genesis: str = GENESIS
    problems: list[ChainProblem] = field(default_factory=list)
    after_expected_head: int | None = None
    notes: list[str] = field(default_factory=list)

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
            "genesis": self.genesis,
            "after_expected_head": self.after_expected_head,
            "notes": self.notes,
            "problems": [p.to_dict() for p in self.problems],
        }

    def _anchor_lines(self) -> list[str]:
        after = self.after_expected_head
        if after is None:
            return []
        if after == 0:
            return ["expected head: it is still the head (no records after it)"]
        return [
            f"expected head: found; {after} record{'s' if after != 1 else ''} after the "
            "expected head, not covered by it (check them, then keep the new head)"
        ]

    def lines(self) -> list[str]:
        if self.ok:
            return [
                f"ok: {self.records} records, hash chain intact",
                *self._anchor_lines(),
                *(f"note: {note}" for note in self.notes),
                f"head: {self.head_hash}",
            ]
        first = self.problems[0]
        lines = [f"FAILED: {first.message}"]
        if len(self.problems) > 1:
            lines.append(f"{len(self.problems) - 1} more problem(s) after the first:")
            lines.extend(f"  - {p.message}" for p in self.problems[1:11])
            if len(self.problems) > 11:
                lines.append(f"  ... and {len(self.problems) - 11} more")
        lines.extend(self._anchor_lines())
        lines.extend(f"note: {note}" for note in self.notes)
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
    try:
        written = index_columns(data)
    except (KeyError, TypeError, AttributeError):
        return ChainProblem(
            "edited", row.seq, row.assessment_id, f"{name}: content lacks a record field"
        )
    if written["seq"] != row.seq:
        return ChainProblem(
            "reordered",
            row.seq,
            row.assessment_id,
            f"{name} was moved: it is stored at position {row.seq} but was written as record "
            f"{written['seq']}",
        )
    for column, value in written.items():
        stored = getattr(row, column)
        if stored != value:
            return ChainProblem(
                "edited",
                row.seq,
                row.assessment_id,
                f"{name} was edited: its {column} column says {stored!r} but the hashed "
                f"record says {value!r}",
            )
    return None


def _link_problem(row: Row, expected_seq: int, expected_prev: str) -> ChainProblem | None:
    """A gap before ``row``, or ``row`` linking to something other than its predecessor."""
    if row.seq > expected_seq:
        missing = (
            f"record {expected_seq}"
            if row.seq == expected_seq + 1
            else f"records {expected_seq} to {row.seq - 1}"
        )
        return ChainProblem(
            "deleted",
            expected_seq,
            None,
            f"{missing} deleted: the chain jumps from record {expected_seq - 1} to "
            f"{_name(row.seq, row.assessment_id)}",
        )
    if row.prev_hash == expected_prev:
        return None
    if expected_seq == 1:
        return ChainProblem(
            "meta",
            None,
            None,
            f"the log's metadata ({_META}) was changed, or record 1 was replaced: "
            f"{_name(row.seq, row.assessment_id)} does not link to the log's genesis hash",
        )
    before = expected_seq - 1
    return ChainProblem(
        "edited",
        before,
        None,
        f"record {before} was edited or replaced (its hash was rewritten): "
        f"{_name(row.seq, row.assessment_id)} links to a different record {before}",
    )


_META = "redaction salt, format, schema version or creation time"


def _pack_problem(
    row: Row, data: dict[str, Any], packs: Mapping[str, tuple[str, str]]
) -> ChainProblem | None:
    stored = packs.get(row.fingerprint)
    name = _name(row.seq, row.assessment_id)
    if stored is None:
        return ChainProblem(
            "pack",
            row.seq,
            row.assessment_id,
            f"{name}: its rule pack {row.fingerprint} is missing from the log",
        )
    if data.get("pack_hash") != stored[0] or stored[0] != stored[1]:
        return ChainProblem(
            "pack",
            row.seq,
            row.assessment_id,
            f"{name}: its stored rule pack {row.fingerprint} was edited (its files no longer "
            "match the hash the record holds)",
        )
    return None


def _head_problem(
    head: tuple[int, str], last: tuple[int, str], genesis: str
) -> ChainProblem | None:
    """The meta table's head pointer against the last record (or, empty, the genesis)."""
    (head_seq, head_hash), (last_seq, last_hash) = head, last
    if head_seq > last_seq:
        missing = (
            f"record {head_seq}"
            if head_seq == last_seq + 1
            else f"records {last_seq + 1} to {head_seq}"
        )
        return ChainProblem(
            "deleted",
            last_seq + 1,
            None,
            f"{missing} deleted from the end: the log's head says it holds {head_seq} "
            f"records, the last one left is record {last_seq}",
        )
    if head == last:
        return None
    if head_seq == last_seq == 0 and last_hash == genesis:
        return ChainProblem(
            "meta",
            None,
            None,
            f"the log's metadata ({_META}) was changed: the head of this empty log is not "
            "its genesis hash",
        )
    return ChainProblem(
        "head",
        last_seq or None,
        None,
        f"the log's head ({head_seq}, {head_hash}) does not match its last record "
        f"({last_seq}, {last_hash}): records were added or changed outside legrules",
    )


def verify_rows(
    rows: Iterable[Row],
    head: tuple[int, str],
    packs: Mapping[str, tuple[str, str]],
    *,
    expect_head: str | None = None,
    path: str = "",
    genesis: str = GENESIS,
    notes: Iterable[str] = (),
) -> VerifyReport:
    """Walk the chain in ``seq`` order.

    ``head`` is the log's own (seq, hash) of its last record; ``packs`` maps a fingerprint
    to (stored pack_hash, recomputed hash of the stored files); ``genesis`` is what
    record 1 links to (see :func:`~legrules.audit.model.genesis_hash`).
    """
    problems: list[ChainProblem] = []
    expected_seq, expected_prev = 1, genesis
    count = 0
    used: set[str] = set()
    # how many records precede the expected head (0: it is the genesis, None: not seen)
    anchor: int | None = 0 if expect_head in (None, genesis) else None
    for row in rows:
        count += 1
        data = _parse(row.content)
        problem = check_row(row, data) or _link_problem(row, expected_seq, expected_prev)
        if problem is None and data is not None:
            problem = _pack_problem(row, data, packs)
        if problem is not None:
            problems.append(problem)
        used.add(row.fingerprint)
        if anchor is None and row.hash == expect_head:
            anchor = count
        expected_seq, expected_prev = row.seq + 1, row.hash
    last = (expected_seq - 1, expected_prev)
    head_problem = _head_problem(head, last, genesis)
    if head_problem is not None:
        problems.append(head_problem)
    problems.extend(
        ChainProblem(
            "pack",
            None,
            None,
            f"the stored rule pack {fingerprint} belongs to no record: it was added outside "
            "legrules, or every record made with it was deleted",
        )
        for fingerprint in sorted(set(packs) - used)
    )
    if expect_head is not None and anchor is None:
        problems.append(
            ChainProblem(
                "head",
                None,
                None,
                f"no record has the expected hash {expect_head}: the records up to that head "
                "were rewritten or removed since it was taken",
            )
        )
    return VerifyReport(
        path=path,
        records=count,
        head_hash=last[1],
        genesis=genesis,
        problems=problems,
        after_expected_head=None if expect_head is None or anchor is None else count - anchor,
        notes=list(notes),
    )
