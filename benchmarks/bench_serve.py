"""Service: ``legrules serve`` under load (wrk against 127.0.0.1), 1 and 2 workers,
against ``Engine.assess`` called directly in the same run, with the audit log on.

Every figure comes from the same run, best of two rounds: the direct calls (one
process, then two independent processes on one log: the machine's own two-process
ceiling), then the server with one worker, then with two; and the same without the log,
which shows the HTTP layer's own cost. wrk runs for a fixed time (bounded); it reports
requests/s and the latency percentiles. Afterwards every record of each server's audit
log must verify, and there must be at least as many records as wrk counted responses.

With the log on, each record costs an fsync (synchronous=FULL). One worker records on
its event loop, as direct calls do: on this machine the fsync is a small part of a
record, and overlapping it in a thread pool cost more in GIL hand-overs than it saved
(legrules/serve/api.py). Two processes share one SQLite file whose writers take turns,
so a second worker adds less with the log on than without it.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from legrules.api import Engine
from legrules.audit import AuditLog
from tests.conftest import EXAMPLES
from tests.serving import Server

WRK = shutil.which("wrk")
pytestmark = pytest.mark.skipif(WRK is None, reason="wrk is not installed (apt-get install wrk)")

ANSWERS = json.loads((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """One wrk run: requests/s, completed requests, p50 and p99 latency (seconds)."""
    assert WRK is not None
    out = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    assert "Non-2xx" not in out, out
    assert "Socket errors" not in out, out

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+(\S+)\s*$", out, re.MULTILINE)
        assert found, out
        return _seconds(found.group(1))

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    done = re.search(r"^\s+(\d+) requests in", out, re.MULTILINE)
    assert rate, out
    assert done, out
    return {
        "rps": float(rate.group(1)),
        "requests": int(done.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
    }


def _direct(log: Path | None, seconds: float) -> float:
    """Assessments per second calling Engine.assess in this process (audit log ``log``)."""
    with Engine(audit_log=log) as engine:
        for _ in range(50):
            engine.assess(ANSWERS)
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            engine.assess(ANSWERS)
            done += 1
        return done / (time.perf_counter() - start)


def _direct_two_processes(log: Path, seconds: float) -> float:
    """The same in two independent processes at once (one log): their summed rate."""
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        return sum(pool.map(_direct, [log, log], [seconds, seconds]))


def _serve(
    home: Path, script: Path, seconds: int, workers: int, log: Path | None
) -> dict[str, float]:
    home.mkdir()
    options = ["--workers", str(workers)] + (["--audit-log", str(log)] if log else [])
    server = Server(home, *options)
    try:
        _wrk(server.url + "v1/assess", 1, 4, script)  # warm-up: every worker's first calls
        return _wrk(server.url + "v1/assess", seconds, 4 * workers, script)
    finally:
        assert server.stop() == 0


def _rps(run: dict[str, float]) -> float:
    return run["rps"]


def _verified(log: Path) -> int:
    with AuditLog(log, readonly=True) as opened:
        report = opened.verify()
        assert report.ok, report.lines()
        return opened.count()


def test_serve_throughput(tmp_path: Path, full: bool, results: Callable[..., None]) -> None:
    seconds = 15 if full else 5
    script = tmp_path / "assess.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(ANSWERS))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    rounds = 2
    direct: dict[str, list[float]] = {"one": [], "two": [], "bare": []}
    runs: dict[str, list[dict[str, float]]] = {"1": [], "2": [], "bare": [], "bare2": []}
    for number in range(rounds):
        home = tmp_path / f"round-{number}"
        home.mkdir()
        direct["one"].append(_direct(home / "direct-1.db", seconds))
        direct["two"].append(_direct_two_processes(home / "direct-2.db", seconds))
        _verified(home / "direct-1.db")
        _verified(home / "direct-2.db")
        for workers in (1, 2):
            log = home / f"served-{workers}.db"
            run = _serve(home / f"workers-{workers}", script, seconds, workers, log)
            records = _verified(log)
            assert records >= run["requests"], (records, run)
            runs[str(workers)].append(run)
        # the HTTP layer's own cost, without the log's fsync per record on both sides
        direct["bare"].append(_direct(None, seconds))
        runs["bare"].append(_serve(home / "no-log", script, seconds, 1, None))
        runs["bare2"].append(_serve(home / "no-log-2", script, seconds, 2, None))
    # the best of the rounds: a neighbour on the machine can only take time away
    direct_one, direct_two, direct_bare = (max(direct[k]) for k in ("one", "two", "bare"))
    served = {1: max(runs["1"], key=_rps), 2: max(runs["2"], key=_rps)}
    served_bare = max(runs["bare"], key=_rps)
    served_bare2 = max(runs["bare2"], key=_rps)
    ratio = served[1]["rps"] / direct_one
    speedup = served[2]["rps"] / served[1]["rps"]
    ceiling = min(direct_two / direct_one, 2.0)
    results(
        "serve",
        seconds=seconds,
        rounds=rounds,
        direct_per_s=round(direct_one),
        direct_two_processes_per_s=round(direct_two),
        machine_ceiling_speedup=round(ceiling, 2),
        one_worker_rps=round(served[1]["rps"]),
        one_worker_p50_ms=round(served[1]["p50"] * 1000, 2),
        one_worker_p99_ms=round(served[1]["p99"] * 1000, 2),
        two_workers_rps=round(served[2]["rps"]),
        two_workers_p50_ms=round(served[2]["p50"] * 1000, 2),
        two_workers_p99_ms=round(served[2]["p99"] * 1000, 2),
        one_worker_vs_direct=round(ratio, 2),
        no_log_direct_per_s=round(direct_bare),
        no_log_one_worker_rps=round(served_bare["rps"]),
        no_log_one_worker_p50_ms=round(served_bare["p50"] * 1000, 2),
        no_log_one_worker_vs_direct=round(served_bare["rps"] / direct_bare, 2),
        no_log_two_workers_rps=round(served_bare2["rps"]),
        no_log_two_vs_one_worker=round(served_bare2["rps"] / served_bare["rps"], 2),
        two_workers_vs_two_direct_processes=round(served[2]["rps"] / direct_two, 2),
        two_vs_one_worker=round(speedup, 2),
        target="one worker >= 0.8 of direct; two >= 1.6x one where the ceiling allows",
    )
    # what the service controls: most of what direct calls get from one process, and
    # from two (with one log, SQLite serialises the writers of both: one fsync each)
    assert ratio >= 0.5, f"one worker {ratio:.2f} of direct calls"
    two_ratio = served[2]["rps"] / direct_two
    assert two_ratio >= 0.5, f"two workers {two_ratio:.2f} of two direct processes"
    shortfalls = []
    if ratio < 0.8:
        shortfalls.append(f"one worker {ratio:.2f} of direct calls (< 0.8)")
    if speedup < 1.6:
        shortfalls.append(
            f"two workers {speedup:.2f}x one (< 1.6), where two independent processes "
            f"gave {ceiling:.2f}x of one in the same run"
        )
    if shortfalls:
        pytest.xfail("; ".join(shortfalls))
