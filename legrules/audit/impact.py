"""The impact of a rule change on many stored answer sets: who is affected, and why.

``audit replay`` answers "what changed for this record, and which rule change caused
it"; this module asks the same of every record and adds the answers up. Each record is
assessed with the baseline rules and with the new ones, and the two results are compared
by :func:`legrules.audit.replay.compare` - the same attribution of a difference to the
rule changes that decide it - into one difference row per record
(:data:`DIFF_FIELDS`). An :class:`ImpactSummary` counts those rows; summaries of parts of
the input merge, so a cluster can summarise each partition where it lies.

Assessing runs on whichever engine the caller has: :func:`diff_rows` on rows a worker was
handed (Spark), :func:`rescore_local` on this machine's worker-process batch.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legrules.audit.replay import RuleChange, changed_pack_parts, changed_rules, compare
from legrules.errors import LegrulesError
from legrules.pack.index import PackIndex, index_rules
from legrules.pack.model import RulePack
from legrules.run.assessment import Assessment
from legrules.run.batch import run_batch
from legrules.run.compiler import CompiledPack
from legrules.run.rescore import PackRef, assess_answers, cached_engine, input_answers

# the columns of a difference row, in order (legrules.spark documents their types)
DIFF_FIELDS = (
    "id",
    "changed",
    "error",
    "status_before",
    "status_after",
    "gained",
    "lost",
    "changes",
    "fired_now",
    "fired_no_longer",
)


@dataclass(frozen=True)
class RuleDiff:
    """What differs between the baseline pack and the new one, worked out once for all
    the records compared."""

    old: RulePack
    new: RulePack
    old_fingerprint: str
    new_fingerprint: str
    rule_changes: list[RuleChange]
    pack_changes: list[str]
    both: PackIndex

    @classmethod
    def of(cls, old: CompiledPack, new: CompiledPack) -> RuleDiff:
        return cls(
            old.pack,
            new.pack,
            old.fingerprint,
            new.fingerprint,
            changed_rules(old.pack, new.pack),
            changed_pack_parts(old.pack, new.pack),
            index_rules([*old.pack.rules, *new.pack.rules]),
        )


def diff_row(
    row_id: str | None,
    before: Assessment | None,
    after: Assessment | None,
    error: str | None,
    rules: RuleDiff,
) -> dict[str, Any]:
    """The difference row of one record; ``error`` when either run had none to give."""
    row: dict[str, Any] = {
        "id": row_id,
        "changed": False,
        "error": error,
        "status_before": before.status if before else None,
        "status_after": after.status if after else None,
        "gained": [],
        "lost": [],
        "changes": [],
        "fired_now": [],
        "fired_no_longer": [],
    }
    if before is None or after is None:
        return row
    changes, fired_now, fired_no_longer = compare(
        before, after, rules.old, rules.new, rules.rule_changes, both=rules.both
    )
    old_ids = [r.id for r in before.recommendations]
    new_ids = [r.id for r in after.recommendations]
    row.update(
        changed=bool(changes),
        gained=[r for r in new_ids if r not in old_ids],
        lost=[r for r in old_ids if r not in new_ids],
        changes=[
            {"subject": c.subject, "summary": c.summary, "caused_by": c.caused_by} for c in changes
        ],
        fired_now=fired_now,
        fired_no_longer=fired_no_longer,
    )
    return row


_rule_diffs: dict[tuple[str, str], RuleDiff] = {}


def diff_rows(
    rows: Iterable[Mapping[str, Any]],
    old: PackRef,
    new: PackRef,
    *,
    id_key: str = "id",
    answers_key: str = "answers",
    whole_records: bool = False,
) -> Iterator[dict[str, Any]]:
    """One difference row per input row, in order (the row options as
    :func:`legrules.run.rescore.input_answers`), with this process's cached Engines."""
    old_engine, _ = cached_engine(old)
    new_engine, _ = cached_engine(new)
    key = (old.fingerprint, new.fingerprint)
    rules = _rule_diffs.get(key)
    if rules is None:
        rules = _rule_diffs[key] = RuleDiff.of(old_engine.compiled, new_engine.compiled)
    options: dict[str, Any] = {
        "id_key": id_key,
        "answers_key": answers_key,
        "whole_records": whole_records,
    }
    for row in rows:
        try:
            row_id, answers = input_answers(row, **options)
        except LegrulesError as unreadable:
            yield diff_row(_text(row.get(id_key)), None, None, str(unreadable), rules)
            continue
        before, problem = assess_answers(old_engine, answers)
        after = None
        if before is not None:
            after, refused = assess_answers(new_engine, answers)
            problem = refused and f"new rules: {refused}"
        yield diff_row(row_id, before, after, problem, rules)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def rescore_local(
    rows: Iterable[Mapping[str, Any]],
    old: CompiledPack,
    new: CompiledPack,
    *,
    workers: int | None = None,
    id_key: str = "id",
    answers_key: str = "answers",
    whole_records: bool = False,
    scratch_dir: str | None = None,
) -> Iterator[dict[str, Any]]:
    """:func:`diff_rows` on this machine: both packs run over the rows with the worker-
    process batch (:func:`legrules.run.batch.run_batch`), and the results are compared
    here as they are read back. The rows' ids are held in memory meanwhile."""
    rules = RuleDiff.of(old, new)
    scratch = tempfile.mkdtemp(prefix=".legrules-rescore-", dir=scratch_dir)
    try:
        answers_file = Path(scratch) / "answers.jsonl"
        ids: list[tuple[str | None, str | None]] = []
        with answers_file.open("w", encoding="utf-8") as out:
            for row in rows:
                try:
                    row_id, answers = input_answers(
                        row, id_key=id_key, answers_key=answers_key, whole_records=whole_records
                    )
                except LegrulesError as unreadable:
                    ids.append((_text(row.get(id_key)), str(unreadable)))
                    continue
                out.write(json.dumps(answers, ensure_ascii=False) + "\n")
                ids.append((row_id, None))
        outputs = []
        for name, pack in (("before", old), ("after", new)):
            target = Path(scratch) / f"{name}.jsonl"
            run_batch(answers_file, target, rules=pack, workers=workers)
            outputs.append(target)
        with (
            outputs[0].open(encoding="utf-8") as before,
            outputs[1].open(encoding="utf-8") as after,
        ):
            for row_id, problem in ids:
                if problem is not None:
                    yield diff_row(row_id, None, None, problem, rules)
                    continue
                was, was_error = _batch_result(next(before))
                now, now_error = _batch_result(next(after))
                if was_error is None and now_error is not None:
                    was_error = f"new rules: {now_error}"
                yield diff_row(row_id, was, now if was else None, was_error, rules)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _batch_result(line: str) -> tuple[Assessment | None, str | None]:
    """One line of run_batch's output: an Assessment, or the error record in its place."""
    data = json.loads(line)
    if "error" in data and "status" not in data:
        return None, str(data["error"])
    return Assessment.model_validate(data), None


