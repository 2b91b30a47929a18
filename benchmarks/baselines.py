"""What assess is measured against, each built from the same compiled pack and facts.

Three baselines, each doing only what its name says and each checked (by the
benchmarks) to fire the same rules or give the same recommendation ids as
``Engine.assess`` on every document it is timed on:

* :class:`CEngineAlone`: durable's C extension on the compiled pack's own shards, with
  each fact's JSON made beforehand; the least Python that can drive it (assert, run the
  agenda, assert each rule's derived findings once, delete the session).
* :class:`PublicHost`: durable's public ``Host`` with exactly the fact the library
  builds (only the fields its rules read), one action per rule that asserts that rule's
  derived findings, and no other rule or action.
* :func:`generated_python`: the pack as inline Python source (each leaf an expression
  on a local variable), run to a fixed point, then merged, suppressed and referred to
  the final recommendation ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import durable_rules_engine as _c
from durable.engine import Host

from legrules.api import Engine
from legrules.pack.model import RulePack
from legrules.pack.schema import AllOf, AnyOf, Condition, FactLeaf, FindingLeaf, NotOf
from legrules.run.compiler import CompiledPack
from legrules.run.durable import keep_heap
from legrules.run.facts import ANSWERS_KIND, FINDING_KIND, KIND_KEY, FactBuilder, finding_fact
from legrules.run.recommend import KIND_ORDER

SID = "1"


def library_fact(engine: Engine, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The fact ``Engine.assess`` hands durable for these raw answers."""
    builder = FactBuilder(engine.questionnaire, engine.compiled.fact_fields)
    return builder.build(engine.validate(answers))


def _first_firings(compiled: CompiledPack) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """branch name -> (rule id, (finding, its fact's JSON) for each finding it derives)."""
    derive = {rule.id: list(rule.then.derive) for rule in compiled.pack.rules}
    return {
        branch: (
            rule_id,
            [(f, json.dumps({**finding_fact(f), "sid": SID})) for f in derive[rule_id]],
        )
        for branch, rule_id in compiled.branch_rule.items()
    }


class CEngineAlone:
    """durable's C engine on the compiled shards (with the same catch-all rules the
    adapter adds), driven by the smallest loop that reaches the same fixed point."""

    def __init__(self, compiled: CompiledPack) -> None:
        # the malloc settings the library applies before its second session: the
        # baselines get them whatever ran before them
        keep_heap()
        self._firings = _first_firings(compiled)
        self._routes = compiled.shard_findings
        self.handles: list[int] = []
        for index, shard in enumerate(compiled.shards):
            full = dict(shard)
            lowest = max(int(rule["pri"]) for rule in shard.values()) + 1
            for kind in (ANSWERS_KIND, FINDING_KIND):
                full[f"$catch-all-{kind}"] = {"pri": lowest, "all": [{"m": {KIND_KEY: kind}}]}
            self.handles.append(_c.create_ruleset(f"c-alone-{id(self)}-{index}", json.dumps(full)))

    @staticmethod
    def payload(fact: Mapping[str, Any]) -> str:
        """The fact as the engine reads it, made before timing starts."""
        return json.dumps({**fact, "sid": SID})

    def run(self, payload: str) -> list[str]:
        """Rule ids in first-firing order."""
        fired: list[str] = []
        seen: set[str] = set()
        handles = self.handles
        pending: list[list[str]] = [[payload] for _ in handles]
        progress = True
        while progress:
            progress = False
            for index, handle in enumerate(handles):
                queue = pending[index]
                while queue:
                    progress = True
                    state = _c.assert_fact(handle, queue.pop(0))[1]
                    started = _c.start_action_for_state(handle, state)
                    message = started[1] if started else None
                    while message:
                        name = message[2 : message.index('"', 2)]
                        if name[0] != "$":
                            rule_id, derived = self._firings[name]
                            if rule_id not in seen:
                                seen.add(rule_id)
                                fired.append(rule_id)
                                for finding, finding_text in derived:
                                    if _c.assert_fact(handle, finding_text)[0] == 0:
                                        for other, route in enumerate(self._routes):
                                            if other != index and finding in route:
                                                pending[other].append(finding_text)
                        message = _c.complete_and_start_action(handle, state)
        for handle in handles:
            _c.delete_state(handle, SID)
        return fired

    def close(self) -> None:
        for handle in self.handles:
            _c.delete_ruleset(handle)
        self.handles = []


class _QuietHost(Host):  # type: ignore[misc]
    """durable's public Host without its two never-ending timer threads (they dispatch
    nothing here: every action runs inside assert_fact)."""

    def _run(self) -> None:
        return None


