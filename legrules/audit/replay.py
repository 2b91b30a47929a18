"""Replay: a stored record's answers against today's rules, and which rule changes matter.

Two runs on the same answers, so that every difference is due to the rules: the stored
pack (rebuilt from the log) and today's pack. The first should reproduce the recorded
result; the report says so, or says that it does not (legrules or the engine changed
behaviour since the record was written).

Redacted answers cannot be re-run from the log: it only holds their salted hashes. Unless
the auditor supplies a value (checked against the hash first), a redacted answer is
replayed as unanswered, so it takes the question's default in both runs. The two runs
then still differ only by the rules, but neither is what the person answered: the report
marks the replay as not faithful and names the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from legrules.audit.model import AuditError, AuditRecord
from legrules.errors import AnswersError
from legrules.pack.index import PackIndex, index_rules
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Questionnaire
from legrules.run.answers import Answers, validate_answers
from legrules.run.assessment import Assessment, Plan
from legrules.run.engine import Engine

if TYPE_CHECKING:
    from legrules.audit.log import AuditLog

# training_log: a replay re-runs the recorded answers, which already hold what the log
# measured; the log's evidence is recorded input, not something the rules compute again.
# ``given``: a replay feeds the record's complete answers back, so it cannot tell which
# of them were defaults; the rules' outcome does not depend on it.
_VOLATILE = {"assessment_id", "created_at", "engine", "ruleset", "training_log", "given"}


@dataclass(frozen=True)
class RuleChange:
    """A rule that differs between the record's pack and today's."""

    rule: str
    change: Literal["added", "removed", "changed"]
    old_version: int | None
    new_version: int | None

    def describe(self) -> str:
        if self.change == "added":
            return f"{self.rule} [added, v{self.new_version}]"
        if self.change == "removed":
            return f"{self.rule} [removed, was v{self.old_version}]"
        if self.old_version == self.new_version:
            return (
                f"{self.rule} [changed, still v{self.new_version}: edited without a version bump]"
            )
        return f"{self.rule} [changed, v{self.old_version} -> v{self.new_version}]"


@dataclass(frozen=True)
class Change:
    """One difference in the result: the status, a recommendation or the plan."""

    subject: str
    summary: str
    caused_by: list[str]

    def line(self, rule_changes: Mapping[str, RuleChange]) -> str:
        if self.caused_by:
            causes = ", ".join(rule_changes[r].describe() for r in self.caused_by)
            return f"{self.summary}\n    caused by: {causes}"
        return (
            f"{self.summary}\n    caused by: no changed rule decides it directly (a "
            "questionnaire, catalogue or pack-wide change)"
        )


@dataclass(frozen=True)
class Replay:
    """What today's rules say about a stored record, and why that differs (if it does)."""

    record: AuditRecord
    recorded: Assessment
    before: Assessment
    after: Assessment
    reproduced: bool
    rule_changes: list[RuleChange]
    pack_changes: list[str]
    changes: list[Change]
    fired_now: list[str]
    fired_no_longer: list[str]
    supplied: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def faithful(self) -> bool:
        """True when both runs used exactly the recorded answers."""
        return not self.unknown and not self.dropped

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def lines(self) -> list[str]:
        rec = self.record
        by_rule = {c.rule: c for c in self.rule_changes}
        out = [
            f"Replay of record {rec.seq} ({rec.assessment_id}), assessed {rec.timestamp}",
            f"  recorded with: {rec.ruleset.name} {rec.ruleset.version} {rec.ruleset.fingerprint}",
            f"  replayed with: {self.after.ruleset.name} {self.after.ruleset.version} "
            f"{self.after.ruleset.fingerprint}",
        ]
        if self.faithful:
            out.append("  answers: exactly as recorded")
        if self.supplied:
            out.append(
                "  redacted answers supplied and matched to their hashes: "
                + ", ".join(self.supplied)
            )
        if self.unknown:
            out.append(
                "  NOT FAITHFUL: redacted answers replayed as unanswered (question defaults, in "
                f"both runs): {', '.join(self.unknown)}"
            )
        out.extend(f"  NOT FAITHFUL: {reason}" for reason in self.dropped)
        if not self.reproduced:
            out.append(
                "  note: the recorded rules, re-run now, do not reproduce the recorded result"
                + (
                    " (expected: redacted answers were replaced)"
                    if self.unknown
                    else " (legrules or the engine changed behaviour since the record)"
                )
            )
        out.append("")
        if self.rule_changes or self.pack_changes:
            out.append(f"Rule changes since the record ({len(self.rule_changes)}):")
            out.extend(f"  {change.describe()}" for change in self.rule_changes)
            if self.pack_changes:
                out.append(f"  also changed: {', '.join(self.pack_changes)}")
        else:
            out.append("Rule changes since the record: none (same fingerprint)")
        out.append("")
        if not self.changes:
            out.append("What changed: nothing; today's rules give the same result.")
        else:
            out.append("What changed (recorded rules -> today's rules, same answers):")
            for change in self.changes:
                out.extend("  " + part for part in change.line(by_rule).split("\n"))
            if self.fired_now:
                out.append(f"  rules that now fire: {', '.join(self.fired_now)}")
            if self.fired_no_longer:
                out.append(f"  rules that no longer fire: {', '.join(self.fired_no_longer)}")
        out.append("")
        out.append(f"Today's rules: status {self.after.status}")
        for recommendation in self.after.recommendations:
            rules = ", ".join(reason.rule for reason in recommendation.because)
            out.append(f"  * {recommendation.id}: {recommendation.title} (because: {rules})")
        if not self.after.recommendations:
            out.append("  (no recommendations)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.record.assessment_id,
            "seq": self.record.seq,
            "faithful": self.faithful,
            "reproduced": self.reproduced,
            "supplied": self.supplied,
            "unknown": self.unknown,
            "dropped": self.dropped,
            "recorded_ruleset": self.record.ruleset.model_dump(mode="json"),
            "current_ruleset": self.after.ruleset.model_dump(mode="json"),
            "rule_changes": [
                {
                    "rule": c.rule,
                    "change": c.change,
                    "old_version": c.old_version,
                    "new_version": c.new_version,
                }
                for c in self.rule_changes
            ],
            "pack_changes": self.pack_changes,
            "changes": [
                {"subject": c.subject, "summary": c.summary, "caused_by": c.caused_by}
                for c in self.changes
            ],
            "fired_now": self.fired_now,
            "fired_no_longer": self.fired_no_longer,
            "before": self.before.model_dump(mode="json"),
            "after": self.after.model_dump(mode="json"),
        }


