"""The meaning of condition trees, as a pure-Python evaluator (walking them is
:mod:`legrules.pack.schema`'s).

The evaluator is the *definition* of what a condition means. The durable-rules
compilation must agree with it (a property test checks thousands of answer sets), and
explanations (which answers mattered, why a rule did not fire) are computed from it, so
they never depend on engine internals.

Semantics of a leaf on an unanswered question (``None``): every operator is false except
``missing``; ``not`` inverts that, so ``not: {fact: x, eq: 1}`` is true when x is
unanswered. Findings are true once derived and never false afterwards.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Set
from typing import NamedTuple

from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import (
    AllOf,
    AnyOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    NotOf,
    children,
    facts_read,
    findings_read,
)


def leaf_holds(leaf: FactLeaf, value: AnswerValue) -> bool:
    """Whether one leaf holds for one answer value (the operator semantics)."""
    op, expected = leaf.op, leaf.value
    if op == "missing":
        return value is None
    if value is None:
        return False
    if op == "exists":
        return True
    if op == "eq":
        return bool(value == expected)
    if op == "ne":
        return bool(value != expected)
    if op in ("lt", "lte", "gt", "gte"):
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        bound = int(expected)
        if op == "lt":
            return value < bound
        if op == "lte":
            return value <= bound
        return value > bound if op == "gt" else value >= bound
    if op == "in":
        return value in expected
    if not isinstance(value, list):
        return False
    if op == "contains":
        wanted = expected if isinstance(expected, list) else [expected]
        return any(item in value for item in wanted)
    if op == "empty":
        return (len(value) == 0) is bool(expected)
    raise ValueError(f"unknown operator {op!r}")  # pragma: no cover - schema forbids it


def evaluate(
    condition: Condition, answers: Mapping[str, AnswerValue], findings: Set[str] = frozenset()
) -> bool:
    """Whether ``condition`` holds for these answers and derived findings."""
    if isinstance(condition, FactLeaf):
        return leaf_holds(condition, answers.get(condition.fact))
    if isinstance(condition, FindingLeaf):
        return condition.finding in findings
    if isinstance(condition, AllOf):
        return all(evaluate(c, answers, findings) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, answers, findings) for c in condition.any)
    return not evaluate(condition.not_, answers, findings)


def static_witness(condition: Condition) -> tuple[str, ...] | None:
    """The facts :func:`witness_plan` names for ``condition`` whenever it holds, if they
    do not depend on the answers; None if they do (an ``any`` outside a ``not``, where
    the alternatives that held decide). An engine works this out once per rule, so
    most explanations cost a dictionary lookup per fact instead of a tree walk.
    """
    facts: list[str] = []

    def collect(node: Condition) -> bool:
        if isinstance(node, FactLeaf):
            facts.append(node.fact)
        elif isinstance(node, AllOf):
            return all(collect(child) for child in node.all)
        elif isinstance(node, AnyOf):
            return False
        elif isinstance(node, NotOf):
            facts.extend(facts_read(node.not_))
        return True

    return tuple(dict.fromkeys(facts)) if collect(condition) else None


#: A condition as a function of the answers and the findings derived so far.
Test = Callable[[Mapping[str, AnswerValue], Set[str]], bool]


def compile_test(condition: Condition) -> Test:
    """``condition`` as a function that gives what :func:`evaluate` gives, made once
    per condition so a repeated question (the engine asks, for each firing of a rule
    with an ``any``, which alternatives held) does not walk the tree and dispatch on
    its node types again. The common operators are closures over the leaf's value;
    the others go through :func:`leaf_holds` itself, the one definition."""
    if isinstance(condition, FactLeaf):
        return _leaf_test(condition)
    if isinstance(condition, FindingLeaf):
        finding = condition.finding
        return lambda answers, findings: finding in findings
    if isinstance(condition, NotOf):
        inner = compile_test(condition.not_)
        return lambda answers, findings: not inner(answers, findings)
    parts = tuple(compile_test(child) for child in children(condition))
    if isinstance(condition, AllOf):

        def all_hold(answers: Mapping[str, AnswerValue], findings: Set[str]) -> bool:
            for part in parts:  # noqa: SIM110 - a generator per call costs more than the test
                if not part(answers, findings):
                    return False
            return True

        return all_hold

    def any_holds(answers: Mapping[str, AnswerValue], findings: Set[str]) -> bool:
        for part in parts:  # noqa: SIM110 - as in all_hold
            if part(answers, findings):
                return True
        return False

    return any_holds


def _leaf_test(leaf: FactLeaf) -> Test:
    """:func:`leaf_holds` for one leaf, specialised for the operators rules use most."""
    fact, op, expected = leaf.fact, leaf.op, leaf.value
    if op == "eq":
        return lambda answers, findings: (
            (value := answers.get(fact)) is not None and bool(value == expected)
        )
    if op == "ne":
        return lambda answers, findings: (
            (value := answers.get(fact)) is not None and bool(value != expected)
        )
    if op == "in":
        return lambda answers, findings: (
            (value := answers.get(fact)) is not None and value in expected
        )
    if op in _COMPARE:
        compare, bound = _COMPARE[op], int(expected)
        return lambda answers, findings: (
            isinstance(value := answers.get(fact), int)
            and not isinstance(value, bool)
            and compare(value, bound)
        )
    if op == "contains":
        wanted = tuple(expected) if isinstance(expected, list) else (expected,)

        def contains(answers: Mapping[str, AnswerValue], findings: Set[str]) -> bool:
            value = answers.get(fact)
            if not isinstance(value, list):
                return False
            for item in wanted:  # noqa: SIM110 - as in all_hold
                if item in value:
                    return True
            return False

        return contains
    return lambda answers, findings: leaf_holds(leaf, answers.get(fact))


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


#: One step of a :func:`witness_plan`: the facts it names, when its test holds (always,
#: for None).
WitnessStep = tuple[Test | None, tuple[str, ...]]


class WitnessPlan(NamedTuple):
    """Which answers made a condition known to hold true, worked out in advance."""

    steps: tuple[WitnessStep, ...]
    #: whether a test reads findings (else the caller need not say which are known)
    reads_findings: bool


def witness_plan(condition: Condition) -> WitnessPlan:
    """The answers that made a true condition true, what a ``because`` shows, as a plan.

    For ``any``, every alternative that held (not just the first), so the explanation
    does not depend on evaluation order; under ``not``, every answer the inner condition
    read, since together they made it false. The plan lists those facts in order, each
    group with the test of the ``any`` alternatives it sits in (their conjunction), so
    :func:`planned_witness` only runs those tests. A large pack fires a thousand rules
    per assessment, and walking each one's tree was the largest part of explaining them;
    tests/test_witness.py holds the plan to that walk on random trees and the shipped
    pack."""
    steps: list[tuple[tuple[Condition, ...], list[str]]] = []

    def add(guards: tuple[Condition, ...], facts: list[str]) -> None:
        if steps and steps[-1][0] is guards:
            steps[-1][1].extend(facts)
        else:
            steps.append((guards, list(facts)))

    def collect(node: Condition, guards: tuple[Condition, ...]) -> None:
        if isinstance(node, FactLeaf):
            add(guards, [node.fact])
        elif isinstance(node, AllOf):
            for child in node.all:
                collect(child, guards)
        elif isinstance(node, AnyOf):
            for child in node.any:
                collect(child, (*guards, child))
        elif isinstance(node, NotOf):
            add(guards, facts_read(node.not_))

    collect(condition, ())
    steps = [(guards, facts) for guards, facts in steps if facts]
    return WitnessPlan(
        tuple((_guard(guards), tuple(facts)) for guards, facts in steps),
        any(findings_read(guard) for guards, _ in steps for guard in guards),
    )


def _guard(guards: tuple[Condition, ...]) -> Test | None:
    if not guards:
        return None
    return compile_test(guards[0] if len(guards) == 1 else AllOf(all=list(guards)))


def planned_witness(
    plan: WitnessPlan, answers: Mapping[str, AnswerValue], findings: Set[str] = frozenset()
) -> dict[str, AnswerValue]:
    """The answers that made the condition of ``plan`` (:func:`witness_plan`) true
    (``findings`` matter only if it ``reads_findings``). A list answer is copied, so no
    two parts of an Assessment share one list, in line, and the result is
    filled by a loop: this runs per firing, and a comprehension is a function call
    of its own (the loop was 1.17 -> 0.65 us a plan, timeit)."""
    matched: dict[str, AnswerValue] = {}
    get = answers.get
    for test, names in plan.steps:
        if test is None or test(answers, findings):
            for fact in names:
                if fact not in matched:
                    value = get(fact)
                    matched[fact] = list(value) if isinstance(value, list) else value
    return matched


def first_failure(
    condition: Condition, answers: Mapping[str, AnswerValue], findings: Set[str] = frozenset()
) -> list[Condition]:
    """The path to the first leaf that makes a false condition false (for why-not).

    Returns the nodes from the root down to the failing leaf; empty when the condition
    holds. For ``any`` the path goes into the first alternative (all of them failed).
    """
    if evaluate(condition, answers, findings):
        return []
    path: list[Condition] = [condition]
    node = condition
    while True:
        if isinstance(node, AllOf):
            node = next(c for c in node.all if not evaluate(c, answers, findings))
        elif isinstance(node, AnyOf):
            node = node.any[0]
        else:
            return path
        path.append(node)


_OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "in": "is one of",
    "contains": "includes",
}


def describe(condition: Condition) -> str:
    """A condition in readable words, e.g. ``pain_score >= 6 or pain_type is sharp``."""
    if isinstance(condition, FactLeaf):
        op, value = condition.op, condition.value
        if op == "exists":
            return f"{condition.fact} is answered"
        if op == "missing":
            return f"{condition.fact} is not answered"
        if op == "empty":
            return f"{condition.fact} is {'empty' if value else 'not empty'}"
        if op == "contains" and isinstance(value, list):
            return f"{condition.fact} includes any of {', '.join(map(str, value))}"
        shown = ", ".join(_word(v) for v in value) if isinstance(value, list) else _word(value)
        return f"{condition.fact} {_OP_WORDS[op]} {shown}"
    if isinstance(condition, FindingLeaf):
        return f"finding {condition.finding}"
    if isinstance(condition, AllOf):
        if not condition.all:
            return "always"
        return " and ".join(_group(c) for c in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(_group(c) for c in condition.any)
    return f"not {_group(condition.not_)}"


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _group(condition: Condition) -> str:
    text = describe(condition)
    if isinstance(condition, AllOf | AnyOf) and len(children(condition)) > 1:
        return f"({text})"
    return text
