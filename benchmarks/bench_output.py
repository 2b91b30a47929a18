"""Output size on the 400 varied documents: the self-contained Assessment JSON (as
``assess --format json`` writes it, and as one compact line of batch output) and the
compact record (audit log, ``assess --batch --compact``), medians in bytes."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable

import pytest
from pydantic_core import to_json

from benchmarks.documents import varied_documents
from legrules import Engine
from legrules.run.compact import compact, expand


def test_output_sizes(full: bool, results: Callable[..., None]) -> None:
    with Engine() as engine:
        outputs = [engine.assess(d) for d in varied_documents(engine.pack, 1000 if full else 400)]
        indented = [len(a.to_json().encode()) for a in outputs]
        line = [len(a.model_dump_json().encode()) for a in outputs]
        small = [len(to_json(compact(a, engine.pack))) for a in outputs]
        for result in outputs[:50]:  # lossless, as tests/test_compact.py checks in full
            stored = json.loads(to_json(compact(result, engine.pack)))
            assert expand(stored, engine.pack) == result.model_dump(mode="json")
    figures = {
        "self_contained_indented_median_bytes": statistics.median(indented),
        "self_contained_line_median_bytes": statistics.median(line),
        "compact_median_bytes": statistics.median(small),
        "compact_max_bytes": max(small),
        "self_contained_line_max_bytes": max(line),
    }
    results(
        "output_size",
        documents=len(outputs),
        **figures,
        targets="compact <= 6 KB, self-contained <= 12 KB (medians)",
    )
    assert figures["compact_median_bytes"] <= 6 * 1024
    if figures["self_contained_line_median_bytes"] > 12 * 1024:
        pytest.xfail(
            f"self-contained JSON median {figures['self_contained_line_median_bytes']} bytes "
            "(target 12 KB)"
        )