def _comparable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _VOLATILE}


def changed_rules(old: RulePack, new: RulePack) -> list[RuleChange]:
    """The rules added, removed or edited from ``old`` to ``new``."""
    before, after = old.rules_by_id(), new.rules_by_id()
    changes: list[RuleChange] = []
    for rule_id, rule in before.items():
        now = after.get(rule_id)
        if now is None:
            changes.append(RuleChange(rule_id, "removed", rule.version, None))
        elif rule.model_dump(mode="json", by_alias=True) != now.model_dump(
            mode="json", by_alias=True
        ):
            changes.append(RuleChange(rule_id, "changed", rule.version, now.version))
    changes.extend(
        RuleChange(rule_id, "added", None, rule.version)
        for rule_id, rule in after.items()
        if rule_id not in before
    )
    return changes


def changed_pack_parts(old: RulePack, new: RulePack) -> list[str]:
    """The parts of the pack other than its rules that differ."""
    parts = {
        "questionnaire": (old.questionnaire, new.questionnaire),
        "catalogue": (old.catalogue, new.catalogue),
        "pack metadata": (old.meta, new.meta),
    }
    return [
        name
        for name, (a, b) in parts.items()
        if a.model_dump(mode="json") != b.model_dump(mode="json")
    ]


def _plan_lines(before: Plan | None, after: Plan | None) -> list[str]:
    if before is None and after is None:
        return []
    if before is None:
        return ["a training plan is now given"]
    if after is None:
        return ["the training plan is now withheld"]
    lines: list[str] = []
    old_days, new_days = {d.id: d for d in before.days}, {d.id: d for d in after.days}
    lines.extend(f"day {d} added" for d in new_days if d not in old_days)
    lines.extend(f"day {d} removed" for d in old_days if d not in new_days)
    for day_id in [d for d in new_days if d in old_days]:
        old_items = {i.exercise: i for i in old_days[day_id].items}
        new_items = {i.exercise: i for i in new_days[day_id].items}
        lines.extend(f"{day_id}: + {e}" for e in new_items if e not in old_items)
        lines.extend(f"{day_id}: - {e}" for e in old_items if e not in new_items)
        for exercise in [e for e in new_items if e in old_items]:
            a, b = old_items[exercise], new_items[exercise]
            if a.model_dump() != b.model_dump():
                fields = [k for k, v in a.model_dump().items() if b.model_dump()[k] != v]
                lines.append(f"{day_id}: {exercise} changed ({', '.join(fields)})")
        if [i.exercise for i in old_days[day_id].items] != [
            i.exercise for i in new_days[day_id].items
        ] and set(old_items) == set(new_items):
            lines.append(f"{day_id}: items reordered")
        if old_days[day_id].notes != new_days[day_id].notes:
            lines.append(f"{day_id}: notes changed")
    if before.schedule != after.schedule:
        lines.append(
            f"schedule: {before.schedule.id if before.schedule else 'none'} -> "
            f"{after.schedule.id if after.schedule else 'none'}"
        )
    if before.notes != after.notes:
        lines.append("plan notes changed")
    return lines


