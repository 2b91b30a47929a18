"""The finding index (``RulePack.index``) says what a brute-force walk of the rules says."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from legrules.pack.index import PackIndex, index_rules
from legrules.pack.model import RulePack
from legrules.pack.schema import FactLeaf, FindingLeaf, walk
from tests.profiles import examples
from tests.rulekit import SHIPPED
from tests.strategies import random_pack


def _brute(pack: RulePack) -> dict[str, dict[str, list[str]]]:
    tables: dict[str, dict[str, list[str]]] = {
        "derived_by": {},
        "read_by": {},
        "asked_by": {},
        "recommended_by": {},
    }
    for rule in pack.rules:
        for node, _ in walk(rule.when):
            if isinstance(node, FindingLeaf):
                tables["read_by"].setdefault(node.finding, [])
                if rule.id not in tables["read_by"][node.finding]:
                    tables["read_by"][node.finding].append(rule.id)
            if isinstance(node, FactLeaf):
                tables["asked_by"].setdefault(node.fact, [])
                if rule.id not in tables["asked_by"][node.fact]:
                    tables["asked_by"][node.fact].append(rule.id)
        for name in rule.then.derive:
            tables["derived_by"].setdefault(name, []).append(rule.id)
        for rec in rule.then.recommend:
            tables["recommended_by"].setdefault(rec.id, [])
            if rule.id not in tables["recommended_by"][rec.id]:
                tables["recommended_by"][rec.id].append(rule.id)
    return tables


def _upstream(pack: RulePack, start: set[str]) -> set[str]:
    """Fixpoint: add any rule deriving a finding some rule in the set reads."""
    found = set(start)
    while True:
        more = {
            deriver.id
            for rule in pack.rules
            if rule.id in found
            for node, _ in walk(rule.when)
            if isinstance(node, FindingLeaf)
            for deriver in pack.rules
            if node.finding in deriver.then.derive
        }
        if more <= found:
            return found
        found |= more


def _check(pack: RulePack, index: PackIndex) -> None:
    brute = _brute(pack)
    assert {k: list(v) for k, v in index.derived_by.items()} == brute["derived_by"]
    assert {k: list(v) for k, v in index.read_by.items()} == brute["read_by"]
    assert {k: list(v) for k, v in index.asked_by.items()} == brute["asked_by"]
    assert {k: list(v) for k, v in index.recommended_by.items()} == brute["recommended_by"]
    for rule in pack.rules:
        feeds = {reader for name in rule.then.derive for reader in brute["read_by"].get(name, [])}
        assert set(index.feeds(rule.id)) == feeds
        assert index.upstream([rule.id]) == _upstream(pack, {rule.id})


def test_the_shipped_index_equals_a_walk_of_the_rules() -> None:
    _check(SHIPPED, SHIPPED.index)
    assert SHIPPED.index is SHIPPED.index  # built once per pack
    assert SHIPPED.index.derived_by["hamstrings_underused"]  # the pack chains findings


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack=random_pack(SHIPPED))
def test_a_random_pack_index_equals_a_walk_of_the_rules(pack: RulePack) -> None:
    _check(pack, pack.index)


def test_a_pack_with_other_rules_has_its_own_index() -> None:
    smaller = SHIPPED.with_rules(SHIPPED.rules[:2])
    assert smaller.index == index_rules(SHIPPED.rules[:2])
    assert smaller.index != SHIPPED.index
