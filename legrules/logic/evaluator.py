"""A pure-Python run of a whole pack: the oracle the durable engine is tested against.

It fires rules in pack order (priority, then file order) and repeats until nothing new
fires, which for monotonic findings reaches the same fixed point as any firing order.
Explanations of rules that did *not* fire are computed with it as well, so they do not
depend on engine internals.
"""

from __future__ import annotations

from collections.abc import Mapping

from legrules.logic.conditions import evaluate
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue


def run_pack(pack: RulePack, answers: Mapping[str, AnswerValue]) -> tuple[list[str], list[str]]:
    """Rule ids that fire and findings derived, each in the order this evaluator found them."""
    fired: list[str] = []
    findings: list[str] = []
    changed = True
    while changed:
        changed = False
        for rule in pack.rules:
            if rule.id in fired:
                continue
            if evaluate(rule.when, answers, frozenset(findings)):
                fired.append(rule.id)
                findings.extend(f for f in rule.then.derive if f not in findings)
                changed = True
    return fired, findings
