"""Hypothesis strategies: valid answer sets and random (loop-free) rule packs."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from legrules.pack import RulePack
from legrules.partial import leaves_by_fact, value_domain
from legrules.questionnaire import Question, Questionnaire
from legrules.ruleschema import (
    AllOf,
    AnyOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    NotOf,
    Recommend,
    Rule,
    SourceRef,
    Then,
)


def value_strategy(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "bool":
        return st.booleans()
    if question.type == "int":
        assert question.min is not None
        assert question.max is not None
        return st.integers(question.min, question.max)
    values = question.values or []
    if question.type == "enum":
        return st.sampled_from(values)
    return st.lists(st.sampled_from(values), unique=True)


def answers_strategy(
    questionnaire: Questionnaire, pack: RulePack | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Raw valid answer documents: each question omitted, null, or a valid value.

    With ``pack``, numbers are drawn half the time from the values either side of, and
    at, every threshold the pack's rules test (k-1, k, k+1), and choices from the values
    they name: a uniform draw almost never lands on ``x == k``, where a compiler that
    turns ``not (x < k)`` into ``x > k`` is wrong.
    """
    leaves = leaves_by_fact(pack, questionnaire.ids()) if pack is not None else {}

    def value(question: Question) -> st.SearchStrategy[Any]:
        named = [v for v in value_domain(question, leaves.get(question.id, [])) if v is not None]
        if pack is None or question.type not in ("int", "enum") or not named:
            return value_strategy(question)
        return st.one_of(st.sampled_from(named), value_strategy(question))

    return st.fixed_dictionaries(
        {},
        optional={q.id: st.one_of(st.none(), value(q)) for q in questionnaire.questions},
    )


_OPS = {
    "bool": ["eq", "ne", "exists", "missing"],
    "int": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "exists", "missing"],
    "enum": ["eq", "ne", "in", "exists", "missing"],
    "multi": ["contains", "empty", "exists", "missing"],
}


@st.composite
def fact_leaf(draw: st.DrawFn, questionnaire: Questionnaire) -> FactLeaf:
    question = draw(st.sampled_from(questionnaire.questions))
    op = draw(st.sampled_from(_OPS[question.type]))
    scalar = value_strategy(question)
    value: Any
    if op in ("exists", "missing"):
        value = True
    elif op == "empty":
        value = draw(st.booleans())
    elif op == "contains":
        item = st.sampled_from(question.values or [])
        value = draw(st.one_of(item, st.lists(item, min_size=1, max_size=3, unique=True)))
    elif op == "in":
        value = draw(st.lists(scalar, min_size=1, max_size=3, unique=True))
    else:
        value = draw(scalar)
    return FactLeaf.model_validate({"fact": question.id, op: value})


def fact_tree(questionnaire: Questionnaire) -> st.SearchStrategy[Condition]:
    leaves: st.SearchStrategy[Condition] = fact_leaf(questionnaire)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=0, max_size=3).map(lambda c: AllOf(all=c)),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: AnyOf(any=c)),
            inner.map(lambda c: NotOf.model_validate({"not": c})),
        ),
        max_leaves=8,
    )


def condition(questionnaire: Questionnaire, findings: list[str]) -> st.SearchStrategy[Condition]:
    """Trees over answers and (positively, never under not) over available findings."""
    base = fact_tree(questionnaire)
    if not findings:
        return base
    finding_leaves: st.SearchStrategy[Condition] = st.sampled_from(findings).map(
        lambda f: FindingLeaf(finding=f)
    )
    return st.recursive(
        st.one_of(base, finding_leaves),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda c: AllOf(all=c)),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: AnyOf(any=c)),
        ),
        max_leaves=6,
    )


@st.composite
def random_pack(draw: st.DrawFn, base: RulePack, max_rules: int = 10) -> RulePack:
    """A loop-free pack: rule i may only match findings derived by rules before it.

    Priorities are random, so a rule often fires *before* the rule whose finding it needs
    would (by priority) and the engine has to chain back to it.
    """
    count = draw(st.integers(1, max_rules))
    rules: list[Rule] = []
    derived: list[str] = []
    for index in range(count):
        when = draw(condition(base.questionnaire, list(derived)))
        new = [f"finding_{index}_{k}" for k in range(draw(st.integers(0, 2)))]
        then = Then(
            derive=new,
            recommend=[] if new else [Recommend(id="leg_extension")],
        )
        rules.append(
            Rule(
                id=f"random-{index}",
                title=f"random rule {index}",
                version=1,
                priority=draw(st.integers(0, 1000)),
                provenance="inferred",
                when=when,
                then=then,
                because="generated",
                sources=[SourceRef(ref=next(iter(base.meta.references)))],
            )
        )
        derived.extend(new)
    return base.with_rules(rules)
