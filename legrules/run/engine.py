"""The engine core: one compiled pack, assessing answers, recording through a :class:`Recorder`.

:class:`legrules.Engine` (:mod:`legrules.api`) is the public face of this class and adds
what needs the layers above it (an audit log opened from a path). This module imports
nothing from :mod:`legrules.audit`: the audit package replays records with this engine, so
the dependency runs one way only.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

from legrules._version import __version__
from legrules.errors import EngineError, RuleLoopError
from legrules.logic.conditions import planned_witness, static_witness, witness_plan
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Questionnaire
from legrules.pack.schema import Rule
from legrules.paths import pack_dir
from legrules.run.answers import Answers, validate_answers
from legrules.run.assessment import (
    SCHEMA_VERSION,
    Assessment,
    EngineInfo,
    Firing,
    RulesetInfo,
    TraceAsserted,
    TraceMatch,
    TrainingLogUse,
)
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.construct import construct, maker
from legrules.run.durable import ENGINE_NAME, ENGINE_VERSION, RULESETS, DurableRuleset, free_unused
from legrules.run.facts import FactBuilder
from legrules.run.loader import load_pack
from legrules.run.plan import PlanTables, build_plan
from legrules.run.recommend import Lookups, Matched, build_outcome
from legrules.run.recorder import Recorder
from legrules.run.screening import ScreeningCheck

_E = TypeVar("_E", bound="Engine")

#: From this many rules on, building an engine moves everything alive then (the pack,
#: its compiled form) out of the cyclic garbage collector's reach (see freeze_heap).
FREEZE_FROM_RULES = 200


def freeze_heap() -> None:
    """Put everything alive now out of the cyclic garbage collector's reach.

    Its older generations walk every object alive, so a heap of long-lived objects costs
    every collection: at 4,000 rules the pack's models were a third of an assessment
    (134 -> 86 ms frozen; 500 rules 9.4 -> 7.2 ms; no difference at the shipped pack's
    size, so an Engine freezes only large packs and a one-shot command does not pay for
    the collection), and a server's ~75,000 start-up objects cost ~30 ms per full
    collection (2.15 -> 2.09 ms of CPU per recorded request; benchmarks/README.md).
    Frozen objects are still freed when their last reference goes, but a reference cycle
    among them never is: so what an earlier call froze is unfrozen and collected first,
    and nothing unreachable is kept for good (a server's reload calls this again, so the
    pack it replaced is collected).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def new_assessment_id() -> str:
    """A random (version 4) UUID's text: one place that makes assessment ids, so a test
    can fix them (tests/test_serve_api.py)."""
    return str(uuid.uuid4())


