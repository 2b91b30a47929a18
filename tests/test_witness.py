"""Explanations: the per-rule shortcut for "which answers made this rule true" must give
exactly what walking the condition gives, for every condition it is used on."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import validate_answers
from legrules.conditions import evaluate, static_witness, witness
from legrules.loader import load_pack
from legrules.paths import default_rules_dir
from legrules.ruleschema import AllOf, AnyOf, Condition, FactLeaf, NotOf
from tests.profiles import examples
from tests.strategies import answers_strategy, condition

PACK = load_pack(default_rules_dir())
FINDINGS = sorted({f for rule in PACK.rules for f in rule.then.derive})


def _holds_and_static(
    tree: Condition, raw: dict[str, Any], known: set[str]
) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    answers = validate_answers(raw, PACK.questionnaire)
    facts = static_witness(tree)
    if facts is None or not evaluate(tree, answers, known):
        return None
    return witness(tree, answers, known, holds=True), facts


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=condition(PACK.questionnaire, FINDINGS),
    raw=answers_strategy(PACK.questionnaire),
    known=st.sets(st.sampled_from(FINDINGS)),
)
def test_static_witness_agrees_with_witness(
    tree: Condition, raw: dict[str, Any], known: set[str]
) -> None:
    pair = _holds_and_static(tree, raw, known)
    if pair is not None:
        walked, facts = pair
        assert list(walked) == list(facts)


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
