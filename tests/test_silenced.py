"""Which rules an unanswered question silences (the CLI's unanswered-question warning)."""

from __future__ import annotations

from typing import Any

import pytest

from legrules.explain.whyasked import silenced_rules
from tests.rulekit import SHIPPED, make_rule, pack_of

OVER_45 = {"fact": "age", "gt": 45}
GLUTES = {"fact": "squat_felt_most", "eq": "glutes"}
CURL = {"recommend": [{"id": "leg_curl"}]}


@pytest.mark.parametrize(
    ("when", "silenced"),
    [
        (OVER_45, True),
        ({"all": [OVER_45, GLUTES]}, True),
        ({"not": OVER_45}, False),
        ({"fact": "age", "missing": True}, False),
        ({"any": [OVER_45, GLUTES]}, False),  # the other branch can still fire it
        ({"not": {"any": [{"not": OVER_45}, GLUTES]}}, True),
        (GLUTES, False),  # does not read age at all
    ],
)
def test_silenced_rules(when: dict[str, Any], silenced: bool) -> None:
    pack = pack_of(make_rule("r", when, CURL))
    assert silenced_rules(pack, "age") == (["r"] if silenced else [])


def test_a_rule_silenced_through_a_finding() -> None:
    older = make_rule("older", OVER_45, {"derive": ["older_lifter"]})
    reader = make_rule("reader", {"finding": "older_lifter"}, CURL, priority=1)
    assert silenced_rules(pack_of(older, reader), "age") == ["older", "reader"]


def test_the_shipped_pack() -> None:
    assert silenced_rules(SHIPPED, "age") == [
        "youth-supervised-technique",
        "over-45-not-used-to-vigorous",
    ]
