"""Targets 1 and 2: end-to-end assess vs bare durable; matching vs compiled Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.baselines import BareDurable, compiled_python
from benchmarks.conftest import block_medians, paired_medians
from legrules import Engine
from legrules.run.facts import FactBuilder

# A lifter with several findings: compensation in squats and hinges, one leg dominant,
# rushing reps, not tracking, heavy every session. Many rules fire and one chain runs.
ANSWERS: dict[str, Any] = {
    "age": 38,
    "squat_felt_most": "glutes",
    "hinge_felt_most": "lower_back",
    "dominant_leg": "left",
    "rep_speed": "sometimes_rushed",
    "tracks_progress": "sometimes",
    "heavy_sessions": "every_session",
    "current_exercises": ["squat", "deadlift", "lunge"],
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def test_assess_end_to_end_vs_bare_durable(
    benchmark: BenchmarkFixture, engine: Engine, full: bool, results: Callable[..., None]
) -> None:
    """Target 1: Engine.assess() (validation, engine, explanations, plan, Assessment
    model) has a median at or below durable's public API alone on the same pack."""
    bare = BareDurable(engine)
    fact = FactBuilder(engine.questionnaire).build(engine.validate(ANSWERS))

    def ours_call() -> object:
        return engine.assess(ANSWERS)

    def bare_call() -> None:
        bare.run(fact)

    blocks = 200 if full else 60
    ours, theirs = block_medians(ours_call, bare_call, blocks)
    # the same pair alternating call by call, for the record (see block_medians)
    rounds = 3000 if full else 1000
    ours_alt, theirs_alt = paired_medians(ours_call, bare_call, rounds)
    benchmark.pedantic(engine.assess, args=(ANSWERS,), rounds=200, iterations=1)
    ratio = ours / theirs
    results(
        "assess_vs_bare_durable",
        assess_median_us=round(ours * 1e6, 1),
        bare_durable_median_us=round(theirs * 1e6, 1),
        ratio=round(ratio, 3),
        target="<= 1.0",
        blocks=blocks,
        block_size=25,
        call_by_call_assess_median_us=round(ours_alt * 1e6, 1),
        call_by_call_bare_median_us=round(theirs_alt * 1e6, 1),
        call_by_call_ratio=round(ours_alt / theirs_alt, 3),
    )
    assert ratio <= 1.0, f"assess is {ratio:.2f}x the bare durable public API"


def test_matching_vs_compiled_python(
    benchmark: BenchmarkFixture, engine: Engine, full: bool, results: Callable[..., None]
) -> None:
    """Target 2: the rule-matching step alone within 10x of generated Python."""
    answers = engine.validate(ANSWERS)
    match = compiled_python(engine.pack)
    assert sorted(match(answers)) == sorted(engine.fired_rules(answers))
    rounds = 5000 if full else 1500
    ours, baseline = paired_medians(
        lambda: engine.fired_rules(answers), lambda: match(answers), rounds
    )
    benchmark.pedantic(engine.fired_rules, args=(answers,), rounds=200, iterations=1)
    ratio = ours / baseline
    results(
        "matching_vs_compiled_python",
        engine_match_median_us=round(ours * 1e6, 1),
        compiled_python_median_us=round(baseline * 1e6, 1),
        ratio=round(ratio, 2),
        target="<= 10",
        rounds=rounds,
    )
    assert ratio <= 10, f"matching is {ratio:.1f}x generated Python"
