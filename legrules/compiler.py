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
from dataclasses import dataclass
from typing import Any

from legrules.canonical import canonical_json
from legrules.facts import ANSWERS_KIND, FINDING_KIND, KIND_KEY, count_field, item_field
from legrules.pack import RulePack
from legrules.questionnaire import Question
from legrules.ruleschema import AllOf, Condition, FactLeaf, FindingLeaf, NotOf

Expr = dict[str, Any]
BRANCH_SEP = "#"

_INVERSE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE_CMP = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


#: Largest shard, in alpha tests (leaf comparisons, counted through $and/$or). durable-rules
#: overflows its 64-entry match stack (error 303, then heap corruption) when one fact
#: satisfies too many tests of one ruleset; random packs first failed at ~250 rules of 1-3
#: tests each (500-750 tests). This budget keeps every shard about half that; it was
#: checked with 20 random packs of 800 rules and the 50-4,000-rule packs of
#: benchmarks/bench_scale.py, all agreeing with the evaluator.
SHARD_TESTS = 320


@dataclass(frozen=True)
class CompiledPack:
    """A pack ready for the engine. ``shards`` go to durable's C extension as JSON text,
    so nothing mutates them; durable's Python ``Host`` mutates the dicts it is given,
    which is why :meth:`durable_definition` hands out a deep copy."""

    pack: RulePack
    definition: dict[str, Any]
    shards: list[dict[str, Any]]
    shard_findings: list[frozenset[str]]
    fact_fields: frozenset[str]
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
    if negated and not _always_answered(question):
        # "not" holds on an unanswered question: add the missing-field alternative.
        return _or([positive, _exists(question, present=False)])
    return positive


def _always_answered(question: Question) -> bool:
    """A question with a fixed default is never missing from validated answers.

    The missing-field alternative of a negated test is then dead weight, and an
    expensive one: durable expands every $or into separate match paths, so a "none of
    the seven PAR-Q+ answers is yes" condition would cost 2**7 paths instead of one.
    """
    return question.default is not None


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


#: durable-rules keeps the nested part of a pattern (below its own $and) as one
#: expression sequence of at most 32 entries (error 113 beyond that); an $or of $and
#: terms costs one entry per leaf and per operator. Patterns over this budget are
#: rewritten in disjunctive normal form and split across several durable rules.
SEQUENCE_BUDGET = 24


def _key(expr: Expr | list[Expr]) -> str:
    return canonical_json(expr)


def _normalize(expr: Expr) -> Expr:
    """Flatten nested $and-in-$and and $or-in-$or, and drop repeated terms."""
    for op in ("$and", "$or"):
        if op in expr:
            flat: dict[str, Expr] = {}
            for raw_part in expr[op]:
                part = _normalize(raw_part)
                for term in part.get(op, [part]):
                    flat.setdefault(_key(term), term)
            terms = list(flat.values())
            return terms[0] if len(terms) == 1 else {op: terms}
    return expr


def _depth(expr: Expr) -> int:
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    return 0 if parts is None else 1 + max(_depth(part) for part in parts)


def _sequence_cost(expr: Expr) -> int:
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    return 1 if parts is None else 1 + sum(_sequence_cost(part) for part in parts)


def _accepted(expr: Expr) -> bool:
    """Whether durable-rules takes this answers pattern as it is (see SEQUENCE_BUDGET).

    An $and of leaves and flat $or groups is expanded by durable itself and always
    accepted; anything nested deeper must fit the sequence budget.
    """
    if _depth(expr) <= 2:
        return True
    nested = [part for part in expr.get("$and", [expr]) if _depth(part) >= 2]
    return sum(_sequence_cost(part) for part in nested) <= SEQUENCE_BUDGET


def _dnf(expr: Expr) -> list[list[Expr]]:
    """Disjunctive normal form: a list of conjunctions of leaves (repeats removed)."""
    if "$or" in expr:
        return [term for part in expr["$or"] for term in _dnf(part)]
    if "$and" in expr:
        terms: list[list[Expr]] = [[]]
        for part in expr["$and"]:
            terms = [[*left, *right] for left in terms for right in _dnf(part)]
        return [list({_key(leaf): leaf for leaf in term}.values()) for term in terms]
    return [[expr]]


def _leaf_parts(leaf: Expr) -> tuple[str, str, Any]:
    """(operator, property, value) of a compiled leaf such as {"$neq": {"age": 30}}."""
    ((key, body),) = leaf.items()
    if key.startswith("$"):
        ((prop, value),) = body.items()
        return key, prop, value
    return "$eq", key, body


def _satisfiable(term: list[Expr]) -> bool:
    """False for conjunctions that can never hold (x missing and x tested; x = a and x != a)."""
    by_prop: dict[str, list[tuple[str, Any]]] = {}
    for leaf in term:
        op, prop, value = _leaf_parts(leaf)
        by_prop.setdefault(prop, []).append((op, value))
    for tests in by_prop.values():
        ops = {op for op, _ in tests}
        if "$nex" in ops and ops != {"$nex"}:
            return False
        equal = {_key({"v": v}) for op, v in tests if op == "$eq"}
        if len(equal) > 1:
            return False
        if any(op == "$neq" and _key({"v": v}) in equal for op, v in tests):
            return False
    return True


