"""RSS grows less than 2 MiB over 100,000 assessments of the varied raw documents (with
validation and the JSON output) after warm-up, and the engine holds no session after."""

from __future__ import annotations

import gc
import resource
from collections.abc import Callable
from pathlib import Path

from benchmarks.documents import varied_documents
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
    count = 100_000 if full else 10_000
    with Engine() as engine:
        documents = varied_documents(engine.pack)
        for i in range(2_000):  # warm-up: caches, allocator arenas
            engine.assess(documents[i % len(documents)]).to_json()
        gc.collect()
        before = _rss_bytes()
        for i in range(count):  # raw documents: validation, engine, output and its JSON
            engine.assess(documents[i % len(documents)]).to_json()
        gc.collect()
        after = _rss_bytes()
        live = engine.live_sessions()
    growth = after - before
    results(
        "memory",
        assessments=count,
        documents=len(documents),
        rss_before_mib=round(before / 2**20, 2),
        rss_after_mib=round(after / 2**20, 2),
        growth_kib=round(growth / 1024, 1),
        live_sessions=live,
        target="growth < 2048 KiB over 100,000",
    )
    assert live == 0
    assert growth < 2 * 2**20
