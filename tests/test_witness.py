"""Explanations: the per-rule shortcut for "which answers made this rule true" must give
exactly what walking the condition gives, for every condition it is used on."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from legrules import validate_answers
from legrules.logic.conditions import (
    compile_test,
    evaluate,
    leaf_holds,
    planned_witness,
    static_witness,
    witness_plan,
)
from legrules.logic.partial import facts_closure, find_answers
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import (
    AllOf,
    AnyOf,
    Condition,
    FactLeaf,
    FindingLeaf,
    NotOf,
    facts_read,
    findings_read,
)
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.profiles import examples
from tests.rulekit import make_rule, pack_of
from tests.strategies import answers_strategy, condition, fact_leaf

PACK = load_pack(default_rules_dir())
FINDINGS = sorted({f for rule in PACK.rules for f in rule.then.derive})
UNANSWERABLE = {
    q.id for q in PACK.questionnaire.questions if q.default is None and q.default_from is None
}
CURL = {"recommend": [{"id": "leg_curl"}]}


def witness(
    condition: Condition,
    answers: Mapping[str, AnswerValue],
    findings: Set[str] = frozenset(),
    *,
    holds: bool | None = None,
) -> dict[str, AnswerValue]:
    """The definition the engine's shortcuts (``static_witness``, ``witness_plan``) are
    held to: walk the condition and name the answers that made it true. For ``any``,
    every alternative that held; under ``not``, every answer the inner condition read.
    ``holds=True`` skips re-checking a condition known to be true. A list answer is
    copied."""
    facts: list[str] = []

    def collect(node: Condition) -> None:
        if isinstance(node, FactLeaf):
            facts.append(node.fact)
        elif isinstance(node, AllOf):
            for child in node.all:
                collect(child)
        elif isinstance(node, AnyOf):
            for child in node.any:
                if evaluate(child, answers, findings):
                    collect(child)
        elif isinstance(node, NotOf):
            facts.extend(facts_read(node.not_))

    if holds if holds is not None else evaluate(condition, answers, findings):
        collect(condition)
    copied: dict[str, AnswerValue] = {}
    for fact in dict.fromkeys(facts):
        value = answers.get(fact)
        copied[fact] = list(value) if isinstance(value, list) else value
    return copied


@st.composite
def static_condition(draw: st.DrawFn) -> Condition:
    """Trees :func:`static_witness` can answer: ``all`` over fact and finding leaves and
    ``not`` (anything under it, ``any`` included, but no findings), never a bare ``any``:
    one there makes the witness depend on the answers, and the test would skip it.
    ``exists`` and ``missing`` go on a question that can be unanswered (age): elsewhere
    they are constant, and half of them make the tree a contradiction the test must skip."""
    leaf: st.SearchStrategy[Condition] = fact_leaf(PACK.questionnaire.questions).map(
        lambda node: (
            node
            if node.op not in ("exists", "missing") or node.fact in UNANSWERABLE
            else FactLeaf.model_validate({"fact": "age", node.op: True})
        )
    )
    # explicit depth instead of st.recursive, whose over-size draws are retried and
    # count against the examples that reach the assertion
    small: st.SearchStrategy[Condition] = st.one_of(
        leaf,
        st.lists(leaf, min_size=1, max_size=2).map(lambda c: AllOf(all=c)),
        st.lists(leaf, min_size=1, max_size=2).map(lambda c: AnyOf(any=c)),
        leaf.map(lambda c: NotOf.model_validate({"not": c})),
    )
    negated = small.map(lambda c: NotOf.model_validate({"not": c}))
    leaves: st.SearchStrategy[Condition] = st.one_of(
        leaf,
        st.sampled_from(FINDINGS).map(lambda f: FindingLeaf(finding=f)),
        negated,
    )
    groups = st.lists(leaves, min_size=1, max_size=2).map(lambda c: AllOf(all=c))
    tree: Condition = draw(
        st.one_of(
            leaves,
            st.lists(st.one_of(leaves, groups), min_size=1, max_size=3).map(lambda c: AllOf(all=c)),
        )
    )
    return tree


def _satisfying(tree: Condition, known: set[str]) -> dict[str, Any] | None:
    """Answers (to the tree's questions only) that make ``tree`` hold with the findings
    ``known``, found by the pruned search lint uses; None if no answers can."""
    rule = make_rule("tree", tree.model_dump(by_alias=True, exclude_none=True), CURL)
    sources = [
        make_rule(f"gives-{f.replace('_', '-')}", {"all": []}, {"derive": [f]})
        for f in sorted(known)
    ]
    pack = pack_of(rule, *sources)
    search = find_answers(pack, lambda state: state.rule(rule), facts_closure(pack, [tree]))
    return search.found


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=static_condition(),
    raw=answers_strategy(PACK.questionnaire),
    known=st.sets(st.sampled_from(FINDINGS)),
)
def test_static_witness_agrees_with_witness(
    tree: Condition, raw: dict[str, Any], known: set[str]
) -> None:
    """Whenever the tree holds, the walked witness names the facts the static one does.
    The drawn answers are overlaid with answers that make the tree hold (the rest of
    the answers cannot change that), so nearly every example reaches the assertion."""
    known = known | set(findings_read(tree))  # findings appear only where they must hold
    found = _satisfying(tree, known)
    assume(found is not None)  # a contradictory tree never holds
    assert found is not None
    answers = validate_answers({**raw, **found}, PACK.questionnaire)
    # The search leaves equipment unanswered (None), which validation may fill from
    # training_location's default_from; the only way the tree can stop holding.
    assume(evaluate(tree, answers, known))
    facts = static_witness(tree)
    assert facts is not None
    event("reached")
    assert list(witness(tree, answers, known, holds=True)) == list(facts)


def test_static_witness_is_none_exactly_when_an_any_decides() -> None:
    leaf = FactLeaf(fact="age", gte=45)
    other = FactLeaf(fact="squat_felt_most", eq="glutes")
    assert static_witness(AllOf(all=[leaf, other])) == ("age", "squat_felt_most")
    assert static_witness(AllOf(all=[leaf, AnyOf(any=[leaf, other])])) is None
    negated = NotOf.model_validate({"not": AnyOf(any=[leaf, other])})
    assert static_witness(negated) == ("age", "squat_felt_most")
    used = sum(static_witness(rule.when) is not None for rule in PACK.rules)
    assert 0 < used < len(PACK.rules)


def test_engine_explanations_match_the_walked_witness() -> None:
    from legrules import Engine

    engine = Engine(PACK)
    for raw in (
        {"squat_felt_most": "glutes", "hinge_felt_most": "lower_back", "age": 50},
        {"dominant_leg": "left", "equipment": ["dumbbells"], "heavy_sessions": "every_session"},
    ):
        answers = engine.validate(raw)
        result = engine.assess(answers)
        for firing in result.trace:
            rule = PACK.rule(firing.rule)
            known = set(result.findings)
            assert firing.matched.answers == witness(rule.when, answers, known, holds=True)


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=condition(PACK.questionnaire, FINDINGS[:4]),
    raw=answers_strategy(PACK.questionnaire, PACK),
    known=st.sets(st.sampled_from(FINDINGS[:4])),
)
def test_compiled_condition_and_witness_plan_agree_with_the_walk(
    tree: Condition, raw: dict[str, Any], known: set[str]
) -> None:
    """The engine explains a firing from the rule's compiled test and witness plan; on
    every tree (all operators, findings, nesting) they give what walking it gives."""
    answers = validate_answers(raw, PACK.questionnaire)
    holds = evaluate(tree, answers, known)
    assert compile_test(tree)(answers, known) is holds
    if holds:
        event("holds")
        planned = planned_witness(witness_plan(tree), answers, known)
        walked = witness(tree, answers, known, holds=True)
        assert list(planned.items()) == list(walked.items())


def test_witness_plan_tests_only_the_alternatives() -> None:
    """A plan names every fact outside an ``any`` unconditionally, in the walk's order."""
    age, glutes = FactLeaf(fact="age", gte=45), FactLeaf(fact="squat_felt_most", eq="glutes")
    plan = witness_plan(AllOf(all=[age, AnyOf(any=[glutes, age])]))
    assert [(test is None, facts) for test, facts in plan.steps] == [
        (True, ("age",)),
        (False, ("squat_felt_most",)),
        (False, ("age",)),
    ]


@settings(max_examples=examples(1500), deadline=None)
@given(
    leaves=st.lists(fact_leaf(PACK.questionnaire.questions), min_size=1, max_size=8),
    raw=answers_strategy(PACK.questionnaire, PACK),
)
def test_compiled_leaves_agree_with_leaf_holds(leaves: list[FactLeaf], raw: dict[str, Any]) -> None:
    """Each operator's compiled test (several are specialised) is the operator's meaning."""
    answers = validate_answers(raw, PACK.questionnaire)
    for leaf in leaves:
        assert compile_test(leaf)(answers, frozenset()) is leaf_holds(leaf, answers.get(leaf.fact))
