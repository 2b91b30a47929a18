"""Many threads on one engine give exactly the sequential results (durable is not re-entrant)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import Engine
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.strategies import answers_strategy

THREADS = 8
PER_THREAD = 500


def _answer_sets(count: int) -> list[dict[str, Any]]:
    questionnaire = load_pack(default_rules_dir()).questionnaire
    collected: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=answers_strategy(questionnaire))
    def collect(raw: dict[str, Any]) -> None:
        collected.append(raw)

    collect()
    return collected


def _comparable(engine: Engine, raw: dict[str, Any]) -> str:
    result = engine.assess(raw)
    return result.model_copy(update={"assessment_id": "", "created_at": ""}).to_json()


@pytest.fixture
def fast_switching() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # where durable's own dispatcher dropped actions and crashed
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@pytest.mark.usefixtures("fast_switching")
def test_eight_threads_match_sequential_results(engine: Engine) -> None:
    answer_sets = _answer_sets(60)
    work = [
        answer_sets[(t * 7 + i) % len(answer_sets)]
        for t in range(THREADS)
        for i in range(PER_THREAD)
    ]
    expected = {i: _comparable(engine, raw) for i, raw in enumerate(answer_sets)}
    index = {id(raw): i for i, raw in enumerate(answer_sets)}
    failures: list[BaseException] = []
    results: list[list[tuple[int, str]]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def worker(slot: int) -> None:
        try:
            start.wait()
            for raw in work[slot * PER_THREAD : (slot + 1) * PER_THREAD]:
                results[slot].append((index[id(raw)], _comparable(engine, raw)))
        except BaseException as error:  # reported below, never swallowed
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)  # a hang bound: a deadlock fails the test, not the suite
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not failures, failures
    assert sum(len(r) for r in results) == THREADS * PER_THREAD
    for per_thread in results:
        for answer_index, output in per_thread:
            assert output == expected[answer_index]
    assert engine.live_sessions() == 0


@settings(max_examples=25, deadline=None)
@given(raw=st.data())
def test_same_input_gives_byte_identical_output(raw: st.DataObject, engine: Engine) -> None:
    answers = raw.draw(answers_strategy(engine.questionnaire))
    first = _comparable(engine, answers)
    with Engine() as other:
        assert _comparable(other, answers) == first
    assert _comparable(engine, answers) == first
