"""Compile rule condition trees to durable-rules ruleset JSON, and fingerprint the pack.

Two transformations, each forced by the engine:

* durable-rules rejects ``$not`` (error 202), so negation is pushed down to the leaves
  (De Morgan) and each negated leaf is inverted, with a ``$nex`` alternative so that
  "not" is true on an unanswered question, as :mod:`legrules.logic.conditions` defines.
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
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from legrules.canonical import canonical_json
from legrules.errors import Problem, RulePackError
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import SAFE_INT, Question
from legrules.pack.schema import (
    MAX_CONDITION_DEPTH,
    AllOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    NotOf,
    Rule,
    depth,
    fact_leaves,
)
from legrules.run.alphanet import STACK_LIMIT, LeafKey, fits_alone, leaf_key, leaf_parts, shard
from legrules.run.facts import (
    ANSWERS_KIND,
    FINDING_KIND,
    KIND_KEY,
    answer_field,
    count_field,
    item_field,
)

Expr = dict[str, Any]
BRANCH_SEP = "#"

_INVERSE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE_CMP = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


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
    name = count_field(question.id) if question.type == "multi" else answer_field(question.id)
    return {"$ex" if present else "$nex": {name: 1}}


def _leaf(leaf: FactLeaf, question: Question, negated: bool) -> Expr:
    op, value = leaf.op, leaf.value
    name = answer_field(question.id)
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
        options = list(question.values or ())
        fields = [item_field(question.id, options.index(item)) for item in wanted]
        if negated:
            positive = _and([{field: False} for field in fields])
        else:
            positive = _or([{field: True} for field in fields])
    elif op == "empty":
        want_empty = bool(value) != negated
        count = count_field(question.id)
        positive = {count: 0} if want_empty else {"$gt": {count: 0}}
    else:  # pragma: no cover - the schema admits no other operator
        raise ValueError(f"unknown operator {op!r}")
    if negated and not _always_answered(question):
        # "not" holds on an unanswered question: add the missing-field alternative.
        return _or([positive, _exists(question, present=False)])
    return positive


#: Most answer fields the rules of one pack may read. durable-rules holds at most 255
#: properties per fact (error 302, after which deleting the session failed too); the
#: answers fact also carries the kind and the session id.
MAX_FACT_FIELDS = 250


def leaf_fields(leaf: FactLeaf, question: Question) -> set[str]:
    """The answers-fact fields a compiled leaf may read (a multi-select's count is
    counted whenever the question is, since negations and exists tests read it)."""
    if question.type != "multi":
        return {answer_field(question.id)}
    fields = {count_field(question.id)}
    if leaf.op == "contains":
        options = list(question.values or ())
        wanted = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        fields.update(item_field(question.id, options.index(item)) for item in wanted)
    return fields


def fields_problem(
    rules: Iterable[Rule], questions: Mapping[str, Question]
) -> tuple[str, str] | None:
    """(rule id, why) when the rules, in this order, come to read more answer fields
    than one engine fact can hold; None when they fit."""
    fields: set[str] = set()
    for rule in rules:
        for leaf in fact_leaves(rule.when):
            fields |= leaf_fields(leaf, questions[leaf.fact])
        if len(fields) > MAX_FACT_FIELDS:
            return rule.id, (
                f"with this rule the pack's rules read more than {MAX_FACT_FIELDS} answer "
                "fields (each multi-select option named in a condition is one), more than "
                "one engine fact holds"
            )
    return None


def _always_answered(question: Question) -> bool:
    """A question with a fixed default is never missing from validated answers.

    The missing-field alternative of a negated test is then dead weight, and an
    expensive one: durable expands every $or into separate match paths, so a "none of
    the seven PAR-Q+ answers is yes" condition would cost 2**7 paths instead of one.
    """
    return question.default is not None


Branch = tuple[list[Expr], frozenset[str]]


def _branches(
    condition: Condition, questions: Mapping[str, Question], negated: bool, limit: int
) -> list[Branch]:
    """Disjunctive branches of ``condition``: (answer constraints, required findings).

    Raises TooComplex when there would be more than ``limit`` of them.
    """
    if isinstance(condition, FactLeaf):
        return [([_leaf(condition, questions[condition.fact], negated)], frozenset())]
    if isinstance(condition, FindingLeaf):
        # the loader rejects findings under "not"
        return [([], frozenset({condition.finding}))]
    if isinstance(condition, NotOf):
        return _branches(condition.not_, questions, not negated, limit)
    conjunctive = isinstance(condition, AllOf) != negated
    parts = [
        _branches(child, questions, negated, limit)
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
        if len(merged) + len(separate) > limit:
            raise TooComplex
        return merged + separate
    if math.prod(len(child_branches) for child_branches in parts) > limit:
        raise TooComplex
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


#: durable-rules keeps the $and/$or structure of a pattern in one expression sequence of
#: fewer than 32 entries (error 113 at 32), two entries (the operator and its end) per
#: $and or $or node; leaves with constant values take none. So a pattern may hold at most
#: 15 $and/$or nodes: random patterns of 1 to 40 nodes were accepted exactly up to 15.
MAX_PATTERN_NODES = 15

#: Most durable rules one legrules rule may compile to. A condition over the budget above
#: is split into several patterns (each fires the same rule), and alternatives that need
#: different findings are separate durable rules anyway; both multiply, so a small
#: condition can ask for millions (``all`` of 20 ``any`` pairs over findings: 2**20).
#: 512 is an eighth of the 4,096 rules durable-rules holds in one ruleset, far beyond any
#: hand-written rule (the shipped pack's largest needs 4), and keeps the work for one rule
#: at a few milliseconds per hundred alternatives.
MAX_ALTERNATIVES = 512


class TooComplex(Exception):
    """A condition would compile to more than :data:`MAX_ALTERNATIVES` durable rules."""


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


def _nodes(expr: Expr) -> int:
    """$and/$or nodes in a pattern: what durable's expression sequence holds."""
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    return 0 if parts is None else 1 + sum(_nodes(part) for part in parts)


