"""Negated comparisons at their threshold: the engine agrees with the evaluator at k-1,
k and k+1. ``not (x < k)`` is ``x >= k``; compiled as ``x > k`` it differs only at
``x == k``, which no shipped rule and few random answers hit."""

from __future__ import annotations

import pytest

from legrules.logic.evaluator import run_pack
from legrules.run.answers import validate_answers
from legrules.run.engine import Engine
from tests.rulekit import make_rule, pack_of

OPS = ("lt", "lte", "gt", "gte")
PACK = pack_of(
    *(
        make_rule(f"not-{op}", {"not": {"fact": "pain_score", op: 6}}, {"derive": [f"not_{op}"]})
        for op in OPS
    ),
    *(
        make_rule(f"plain-{op}", {"fact": "pain_score", op: 6}, {"derive": [f"plain_{op}"]})
        for op in OPS
    ),
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(PACK)


@pytest.mark.parametrize("score", [5, 6, 7])
def test_negated_comparisons_at_the_threshold(engine: Engine, score: int) -> None:
    answers = validate_answers({"pain_score": score}, PACK.questionnaire)
    expected, _ = run_pack(PACK, answers)
    assert sorted(engine.fired_rules(answers)) == sorted(expected)
    # and the evaluator is right: not (6 < 6) holds, not (6 <= 6) does not
    assert ("not-lt" in expected) == (score >= 6)
    assert ("not-lte" in expected) == (score > 6)
