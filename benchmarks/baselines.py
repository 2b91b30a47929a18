"""Baselines the targets are measured against, built from the same compiled pack."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from durable.engine import Host

from legrules.api import Engine
from legrules.logic.conditions import leaf_holds
from legrules.pack.model import RulePack
from legrules.pack.schema import AllOf, AnyOf, Condition, FactLeaf, FindingLeaf, NotOf
from legrules.run.facts import finding_fact


class _QuietHost(Host):  # type: ignore[misc]
    """durable's public Host without its two never-ending timer threads."""

    def _run(self) -> None:
        return None


class BareDurable:
    """The compiled pack run through durable-rules' public API (Host.assert_fact +
    delete_state), with one Python action per rule that asserts its derived findings:
    the same firing work legrules does, with none of its validation or explanation."""

    def __init__(self, engine: Engine) -> None:
        compiled = engine.compiled
        definition = compiled.durable_definition()
        definition["$catch-all-answers"] = {"pri": 10**6, "all": [{"m": {"_t": "answers"}}]}
        definition["$catch-all-finding"] = {"pri": 10**6, "all": [{"m": {"_t": "finding"}}]}
        rules = engine.pack.rules_by_id()
        for name, rule in definition.items():
            rule_id = compiled.branch_rule.get(name)
            derive = list(rules[rule_id].then.derive) if rule_id else []
            rule["run"] = self._action(derive)
        self._host = _QuietHost()
        self._host.set_rulesets({"bare": definition})
        self._sids = itertools.count(1)

    @staticmethod
    def _action(derive: list[str]) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            for finding in derive:
                try:
                    c.assert_fact(finding_fact(finding))
                except Exception:  # already asserted by another branch
                    continue

        return act

    def run(self, fact: Mapping[str, Any]) -> None:
        sid = str(next(self._sids))
        session = dict(fact)
        session["sid"] = sid
        self._host.assert_fact("bare", session)
        self._host.delete_state("bare", sid)


def compiled_python(pack: RulePack) -> Callable[[Mapping[str, Any]], list[str]]:
    """The pack as generated Python: one lambda per rule, run to a fixed point.

    This is the "compiled-Python" matching baseline: no engine, no explanations.
    """
    leaves: dict[int, FactLeaf] = {}
    predicates = []
    namespace: dict[str, Any] = {}
    for rule in pack.rules:
        source = _python_source(rule.when, leaves)
        predicates.append((rule.id, tuple(rule.then.derive), source))
    for key, leaf in leaves.items():
        namespace[f"L{key}"] = functools.partial(leaf_holds, leaf)
    # eval of source generated above from the pack's own condition trees, nothing else
    compiled = [
        (rule_id, derive, eval(f"lambda a, f: {source}", namespace))
        for rule_id, derive, source in predicates
    ]

    def match(answers: Mapping[str, Any]) -> list[str]:
        fired: list[str] = []
        done: set[str] = set()
        findings: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule_id, derive, predicate in compiled:
                if rule_id not in done and predicate(answers, findings):
                    done.add(rule_id)
                    fired.append(rule_id)
                    findings.update(derive)
                    changed = True
        return fired

    return match


def _python_source(condition: Condition, leaves: dict[int, FactLeaf]) -> str:
    """Python source for a condition over ``a`` (answers) and ``f`` (findings)."""
    if isinstance(condition, FactLeaf):
        key = len(leaves)
        leaves[key] = condition
        return f"L{key}(a.get({condition.fact!r}))"
    if isinstance(condition, FindingLeaf):
        return f"({condition.finding!r} in f)"
    if isinstance(condition, AllOf):
        inner = " and ".join(_python_source(c, leaves) for c in condition.all)
        return f"({inner or 'True'})"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(_python_source(c, leaves) for c in condition.any) + ")"
    assert isinstance(condition, NotOf)
    return f"(not {_python_source(condition.not_, leaves)})"
