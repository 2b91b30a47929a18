"""Hypothesis strategies: valid answer sets and random (loop-free) rule packs.

Random packs can also carry extra questions whose names are hostile to the engine's fact
layout (:func:`tricky_questions`), wide negations and deep chains, the shapes that once
crashed durable-rules or made it disagree with the evaluator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from legrules.logic.partial import leaves_by_fact, value_domain
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import SAFE_INT, Question, Questionnaire
from legrules.pack.schema import (
    MAX_CONDITION_DEPTH,
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


#: Question ids that collided with the engine's bookkeeping (a finding's ``id``, the
#: session's ``sid``) or, once mangled, with each other (``zp__knee`` next to multi ``zp``
#: with option ``knee``, ``zq__n`` next to ``zq``'s count), and ids shaped like the
#: namespaced field names themselves.
TRICKY_IDS = (
    "id",
    "sid",
    "n",
    "kind",
    "t",
    "x__y",
    "zp__knee",
    "zp__n",
    "zq__n",
    "zq__0",
    "q_zp",
    "o_zp__0",
    "n_zp",
    "q_id",
)
#: Multi-select and enum values: the count field's old name, bookkeeping names, digits,
#: separators, and characters a field name cannot hold.
TRICKY_VALUES = (
    "n",
    "knee",
    "id",
    "sid",
    "_t",
    "0",
    "1",
    "a__b",
    "b",
    "q_x",
    "a.b",
    'quo"te',
    "x y",
)
#: Int bounds and constants at the edge of the safe range.
TRICKY_INTS = (-SAFE_INT, -(2**53) + 2, -1, 0, 1, 10, 2**31, 2**53 - 2, SAFE_INT)


@st.composite
def tricky_question(draw: st.DrawFn, question_id: str) -> Question:
    kind = (
        "multi"
        if question_id in ("zp", "zq")
        else draw(st.sampled_from(["bool", "int", "enum", "multi"]))
    )
    data: dict[str, Any] = {
        "id": question_id,
        "group": "symptoms",
        "type": kind,
        "prompt": f"{question_id}?",
        "why": "a name the engine's facts must keep apart",
    }
    if kind == "int":
        low, high = sorted(draw(st.lists(st.sampled_from(TRICKY_INTS), min_size=2, max_size=2)))
        data.update(min=low, max=high)
    elif kind in ("enum", "multi"):
        wanted = ["knee", "n"] if question_id == "zp" else ["n"] if question_id == "zq" else []
        extra = draw(
            st.lists(st.sampled_from(TRICKY_VALUES), min_size=0 if wanted else 1, max_size=4)
        )
        data["values"] = list(dict.fromkeys([*wanted, *extra]))
    question = Question.model_validate(data)
    if draw(st.booleans()):  # optional (no default) or with a default
        return question
    return Question.model_validate({**data, "default": draw(value_strategy(question))})


@st.composite
def tricky_questions(draw: st.DrawFn) -> list[Question]:
    """Two multi-selects ``zp`` and ``zq`` plus a few tricky ids of random types."""
    ids = draw(st.lists(st.sampled_from(TRICKY_IDS), min_size=2, max_size=6, unique=True))
    return [draw(tricky_question(question_id)) for question_id in ["zp", "zq", *ids]]


_OPS = {
    "bool": ["eq", "ne", "exists", "missing"],
    "int": ["eq", "ne", "lt", "lte", "gt", "gte", "in", "exists", "missing"],
    "enum": ["eq", "ne", "in", "exists", "missing"],
    "multi": ["contains", "empty", "exists", "missing"],
}


@st.composite
def fact_leaf(draw: st.DrawFn, questions: Sequence[Question]) -> FactLeaf:
    question = draw(st.sampled_from(questions))
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


def fact_tree(questions: Sequence[Question]) -> st.SearchStrategy[Condition]:
    leaves: st.SearchStrategy[Condition] = fact_leaf(questions)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=0, max_size=3).map(lambda c: AllOf(all=c)),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: AnyOf(any=c)),
            inner.map(lambda c: NotOf.model_validate({"not": c})),
        ),
        max_leaves=8,
    )


@st.composite
def wide_negation(draw: st.DrawFn, questions: Sequence[Question]) -> Condition:
    """``not any`` (or ``not all``) of many leaves on one question: durable rejected 15
    or more on an optional question (error 113) before the compiler split them."""
    question = draw(st.sampled_from(questions))
    leaves: list[Condition] = list(draw(st.lists(fact_leaf([question]), min_size=10, max_size=24)))
    inner: Condition = AnyOf(any=leaves) if draw(st.booleans()) else AllOf(all=leaves)
    return NotOf.model_validate({"not": inner})


@st.composite
def deep_chain(draw: st.DrawFn, questions: Sequence[Question]) -> Condition:
    """all/any/not nested up to the loader's depth limit, a leaf beside each level."""
    node: Condition = draw(fact_leaf(questions))
    for _ in range(draw(st.integers(1, MAX_CONDITION_DEPTH))):
        shape = draw(st.sampled_from(["all", "any", "not"]))
        if shape == "not":
            node = NotOf.model_validate({"not": node})
            continue
        pair = [node, draw(fact_leaf(questions))]
        node = AllOf(all=pair) if shape == "all" else AnyOf(any=pair)
    return node


def condition(
    questionnaire: Questionnaire | Sequence[Question], findings: list[str]
) -> st.SearchStrategy[Condition]:
    """Trees over answers and (positively, never under not) over available findings."""
    questions = (
        questionnaire.questions if isinstance(questionnaire, Questionnaire) else questionnaire
    )
    base = fact_tree(questions)
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
def random_pack(
    draw: st.DrawFn, base: RulePack, max_rules: int = 10, tricky: bool = False
) -> RulePack:
    """A loop-free pack: rule i may only match findings derived by rules before it.

    Priorities are random, so a rule often fires *before* the rule whose finding it needs
    would (by priority) and the engine has to chain back to it. ``tricky`` adds
    :func:`tricky_questions` to the questionnaire, has most leaves read them, and mixes
    in wide negations and deep chains.
    """
    questions: Sequence[Question] = base.questionnaire.questions
    if tricky:
        questions = draw(tricky_questions())
        base = dataclasses.replace(
            base,
            questionnaire=Questionnaire(questions=[*base.questionnaire.questions, *questions]),
        )
    count = draw(st.integers(1, max_rules))
    rules: list[Rule] = []
    derived: list[str] = []
    for index in range(count):
        shapes = [condition(questions, list(derived))]
        if tricky:
            shapes += [wide_negation(questions), deep_chain(questions)]
        when = draw(st.one_of(shapes))
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
