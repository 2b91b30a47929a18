"""Explanations computed from the pure-Python evaluator: HOW, and WHY NOT.

HOW a recommendation was reached is already in the Assessment (``because`` and the
trace). WHY NOT answers a coach's "why didn't it suggest leg curls?": for every rule that
could have made the recommendation, either it fired (and was perhaps overruled by a
suppression or a referral), or the first condition that failed, with the answer that
failed it. It uses the evaluator rather than the engine so it works the same for a
stored answer set months later.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from legrules.explain.whyasked import find_recommendation
from legrules.logic.conditions import describe, first_failure
from legrules.logic.evaluator import run_pack
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.schema import AnyOf, FindingLeaf, Rule, facts_read
from legrules.pack.values import show_value
from legrules.run.assessment import Assessment
from legrules.text import WIDTH, wrap


@dataclass(frozen=True)
class RuleVerdict:
    """One candidate rule's part in a recommendation that was (or was not) made.

    A rule that did not fire says why in one of three ways: the condition that failed
    (``failed_condition``, with the ``answers`` it read, ``shown`` as a coach reads
    them), the finding it needed (``missing_finding``, and the rules that could have
    derived it), or, for an audit record whose answers are redacted, that the log
    cannot tell (``redacted``: the redacted answers its condition reads; empty when it
    reads them only through findings derived from them).
    """

    rule: str
    title: str
    outcome: Literal["fired", "not_fired"]
    failed_condition: str | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    missing_finding: str | None = None
    derived_by: list[str] = field(default_factory=list)
    suppressed_by: str | None = None
    shown: dict[str, str] = field(default_factory=dict)
    redacted: list[str] | None = None

    def because(self) -> str:
        """What happened to this rule, as one sentence (after its id and title)."""
        if self.outcome == "fired":
            if self.suppressed_by:
                return f"fired, but its recommendation was withheld by {self.suppressed_by}."
            return "fired."
        if self.redacted is not None:
            reads = (
                f"its condition reads the redacted answer(s) {', '.join(self.redacted)}"
                if self.redacted
                else "it depends on findings derived from redacted answers"
            )
            return (
                f"did not fire (the recorded trace says so); {reads}, so the log cannot say "
                "which part of its condition failed."
            )
        if self.missing_finding is not None:
            sources = ", ".join(self.derived_by) or "no rule"
            return (
                f"did not fire: it needs the finding {self.missing_finding}, which none of "
                f"the rules that can derive it ({sources}) derived for these answers."
            )
        answers = "; ".join(
            f"{fact} = {self.shown.get(fact, show_value(value))}"
            for fact, value in self.answers.items()
        )
        return (
            f"did not fire: the condition '{self.failed_condition}' failed "
            f"({answers or 'no answers'})."
        )


@dataclass(frozen=True)
class WhyNot:
    """WHY NOT for one recommendation: made or not, and every rule that could make it.

    :meth:`lines` is the one way it is written: ``legrules explain --why-not``,
    ``legrules audit explain`` and the library all print it.
    """

    recommendation: str
    made: bool
    verdicts: list[RuleVerdict]
    title: str = ""

    def lines(self, width: int = WIDTH) -> list[str]:
        shown = f"{self.title} ({self.recommendation})" if self.title else self.recommendation
        fired = [v.rule for v in self.verdicts if v.outcome == "fired"]
        withheld_by = list(dict.fromkeys(v.suppressed_by for v in self.verdicts if v.suppressed_by))
        if self.made:
            summary = f"{shown} was recommended, by {', '.join(fired)}."
        elif not self.verdicts:
            summary = f"{shown} was not recommended: no rule in this pack can recommend it."
        elif withheld_by:
            summary = (
                f"{shown} was not recommended: {', '.join(fired)} made it, but it was withheld "
                f"by {', '.join(withheld_by)}."
            )
        else:
            count = len(self.verdicts)
            summary = (
                f"{shown} was not recommended: none of the {count} rule"
                f"{'s' if count != 1 else ''} that can make it fired for these answers."
            )
        out = wrap(summary, "  ", width, first="")
        for verdict in sorted(self.verdicts, key=lambda v: v.outcome != "fired"):
            out += ["", f"- {verdict.rule}: {verdict.title}"]
            out += wrap(verdict.because(), "    ", width, first="    ")
        return out

    def text(self, width: int = WIDTH) -> str:
        return "\n".join(self.lines(width)) + "\n"


def why_not(
    pack: RulePack,
    answers: Mapping[str, AnswerValue],
    recommendation: str,
    assessment: Assessment | None = None,
    *,
    fired: Collection[str] | None = None,
    redacted: Collection[str] = (),
) -> WhyNot:
    """Explain why ``recommendation`` was or was not made for these (validated) answers.

    ``assessment``, when given, supplies suppressions and the final recommendations; the
    rest is recomputed from the answers. A stored record passes ``fired`` (its trace: the
    rules that did fire) and ``redacted`` (answers given but not kept, passed as
    unanswered). A rule that did not fire and reads a redacted answer, or misses a
    finding the stored result has, gets an "uncertain" verdict naming the redacted
    answers it reads, rather than a failed condition guessed from a blank.

    ``recommendation`` is an id or a title (see
    :func:`legrules.explain.whyasked.find_recommendation`); an unknown one raises
    UnknownIdError with a did-you-mean, so a typo is not answered with "no rule can
    recommend it".
    """
    recommendation = find_recommendation(pack, recommendation)
    ran, findings = run_pack(pack, answers)
    fired = set(ran if fired is None else fired)
    found = frozenset(findings)
    hidden = frozenset(redacted)
    stored = frozenset(assessment.findings) if assessment is not None else found
    questions = pack.questions()
    rules = pack.rules_by_id()
    withheld = {s.recommendation: s.by for s in assessment.suppressed} if assessment else {}
    made = (
        assessment.recommendation(recommendation) is not None if assessment is not None else False
    )
    verdicts: list[RuleVerdict] = []
    for rule_id in pack.index.recommended_by.get(recommendation, ()):
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
        verdict = _not_fired(pack, rule, answers, found, questions)
        exact = not set(verdict.answers) & hidden and (
            verdict.missing_finding is None or verdict.missing_finding not in stored
        )
        if hidden and not exact:
            reads = [name for name in facts_read(rule.when) if name in hidden]
            verdict = RuleVerdict(rule_id, rule.title, "not_fired", redacted=reads)
        verdicts.append(verdict)
    if assessment is None:
        made = any(v.outcome == "fired" and v.suppressed_by is None for v in verdicts)
    return WhyNot(
        recommendation, made, verdicts, title=pack.recommendations()[recommendation].title
    )


def _not_fired(
    pack: RulePack,
    rule: Rule,
    answers: Mapping[str, AnswerValue],
    found: frozenset[str],
    questions: Mapping[str, Question],
) -> RuleVerdict:
    """The first part of ``rule``'s condition that failed, with the answers it read."""
    path = first_failure(rule.when, answers, found)
    leaf = path[-1] if path else rule.when
    # Under an "any", every alternative failed: report the whole alternative group.
    group = next((node for node in reversed(path) if isinstance(node, AnyOf)), None)
    if isinstance(leaf, FindingLeaf):
        return RuleVerdict(
            rule=rule.id,
            title=rule.title,
            outcome="not_fired",
            failed_condition=describe(leaf),
            missing_finding=leaf.finding,
            derived_by=list(pack.index.derived_by.get(leaf.finding, ())),
        )
    failed = group if group is not None else leaf
    read = {fact: answers.get(fact) for fact in facts_read(failed)}
    return RuleVerdict(
        rule=rule.id,
        title=rule.title,
        outcome="not_fired",
        failed_condition=describe(failed),
        answers=read,
        shown={
            fact: show_value(value, questions.get(fact), "both") for fact, value in read.items()
        },
    )


def finding_sources(assessment: Assessment) -> dict[str, list[str]]:
    """Finding -> the rules that derived it in this assessment (HOW a finding came about)."""
    sources: dict[str, list[str]] = {}
    for firing in assessment.trace:
        for name in firing.asserted.derive:
            sources.setdefault(name, []).append(firing.rule)
    return sources
