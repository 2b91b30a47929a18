"""Training log: reading and measuring a five-year training log (49,920 sets) in under 1 s.

What is timed is what a caller of ``legrules assess --log FILE`` (or the library's
``Engine.assess(answers, log=read_log(path))``) waits for: the file read from disk
(bytes, UTF-8 decoding, its SHA-256 digest), parsed, the pack's exercise names and
settings loaded, every lift measured, the answers derived with their evidence, merged
with the person's own and assessed. The log ends last week, so it is current and every
habit is derived (a log judged as of a date long after it ends skips that work). Quick
mode reads the Strong export; full mode every format.

The baseline, measured in the same rounds and alternating with legrules so machine
noise hits both, is the least any CSV reader pays: the same file read from disk and
split by the standard library's csv.reader.

Each round records wall time, CPU time, and, from ``/proc/self/schedstat`` (Linux), how
long the process was runnable but waiting for a CPU. On a shared two-core machine the
wall time can miss the target while legrules' own CPU time does not: the benchmark
asserts the CPU time, and marks the wall-time target ``xfail`` only when the measured
wait for a CPU accounts for the miss (wall minus that wait under the target); any other
miss is a plain failure.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from legrules import Engine, read_log
from legrules.run.assessment import Assessment
from tests.logfactory import Synth, fitnotes_csv, five_years, hevy_csv, native_csv, strong_csv

TARGET_S = 1.0
OWN = {"squat_felt_most": "glutes", "strength_stalled": False}
SCHEDSTAT = Path("/proc/self/schedstat")


def _recent_five_years() -> list[Synth]:
    """Five years of sessions ending in the week before this one (so the log is current)."""
    today = dt.date.today()
    this_monday = today - dt.timedelta(days=today.weekday())
    return five_years(start=this_monday - dt.timedelta(weeks=260))


def _write_exports(folder: Path) -> dict[str, Path]:
    sets = _recent_five_years()
    texts = {
        "strong": strong_csv(sets, "kg", "units"),
        "hevy": hevy_csv(sets),
        "fitnotes": fitnotes_csv(sets),
        "legrules": native_csv(sets),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / f"five-years-{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def _waited() -> float:
    """Seconds this process has spent runnable but waiting for a CPU (0 if unknown)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class _Round:
    """Wall, CPU and CPU-wait seconds of one call."""

    def __init__(self, func: Callable[[], object]) -> None:
        wait, cpu, start = _waited(), time.process_time(), time.perf_counter()
        func()
        self.wall = time.perf_counter() - start
        self.cpu = time.process_time() - cpu
        self.wait = _waited() - wait


def _csv_floor(path: Path) -> object:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_five_year_log(
    benchmark: BenchmarkFixture,
    full: bool,
    results: Callable[..., None],
    tmp_path: Path,
) -> None:
    paths = _write_exports(tmp_path)
    formats = list(paths) if full else ["strong"]
    rounds = 5 if full else 3
    engine = Engine()
    figures: dict[str, float] = {}
    misses: list[str] = []
    for name in formats:
        path = paths[name]

        def run(path: Path = path) -> Assessment:
            return engine.assess(OWN, log=read_log(path))

        result = run()  # warm-up, and the check that the work was really done
        assert result.training_log is not None
        measured = {m.question for m in result.training_log.measured}
        assert {"strength_stalled", "heavy_sessions", "leg_sessions_per_week"} <= measured
        ours: list[_Round] = []
        floor: list[_Round] = []
        for _ in range(rounds):  # alternating, so a busy moment hits both sides
            ours.append(_Round(run))
            floor.append(_Round(partial(_csv_floor, path)))
        best = min(ours, key=lambda r: r.wall)
        cpu = statistics.median(r.cpu for r in ours)
        figures.update(
            {
                f"{name}_wall_s": round(best.wall, 3),
                f"{name}_wall_median_s": round(statistics.median(r.wall for r in ours), 3),
                f"{name}_cpu_median_s": round(cpu, 3),
                f"{name}_waiting_for_cpu_s": round(best.wait, 3),
                f"{name}_csv_reader_alone_s": round(min(r.wall for r in floor), 3),
                f"{name}_csv_reader_cpu_s": round(statistics.median(r.cpu for r in floor), 3),
                f"{name}_kib": path.stat().st_size // 1024,
            }
        )
        # what legrules controls: its own CPU time stays under the target
        assert cpu < TARGET_S, f"{name}: {cpu:.2f} s of CPU for one read (median)"
        if best.wall >= TARGET_S:
            assert best.wall - best.wait < TARGET_S, (
                f"{name}: {best.wall:.2f} s wall in the fastest round, of which only "
                f"{best.wait:.2f} s waiting for a CPU: not the machine's load"
            )
            misses.append(
                f"{name}: {best.wall:.2f} s wall in the fastest round = {best.cpu:.2f} s CPU + "
                f"{best.wait:.2f} s runnable but waiting for a CPU (/proc/self/schedstat)"
            )
    strong = paths["strong"]
    benchmark.pedantic(lambda: engine.assess(OWN, log=read_log(strong)), rounds=1, iterations=1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0
    results(
        "training_log",
        sets=len(_recent_five_years()),
        rounds=rounds,
        load_average=round(load, 2),
        target=f"< {TARGET_S} s",
        **figures,
    )
    engine.close()
    if misses:
        pytest.xfail("; ".join(misses) + f"; load average {load:.1f} on {os.cpu_count()} CPUs")
