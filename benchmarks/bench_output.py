"""Output size on the 400 varied documents: the self-contained Assessment JSON (as
``assess --format json`` writes it, and as one compact line of batch output) and the
compact record (audit log, ``assess --batch --compact``), medians in bytes.

It also measures what the self-contained JSON would weigh if each reason named its rule
instead of carrying the rule's texts, which the pack gives back by rule id: the
contract (docs/CONTRACT.md section 3) requires ``because[].rationale`` and ``source`` in
every reason and allows only additive changes, so that is the size a contract change
would buy, reported beside the target rather than met by breaking the contract."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from typing import Any

import pytest
from pydantic_core import to_json

from benchmarks.documents import varied_documents
from legrules import Engine
from legrules.run.compact import compact, expand

# what a reason repeats from its rule (the pack has each once, keyed by the rule id)
RULE_TEXT = ("title", "rationale", "source", "provenance", "rule_version")


def _reasons_by_reference(data: dict[str, Any]) -> dict[str, Any]:
    for recommendation in data["recommendations"]:
        for reason in recommendation["because"]:
            for key in RULE_TEXT:
                del reason[key]
    return data


def test_output_sizes(full: bool, results: Callable[..., None]) -> None:
    with Engine() as engine:
        outputs = [engine.assess(d) for d in varied_documents(engine.pack, 1000 if full else 400)]
        indented = [len(a.to_json().encode()) for a in outputs]
        line = [len(a.model_dump_json().encode()) for a in outputs]
        small = [len(to_json(compact(a, engine.pack))) for a in outputs]
        by_reference = [
            len(to_json(_reasons_by_reference(a.model_dump(mode="json")))) for a in outputs
        ]
        for result in outputs[:50]:  # lossless, as tests/test_compact.py checks in full
            stored = json.loads(to_json(compact(result, engine.pack)))
            assert expand(stored, engine.pack) == result.model_dump(mode="json")
    figures = {
        "self_contained_indented_median_bytes": statistics.median(indented),
        "self_contained_line_median_bytes": statistics.median(line),
        "compact_median_bytes": statistics.median(small),
        "compact_max_bytes": max(small),
        "self_contained_line_max_bytes": max(line),
        "reasons_by_reference_line_median_bytes": statistics.median(by_reference),
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
            "(target 12 KB); with each reason naming its rule instead of carrying its texts "
            f"(a contract change) {figures['reasons_by_reference_line_median_bytes']} bytes"
        )