def _conjuncts(expr: Expr) -> list[Expr]:
    return list(expr["$and"]) if "$and" in expr else [expr]


def _is_leaf(expr: Expr) -> bool:
    return "$and" not in expr and "$or" not in expr


def _by_prop(keys: list[LeafKey]) -> dict[str, list[LeafKey]]:
    found: dict[str, list[LeafKey]] = {}
    for key in keys:
        found.setdefault(key[1], []).append(key)
    return found


def _consistent(tests: list[LeafKey]) -> bool:
    """False for tests on one property that can never hold together (x missing and x
    tested; x = a and x = b; x = a and x != a). Sound, not complete: ranges are not
    compared."""
    ops = {op for op, _, _ in tests}
    if "$nex" in ops and ops != {"$nex"}:
        return False
    equal = {value for op, _, value in tests if op == "$eq"}
    if len(equal) > 1:
        return False
    return not any(op == "$neq" and value in equal for op, _, value in tests)


def _satisfiable(keys: list[LeafKey], known: dict[str, list[LeafKey]]) -> bool:
    """Whether leaves ``keys`` can hold together with the ``known`` ones."""
    return all(_consistent(tests + known.get(prop, [])) for prop, tests in _by_prop(keys).items())


def _implied(known: dict[str, list[LeafKey]], alternative: Expr) -> bool:
    """Whether the known leaves make ``alternative`` true (so its $or is redundant)."""
    if not _is_leaf(alternative):
        return False
    key = leaf_key(alternative)
    op, prop, value = key
    tests = known.get(prop, [])
    if key in tests:
        return True
    return op == "$neq" and any(t[0] == "$eq" and t[2] != value for t in tests)


def _part_key(part: Expr) -> LeafKey | str:
    return leaf_key(part) if _is_leaf(part) else _key(part)


def _simplify(conjuncts: list[Expr]) -> list[Expr] | None:
    """A conjunction with what its own leaves decide taken out, or None if it cannot hold.

    An $or with an alternative the leaves imply is dropped; alternatives that contradict
    the leaves are dropped; an $or left with one alternative joins the conjunction. This
    is what keeps a split small: ``not any`` of 15 tests on an optional question is 15
    "x != v or x missing" groups, and once one piece picks "x missing" every other group
    is decided.
    """
    current = list(conjuncts)
    changed = True
    while changed:
        changed = False
        known = _by_prop([leaf_key(part) for part in current if _is_leaf(part)])
        if not all(_consistent(tests) for tests in known.values()):
            return None
        result: list[Expr] = []
        for part in current:
            if "$or" not in part:
                result.append(part)
                continue
            if any(_implied(known, alternative) for alternative in part["$or"]):
                changed = True
                continue
            alternatives = [
                alternative
                for alternative in part["$or"]
                if _satisfiable(
                    [leaf_key(p) for p in _conjuncts(alternative) if _is_leaf(p)], known
                )
            ]
            if not alternatives:
                return None
            if len(alternatives) == 1:
                result.extend(_conjuncts(alternatives[0]))
                changed = True
            else:
                result.append(part if len(alternatives) == len(part["$or"]) else _or(alternatives))
        current = list({_part_key(part): part for part in result}.values())
    return current


