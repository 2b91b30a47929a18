"""A loaded, cross-checked rule pack: the immutable input to the compiler and engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from legrules.pack.catalogue import Catalogue, RecommendationDef
from legrules.pack.index import PackIndex, index_rules
from legrules.pack.questionnaire import Question, Questionnaire
from legrules.pack.schema import PackMeta, Rule


@dataclass(frozen=True)
class RuleLocation:
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def firing_order(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """Rules by priority, ties in the order given (file order): the order they fire in."""
    return tuple(sorted(rules, key=lambda rule: rule.priority))


@dataclass(frozen=True)
class RulePack:
    """Everything one pack defines. Rules are in firing order: priority, then file order."""

    root: Path
    meta: PackMeta
    questionnaire: Questionnaire
    catalogue: Catalogue
    rules: tuple[Rule, ...]
    locations: dict[str, RuleLocation] = field(default_factory=dict, compare=False)

    def with_rules(self, rules: Iterable[Rule]) -> RulePack:
        """This pack's questionnaire and catalogue with other rules (given in file order;
        they have no file locations)."""
        return replace(self, rules=firing_order(rules), locations={})

    @cached_property
    def index(self) -> PackIndex:
        """Who derives, reads, asks and recommends what, built on first use. Safe to
        cache: the pack is frozen, and :meth:`with_rules` makes a new pack."""
        return index_rules(self.rules)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def rules_by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def questions(self) -> dict[str, Question]:
        return self.questionnaire.by_id()

    def recommendations(self) -> dict[str, RecommendationDef]:
        return self.catalogue.by_id()
