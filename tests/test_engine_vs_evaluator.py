"""Differential test: durable-rules and the pure-Python evaluator fire the same rules.

The evaluator defines what a condition means; the compiler's job is to make durable agree
with it, including negation on unanswered questions and chaining through findings.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import Engine, validate_answers
from legrules.evaluator import run_pack
from legrules.loader import load_pack
from legrules.pack import RulePack
from legrules.paths import default_rules_dir
from tests.profiles import examples
from tests.strategies import answers_strategy, random_pack

DEFAULT_PACK = load_pack(default_rules_dir())
DEFAULT_ENGINE = Engine(DEFAULT_PACK)


@settings(max_examples=examples(3000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=answers_strategy(DEFAULT_PACK.questionnaire, DEFAULT_PACK))
def test_default_pack_engine_matches_evaluator(raw: dict[str, Any]) -> None:
    answers = validate_answers(raw, DEFAULT_PACK.questionnaire)
    expected, expected_findings = run_pack(DEFAULT_PACK, answers)
    assessment = DEFAULT_ENGINE.assess(answers)
    assert sorted(f.rule for f in assessment.trace) == sorted(expected)
    assert sorted(assessment.findings) == sorted(expected_findings)


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), pack=random_pack(DEFAULT_PACK))
def test_random_packs_engine_matches_evaluator(data: st.DataObject, pack: RulePack) -> None:
    with Engine(pack) as engine:
        for _ in range(8):
            raw = data.draw(answers_strategy(pack.questionnaire, pack))
            answers = validate_answers(raw, pack.questionnaire)
            expected, _expected_findings = run_pack(pack, answers)
            fired = engine.fired_rules(answers)
            assert len(fired) == len(set(fired)), "a rule fired twice"
            assert sorted(fired) == sorted(expected)
        assert engine.live_sessions() == 0
