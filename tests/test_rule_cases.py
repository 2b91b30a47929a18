"""The generic driver for rule test cases kept as data in rules/tests/*.yaml."""

from __future__ import annotations

import pytest

from legrules import Engine
from legrules.authoring.ruletests import load_cases, run_all, run_case
from legrules.paths import default_rules_dir

CASES = load_cases(default_rules_dir() / "tests")


@pytest.mark.parametrize(
    ("file", "case"), CASES, ids=[f"{file}::{case.name}" for file, case in CASES]
)
def test_rule_case(engine: Engine, file: str, case: object) -> None:
    from legrules.authoring.ruletests import Case

    assert isinstance(case, Case)
    result = run_case(engine, file, case)
    assert result.passed, "\n".join(result.failures)


def test_every_rule_is_covered_by_a_firing_and_a_silent_case(engine: Engine) -> None:
    _, coverage = run_all(engine)
    gaps = coverage.uncovered(engine.pack.rules)
    assert not gaps, "\n".join(f"{rule}: {', '.join(why)}" for rule, why in gaps.items())


def test_a_failing_case_is_reported(engine: Engine) -> None:
    from legrules.authoring.ruletests import Case

    bad = Case(name="wrong on purpose", answers={}, fires=["glute-dominance"])
    result = run_case(engine, "inline", bad)
    assert result.failures == ["expected 'glute-dominance' to fire"]
