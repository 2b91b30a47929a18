"""Conditions over partly known answers, and a search for answers that satisfy a condition.

Two users need more than :func:`legrules.conditions.evaluate`:

* the interactive questionnaire, which must know, with only some questions asked, whether
  a rule is already certain to fire, certain not to, or still open (to skip questions
  that cannot change the outcome);
* ``legrules rules lint``, which must know whether *any* answers can make a rule fire
  (unreachable rules) or make it fire without a suppressing rule (shadowed rules).

Both use three-valued (Kleene) logic: ``True`` and ``False`` are certain whatever the
unknown answers turn out to be; ``None`` means "depends on answers not known yet". It is
sound (a certain verdict is never wrong) but not complete (``x or not x`` stays ``None``
until ``x`` is known), which is the safe direction for both users.

A finding is true exactly when some rule deriving it fires. The loader rejects derivation
cycles, so a finding's value is computed by evaluating its derivers, recursively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from legrules.conditions import leaf_holds, walk
from legrules.pack import RulePack
from legrules.questionnaire import AnswerValue, Question
from legrules.ruleschema import AllOf, AnyOf, Condition, FactLeaf, FindingLeaf, Rule

Tri = bool | None
FindingLookup = Callable[[str], Tri]


def evaluate3(
    condition: Condition, answers: Mapping[str, AnswerValue], finding: FindingLookup
) -> Tri:
    """A condition's value when only the questions in ``answers`` are known.

    A question id absent from ``answers`` is unknown; present with ``None`` it is known
    to be unanswered (so ``missing`` holds).
    """
    if isinstance(condition, FactLeaf):
        if condition.fact not in answers:
            return None
        return leaf_holds(condition, answers[condition.fact])
    if isinstance(condition, FindingLeaf):
        return finding(condition.finding)
    if isinstance(condition, AllOf):
        return tri_all(evaluate3(child, answers, finding) for child in condition.all)
    if isinstance(condition, AnyOf):
        return tri_any(evaluate3(child, answers, finding) for child in condition.any)
    return tri_not(evaluate3(condition.not_, answers, finding))


def tri_all(values: Iterable[Tri]) -> Tri:
    """Kleene "and": False as soon as one is False (the rest are not computed)."""
    result: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def tri_any(values: Iterable[Tri]) -> Tri:
    """Kleene "or": True as soon as one is True (the rest are not computed)."""
    result: Tri = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def tri_not(value: Tri) -> Tri:
    return None if value is None else not value


class PartialState:
    """Which rules and findings are settled for one set of partly known answers."""

    def __init__(self, pack: RulePack, answers: Mapping[str, AnswerValue]) -> None:
        self._pack = pack
        self._answers = answers
        self._derivers = derivers(pack)
        self._findings: dict[str, Tri] = {}
        self._rules: dict[str, Tri] = {}
        self._visiting: set[str] = set()

    def finding(self, name: str) -> Tri:
        if name in self._findings:
            return self._findings[name]
        if name in self._visiting:  # a cycle: the loader rejects these; stay unsure
            return None
        self._visiting.add(name)
        result: Tri = False
        for rule in self._derivers.get(name, []):
            value = self.rule(rule)
            if value is True:
                result = True
                break
            if value is None:
                result = None
        self._visiting.discard(name)
        self._findings[name] = result
        return result

    def rule(self, rule: Rule) -> Tri:
        if rule.id not in self._rules:
            self._rules[rule.id] = evaluate3(rule.when, self._answers, self.finding)
        return self._rules[rule.id]

    def condition(self, condition: Condition) -> Tri:
        return evaluate3(condition, self._answers, self.finding)


def derivers(pack: RulePack) -> dict[str, list[Rule]]:
    """Finding name -> the rules that derive it, in firing order (``pack.index`` as rules)."""
    rules = pack.rules_by_id()
    return {name: [rules[r] for r in by] for name, by in pack.index.derived_by.items()}


def facts_closure(pack: RulePack, conditions: Sequence[Condition]) -> list[str]:
    """Every question the conditions depend on, through findings to the rules deriving them."""
    by_finding = derivers(pack)
    facts: list[str] = []
    seen_findings: set[str] = set()
    pending = list(conditions)
    while pending:
        condition = pending.pop(0)
        for node, _ in walk(condition):
            if isinstance(node, FactLeaf):
                if node.fact not in facts:
                    facts.append(node.fact)
            elif isinstance(node, FindingLeaf) and node.finding not in seen_findings:
                seen_findings.add(node.finding)
                pending.extend(rule.when for rule in by_finding.get(node.finding, []))
    return facts


def leaves_by_fact(pack: RulePack, facts: Sequence[str]) -> dict[str, list[FactLeaf]]:
    """Every leaf in the pack on each of ``facts`` (what decides a representative value)."""
    wanted = set(facts)
    found: dict[str, list[FactLeaf]] = {fact: [] for fact in facts}
    for rule in pack.rules:
        for node, _ in walk(rule.when):
            if isinstance(node, FactLeaf) and node.fact in wanted:
                found[node.fact].append(node)
    return found


def value_domain(question: Question, leaves: Sequence[FactLeaf]) -> list[AnswerValue]:
    """Few values of a question that together behave like all of its values for ``leaves``.

    Two answers that make every leaf agree are interchangeable, so one of each kind is
    enough: for a number, the bounds and the values either side of each threshold; for a
    choice, each value a leaf names plus one it does not; for a multi-select, one
    combination per distinct pattern of ``contains`` leaves it can satisfy. ``None``
    (unanswered) is included only when the question has no default, since validation
    fills defaults everywhere else.
    """
    values: list[AnswerValue] = []
    if question.type == "bool":
        values = [True, False]
    elif question.type == "int":
        assert question.min is not None
        assert question.max is not None
        points = {question.min, question.max}
        for leaf in leaves:
            constants = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            for constant in constants:
                if isinstance(constant, int) and not isinstance(constant, bool):
                    points.update({constant - 1, constant, constant + 1})
        values = [p for p in sorted(points) if question.min <= p <= question.max]
    elif question.type == "enum":
        allowed = list(question.values or [])
        named: set[str] = set()
        for leaf in leaves:
            constants = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            named.update(c for c in constants if isinstance(c, str))
        values = [v for v in allowed if v in named]
        values += [v for v in allowed if v not in named][:1]
    else:
        values = list(_multi_domain(question, leaves))
    if question.default is None:
        values.append(None)
    return values


def _multi_domain(question: Question, leaves: Sequence[FactLeaf]) -> Iterator[list[str]]:
    allowed = list(question.values or [])
    contains = [leaf for leaf in leaves if leaf.op == "contains"]
    signatures: dict[tuple[int, ...], str] = {}
    for value in allowed:
        signature = tuple(
            index
            for index, leaf in enumerate(contains)
            if value in (leaf.value if isinstance(leaf.value, list) else [leaf.value])
        )
        signatures.setdefault(signature, value)
    representatives = list(signatures.values())
    seen: set[tuple[bool, frozenset[int]]] = set()
    for size in range(len(representatives) + 1):
        for chosen in combinations(representatives, size):
            pattern = (
                bool(chosen),
                frozenset(
                    index
                    for signature, value in signatures.items()
                    if value in chosen
                    for index in signature
                ),
            )
            if pattern not in seen:
                seen.add(pattern)
                yield sorted(chosen, key=allowed.index)


@dataclass(frozen=True)
class Search:
    """The result of :func:`find_answers`: a satisfying assignment, none, or out of budget."""

    found: dict[str, AnswerValue] | None
    exhausted: bool

    @property
    def satisfiable(self) -> bool | None:
        if self.found is not None:
            return True
        return False if self.exhausted else None


def find_answers(
    pack: RulePack,
    goal: Callable[[PartialState], Tri],
    facts: Sequence[str],
    *,
    budget: int = 200_000,
) -> Search:
    """Search for answers to ``facts`` that make ``goal`` true (depth first, pruned).

    ``goal`` reads a :class:`PartialState`; a branch is abandoned as soon as the goal is
    certainly false, and the search stops as soon as it is certainly true. ``budget``
    bounds the states visited; when it runs out the result is undecided rather than a
    guess.
    """
    questions = pack.questions()
    leaves = leaves_by_fact(pack, facts)
    domains = [(fact, value_domain(questions[fact], leaves[fact])) for fact in facts]
    visited = 0

    def search(index: int, assigned: dict[str, AnswerValue]) -> dict[str, AnswerValue] | None:
        nonlocal visited
        visited += 1
        if visited > budget:
            raise _OutOfBudget
        verdict = goal(PartialState(pack, assigned))
        if verdict is True:
            return dict(assigned)
        if verdict is False or index == len(domains):
            return None
        fact, domain = domains[index]
        for value in domain:
            assigned[fact] = value
            found = search(index + 1, assigned)
            if found is not None:
                return found
        del assigned[fact]
        return None

    try:
        return Search(found=search(0, {}), exhausted=True)
    except _OutOfBudget:
        return Search(found=None, exhausted=False)


class _OutOfBudget(Exception):
    pass
