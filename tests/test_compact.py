"""The compact form (legrules.run.compact): lossless, smaller, and only ever leaving out
what the pack gives back."""

from __future__ import annotations

import json
import statistics
from typing import Any

import pytest

from benchmarks.documents import varied_documents
from legrules import Engine
from legrules.run.assessment import Assessment
from legrules.run.compact import MARKER, compact, expand, is_compact


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture(scope="module")
def results(engine: Engine) -> list[Assessment]:
    return [engine.assess(document) for document in varied_documents(engine.pack, 400)]


def test_expanding_gives_back_every_field_in_order(
    engine: Engine, results: list[Assessment]
) -> None:
    for result in results:
        stored = json.loads(_json(compact(result, engine.pack)))  # as a file holds it
        assert is_compact(stored)
        expanded = expand(stored, engine.pack)
        assert _json(expanded) == _json(result.model_dump(mode="json"))
        assert Assessment.model_validate(expanded) == result


def test_compact_records_are_small(engine: Engine, results: list[Assessment]) -> None:
    full = [len(_json(r.model_dump(mode="json")).encode()) for r in results]
    small = [len(_json(compact(r, engine.pack)).encode()) for r in results]
    assert statistics.median(small) <= 6 * 1024
    assert statistics.median(small) < statistics.median(full) / 2


def test_a_value_the_pack_does_not_give_is_kept(engine: Engine, results: list[Assessment]) -> None:
    data = results[0].model_dump(mode="json")
    data["recommendations"][0]["title"] = "edited"
    data["recommendations"][0]["because"][0]["rationale"] = "another reason"
    first = data["trace"][0]
    first["matched"]["answers"] = dict.fromkeys(first["matched"]["answers"], "hash:abc") or {
        "age": "hash:abc"
    }
    small = compact(data, engine.pack)
    assert small["recommendations"][0]["title"] == "edited"
    assert small["recommendations"][0]["because"][0]["rationale"] == "another reason"
    assert expand(small, engine.pack) == data


def test_a_full_document_is_left_as_it_is(engine: Engine, results: list[Assessment]) -> None:
    data = results[0].model_dump(mode="json")
    assert MARKER not in data
    assert not is_compact(data)
    assert expand(data, engine.pack) == data
    small = compact(data, engine.pack)
    assert compact(small, engine.pack) == small


def test_expanding_does_not_share_the_packs_lists(
    engine: Engine, results: list[Assessment]
) -> None:
    with_trace = next(r for r in results if any(f.asserted.recommend for f in r.trace))
    small = compact(with_trace, engine.pack)
    first = expand(small, engine.pack)
    for firing in first["trace"]:
        firing["asserted"]["recommend"].append("changed")
    assert _json(expand(small, engine.pack)) == _json(with_trace.model_dump(mode="json"))


def test_expanded_answers_share_no_list(engine: Engine, results: list[Assessment]) -> None:
    with_lists = next(
        r
        for r in results
        if any(isinstance(v, list) for v in r.answers.values())
        and any(
            isinstance(v, list)
            for rec in r.recommendations
            for v in rec.because[0].answers.values()
        )
    )
    small = compact(with_lists, engine.pack)
    first = expand(small, engine.pack)
    for value in first["answers"].values():
        if isinstance(value, list):
            value.append("changed")
    again = expand(small, engine.pack)
    assert _json(again) == _json(with_lists.model_dump(mode="json"))
    for rec in first["recommendations"]:
        for reason in rec["because"]:
            assert all(
                "changed" not in v for v in reason["answers"].values() if isinstance(v, list)
            )