def _durable_exprs(exprs: list[Expr]) -> list[Expr]:
    """The answers-fact pattern(s) for one branch, shaped so durable-rules accepts them.

    Normally one expression. When it is nested beyond what durable accepts, the
    condition is rewritten in disjunctive normal form (dropping conjunctions that can
    never hold) and split over as many durable rules as the budget needs; each fires
    the same legrules rule, and only the first firing counts. An empty list means the
    branch can never hold.
    """
    kind: Expr = {KIND_KEY: ANSWERS_KIND}
    expr = _normalize(_and([kind, *exprs])) if exprs else kind
    if _accepted(expr):
        return [expr]
    terms = [[leaf for leaf in term if leaf != kind] for term in _dnf(expr)]
    unique = [t for t in {_key(t): t for t in terms}.values() if _satisfiable(t)]
    if any(not term for term in unique):
        return [kind]  # one alternative is "always": the whole condition holds
    patterns: list[Expr] = []
    chunk: list[list[Expr]] = []
    cost = 0
    for term in unique:
        if chunk and cost + len(term) + 1 > SEQUENCE_BUDGET:
            patterns.append(_chunk_pattern(kind, chunk))
            chunk, cost = [], 0
        chunk.append(term)
        cost += len(term) + 1
    if chunk:
        patterns.append(_chunk_pattern(kind, chunk))
    return patterns


def _chunk_pattern(kind: Expr, chunk: list[list[Expr]]) -> Expr:
    if len(chunk) == 1:
        return {"$and": [kind, *chunk[0]]}
    return {"$and": [kind, _or([_and(term) for term in chunk])]}


def _properties(expr: Expr) -> set[str]:
    """Fact properties an expression reads."""
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    if parts is not None:
        return set().union(*(_properties(part) for part in parts))
    return {_leaf_parts(expr)[1]}


def _tests(expr: Expr) -> int:
    """Alpha tests in an expression (every comparison, through $and and $or)."""
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    if parts is None:
        return 1
    return sum(_tests(part) for part in parts)


def _weight(rule: dict[str, Any]) -> int:
    return sum(_tests(next(iter(pattern.values()))) for pattern in rule["all"])


def _shard(definition: dict[str, Any], budget: int) -> list[dict[str, Any]]:
    """Split a definition (already in priority order) into contiguous shards."""
    shards: list[dict[str, Any]] = [{}]
    used = 0
    for name, rule in definition.items():
        weight = _weight(rule)
        if shards[-1] and used + weight > budget:
            shards.append({})
            used = 0
        shards[-1][name] = rule
        used += weight
    return shards


def compile_pack(pack: RulePack, shard_tests: int = SHARD_TESTS) -> CompiledPack:
    """Compile every rule of a (loaded, checked) pack."""
    questions = pack.questions()
    definition: dict[str, Any] = {}
    branch_rule: dict[str, str] = {}
    branch_findings: dict[str, list[str]] = {}
    bound = 0
    for rank, rule in enumerate(pack.rules):
        branches = _branches(rule.when, questions, negated=False)
        durable_branches: list[tuple[Expr | None, frozenset[str]]] = []
        for exprs, findings in branches:
            if exprs or not findings:
                durable_branches.extend((e, findings) for e in _durable_exprs(exprs))
            else:
                durable_branches.append((None, findings))
        for index, (expr, findings) in enumerate(durable_branches):
            name = rule.id if len(durable_branches) == 1 else f"{rule.id}{BRANCH_SEP}{index}"
            patterns: list[Expr] = []
            if expr is not None:
                patterns.append({"a": expr})
            for number, finding in enumerate(sorted(findings)):
                patterns.append(
                    {f"f{number}": {"$and": [{KIND_KEY: FINDING_KIND}, {"id": finding}]}}
                )
            definition[name] = {"pri": rank, "all": patterns}
            branch_rule[name] = rule.id
            branch_findings[name] = sorted(findings)
            bound += _paths(patterns[0]["a"]) if "a" in patterns[0] else 1
    shards = _shard(definition, shard_tests)
    fingerprint_source = {
        "engine": definition,
        "meta": pack.meta.model_dump(mode="json"),
        "questionnaire": pack.questionnaire.model_dump(mode="json"),
        "catalogue": pack.catalogue.model_dump(mode="json"),
        "rules": [rule.model_dump(mode="json", by_alias=True) for rule in pack.rules],
    }
    digest = hashlib.sha256(canonical_json(fingerprint_source).encode("utf-8")).hexdigest()
    return CompiledPack(
        pack=pack,
        definition=definition,
        shards=shards,
        fact_fields=frozenset(
            prop
            for rule in definition.values()
            for pattern in rule["all"]
            if "a" in pattern
            for prop in _properties(pattern["a"])
        ),
        shard_findings=[
            frozenset(f for name in shard for f in branch_findings[name]) for shard in shards
        ],
        branch_rule=branch_rule,
        branch_findings=branch_findings,
        fingerprint=f"sha256:{digest}",
        activation_bound=bound,
    )