@dataclass
class Tally:
    """How many records one kind of change touched, and which rule changes caused it."""

    records: int = 0
    caused_by: Counter[str] = field(default_factory=Counter)

    def add(self, causes: Iterable[str]) -> None:
        self.records += 1
        self.caused_by.update(causes)

    def merge(self, other: Tally) -> None:
        self.records += other.records
        self.caused_by.update(other.caused_by)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "caused_by": dict(self.caused_by.most_common())}


def _tallies(data: Mapping[str, Any]) -> dict[str, Tally]:
    return {
        key: Tally(value["records"], Counter(value["caused_by"])) for key, value in data.items()
    }


@dataclass
class ImpactSummary:
    """What a rule change did to a set of records, counted from their difference rows.

    ``status`` is keyed by the transition (``ok -> referral``), ``gained`` and ``lost`` by
    recommendation id; ``changed`` counts records whose result differs in any way,
    ``decisions`` those whose status or recommendations differ. Each tally counts records
    and, per changed rule, the records whose difference it decides. ``unattributed``
    counts changed records with a difference no changed rule decides directly (a
    questionnaire, catalogue or pack-wide change).
    """

    records: int = 0
    errors: int = 0
    changed: int = 0
    decisions: int = 0
    status: dict[str, Tally] = field(default_factory=dict)
    gained: dict[str, Tally] = field(default_factory=dict)
    lost: dict[str, Tally] = field(default_factory=dict)
    caused_by: Counter[str] = field(default_factory=Counter)
    unattributed: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one difference row (:data:`DIFF_FIELDS`)."""
        self.records += 1
        if row["error"] is not None:
            self.errors += 1
        if not row["changed"]:
            return
        self.changed += 1
        if row["gained"] or row["lost"] or row["status_before"] != row["status_after"]:
            self.decisions += 1
        causes = {c["subject"]: list(c["caused_by"]) for c in row["changes"]}
        if row["status_before"] != row["status_after"]:
            transition = f"{row['status_before']} -> {row['status_after']}"
            self.status.setdefault(transition, Tally()).add(causes.get("status", []))
        for rec in row["gained"]:
            self.gained.setdefault(rec, Tally()).add(causes.get(rec, []))
        for rec in row["lost"]:
            self.lost.setdefault(rec, Tally()).add(causes.get(rec, []))
        self.caused_by.update({rule for found in causes.values() for rule in found})
        if any(not found for found in causes.values()):
            self.unattributed += 1

    def merge(self, other: ImpactSummary) -> None:
        """Add another part of the input's counts to these."""
        self.records += other.records
        self.errors += other.errors
        self.changed += other.changed
        self.decisions += other.decisions
        for mine, theirs in (
            (self.status, other.status),
            (self.gained, other.gained),
            (self.lost, other.lost),
        ):
            for key, tally in theirs.items():
                mine.setdefault(key, Tally()).merge(tally)
        self.caused_by.update(other.caused_by)
        self.unattributed += other.unattributed

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "errors": self.errors,
            "changed": self.changed,
            "decisions_changed": self.decisions,
            "status": {k: t.to_dict() for k, t in sorted(self.status.items())},
            "gained": {k: t.to_dict() for k, t in sorted(self.gained.items())},
            "lost": {k: t.to_dict() for k, t in sorted(self.lost.items())},
            "caused_by": dict(self.caused_by.most_common()),
            "unattributed": self.unattributed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImpactSummary:
        return cls(
            records=data["records"],
            errors=data["errors"],
            changed=data["changed"],
            decisions=data["decisions_changed"],
            status=_tallies(data["status"]),
            gained=_tallies(data["gained"]),
            lost=_tallies(data["lost"]),
            caused_by=Counter(data["caused_by"]),
            unattributed=data["unattributed"],
        )

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> ImpactSummary:
        summary = cls()
        for row in rows:
            summary.add(row)
        return summary


