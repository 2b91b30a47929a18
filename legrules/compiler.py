"""Compile rule condition trees to durable-rules ruleset JSON, and fingerprint the pack.

Two transformations, each forced by the engine:

* durable-rules rejects ``$not`` (error 202), so negation is pushed down to the leaves
  (De Morgan) and each negated leaf is inverted, with a ``$nex`` alternative so that
  "not" is true on an unanswered question, as :mod:`legrules.conditions` defines.
* Answers and derived findings are separate facts, and durable joins facts only at the
  top of a rule. Each condition is therefore split into branches (a disjunction, over
  the finding leaves only; answer sub-trees stay nested ``$and``/``$or``), and every
  branch becomes one durable rule ``<rule id>#<n>``. The engine records a rule's first
  firing only, so a rule with several true branches still fires once.

Priorities become unique durable ``pri`` values (rank in firing order) so that the order
of firings, and with it the whole output, is deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from legrules.facts import ANSWERS_KIND, FINDING_KIND, KIND_KEY, count_field, item_field
from legrules.pack import RulePack
from legrules.questionnaire import Question
from legrules.ruleschema import AllOf, Condition, FactLeaf, FindingLeaf, NotOf

Expr = dict[str, Any]
BRANCH_SEP = "#"

_INVERSE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE_CMP = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@dataclass(frozen=True)
class CompiledPack:
    """A pack ready for the engine. ``definition`` is never handed out unmodified-able:
    :meth:`durable_definition` returns a deep copy because durable mutates what it gets."""

    pack: RulePack
    definition: dict[str, Any]
    branch_rule: dict[str, str]
    branch_findings: dict[str, list[str]]
    fingerprint: str
    activation_bound: int

    def durable_definition(self) -> dict[str, Any]:
        return copy.deepcopy(self.definition)


def _and(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _or(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _exists(question: Question, present: bool) -> Expr:
    name = count_field(question.id) if question.type == "multi" else question.id
    return {"$ex" if present else "$nex": {name: 1}}


def _leaf(leaf: FactLeaf, question: Question, negated: bool) -> Expr:
    op, value = leaf.op, leaf.value
    name = question.id
    if op in ("exists", "missing"):
        return _exists(question, present=(op == "exists") != negated)
    positive: Expr
    if op == "eq":
        positive = {name: value} if not negated else {"$neq": {name: value}}
    elif op == "ne":
        positive = {"$neq": {name: value}} if not negated else {name: value}
    elif op in _DURABLE_CMP:
        effective = _INVERSE[op] if negated else op
        positive = {_DURABLE_CMP[effective]: {name: value}}
    elif op == "in":
        if negated:
            positive = _and([{"$neq": {name: item}} for item in value])
        else:
            positive = _or([{name: item} for item in value])
    elif op == "contains":
        wanted = value if isinstance(value, list) else [value]
        if negated:
            positive = _and([{item_field(name, item): False} for item in wanted])
        else:
            positive = _or([{item_field(name, item): True} for item in wanted])
    elif op == "empty":
        want_empty = bool(value) != negated
        positive = {count_field(name): 0} if want_empty else {"$gt": {count_field(name): 0}}
    else:  # pragma: no cover - the schema admits no other operator
        raise ValueError(f"unknown operator {op!r}")
    if negated:
        # "not" holds on an unanswered question: add the missing-field alternative.
        return _or([positive, _exists(question, present=False)])
    return positive


Branch = tuple[list[Expr], frozenset[str]]


def _branches(condition: Condition, questions: dict[str, Question], negated: bool) -> list[Branch]:
    """Disjunctive branches of ``condition``: (answer constraints, required findings)."""
    if isinstance(condition, FactLeaf):
        return [([_leaf(condition, questions[condition.fact], negated)], frozenset())]
    if isinstance(condition, FindingLeaf):
        # the loader rejects findings under "not"
        return [([], frozenset({condition.finding}))]
    if isinstance(condition, NotOf):
        return _branches(condition.not_, questions, not negated)
    conjunctive = isinstance(condition, AllOf) != negated
    parts = [
        _branches(child, questions, negated)
        for child in (condition.all if isinstance(condition, AllOf) else condition.any)
    ]
    if not conjunctive:
        # A disjunction: answer-only alternatives collapse into one $or; alternatives
        # that need findings stay separate branches.
        plain: list[Expr] = []
        always = False
        separate: list[Branch] = []
        for child_branches in parts:
            for exprs, findings in child_branches:
                if findings:
                    separate.append((exprs, findings))
                elif not exprs:
                    always = True  # an empty "all" alternative: the disjunction holds
                else:
                    plain.append(_and(exprs))
        if always:
            return [([], frozenset())]
        merged: list[Branch] = [([_or(plain)], frozenset())] if plain else []
        return merged + separate
    combined: list[Branch] = []
    for combo in itertools.product(*parts):
        exprs = [e for branch_exprs, _ in combo for e in branch_exprs]
        findings = frozenset().union(*(f for _, f in combo))
        combined.append((exprs, findings))
    return combined


def _paths(expr: Expr) -> int:
    """How many activations one fact can cause through ``expr``.

    durable-rules expands ``$or`` into separate match paths and activates a rule once
    per path that matches, so a fact satisfying two alternatives fires the rule twice.
    The engine keeps only a rule's first firing; this count bounds the rest, and the
    loop guard uses it to tell a legitimate burst from a runaway chain.
    """
    if "$and" in expr:
        product = 1
        for part in expr["$and"]:
            product *= _paths(part)
        return product
    if "$or" in expr:
        return sum(_paths(part) for part in expr["$or"])
    return 1


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compile_pack(pack: RulePack) -> CompiledPack:
    """Compile every rule of a (loaded, checked) pack."""
    questions = pack.questions()
    definition: dict[str, Any] = {}
    branch_rule: dict[str, str] = {}
    branch_findings: dict[str, list[str]] = {}
    bound = 0
    for rank, rule in enumerate(pack.rules):
        branches = _branches(rule.when, questions, negated=False)
        for index, (exprs, findings) in enumerate(branches):
            name = rule.id if len(branches) == 1 else f"{rule.id}{BRANCH_SEP}{index}"
            patterns: list[Expr] = []
            if exprs or not findings:
                patterns.append({"a": _and([{KIND_KEY: ANSWERS_KIND}, *exprs])})
            for number, finding in enumerate(sorted(findings)):
                patterns.append(
                    {f"f{number}": {"$and": [{KIND_KEY: FINDING_KIND}, {"id": finding}]}}
                )
            definition[name] = {"pri": rank, "all": patterns}
            branch_rule[name] = rule.id
            branch_findings[name] = sorted(findings)
            bound += _paths(patterns[0]["a"]) if "a" in patterns[0] else 1
    fingerprint_source = {
        "engine": definition,
        "meta": pack.meta.model_dump(mode="json"),
        "questionnaire": pack.questionnaire.model_dump(mode="json"),
        "catalogue": pack.catalogue.model_dump(mode="json"),
        "rules": [rule.model_dump(mode="json", by_alias=True) for rule in pack.rules],
    }
    digest = hashlib.sha256(_canonical(fingerprint_source).encode("utf-8")).hexdigest()
    return CompiledPack(
        pack=pack,
        definition=definition,
        branch_rule=branch_rule,
        branch_findings=branch_findings,
        fingerprint=f"sha256:{digest}",
        activation_bound=bound,
    )