class Engine:
    """One loaded rule pack, compiled once, assessing answers from any number of threads.

    The arguments and the pickling contract are documented on :class:`legrules.Engine`,
    which is this class plus an audit log given as a path. Here ``audit_log`` is any
    :class:`~legrules.run.recorder.Recorder` (an :class:`~legrules.audit.AuditLog`, which
    the caller opened); it is told the pack now and every assessment afterwards, and it
    is pickled with the engine (an AuditLog reopens its file by absolute path).
    """

    def __init__(
        self,
        rules: str | os.PathLike[str] | RulePack | CompiledPack | None = None,
        *,
        max_firings: int | None = None,
        audit_log: Recorder | None = None,
    ) -> None:
        if isinstance(rules, CompiledPack):
            compiled = rules
        elif isinstance(rules, RulePack):
            compiled = compile_pack(rules)
        else:
            compiled = compile_pack(load_pack(pack_dir(rules)))
        self._compiled: CompiledPack = compiled
        self._pack = self._compiled.pack
        self._rules = self._pack.rules_by_id()
        # what a rule's trace entry asserts whatever the answers (copied per firing)
        self._asserts = {
            rule.id: ([r.id for r in rule.then.recommend], list(rule.then.derive))
            for rule in self._pack.rules
        }
        # each compiled branch's rule and what the rule derives: all the callback run per
        # activation, inside the engine's lock, needs to look up
        self._branches = {
            branch: (self._rules[rule_id], tuple(self._rules[rule_id].then.derive))
            for branch, rule_id in self._compiled.branch_rule.items()
        }
        self._static_witness = {rule.id: static_witness(rule.when) for rule in self._pack.rules}
        # the rest (an ``any`` decides what they matched): which alternatives to test
        self._witness_plans = {
            rule.id: witness_plan(rule.when)
            for rule in self._pack.rules
            if self._static_witness[rule.id] is None
        }
        self._lookups = Lookups.of(self._pack)
        self._plan_tables = PlanTables.of(self._pack)
        self._max_firings = max_firings or self._compiled.activation_bound
        self._facts = FactBuilder(self._pack.questionnaire, self._compiled.fact_fields)
        self._screening = ScreeningCheck(self._pack)
        if audit_log is not None and not isinstance(audit_log, Recorder):
            raise TypeError(
                "audit_log must be a path or a Recorder such as legrules.AuditLog, not "
                f"{type(audit_log).__name__}"
            )
        self._audit = audit_log
        if audit_log is not None:
            audit_log.register_pack(self._compiled)
        self._ruleset: DurableRuleset | None = RULESETS.get(
            self._compiled.fingerprint,
            self._compiled.shards,
            routes=self._compiled.shard_findings,
            name_hint=self._pack.meta.name,
        )
        # built like the rest of the output (run/construct.py): validating them built
        # two validators, 0.35 ms of a one-shot command
        self._ruleset_info = construct(
            RulesetInfo,
            {
                "name": self._pack.meta.name,
                "version": self._pack.meta.version,
                "fingerprint": self._compiled.fingerprint,
            },
        )
        self._engine_info = construct(
            EngineInfo,
            {"name": ENGINE_NAME, "version": ENGINE_VERSION, "legrules_version": __version__},
        )
        if len(self._pack.rules) >= FREEZE_FROM_RULES:
            freeze_heap()

    @property
    def pack(self) -> RulePack:
        return self._pack

    @property
    def compiled(self) -> CompiledPack:
        return self._compiled

    @property
    def questionnaire(self) -> Questionnaire:
        return self._pack.questionnaire

    @property
    def fingerprint(self) -> str:
        return self._compiled.fingerprint

    def validate(self, answers: Mapping[str, Any], source: str | None = None) -> Answers:
        """Validate raw answers against this pack's questionnaire (AnswersError if bad)."""
        return validate_answers(answers, self._pack.questionnaire, source)

    def assess(
        self,
        answers: Mapping[str, Any] | Answers,
        *,
        training_log: TrainingLogUse | None = None,
    ) -> Assessment:
        """Assess one answer set. Raw mappings are validated first.

        ``training_log`` is what a training log contributed, as plain data: the layer
        that reads logs (:meth:`legrules.Engine.assess` with ``log=``) has already merged
        the measured answers into ``answers``; here it is only carried into the result,
        and so into the audit record, which hashes it with the rest.
        """
        validated = answers if isinstance(answers, Answers) else self.validate(answers)
        fired, findings = self._fire(validated)
        order = {finding: index for index, finding in enumerate(findings)}
        values = validated.as_mapping()
        matched = [self._matched(f, values, order) for f in fired]
        outcome = build_outcome(self._pack, matched, self._lookups)
        withheld: dict[str, list[str]] = {}
        for suppression in outcome.suppressed:
            withheld.setdefault(suppression.by, []).append(suppression.recommendation)
        trace = self._trace(fired, matched, withheld)
        # Everything is assembled as plain data from the validated pack and answers and
        # built into the models without validating it again (see legrules.run.construct).
        result = construct(
            Assessment,
            {
                "schema_version": SCHEMA_VERSION,
                "assessment_id": new_assessment_id(),
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "status": outcome.status,
                "screening": self._screening.check(validated),
                "ruleset": self._ruleset_info,
                "engine": self._engine_info,
                "answers": validated.to_dict(),
                "unanswered": validated.unanswered(),
                "given": validated.given(),
                "findings": findings,
                "recommendations": outcome.recommendations,
                "suppressed": outcome.suppressed,
                "plan": build_plan(
                    self._pack, outcome, [f.rule for f in fired], validated, self._plan_tables
                ),
                "trace": trace,
                "training_log": training_log,
            },
        )
        if self._audit is not None:
            self._audit.record(result, self._compiled, provided=validated.provided)
        return result

    def _trace(
        self,
        fired: list[_Fired],
        matched: list[Matched],
        withheld: Mapping[str, list[str]],
    ) -> list[Firing]:
        """The trace, one entry per firing, made as models at once: a large pack fires
        over a thousand rules per assessment, and assembling each entry as three dicts
        for the Assessment's builder to read again was a sixth of such an assessment."""
        firing, match, asserted = maker(Firing), maker(TraceMatch), maker(TraceAsserted)
        asserts = self._asserts
        trace = []
        for seq, (f, (_, answers, findings)) in enumerate(zip(fired, matched), start=1):
            rule_id = f.rule.id
            recommend, derive = asserts[rule_id]
            trace.append(
                firing(
                    seq,
                    rule_id,
                    f.rule.version,
                    f.branch,
                    match(dict(answers), list(findings)),
                    asserted(list(recommend), list(derive), withheld.get(rule_id, [])),
                )
            )
        return trace

    def fired_rules(self, answers: Mapping[str, Any] | Answers) -> list[str]:
        """Rule ids the engine fires for these answers, in firing order (no post-processing)."""
        validated = answers if isinstance(answers, Answers) else self.validate(answers)
        return [f.rule.id for f in self._fire(validated)[0]]

    def live_sessions(self) -> int:
        """Sessions left in the engine's ruleset (shared by the engines of this pack in
        this process); 0 unless an assessment is running right now."""
        return self._open_ruleset().live_sessions()

    def close(self) -> None:
        """The engine cannot assess afterwards. Its native ruleset is freed when no other
        engine of the same pack in this process uses it."""
        self._ruleset = None
        free_unused()
        if self._audit is not None:
            self._audit.close()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the compiled pack, options and recorder, never as native handles
        (see :class:`legrules.Engine`)."""
        self._open_ruleset()  # a closed engine stays closed: refuse rather than revive
        return (_unpickle_engine, (type(self), self._compiled, self._max_firings, self._audit))

    def _open_ruleset(self) -> DurableRuleset:
        ruleset = self._ruleset
        if ruleset is None:
            raise EngineError("this engine was closed")
        return ruleset

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fire(self, answers: Answers) -> tuple[list[_Fired], list[str]]:
        """Run the engine; record each rule's first firing and the findings it derived.

        The callback does the least it can (it runs inside the engine's lock): the
        explanation of each firing is built afterwards from what was recorded.
        """
        fired: list[_Fired] = []
        fired_ids: set[str] = set()
        findings: list[str] = []
        derived: set[str] = set()  # the same, for membership: a large pack derives hundreds
        activations = 0
        max_firings = self._max_firings
        branches = self._branches

        def on_fire(branch: str) -> list[str]:
            nonlocal activations
            activations += 1
            rule, derives = branches[branch]
            if activations > max_firings:
                chain = list(dict.fromkeys([*(f.rule.id for f in fired), rule.id]))
                raise RuleLoopError(chain, max_firings)
            if rule.id in fired_ids:
                return []  # another match path or branch of a rule that already fired
            fired_ids.add(rule.id)
            fired.append(_Fired(rule, branch, len(findings)))
            new = [f for f in derives if f not in derived]
            findings.extend(new)
            derived.update(new)
            return new

        # built from the plain dict: through Answers.get, a Python-level call per
        # question, it cost ~5 us more per assessment
        self._open_ruleset().run(self._facts.build(answers.as_mapping()), on_fire)
        return fired, findings

    def _matched(
        self, fired: _Fired, answers: Mapping[str, AnswerValue], order: Mapping[str, int]
    ) -> Matched:
        """What a firing matched, for its reasons and trace entry: its rule, the answers
        that made the rule's condition true and the findings its branch needed. ``order`` gives
        each of the assessment's derived findings its position; ``answers`` is best
        :meth:`Answers.as_mapping`: this runs once per firing."""
        rule = fired.rule
        facts = self._static_witness[rule.id]
        if facts is None:
            plan = self._witness_plans[rule.id]
            known = _KnownBefore(order, fired.known) if plan.reads_findings else _NONE_KNOWN
            matched = planned_witness(plan, answers, known)
        else:  # as planned_witness fills its result: a list answer copied, in a loop
            matched = {}
            for fact in facts:
                value = answers[fact]
                matched[fact] = list(value) if isinstance(value, list) else value
        return rule, matched, list(self._compiled.branch_findings[fired.branch])


def _unpickle_engine(
    cls: type[Engine], compiled: CompiledPack, max_firings: int, audit: Recorder | None
) -> Engine:
    """Rebuild a pickled engine around this process's ruleset for its pack."""
    return cls(compiled, max_firings=max_firings, audit_log=audit)


class _KnownBefore(AbstractSet[str]):
    """The findings derived before a rule fired: the first ``count`` of the
    assessment's, by position (a copy per firing was quadratic in a large pack)."""

    __slots__ = ("_count", "_order")

    def __init__(self, order: Mapping[str, int], count: int) -> None:
        self._order = order
        self._count = count

    def __contains__(self, finding: object) -> bool:
        position = self._order.get(finding) if isinstance(finding, str) else None
        return position is not None and position < self._count

    def __iter__(self) -> Iterator[str]:
        return (f for f, position in self._order.items() if position < self._count)

    def __len__(self) -> int:
        return self._count


#: What a firing whose explanation reads no findings is told is known.
_NONE_KNOWN: frozenset[str] = frozenset()


class _Fired(NamedTuple):
    """A rule's first firing: which compiled branch matched, and how many findings were
    known then, the first ones of the assessment's list (a copy of them per firing was
    quadratic in a large pack). A tuple: one is made per firing, inside the lock."""

    rule: Rule
    branch: str
    known: int
