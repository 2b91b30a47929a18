"""Conditions over partly known answers, and a search for answers that satisfy a condition.

Several users need more than :func:`legrules.logic.conditions.evaluate`:

* the interactive questionnaire (:mod:`legrules.interview.skips`), which must know, with only some
  questions asked, whether a rule is already certain to fire, certain not to, or still
  open (to skip questions that cannot change the outcome), and whether a hard red flag
  already makes a referral certain (:func:`legrules.logic.withholding.certain_referrals`);
* ``legrules rules lint``, which must know whether *any* answers can make a rule fire
  (unreachable rules) or make it fire without a suppressing rule (shadowed rules);
* ``legrules questions ID`` (:mod:`legrules.explain.whyasked`), which says which rules an
  unanswered question silences and which questions a rule depends on.

All use three-valued (Kleene) logic: ``True`` and ``False`` are certain whatever the
unknown answers turn out to be; ``None`` means "depends on answers not known yet". It is
sound (a certain verdict is never wrong) but not complete (``x or not x`` stays ``None``
until ``x`` is known), which is the safe direction for every user.

A finding is true exactly when some rule deriving it fires. The loader rejects derivation
cycles, so a finding's value is computed after those of every finding its derivers
read: depth first with an explicit stack, not recursion, because a chain of derivations
can be thousands of rules long.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from legrules.logic.conditions import leaf_holds
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.schema import (
    AllOf,
    AnyOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    Rule,
    facts_read,
    walk,
)

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
    # tri_all and tri_any, in line: this runs for every rule of every screening check,
    # and a generator per node was half of it
    result: Tri
    if isinstance(condition, AllOf):
        result = True
        for child in condition.all:
            value = evaluate3(child, answers, finding)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    if isinstance(condition, AnyOf):
        result = False
        for child in condition.any:
            value = evaluate3(child, answers, finding)
            if value is True:
                return True
            if value is None:
                result = None
        return result
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
    """Which rules and findings are settled for one set of partly known answers.

    ``by_finding`` (the pack index's derivers as rules) and ``memo`` (finding values
    shared between states) are for callers that make many states: a search makes one
    per node, and working them out again each time made lint quadratic in the number
    of rules. What each rule reads comes from the pack's index.
    """

    def __init__(
        self,
        pack: RulePack,
        answers: Mapping[str, AnswerValue],
        by_finding: Mapping[str, list[Rule]] | None = None,
        memo: FindingMemo | None = None,
    ) -> None:
        self._pack = pack
        self._answers = answers
        self._derivers = by_finding if by_finding is not None else _deriving_rules(pack)
        self._read_by = pack.index.reads  # rule id -> findings it reads
        self._memo = memo
        self._findings: dict[str, Tri] = {}
        self._rules: dict[str, Tri] = {}
        self._visiting: set[str] = set()

    def finding(self, name: str) -> Tri:
        if name in self._findings or self._remembered(name):
            return self._findings[name]
        if name in self._visiting:  # a cycle: the loader rejects these; stay unsure
            return None
        self._settle(name)
        return self._findings[name]

    def _remembered(self, name: str) -> bool:
        """Take ``name`` from the shared memo, if another state worked it out."""
        if self._memo is None:
            return False
        key = self._memo.key(name, self._answers)
        if key not in self._memo.values:
            return False
        self._findings[name] = self._memo.values[key]
        return True

    def _settle(self, name: str) -> None:
        """Decide ``name`` after every finding its derivers read, depth first without
        recursion: a chain of derivations can be thousands of rules long."""
        self._visiting.add(name)  # the current path: meeting one of these is a cycle
        pending = [(name, self._needs(name))]
        while pending:
            top, needs = pending[-1]
            for need in needs:
                known = need in self._findings or self._remembered(need)
                if not known and need not in self._visiting:
                    self._visiting.add(need)
                    pending.append((need, self._needs(need)))
                    break
            else:
                pending.pop()
                self._findings[top] = self._decide(top)
                self._visiting.discard(top)
                if self._memo is not None:
                    self._memo.values[self._memo.key(top, self._answers)] = self._findings[top]

    def _needs(self, name: str) -> Iterator[str]:
        return (need for rule in self._derivers.get(name, []) for need in self._reads(rule))

    def _decide(self, name: str) -> Tri:
        """A finding holds when some rule deriving it fires (what it reads is settled)."""
        result: Tri = False
        for rule in self._derivers.get(name, []):
            value = self.rule(rule)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    def _reads(self, rule: Rule) -> Sequence[str]:
        return self._read_by.get(rule.id, ())

    def rule(self, rule: Rule) -> Tri:
        if rule.id not in self._rules:
            self._rules[rule.id] = evaluate3(rule.when, self._answers, self.finding)
        return self._rules[rule.id]

    def condition(self, condition: Condition) -> Tri:
        return evaluate3(condition, self._answers, self.finding)


def _deriving_rules(pack: RulePack) -> dict[str, list[Rule]]:
    """Finding name -> the rules that derive it, in firing order: ``pack.index`` with
    rule objects, which evaluating a finding needs."""
    rules = pack.rules_by_id()
    return {name: [rules[r] for r in by] for name, by in pack.index.derived_by.items()}


def facts_closure(
    pack: RulePack,
    conditions: Sequence[Condition],
    by_finding: Mapping[str, list[Rule]] | None = None,
) -> list[str]:
    """Every question the conditions depend on, through findings to the rules deriving them."""
    return list(closure_leaves(pack, conditions, by_finding))


def closure_leaves(
    pack: RulePack,
    conditions: Sequence[Condition],
    by_finding: Mapping[str, list[Rule]] | None = None,
) -> dict[str, list[FactLeaf]]:
    """:func:`facts_closure` (same order), each question with the leaves on it that the
    conditions, and the rules deriving the findings they match, read: all a search for
    these conditions needs to pick representative values."""
    by_finding = by_finding if by_finding is not None else _deriving_rules(pack)
    found: dict[str, list[FactLeaf]] = {}
    seen_findings: set[str] = set()
    pending = deque(conditions)
    while pending:
        condition = pending.popleft()
        for node, _ in walk(condition):
            if isinstance(node, FactLeaf):
                found.setdefault(node.fact, []).append(node)
            elif isinstance(node, FindingLeaf) and node.finding not in seen_findings:
                seen_findings.add(node.finding)
                pending.extend(rule.when for rule in by_finding.get(node.finding, []))
    return found


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


_UNSET = object()


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


class FindingMemo:
    """Finding values shared between partial states of one pack.

    A finding's value depends only on the answers to the questions its derivers read,
    through the findings they read in turn, so states that agree on those questions
    (known or not, and how) agree on it. A search visits many states that differ only
    elsewhere; without this, every state worked a long chain of derivations out again.
    Sound for loop-free packs, which the loader guarantees.
    """

    def __init__(self, by_finding: Mapping[str, list[Rule]], reads: Mapping[str, Sequence[str]]):
        self._by_finding = by_finding
        self._reads = reads  # rule id -> findings it reads (the pack index's)
        self._facts: dict[str, tuple[str, ...]] = {}
        self.values: dict[tuple[object, ...], Tri] = {}

    def key(self, name: str, answers: Mapping[str, AnswerValue]) -> tuple[object, ...]:
        """``name`` with the answers (or their absence) its value depends on."""
        facts = self._facts.get(name)
        if facts is None:
            facts = self._work_out(name)
        return (name, *(_frozen(answers.get(fact, _UNSET)) for fact in facts))

    def _reads_of(self, rule: Rule) -> Sequence[str]:
        return self._reads.get(rule.id, ())

    def _work_out(self, name: str) -> tuple[str, ...]:
        """The questions ``name`` depends on, after those of the findings it needs
        (depth first without recursion, like :meth:`PartialState._settle`)."""
        on_path = {name}
        pending = [(name, self._needs(name))]
        while pending:
            top, needs = pending[-1]
            for need in needs:
                if need not in self._facts and need not in on_path:
                    on_path.add(need)
                    pending.append((need, self._needs(need)))
                    break
            else:
                pending.pop()
                on_path.discard(top)
                facts: set[str] = set()
                for rule in self._by_finding.get(top, []):
                    facts.update(facts_read(rule.when))
                    for need in self._reads_of(rule):
                        facts.update(self._facts.get(need, ()))
                self._facts[top] = tuple(sorted(facts))
        return self._facts[name]

    def _needs(self, name: str) -> Iterator[str]:
        return (need for rule in self._by_finding.get(name, []) for need in self._reads_of(rule))


class SearchCache:
    """What searches over one pack look up again and again, worked out once per pack:
    the rules deriving each finding (from the pack's index), finding values shared
    between search states, and each question's representative values (they depend on
    the leaves on that question, so finding them walked the whole pack once per
    search)."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.by_finding = _deriving_rules(pack)
        self.memo = FindingMemo(self.by_finding, pack.index.reads)
        self._leaves = leaves_by_fact(pack, pack.questionnaire.ids())
        # keyed by the leaves' identities; each entry keeps its leaves alive, so an id
        # cannot be reused while it is cached
        self._domains: dict[tuple[str, tuple[int, ...]], tuple[object, list[AnswerValue]]] = {}

    def domain(self, fact: str, leaves: Sequence[FactLeaf] | None = None) -> list[AnswerValue]:
        """Representative values of ``fact`` for ``leaves`` (default: every leaf on it)."""
        chosen = self._leaves[fact] if leaves is None else leaves
        key = (fact, tuple(id(leaf) for leaf in chosen))
        if key not in self._domains:
            domain = value_domain(self.pack.questions()[fact], chosen)
            self._domains[key] = (list(chosen), domain)
        return self._domains[key][1]

    def facts_closure(self, conditions: Sequence[Condition]) -> list[str]:
        return facts_closure(self.pack, conditions, self.by_finding)

    def closure_leaves(self, conditions: Sequence[Condition]) -> dict[str, list[FactLeaf]]:
        return closure_leaves(self.pack, conditions, self.by_finding)

    def state(self, answers: Mapping[str, AnswerValue]) -> PartialState:
        return PartialState(self.pack, answers, self.by_finding, self.memo)


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
    index: SearchCache | None = None,
    leaves: Mapping[str, Sequence[FactLeaf]] | None = None,
) -> Search:
    """Search for answers to ``facts`` that make ``goal`` true (depth first, pruned).

    ``goal`` reads a :class:`PartialState`; a branch is abandoned as soon as the goal is
    certainly false, and the search stops as soon as it is certainly true. ``budget``
    bounds the states visited; when it runs out the result is undecided rather than a
    guess. Pass a :class:`SearchCache` of the pack as ``index`` when searching it many
    times.

    Each fact takes the representative values of ``leaves[fact]`` (default: of every
    leaf in the pack on it). Only the leaves the goal reads need to be told apart, so
    :func:`closure_leaves` of the goal's conditions keeps the search exact while the
    values every other rule names stay out of it: with them, the domains (and the
    search) grew with the size of the pack.
    """
    lookup = index if index is not None else SearchCache(pack)
    domains = [
        (fact, lookup.domain(fact, None if leaves is None else leaves[fact])) for fact in facts
    ]
    visited = 0

    def search(index: int, assigned: dict[str, AnswerValue]) -> dict[str, AnswerValue] | None:
        nonlocal visited
        visited += 1
        if visited > budget:
            raise _OutOfBudget
        verdict = goal(lookup.state(assigned))
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
