"""Target 4: RSS grows less than 2 MiB over 100,000 assessments after warm-up, and the
engine holds no session afterwards."""

from __future__ import annotations

import gc
import resource
from collections.abc import Callable
from pathlib import Path

from legrules import Engine


def _rss_bytes() -> int:
    """Current resident set size (Linux /proc; ru_maxrss as a fallback)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_memory_is_flat(full: bool, results: Callable[..., None]) -> None:
    answer_sets: list[dict[str, object]] = [
        {"squat_felt_most": "glutes", "hinge_felt_most": "lower_back"},
        {"pain_type": "sharp"},
        {"dominant_leg": "right", "rep_speed": "usually_momentum", "age": 52},
        {"training_location": "home_gym", "equipment": ["dumbbells"]},
    ]
    count = 100_000 if full else 10_000
    with Engine() as engine:
        validated = [engine.validate(a) for a in answer_sets]
        for i in range(2_000):  # warm-up: caches, allocator arenas
            engine.assess(validated[i % len(validated)])
        gc.collect()
        before = _rss_bytes()
        for i in range(count):
            engine.assess(validated[i % len(validated)])
        gc.collect()
        after = _rss_bytes()
        live = engine.live_sessions()
    growth = after - before
    results(
        "memory",
        assessments=count,
        rss_before_mib=round(before / 2**20, 2),
        rss_after_mib=round(after / 2**20, 2),
        growth_kib=round(growth / 1024, 1),
        live_sessions=live,
        target="growth < 2048 KiB over 100,000",
    )
    assert live == 0
    assert growth < 2 * 2**20