@dataclass(frozen=True)
class Impact:
    """A summary with the rule changes it is about: the report of a re-scoring."""

    rules: RuleDiff
    summary: ImpactSummary

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": _ruleset(self.rules.old, self.rules.old_fingerprint),
            "rules": _ruleset(self.rules.new, self.rules.new_fingerprint),
            "rule_changes": [
                {
                    "rule": c.rule,
                    "change": c.change,
                    "old_version": c.old_version,
                    "new_version": c.new_version,
                }
                for c in self.rules.rule_changes
            ],
            "pack_changes": self.rules.pack_changes,
            **self.summary.to_dict(),
        }

    def lines(self) -> list[str]:
        s, rules = self.summary, self.rules
        by_rule = {c.rule: c.describe() for c in rules.rule_changes}
        out = [
            f"Re-scored {s.records} records",
            f"  baseline: {_describe(rules.old, rules.old_fingerprint)}",
            f"  new:      {_describe(rules.new, rules.new_fingerprint)}",
            "",
            f"Rule changes ({len(rules.rule_changes)}):",
            *(f"  {change}" for change in by_rule.values()),
        ]
        if not rules.rule_changes:
            out[-1] = "Rule changes: none"
        if rules.pack_changes:
            out.append(f"  also changed: {', '.join(rules.pack_changes)}")
        out.append("")
        assessed = s.records - s.errors
        out.append(
            f"Decisions changed (status or recommendations): {_records(s.decisions)} of "
            f"{assessed} assessed"
        )
        out.append(f"Results changed in any way (also reasons or plan): {_records(s.changed)}")
        if s.errors:
            out.append(f"  {s.errors} records could not be assessed (see their error rows)")
        sections = (
            ("Status changes", "", s.status),
            ("Recommendations gained", "+ ", s.gained),
            ("Recommendations lost", "- ", s.lost),
        )
        for title, mark, tallies in sections:
            if not tallies:
                continue
            out.append(f"{title}:")
            for key, tally in sorted(tallies.items(), key=lambda kv: (-kv[1].records, kv[0])):
                out.append(f"  {mark}{key}: {_records(tally.records)}")
                out.extend(
                    f"      caused by {by_rule.get(rule, rule)}: {_records(n)}"
                    for rule, n in tally.caused_by.most_common()
                )
        if s.caused_by or s.unattributed:
            out.append("Changed records per rule change:")
            out.extend(
                f"  {by_rule.get(rule, rule)}: {_records(n)}"
                for rule, n in s.caused_by.most_common()
            )
            if s.unattributed:
                out.append(
                    f"  no changed rule decides it directly (a questionnaire, catalogue or "
                    f"pack-wide change): {_records(s.unattributed)}"
                )
        return out


def _records(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


def _ruleset(pack: RulePack, fingerprint: str) -> dict[str, str]:
    return {"name": pack.meta.name, "version": pack.meta.version, "fingerprint": fingerprint}


def _describe(pack: RulePack, fingerprint: str) -> str:
    return f"{pack.meta.name} {pack.meta.version} {fingerprint}"
