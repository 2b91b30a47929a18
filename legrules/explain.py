"""Explanations computed from the pure-Python evaluator: HOW, and WHY NOT.

HOW a recommendation was reached is already in the Assessment (``because`` and the
trace). WHY NOT answers a coach's "why didn't it suggest leg curls?": for every rule that
could have made the recommendation, either it fired (and was perhaps overruled by a
suppression or a referral), or the first condition that failed, with the answer that
failed it. It uses the evaluator rather than the engine so it works the same for a
stored answer set months later.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from legrules.assessment import Assessment
from legrules.conditions import describe, facts_read, first_failure
from legrules.errors import Problem, RulePackError
from legrules.evaluator import run_pack
from legrules.pack import RulePack
from legrules.questionnaire import AnswerValue
from legrules.ruleschema import AnyOf, FindingLeaf


@dataclass(frozen=True)
class RuleVerdict:
    """One candidate rule's part in a recommendation that was (or was not) made."""

    rule: str
    title: str
    outcome: Literal["fired", "not_fired"]
    failed_condition: str | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    missing_finding: str | None = None
    derived_by: list[str] = field(default_factory=list)
    suppressed_by: str | None = None

    def sentence(self) -> str:
        if self.outcome == "fired":
            if self.suppressed_by:
                return (
                    f"{self.rule} fired, but its recommendation was withheld by "
                    f"{self.suppressed_by}"
                )
            return f"{self.rule} fired"
        if self.missing_finding is not None:
            sources = ", ".join(self.derived_by) or "no rule"
            return (
                f"{self.rule} did not fire: it needs the finding {self.missing_finding}, "
                f"which none of its sources ({sources}) derived for these answers"
            )
        shown = ", ".join(
            f"{fact} = {'unanswered' if value is None else repr(value)}"
            for fact, value in self.answers.items()
        )
        return f"{self.rule} did not fire: the condition '{self.failed_condition}' failed ({shown})"


@dataclass(frozen=True)
class WhyNot:
    recommendation: str
    made: bool
    verdicts: list[RuleVerdict]

    def lines(self) -> list[str]:
        head = (
            f"{self.recommendation} was recommended"
            if self.made
            else f"{self.recommendation} was not recommended"
        )
        if not self.verdicts:
            return [head, "no rule in this pack can recommend it"]
        return [head, *(v.sentence() for v in self.verdicts)]


def candidate_rules(pack: RulePack, recommendation: str) -> list[str]:
    """Rule ids (in firing order) that can recommend ``recommendation``."""
    return [
        rule.id for rule in pack.rules if any(r.id == recommendation for r in rule.then.recommend)
    ]


def why_not(
    pack: RulePack,
    answers: Mapping[str, AnswerValue],
    recommendation: str,
    assessment: Assessment | None = None,
) -> WhyNot:
    """Explain why ``recommendation`` was or was not made for these (validated) answers.

    ``assessment``, when given, supplies suppressions and the final recommendations; the
    rest is recomputed from the answers. Unknown ids raise RulePackError with a
    did-you-mean, so a typo is not answered with "no rule can recommend it".
    """
    known = pack.recommendations()
    if recommendation not in known:
        close = difflib.get_close_matches(recommendation, list(known), n=1)
        raise RulePackError(
            [
                Problem(
                    location=recommendation,
                    message="unknown recommendation id",
                    allowed=", ".join(known),
                    suggestion=close[0] if close else None,
                )
            ]
        )
    fired, findings = run_pack(pack, answers)
    found = frozenset(findings)
    rules = pack.rules_by_id()
    derivers: dict[str, list[str]] = {}
    for rule in pack.rules:
        for finding in rule.then.derive:
            derivers.setdefault(finding, []).append(rule.id)
    withheld = {s.recommendation: s.by for s in assessment.suppressed} if assessment else {}
    made = (
        assessment.recommendation(recommendation) is not None if assessment is not None else False
    )
    verdicts: list[RuleVerdict] = []
    for rule_id in candidate_rules(pack, recommendation):
        rule = rules[rule_id]
        if rule_id in fired:
            verdicts.append(
                RuleVerdict(
                    rule=rule_id,
                    title=rule.title,
                    outcome="fired",
                    suppressed_by=withheld.get(recommendation),
                )
            )
            continue
        path = first_failure(rule.when, answers, found)
        leaf = path[-1] if path else rule.when
        # Under an "any", every alternative failed: report the whole alternative group.
        group = next((node for node in reversed(path) if isinstance(node, AnyOf)), None)
        if isinstance(leaf, FindingLeaf):
            verdicts.append(
                RuleVerdict(
                    rule=rule_id,
                    title=rule.title,
                    outcome="not_fired",
                    failed_condition=describe(leaf),
                    missing_finding=leaf.finding,
                    derived_by=derivers.get(leaf.finding, []),
                )
            )
            continue
        failed = group if group is not None else leaf
        verdicts.append(
            RuleVerdict(
                rule=rule_id,
                title=rule.title,
                outcome="not_fired",
                failed_condition=describe(failed),
                answers={fact: answers.get(fact) for fact in facts_read(failed)},
            )
        )
    if assessment is None:
        made = any(v.outcome == "fired" and v.suppressed_by is None for v in verdicts)
    return WhyNot(recommendation=recommendation, made=made, verdicts=verdicts)
