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
