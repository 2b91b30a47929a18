"""The model of durable's alpha network that decides how a pack is split into rulesets."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from legrules.run.alphanet import STACK_LIMIT, AlphaNet, fits_alone, most_matched, shard
from tests.profiles import examples

_CHECK = {
    "$eq": lambda x, c: x == c,
    "$neq": lambda x, c: x != c,
    "$lt": lambda x, c: x < c,
    "$lte": lambda x, c: x <= c,
    "$gt": lambda x, c: x > c,
    "$gte": lambda x, c: x >= c,
}

int_tests = st.lists(
    st.tuples(st.sampled_from(sorted(_CHECK)), st.integers(-5, 5)), min_size=1, max_size=12
)
str_tests = st.lists(
    st.tuples(st.sampled_from(["$eq", "$neq"]), st.sampled_from("abcd")), min_size=1, max_size=8
)


@settings(max_examples=examples(300), deadline=None)
@given(tests=st.one_of(int_tests, str_tests), present=st.integers(0, 2))
def test_most_matched_is_the_most_tests_one_value_passes(
    tests: list[tuple[str, Any]], present: int
) -> None:
    values: list[Any] = [*range(-8, 9), *"abcdz"]
    brute = max(
        sum(1 for op, c in tests if type(x) is type(c) and _CHECK[op](x, c))
        + sum(1 for op, c in tests if op == "$neq" and type(x) is not type(c))
        for x in values
    )
    assert most_matched([*tests, *[("$ex", 1)] * present]) == brute + present


def _rule(*leaves: dict[str, Any]) -> dict[str, Any]:
    return {"pri": 0, "all": [{"a": {"$and": [{"_t": "answers"}, *leaves]}}]}


def test_exclusive_tests_count_once_and_the_rest_add_up() -> None:
    net = AlphaNet()
    # twenty "age = k" patterns: one value passes one of them
    for k in range(20):
        assert net.add(_rule({"q_age": k}))
    # sixty "flag_k = true" patterns on different properties: one fact can pass them all
    added = [net.add(_rule({f"q_flag_{k}": True})) for k in range(60)]
    assert added.index(False) == STACK_LIMIT - 1  # the age tests take one place


def test_a_wide_any_alone_does_not_fit_and_a_narrow_one_does() -> None:
    def wide(count: int) -> dict[str, Any]:
        return {
            "$and": [{"_t": "answers"}, {"$or": [{"$neq": {"q_age": k}} for k in range(count)]}]
        }

    assert fits_alone(wide(40))
    assert not fits_alone(wide(70))


def test_shards_end_where_no_finding_crosses_when_they_can() -> None:
    definition = {f"r{k}": _rule({f"q_flag_{k}": True}) for k in range(100)}
    quiet = [True] * 101
    plain = shard(definition)
    assert [len(s) for s in plain] == [STACK_LIMIT, 100 - STACK_LIMIT]
    quiet[STACK_LIMIT] = quiet[STACK_LIMIT - 1] = False  # a finding crosses there
    chosen = shard(definition, quiet=quiet)
    assert [len(s) for s in chosen] == [STACK_LIMIT - 2, 100 - STACK_LIMIT + 2]
