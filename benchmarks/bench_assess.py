"""End to end against the engine it wraps: assess vs durable's C engine alone, durable's
public Host, and generated Python, all on the same >= 400 varied documents.

Each side is timed in thread CPU time (another process's work on a busy machine does
not count against either), one block per side per round (a block is every document
once), the order of the sides rotating each round; the figure is the median over rounds
of the mean per document. Before timing, every baseline is checked on every document:
the C engine and the Host fire the same rules as ``Engine.fired_rules`` (the C engine in
the same order), and the generated Python gives the same recommendation ids, in the
same order, as ``Engine.assess``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.baselines import CEngineAlone, PublicHost, generated_python, library_fact
from benchmarks.documents import varied_documents
from legrules import Engine

Side = Callable[[], object]


def rotated_medians(sides: dict[str, Side], rounds: int) -> dict[str, float]:
    """Median seconds of thread CPU time per call of each side (see the module doc)."""
    names = list(sides)
    times: dict[str, list[float]] = {name: [] for name in names}
    clock = time.thread_time
    for round_ in range(rounds + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = clock()
            sides[name]()
            if round_:  # the first round warms every side up
                times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _each(function: Callable[[Any], object], inputs: Sequence[Any]) -> Side:
    def block() -> None:
        for item in inputs:
            function(item)

    return block


def _keeping(function: Callable[[Any], object], inputs: Sequence[Any]) -> Side:
    def block() -> None:
        kept = [function(item) for item in inputs]
        assert len(kept) == len(inputs)

    return block


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="module")
def documents(engine: Engine, full: bool) -> list[dict[str, Any]]:
    return varied_documents(engine.pack, 1000 if full else 400)


def test_assess_vs_durable_and_generated_python(
    benchmark: BenchmarkFixture,
    engine: Engine,
    documents: list[dict[str, Any]],
    full: bool,
    results: Callable[..., None],
) -> None:
    """Targets: assess <= 3x durable's C engine alone and <= 12x generated Python;
    durable's public Host (the old target 1, <= 1.0x) is recorded beside them."""
    alone = CEngineAlone(engine.compiled)
    host = PublicHost(engine.compiled)
    generated = generated_python(engine.pack)
    facts = [library_fact(engine, document) for document in documents]
    payloads = [alone.payload(fact) for fact in facts]
    validated = [engine.validate(document).to_dict() for document in documents]
    for document, fact, payload, answers in zip(documents, facts, payloads, validated):
        fired = engine.fired_rules(document)
        assert alone.run(payload) == fired, document
        assert sorted(host.run(fact)) == sorted(fired), document
        expected = [r.id for r in engine.assess(document).recommendations]
        assert generated(answers) == expected, document
    n = len(documents)
    medians = rotated_medians(
        {
            "assess": _each(engine.assess, documents),
            # a caller keeping every result (a web app's list): what once tripled
            # durable's time through malloc handing memory back (run/durable.keep_heap)
            "assess_keeping_results": _keeping(engine.assess, documents),
            "assess_json": _each(lambda d: engine.assess(d).to_json(), documents),
            "c_engine_alone": _each(alone.run, payloads),
            "public_host": _each(host.run, facts),
            "generated_python": _each(generated, validated),
        },
        rounds=15 if full else 5,
    )
    alone.close()
    per_doc = {name: seconds / n * 1e6 for name, seconds in medians.items()}
    benchmark.pedantic(engine.assess, args=(documents[-1],), rounds=50, iterations=1)
    vs_c = per_doc["assess"] / per_doc["c_engine_alone"]
    vs_python = per_doc["assess"] / per_doc["generated_python"]
    vs_host = per_doc["assess"] / per_doc["public_host"]
    results(
        "assess_vs_baselines",
        documents=n,
        **{f"{name}_us_per_doc": round(us, 1) for name, us in per_doc.items()},
        ratio_vs_c_engine_alone=round(vs_c, 2),
        ratio_vs_generated_python=round(vs_python, 1),
        ratio_vs_public_host=round(vs_host, 2),
        targets="<= 3 (C engine alone), <= 12 (generated Python); Host recorded",
    )
    missed = []
    if vs_c > 3:
        missed.append(f"assess is {vs_c:.2f}x durable's C engine alone (target 3)")
    if vs_python > 12:
        missed.append(f"assess is {vs_python:.1f}x generated Python (target 12)")
    if missed:
        pytest.xfail("; ".join(missed))
