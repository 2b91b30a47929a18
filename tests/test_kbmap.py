"""Every knowledge-base item is accounted for, and docs/knowledge-base-map.md is current."""

from __future__ import annotations

from legrules import Engine
from legrules.authoring.kbmap import load_coverage, render, rows
from tests.conftest import REPO


def test_every_item_is_a_rule_or_encoded_structurally(engine: Engine) -> None:
    missing = [row.item for row in rows(engine.pack) if not row.accounted_for]
    assert not missing, f"knowledge-base items with no rule and no structural encoding: {missing}"


def test_every_rule_has_a_case_that_fires_it(engine: Engine) -> None:
    lacking = [row.item for row in rows(engine.pack) if row.rules and not row.cases]
    assert not lacking


def test_rules_cite_only_known_items(engine: Engine) -> None:
    items = set(load_coverage(engine.pack.root).items)
    unknown = {(rule.id, kb) for rule in engine.pack.rules for kb in rule.kb if kb not in items}
    assert not unknown


def test_every_rule_cites_an_item(engine: Engine) -> None:
    assert not [rule.id for rule in engine.pack.rules if not rule.kb]


def test_committed_map_is_current(engine: Engine) -> None:
    committed = (REPO / "docs" / "knowledge-base-map.md").read_text(encoding="utf-8")
    assert committed == render(engine.pack), (
        "docs/knowledge-base-map.md is stale: "
        "python -m legrules.authoring.kbmap > docs/knowledge-base-map.md"
    )
