"""Benchmark harness: quick/full modes, same-run baselines, and a machine-readable summary.

Run: ``python -m pytest benchmarks`` (quick, under a minute) or
``python -m pytest benchmarks --bench-mode full``. Each benchmark measures its baseline
in the same run (interleaved with the code under test, so machine noise hits both),
prints the ratio and the numbers it rests on, and records them; at the end the figures
are written to ``benchmarks/results.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

RESULTS: dict[str, Any] = {}
RESULTS_FILE = Path(__file__).with_name("results.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench-mode",
        choices=["quick", "full"],
        default=os.environ.get("LEGRULES_BENCH_MODE", "quick"),
        help="quick: under a minute in all; full: the sizes the targets are stated for",
    )


@pytest.fixture(scope="session")
def full(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--bench-mode") == "full")


def record(name: str, **figures: Any) -> None:
    """Keep figures for results.json and print them (run pytest with -s to see them live)."""
    RESULTS[name] = figures
    shown = ", ".join(f"{k}={v}" for k, v in figures.items())
    print(f"\n[{name}] {shown}")


def paired_medians(
    first: Callable[[], object], second: Callable[[], object], rounds: int, warmup: int = 50
) -> tuple[float, float]:
    """Median seconds per call of two functions, measured alternately in one loop."""
    for _ in range(warmup):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    clock = time.perf_counter
    for _ in range(rounds):
        start = clock()
        first()
        middle = clock()
        second()
        end = clock()
        a.append(middle - start)
        b.append(end - middle)
    return statistics.median(a), statistics.median(b)


def block_medians(
    first: Callable[[], object],
    second: Callable[[], object],
    blocks: int,
    size: int = 25,
) -> tuple[float, float]:
    """Median seconds per call of two functions, timed in alternating blocks.

    Each block runs one function ``size`` times back to back (after one untimed call),
    so each is measured in its own steady state, as a caller that assesses one answer
    set after another sees it; alternating the blocks keeps machine drift on both
    sides. Alternating single calls instead (``paired_medians``) makes each side pay
    for the caches the other just evicted, which favours the smaller working set.
    """
    a: list[float] = []
    b: list[float] = []
    clock = time.perf_counter
    for _ in range(blocks):
        for func, out in ((first, a), (second, b)):
            func()
            start = clock()
            for _ in range(size):
                func()
            out.append((clock() - start) / size)
    return statistics.median(a), statistics.median(b)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RESULTS:
        return
    summary = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "mode": session.config.getoption("--bench-mode"),
        "results": RESULTS,
    }
    RESULTS_FILE.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.fixture
def results() -> Callable[..., None]:
    return record
