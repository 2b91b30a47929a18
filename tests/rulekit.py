"""Small hand-built rules for tests that need a pack with exactly these rules in it."""

from __future__ import annotations

from typing import Any

from legrules.pack.model import RulePack
from legrules.pack.schema import Rule
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

SHIPPED = load_pack(default_rules_dir())


def make_rule(rule_id: str, when: dict[str, Any], then: dict[str, Any], priority: int = 0) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "title": rule_id,
            "version": 1,
            "priority": priority,
            "provenance": "inferred",
            "when": when,
            "then": then,
            "because": "test",
            "sources": [{"ref": next(iter(SHIPPED.meta.references))}],
        }
    )


def pack_of(*rules: Rule) -> RulePack:
    """The shipped questionnaire and catalogue with only these rules."""
    return SHIPPED.with_rules(rules)
