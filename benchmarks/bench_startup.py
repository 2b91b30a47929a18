"""Target 5: `legrules --help` and `legrules assess --format json` as whole processes, at
most 2x a bare Python process that only imports the dependencies, measured alternately."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "glute-dominant.json"
BARE = [sys.executable, "-c", "import pydantic, click, yaml, durable.engine"]
HELP = [sys.executable, "-m", "legrules", "--help"]
ASSESS = [sys.executable, "-m", "legrules", "assess", "--answers", str(EXAMPLE), "--format", "json"]


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def test_startup(full: bool, results: Callable[..., None]) -> None:
    rounds = 15 if full else 5
    samples: dict[str, list[float]] = {"bare": [], "help": [], "assess": []}
    for _ in range(rounds):
        samples["bare"].append(_time(BARE))
        samples["help"].append(_time(HELP))
        samples["assess"].append(_time(ASSESS))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    results(
        "startup",
        bare_imports_ms=round(medians["bare"] * 1e3, 1),
        help_ms=round(medians["help"] * 1e3, 1),
        assess_json_ms=round(medians["assess"] * 1e3, 1),
        help_ratio=round(medians["help"] / medians["bare"], 2),
        assess_ratio=round(medians["assess"] / medians["bare"], 2),
        target="<= 2.0 each",
        rounds=rounds,
    )
    assert medians["help"] <= 2 * medians["bare"]
    assert medians["assess"] <= 2 * medians["bare"]
