"""Target 6: batch throughput with worker processes; speed-up from 1 to 2 workers."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

from legrules.batch import run_batch

CHOICES: dict[str, list[str | int]] = {
    "squat_felt_most": ["glutes", "quads", "evenly", "not_sure"],
    "hinge_felt_most": ["lower_back", "hamstrings", "not_sure"],
    "dominant_leg": ["none", "left", "right"],
    "rep_speed": ["controlled", "sometimes_rushed", "usually_momentum"],
    "heavy_sessions": ["none", "some", "every_session"],
    "days_available": [1, 2, 3, 4],
}


def _write_input(path: Path, count: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(count):
            doc: dict[str, str | int] = {key: rng.choice(values) for key, values in CHOICES.items()}
            doc["age"] = rng.randint(18, 70)
            out.write(json.dumps(doc) + "\n")


def test_batch_speedup(tmp_path: Path, full: bool, results: Callable[..., None]) -> None:
    count = 20_000 if full else 4_000
    source = tmp_path / "in.jsonl"
    _write_input(source, count)
    seconds: dict[int, float] = {}
    for workers in (1, 2):
        target = tmp_path / f"out-{workers}.jsonl"
        start = time.perf_counter()
        report = run_batch(source, target, workers=workers)
        seconds[workers] = time.perf_counter() - start
        assert report.assessed == count
        assert not report.bad_lines
    one, two = (
        [json.loads(x)["recommendations"] for x in (tmp_path / name).read_text().splitlines()]
        for name in ("out-1.jsonl", "out-2.jsonl")
    )
    assert one == two, "worker count must not change any result"
    speedup = seconds[1] / seconds[2]
    results(
        "batch",
        documents=count,
        one_worker_s=round(seconds[1], 2),
        two_workers_s=round(seconds[2], 2),
        docs_per_s_two_workers=round(count / seconds[2]),
        speedup=round(speedup, 2),
        target=">= 1.7 on 2 cores",
    )
    assert speedup >= 1.7