def _plan_rules(plan: Plan | None) -> set[str]:
    if plan is None:
        return set()
    rules = {r for note in plan.notes for r in note.because}
    if plan.schedule is not None:
        rules.update(plan.schedule.because)
    for day in plan.days:
        rules.update(r for note in day.notes for r in note.because)
        rules.update(r for item in day.items for r in item.because)
    return rules


def compare(
    before: Assessment,
    after: Assessment,
    old: RulePack,
    new: RulePack,
    rule_changes: list[RuleChange],
    *,
    both: PackIndex | None = None,
) -> tuple[list[Change], list[str], list[str]]:
    """The differences between two results on the same answers, each with its causes.

    ``both`` is ``index_rules([*old.rules, *new.rules])``, for a caller comparing many
    results of the same two packs to build once.
    """
    changed = {c.rule for c in rule_changes}
    order = {c.rule: i for i, c in enumerate(rule_changes)}
    fired_before = [f.rule for f in before.trace]
    fired_after = [f.rule for f in after.trace]
    fired_now = [r for r in fired_after if r not in fired_before]
    fired_no_longer = [r for r in fired_before if r not in fired_after]
    moved = set(fired_now) | set(fired_no_longer)
    if both is None:  # a rule's old and new reads together
        both = index_rules([*old.rules, *new.rules])

    def causes(rules: Iterable[str]) -> list[str]:
        return sorted(both.upstream(rules) & changed, key=order.__getitem__)

    changes: list[Change] = []
    if before.status != after.status:
        safety = {
            reason.rule
            for result in (before, after)
            for rec in result.recommendations
            if rec.kind == "safety"
            for reason in rec.because
        }
        changes.append(
            Change("status", f"status: {before.status} -> {after.status}", causes(safety | moved))
        )
    old_recs = {r.id: r for r in before.recommendations}
    new_recs = {r.id: r for r in after.recommendations}
    withheld = {
        s.recommendation: {s.by, *s.made_by}
        for result in (before, after)
        for s in result.suppressed
    }
    for rec_id in [*new_recs, *(r for r in old_recs if r not in new_recs)]:
        was, now = old_recs.get(rec_id), new_recs.get(rec_id)
        was_rules = [reason.rule for reason in was.because] if was else []
        now_rules = [reason.rule for reason in now.because] if now else []
        involved = {
            *was_rules,
            *now_rules,
            *withheld.get(rec_id, set()),
            *old.index.recommended_by.get(rec_id, ()),
            *new.index.recommended_by.get(rec_id, ()),
        }
        if was is None:
            summary = f"+ {rec_id} is now recommended (because: {', '.join(now_rules)})"
        elif now is None:
            summary = f"- {rec_id} is no longer recommended (was because: {', '.join(was_rules)})"
        elif was.model_dump() != now.model_dump():
            if was_rules != now_rules:
                summary = (
                    f"~ {rec_id}: reasons changed (was: {', '.join(was_rules)}; now: "
                    f"{', '.join(now_rules)})"
                )
            else:
                fields = [k for k, v in was.model_dump().items() if now.model_dump()[k] != v]
                summary = f"~ {rec_id}: {', '.join(fields)} changed"
        else:
            continue
        changes.append(Change(rec_id, summary, causes(involved)))
    plan_lines = _plan_lines(before.plan, after.plan)
    if plan_lines:
        involved = _plan_rules(before.plan) | _plan_rules(after.plan) | moved
        changes.append(Change("plan", "plan: " + "; ".join(plan_lines), causes(involved)))
    return changes, fired_now, fired_no_longer