class PublicHost:
    """durable's public API on the same shards: one ruleset per shard, one action per
    rule (asserting its derived findings the first time the rule fires), the library's
    fact. Plus, per shard, the one rule no use of durable can do without: a catch-all
    for the answers fact with an empty action. Without it a shard none of whose rules
    matches the fact answers "not handled" (212 times on the 400 documents), and
    deleting such a session corrupts durable's memory: the first run of this benchmark
    without it died of a segmentation fault. (Derived findings need none: each goes
    only to the shards whose rules read it.)"""

    def __init__(self, compiled: CompiledPack) -> None:
        keep_heap()  # as CEngineAlone
        self._routes = compiled.shard_findings
        derive = {rule.id: list(rule.then.derive) for rule in compiled.pack.rules}
        self._names = [f"host-{id(self)}-{index}" for index in range(len(compiled.shards))]
        self._fired: list[str] = []
        self._new: list[str] = []
        definitions = {}
        for name, shard in zip(self._names, compiled.shards):
            definition = json.loads(json.dumps(shard))
            for branch, rule in definition.items():
                rule["run"] = self._action(compiled.branch_rule[branch], derive)
            lowest = max(int(rule["pri"]) for rule in definition.values()) + 1
            definition["$catch-all-answers"] = {
                "pri": lowest,
                "all": [{"m": {KIND_KEY: ANSWERS_KIND}}],
                "run": _nothing,
            }
            definitions[name] = definition
        self._host = _QuietHost()
        self._host.set_rulesets(definitions)

    def _action(self, rule_id: str, derive: Mapping[str, list[str]]) -> Callable[[Any], None]:
        findings = derive[rule_id]

        def act(c: Any) -> None:
            if rule_id in self._fired:
                return
            self._fired.append(rule_id)
            for finding in findings:
                if finding not in self._new:
                    self._new.append(finding)
                    c.assert_fact(finding_fact(finding))

        return act

    def run(self, fact: Mapping[str, Any]) -> list[str]:
        self._fired = []
        self._new = []
        pending: list[list[dict[str, Any]]] = [[dict(fact)] for _ in self._names]
        progress = True
        while progress:
            progress = False
            for index, name in enumerate(self._names):
                while pending[index]:
                    progress = True
                    item = pending[index].pop(0)
                    before = len(self._new)
                    self._host.assert_fact(name, {**item, "sid": SID})
                    for finding in self._new[before:]:
                        for other, route in enumerate(self._routes):
                            if other != index and finding in route:
                                pending[other].append(finding_fact(finding))
        for name in self._names:
            self._host.delete_state(name, SID)
        return self._fired


def _nothing(c: Any) -> None:
    return None


def generated_python(pack: RulePack) -> Callable[[Mapping[str, Any]], list[str]]:
    """The final recommendation ids for validated answers, from generated source.

    Each rule's condition is one inline expression over local variables (no call per
    leaf); rules run in priority order to a fixed point, as the engine fires them; then
    the same merge, suppression and referral as the library, from tables made here.
    """
    catalogue = pack.recommendations()
    order = pack.catalogue.positions()
    names = {q.id: f"v{i}" for i, q in enumerate(pack.questionnaire.questions)}
    lines = ["def match(a):"]
    lines += [f"    {var} = a[{qid!r}]" for qid, var in names.items()]
    lines += ["    f = set()", "    fired = []", "    done = set()", "    again = True"]
    lines += ["    while again:", "        again = False"]
    for index, rule in enumerate(pack.rules):
        source = _python(rule.when, names)
        derive = tuple(rule.then.derive)
        lines.append(f"        if {index} not in done and {source}:")
        lines.append(f"            done.add({index}); fired.append({index})")
        if derive:
            lines.append(f"            if not f.issuperset({derive!r}):")
            lines.append(
                f"                f.update({derive!r}); again = True; continue"
            )  # from the top
    lines.append("    return fired")
    namespace: dict[str, Any] = {}
    # the source is generated above from the pack's own condition trees, nothing else
    exec("\n".join(lines), namespace)
    match: Callable[[Mapping[str, Any]], list[int]] = namespace["match"]

    made = [[rec.id for rec in rule.then.recommend] for rule in pack.rules]
    suppressed = [_suppressed_by(rule, catalogue) for rule in pack.rules]
    plan_withheld = {rec_id for rec_id, d in catalogue.items() if d.withholds_plan}
    safety = {rec_id for rec_id, d in catalogue.items() if d.kind == "safety"}
    rank = {rec_id: (KIND_ORDER[d.kind], order[rec_id]) for rec_id, d in catalogue.items()}

    def recommendation_ids(answers: Mapping[str, Any]) -> list[str]:
        fired = match(answers)
        remaining: set[str] = set()
        for index in fired:
            remaining.update(made[index])
        for index in fired:
            withdrawn = suppressed[index]
            if withdrawn:
                remaining -= withdrawn
        if remaining & plan_withheld:
            remaining &= safety
        return sorted(remaining, key=rank.__getitem__)

    return recommendation_ids


def _suppressed_by(rule: Any, catalogue: Mapping[str, Any]) -> frozenset[str]:
    suppress = rule.then.suppress
    if suppress is None:
        return frozenset()
    own = {rec.id for rec in rule.then.recommend}
    return frozenset(
        rec_id
        for rec_id, definition in catalogue.items()
        if rec_id not in own
        and (rec_id in suppress.recommendations or definition.kind in suppress.kinds)
    )


def _python(condition: Condition, names: Mapping[str, str]) -> str:
    if isinstance(condition, FindingLeaf):
        return f"({condition.finding!r} in f)"
    if isinstance(condition, AllOf):
        return "(" + (" and ".join(_python(c, names) for c in condition.all) or "True") + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(_python(c, names) for c in condition.any) + ")"
    if isinstance(condition, NotOf):
        return f"(not {_python(condition.not_, names)})"
    assert isinstance(condition, FactLeaf)
    return _leaf(condition, names[condition.fact])


def _leaf(leaf: FactLeaf, v: str) -> str:
    """One leaf with :func:`legrules.logic.conditions.leaf_holds`'s semantics, inline."""
    op, value = leaf.op, leaf.value
    if op == "missing":
        return f"({v} is None)"
    if op == "exists":
        return f"({v} is not None)"
    if op == "eq":
        return f"({v} == {value!r})"
    if op == "ne":
        return f"({v} is not None and {v} != {value!r})"
    if op in ("lt", "lte", "gt", "gte"):
        symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        return f"({v} is not None and {v} {symbol} {int(value)!r})"
    if op == "in":
        return f"({v} in {tuple(value)!r})"
    if op == "contains":
        wanted = value if isinstance(value, list) else [value]
        return f"({v} is not None and (" + " or ".join(f"{w!r} in {v}" for w in wanted) + "))"
    assert op == "empty"
    return f"({v} is not None and {'not ' if value else ''}{v})"
