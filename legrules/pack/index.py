"""Who derives, reads, asks and recommends what in a pack: one index, built once.

Explanations, rule docs, the loader's cycle check, lint, replay and the partial
evaluator all ask "which rules derive finding X?" or "which rules read it?". Each used to
rebuild the answer by walking every rule, and the copies drifted (some returned rule
objects, some ids, one merged two packs). This is the one place; a loaded pack carries
it as :attr:`legrules.pack.model.RulePack.index`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from legrules.pack.schema import Rule, facts_read, findings_read


@dataclass(frozen=True)
class PackIndex:
    """Rule ids keyed by what they touch, each tuple in the order the rules were given
    (a pack's rules are in firing order, so "the first deriver" means the same here as
    in the engine)."""

    derived_by: Mapping[str, tuple[str, ...]]
    """finding -> rules deriving it"""
    read_by: Mapping[str, tuple[str, ...]]
    """finding -> rules matching it"""
    asked_by: Mapping[str, tuple[str, ...]]
    """question -> rules reading its answer"""
    recommended_by: Mapping[str, tuple[str, ...]]
    """recommendation -> rules making it"""
    reads: Mapping[str, tuple[str, ...]]
    """rule -> findings it matches (union over rules given twice under one id)"""
    derives: Mapping[str, tuple[str, ...]]
    """rule -> findings it derives (union over rules given twice under one id)"""

    def feeds(self, rule_id: str) -> tuple[str, ...]:
        """Rules that read a finding ``rule_id`` derives: the ones it can make fire."""
        return tuple(
            dict.fromkeys(
                reader
                for finding in self.derives.get(rule_id, ())
                for reader in self.read_by.get(finding, ())
            )
        )

    def upstream(self, rule_ids: Iterable[str]) -> set[str]:
        """The rules plus every rule deriving a finding they read, transitively: all
        that can change whether they fire."""
        found = set(rule_ids)
        todo = list(found)
        while todo:
            for finding in self.reads.get(todo.pop(), ()):
                for deriver in self.derived_by.get(finding, ()):
                    if deriver not in found:
                        found.add(deriver)
                        todo.append(deriver)
        return found


def index_rules(rules: Iterable[Rule]) -> PackIndex:
    """The index of ``rules``. Usually read as ``pack.index``; the loader (no pack yet)
    and replay (two packs at once) build it from a list of rules."""
    derived_by: dict[str, list[str]] = {}
    read_by: dict[str, list[str]] = {}
    asked_by: dict[str, list[str]] = {}
    recommended_by: dict[str, list[str]] = {}
    reads: dict[str, list[str]] = {}
    derives: dict[str, list[str]] = {}

    def add(table: dict[str, list[str]], key: str, value: str) -> None:
        column = table.setdefault(key, [])
        if value not in column:
            column.append(value)

    for rule in rules:
        reads.setdefault(rule.id, [])
        derives.setdefault(rule.id, [])
        for finding in rule.then.derive:
            add(derived_by, finding, rule.id)
            add(derives, rule.id, finding)
        for finding in findings_read(rule.when):
            add(read_by, finding, rule.id)
            add(reads, rule.id, finding)
        for fact in facts_read(rule.when):
            add(asked_by, fact, rule.id)
        for rec in rule.then.recommend:
            add(recommended_by, rec.id, rule.id)

    def freeze(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        return {key: tuple(values) for key, values in table.items()}

    return PackIndex(
        derived_by=freeze(derived_by),
        read_by=freeze(read_by),
        asked_by=freeze(asked_by),
        recommended_by=freeze(recommended_by),
        reads=freeze(reads),
        derives=freeze(derives),
    )