def _split(expr: Expr, limit: int, stack_limit: int = STACK_LIMIT) -> list[Expr]:
    """Patterns durable-rules accepts (see MAX_PATTERN_NODES) whose disjunction is ``expr``.

    ``expr`` is a normalised $and of leaves and $or groups. While a pattern is over the
    budget, one piece per alternative of its smallest $or group takes that group's
    place (each piece simplified, and dropped if it cannot hold), so a pattern just
    over the budget becomes a few patterns, not its whole disjunctive normal form, and
    a deep chain of any/all splits linearly. Raises TooComplex beyond ``limit`` patterns.
    """
    done: list[Expr] = []
    pending = [expr]
    while pending:
        current = pending.pop(0)
        conjuncts = _conjuncts(current)
        groups = [part for part in conjuncts if "$or" in part]
        if _nodes(current) > MAX_PATTERN_NODES:
            chosen = min(groups, key=lambda part: len(part["$or"]))
            alternatives = [[alternative] for alternative in chosen["$or"]]
        elif groups and not fits_alone(current, stack_limit):
            # Too many tests one fact can pass at once: halve the widest group.
            chosen = max(groups, key=lambda part: len(part["$or"]))
            middle = len(chosen["$or"]) // 2
            alternatives = [chosen["$or"][:middle], chosen["$or"][middle:]]
        else:
            done.append(current)
            continue
        rest = [part for part in conjuncts if part is not chosen]
        for half in alternatives:
            piece = _simplify([*rest, *_conjuncts(_or(half))])
            if piece is not None:
                pending.append(_and(piece))
        if len(done) + len(pending) > limit:
            raise TooComplex
    return done


def _durable_exprs(exprs: list[Expr], limit: int, stack_limit: int) -> list[Expr]:
    """The answers-fact pattern(s) for one branch, shaped so durable-rules accepts them.

    Normally one expression; split over several durable rules when it is nested beyond
    what durable accepts (each fires the same legrules rule, and only the first firing
    counts). An empty list means the branch can never hold.
    """
    kind: Expr = {KIND_KEY: ANSWERS_KIND}
    expr = _normalize(_and([kind, *exprs])) if exprs else kind
    return _split(expr, limit, stack_limit)


def _properties(expr: Expr) -> set[str]:
    """Fact properties an expression reads."""
    parts: list[Expr] | None = expr.get("$and", expr.get("$or"))
    if parts is not None:
        return set().union(*(_properties(part) for part in parts))
    return {leaf_parts(expr)[1]}


def _quiet_boundaries(
    pack: RulePack, branch_rule: dict[str, str], branch_findings: dict[str, list[str]]
) -> list[bool]:
    """Where the engine rules (in priority order) may be split between rulesets without
    changing the order they fire in: ``quiet[b]`` is False when a finding is derived
    before position ``b`` and read from ``b`` on, or the other way round (the engine
    passes it to the other ruleset only after that one has run), or when ``b`` falls
    between two branches of one rule."""
    rules = pack.rules_by_id()
    names = list(branch_rule)
    spans: dict[str, list[int]] = {}  # finding: first, last derived; first, last read
    for position, name in enumerate(names):
        marks = [(f, 0) for f in rules[branch_rule[name]].then.derive]
        marks += [(f, 2) for f in branch_findings[name]]
        for finding, offset in marks:
            span = spans.setdefault(finding, [len(names), -1, len(names), -1])
            span[offset] = min(span[offset], position)
            span[offset + 1] = max(span[offset + 1], position)
    crossing = [0] * (len(names) + 2)
    for low_derived, high_derived, low_read, high_read in spans.values():
        for low, high in ((low_derived, high_read), (low_read, high_derived)):
            if low < high:  # boundaries low+1 .. high are crossed
                crossing[low + 1] += 1
                crossing[high + 1] -= 1
    quiet: list[bool] = []
    crossed = 0
    for boundary in range(len(names) + 1):
        crossed += crossing[boundary]
        inside = 0 < boundary < len(names) and (
            branch_rule[names[boundary - 1]] == branch_rule[names[boundary]]
        )
        quiet.append(crossed == 0 and not inside)
    return quiet


Alternative = tuple[Expr | None, frozenset[str]]


def compile_condition(
    condition: Condition, questions: Mapping[str, Question], stack_limit: int = STACK_LIMIT
) -> list[Alternative]:
    """The durable rules one condition needs: (answers pattern or None, findings) each.

    Raises TooComplex beyond :data:`MAX_ALTERNATIVES`; the loader reports that with the
    rule's file and line (:func:`condition_problem`).
    """
    alternatives: list[Alternative] = []
    for exprs, findings in _branches(condition, questions, False, MAX_ALTERNATIVES):
        if exprs or not findings:
            left = MAX_ALTERNATIVES - len(alternatives)
            alternatives.extend((e, findings) for e in _durable_exprs(exprs, left, stack_limit))
        else:
            alternatives.append((None, findings))
        if len(alternatives) > MAX_ALTERNATIVES:
            raise TooComplex
    return alternatives