def _validate_lenient(
    answers: dict[str, AnswerValue], questionnaire: Questionnaire
) -> tuple[Answers, list[str]]:
    """Validate, dropping (and reporting) answers today's questionnaire rejects."""
    dropped: list[str] = []
    current = dict(answers)
    for _ in range(len(current) + 1):
        try:
            return validate_answers(current, questionnaire), dropped
        except AnswersError as error:
            bad = [p for p in error.problems if p.location in current]
            if not bad:
                raise
            for problem in bad:
                del current[problem.location]
                dropped.append(
                    f"today's questionnaire rejects the recorded answer {problem.render()}; "
                    "it was replayed as unanswered"
                )
    raise AssertionError("unreachable")  # pragma: no cover


def replay_answers(
    log: AuditLog,
    record: AuditRecord,
    old: RulePack,
    values: Mapping[str, AnswerValue],
) -> tuple[dict[str, AnswerValue], list[str], list[str]]:
    """The answers to replay: supplied redacted values (hash-checked), the rest unanswered."""
    extra = sorted(set(values) - set(record.redacted))
    if extra:
        raise AuditError(
            f"record {record.assessment_id}: only redacted answers can be supplied; "
            f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not redacted "
            f"(redacted: {', '.join(record.redacted) or 'none'})"
        )
    answers = dict(record.answers)
    # validated together, with the answers the record shows: a supplied null takes the
    # default it took then, which can derive from another answer
    context = {k: v for k, v in answers.items() if k not in record.redacted}
    checked = validate_answers({**context, **values}, old.questionnaire)
    supplied, unknown = [], []
    for name in record.redacted:
        if name in values:
            normalized = checked[name]
            if log.salt_hash(name, normalized) != answers.get(name):
                raise AuditError(
                    f"record {record.assessment_id}: the value given for {name} "
                    f"({normalized!r}) is not the one that was recorded (its salted hash differs)"
                )
            answers[name] = normalized
            supplied.append(name)
        else:
            answers[name] = None
            unknown.append(name)
    return answers, supplied, unknown


def _given(record: AuditRecord, recorded: Assessment) -> frozenset[str] | None:
    """The questions the person answered, so a replay reports the screening as it was.

    A redacted record does not store them; its result's screening says which safety
    questions were missing, and every other recorded answer is taken as given."""
    if record.provided is not None:
        return frozenset(record.provided)
    if recorded.screening is None:
        return None
    return frozenset(record.answers) - set(recorded.screening.missing)


def _as_given(answers: Answers, given: frozenset[str] | None) -> Answers:
    if given is None:
        return answers
    return Answers(answers.to_dict(), given & answers.provided)


def replay(
    log: AuditLog,
    assessment_id: str,
    engine: Engine | None = None,
    values: Mapping[str, AnswerValue] | None = None,
) -> Replay:
    """Re-run a stored record's answers against today's rules and compare with the stored
    pack's answer: what changed, and which rule changes caused it.

    ``assessment_id`` is an id or a unique prefix (6+ characters). ``engine`` holds
    today's rules (default: the default pack, built for this call and closed after).
    ``values`` supplies redacted answers; each is checked against the record's salted
    hash first, and a redacted answer not supplied is replayed as unanswered.
    """
    record = log.get(assessment_id)
    old = log.pack(record.ruleset.fingerprint)
    answers, supplied, unknown = replay_answers(log, record, old, values or {})
    recorded = record.result()
    current = engine if engine is not None else Engine()
    given = _given(record, recorded)
    try:
        if current.fingerprint == record.ruleset.fingerprint:
            before = current.assess(
                _as_given(validate_answers(answers, current.questionnaire), given)
            )
        else:
            with Engine(old) as stored:
                before = stored.assess(
                    _as_given(validate_answers(answers, stored.questionnaire), given)
                )
        validated, dropped = _validate_lenient(answers, current.questionnaire)
        after = current.assess(_as_given(validated, given))
        new = current.pack
    finally:
        if engine is None:
            current.close()
    rule_changes = changed_rules(old, new)
    changes, fired_now, fired_no_longer = compare(before, after, old, new, rule_changes)
    return Replay(
        record=record,
        recorded=recorded,
        before=before,
        after=after,
        reproduced=_comparable(log.stored_form(before, record.redacted, old))
        == _comparable(record.full_assessment),
        rule_changes=rule_changes,
        pack_changes=changed_pack_parts(old, new),
        changes=changes,
        fired_now=fired_now,
        fired_no_longer=fired_no_longer,
        supplied=supplied,
        unknown=unknown,
        dropped=dropped,
    )