def condition_problem(condition: Condition, questions: Mapping[str, Question]) -> str | None:
    """Why the engine cannot take this (otherwise valid) condition, or None.

    The loader asks this of every rule it loads, so a condition that a quick bound shows
    to be small enough is not compiled here.
    """
    problem = _shape_problem(condition)
    if problem is not None or _terms_bound(condition, questions, False) <= MAX_ALTERNATIVES:
        return problem
    try:
        compile_condition(condition, questions)
    except TooComplex:
        return _TOO_COMPLEX
    return None


_TOO_COMPLEX = (
    f"the condition expands to more than {MAX_ALTERNATIVES} alternatives for the engine "
    "(each 'any' inside an 'all' multiplies them, and so does each group of 'any' that "
    "needs a finding); split the rule, or derive a finding for part of it"
)


def _terms_bound(condition: Condition, questions: Mapping[str, Question], negated: bool) -> int:
    """Terms of the condition's disjunctive normal form, as the compiler writes its
    leaves (a negated test on an optional question is "x != v or x missing"). Each
    engine rule it compiles to covers at least one term and no two share one (a split
    fixes one alternative of an $or per piece; so does the product over findings), so
    this bounds their number without building them."""
    if isinstance(condition, FindingLeaf):
        return 1
    if isinstance(condition, FactLeaf):
        if condition.op in ("exists", "missing"):
            return 1
        if negated:
            return 1 if _always_answered(questions[condition.fact]) else 2
        value = condition.value
        return len(value) if isinstance(value, list) else 1
    if isinstance(condition, NotOf):
        return _terms_bound(condition.not_, questions, not negated)
    conjunctive = isinstance(condition, AllOf) != negated
    parts = [
        _terms_bound(child, questions, negated)
        for child in (condition.all if isinstance(condition, AllOf) else condition.any)
    ]
    return math.prod(parts) if conjunctive else sum(parts)


def nesting_problem(condition: Condition) -> str | None:
    """Why the condition is nested too deeply to walk, or None (checked without recursion)."""
    levels = depth(condition)
    if levels > MAX_CONDITION_DEPTH:
        return (
            f"the condition is nested {levels} levels deep; at most {MAX_CONDITION_DEPTH} "
            "levels of all/any/not are allowed"
        )
    return None


def _shape_problem(condition: Condition) -> str | None:
    """Too deep, or a whole number the engine cannot compare exactly (packs built in
    code skip the questionnaire's range checks)."""
    too_deep = nesting_problem(condition)
    if too_deep is not None:
        return too_deep
    for leaf in fact_leaves(condition):
        constants = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        for constant in constants:
            if isinstance(constant, int) and abs(constant) > SAFE_INT:
                return (
                    f"{leaf.fact} {leaf.op} {constant}: whole numbers in conditions must "
                    f"lie within -{SAFE_INT} to {SAFE_INT} (2**53 - 1)"
                )
    return None


def compile_pack(pack: RulePack, stack_limit: int = STACK_LIMIT) -> CompiledPack:
    """Compile every rule of a (loaded, checked) pack.

    A pack built in code skips the loader, so a condition the engine cannot take is
    reported here too, as the loader would.
    """
    questions = pack.questions()
    definition: dict[str, Any] = {}
    branch_rule: dict[str, str] = {}
    branch_findings: dict[str, list[str]] = {}
    bound = 0
    problems: list[Problem] = []
    for rank, rule in enumerate(pack.rules):
        problem = _shape_problem(rule.when)
        if problem is None:
            try:
                durable_branches = compile_condition(rule.when, questions, stack_limit)
            except TooComplex:
                problem = _TOO_COMPLEX
        if problem is not None:
            where = pack.locations.get(rule.id, pack.root)
            problems.append(Problem(location=f"{where} (rule {rule.id})", message=problem))
            continue
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
    too_many = fields_problem(pack.rules, questions) if not problems else None
    if too_many is not None:
        rule_id, message = too_many
        where = pack.locations.get(rule_id, pack.root)
        problems.append(Problem(location=f"{where} (rule {rule_id})", message=message))
    if problems:
        raise RulePackError(problems)
    shards = shard(definition, stack_limit, _quiet_boundaries(pack, branch_rule, branch_findings))
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
