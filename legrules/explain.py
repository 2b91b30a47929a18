"""Explanations computed from the pure-Python evaluator: HOW, and WHY NOT.

HOW a recommendation was reached is already in the Assessment (``because`` and the
trace). WHY NOT answers a coach's "why didn't it suggest leg curls?": for every rule that
could have made the recommendation, either it fired (and was perhaps overruled by a
suppression or a referral), or the first condition that failed, with the answer that
failed it. It uses the evaluator rather than the engine so it works the same for a
stored answer set months later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from legrules.assessment import Assessment
from legrules.conditions import describe, facts_read, findings_read, first_failure, walk
from legrules.errors import EXIT_BAD_INPUT, LegrulesError, Problem, RulePackError, closest
from legrules.evaluator import run_pack
from legrules.interview import leaf_in_words
from legrules.pack import RulePack
from legrules.partial import evaluate3, leaves_by_fact, value_domain
from legrules.questionnaire import AnswerValue, Question
from legrules.ruleschema import AnyOf, FactLeaf, FindingLeaf, Rule
from legrules.skips import PLAN_FACTS
from legrules.values import show_value
from legrules.wrap import WIDTH, wrap


class UnknownIdError(LegrulesError):
    """An id on the command line (rule, question, recommendation) that the pack lacks."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, kind: str, given: str, known: list[str], where: str) -> None:
        self.suggestion = closest(given, known)
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        super().__init__(
            f"unknown {kind} id {given!r}{hint}; {where} lists them",
            problems=[
                Problem(
                    location=given,
                    message=f"unknown {kind} id",
                    allowed=f"the ids {where} lists",
                    suggestion=self.suggestion,
                )
            ],
        )


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
        raise RulePackError(
            [
                Problem(
                    location=recommendation,
                    message="unknown recommendation id",
                    allowed=", ".join(known),
                    suggestion=closest(recommendation, known),
                )
            ]
        )
    fired, findings = run_pack(pack, answers)
    found = frozenset(findings)
    questions = pack.questions()
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
        read = {fact: answers.get(fact) for fact in facts_read(failed)}
        verdicts.append(
            RuleVerdict(
                rule=rule_id,
                title=rule.title,
                outcome="not_fired",
                failed_condition=describe(failed),
                answers=read,
                shown={
                    fact: show_value(value, questions.get(fact), "both")
                    for fact, value in read.items()
                },
            )
        )
    if assessment is None:
        made = any(v.outcome == "fired" and v.suppressed_by is None for v in verdicts)
    return WhyNot(recommendation, made, verdicts, title=known[recommendation].title)


@dataclass(frozen=True)
class Reader:
    """One rule that reads a question: when it cares, and what it can conclude."""

    rule: str
    title: str
    when: list[str]
    others: list[str]
    recommends: list[str]
    derives: list[str]
    leads_to: list[str]
    withholds_plan: bool
    alone: bool = False


@dataclass(frozen=True)
class WhyAsked:
    """MYCIN's WHY: why a question is asked, computed from the pack."""

    question: str
    prompt: str
    why: str
    readers: list[Reader]
    plan_reads: bool = False
    default_for: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Why we ask: {self.why}"]
        if self.readers:
            out.append("Rules that read this answer:")
            for reader in self.readers:
                out.append(f"  - {reader.title} ({reader.rule})")
                condition = "; ".join(reader.when)
                if reader.alone and reader.others:
                    condition += " (that alone is enough)"
                elif reader.others:
                    condition += " (together with other answers)"
                out.append(f"    {condition}")
                effects = []
                if reader.withholds_plan:
                    effects.append("refers you to a professional instead of giving a plan")
                if reader.recommends:
                    effects.append("recommends " + ", ".join(reader.recommends))
                if reader.derives:
                    effects.append("concludes " + ", ".join(reader.derives))
                if effects:
                    out.append("    it " + "; ".join(effects))
                if reader.leads_to:
                    out.append("    which other rules build on: " + ", ".join(reader.leads_to))
        else:
            out.append("No rule in this pack reads this answer yet.")
        if self.plan_reads:
            out.append("The plan uses it to mark exercises your equipment cannot do.")
        if self.default_for:
            out.append("Its answer sets the default of: " + ", ".join(self.default_for))
        return out


def why_asked(pack: RulePack, question_id: str) -> WhyAsked:
    """Why a question is asked: its ``why`` text plus every rule that reads it.

    For each reading rule: its conditions on this answer in plain words, whether it also
    needs other answers, what it recommends or concludes, and which rules build on its
    conclusions. Unknown ids raise RulePackError with a did-you-mean.
    """
    questions = pack.questions()
    question = questions.get(question_id)
    if question is None:
        raise UnknownIdError("question", question_id, list(questions), "`legrules questions`")
    catalogue = pack.recommendations()
    readers_of_finding: dict[str, list[str]] = {}
    for rule in pack.rules:
        for finding in findings_read(rule.when):
            readers_of_finding.setdefault(finding, []).append(rule.id)
    readers: list[Reader] = []
    for rule in pack.rules:
        leaves = [
            (node, negated)
            for node, negated in walk(rule.when)
            if isinstance(node, FactLeaf) and node.fact == question_id
        ]
        if not leaves:
            continue
        when = list(dict.fromkeys(leaf_in_words(leaf, question, neg) for leaf, neg in leaves))
        others = [fact for fact in facts_read(rule.when) if fact != question_id]
        others += [f"finding {name}" for name in findings_read(rule.when)]
        leads_to = list(
            dict.fromkeys(
                reader for name in rule.then.derive for reader in readers_of_finding.get(name, [])
            )
        )
        readers.append(
            Reader(
                rule=rule.id,
                title=rule.title,
                when=when,
                others=others,
                recommends=[catalogue[r.id].title for r in rule.then.recommend],
                derives=[name.replace("_", " ") for name in rule.then.derive],
                leads_to=leads_to,
                withholds_plan=any(catalogue[r.id].withholds_plan for r in rule.then.recommend),
                alone=_enough_alone(pack, rule, question),
            )
        )
    return WhyAsked(
        question=question.id,
        prompt=question.prompt,
        why=" ".join(question.why.split()),
        readers=readers,
        plan_reads=question_id in PLAN_FACTS,
        default_for=[
            q.id
            for q in pack.questionnaire.questions
            if q.default_from is not None and q.default_from.question == question_id
        ],
    )


def _enough_alone(pack: RulePack, rule: Rule, question: Question) -> bool:
    """Whether some answer to ``question`` makes ``rule`` fire whatever else is answered."""
    leaves = leaves_by_fact(pack, [question.id])[question.id]
    return any(
        evaluate3(rule.when, {question.id: value}, lambda _name: None) is True
        for value in value_domain(question, leaves)
    )


def finding_sources(assessment: Assessment) -> dict[str, list[str]]:
    """Finding -> the rules that derived it in this assessment (HOW a finding came about)."""
    sources: dict[str, list[str]] = {}
    for firing in assessment.trace:
        for name in firing.asserted.derive:
            sources.setdefault(name, []).append(firing.rule)
    return sources


def resolve_recommendation(pack: RulePack, text: str) -> str | None:
    """A recommendation id from what a coach types: ``leg_curl``, ``leg-curl``, ``Leg curls``.

    Exact ids first, then the id with spaces or hyphens as underscores, then (for text
    without underscores, which is words rather than an id) the catalogue title,
    case-insensitive, with or without a plural ``s``. None if nothing matches:
    ``leg_curls`` is a typo of an id, answered with :func:`suggest_recommendation`.
    """
    catalogue = pack.recommendations()
    if text in catalogue:
        return text
    folded = " ".join(text.casefold().replace("_", " ").replace("-", " ").split())
    as_id = folded.replace(" ", "_")
    if as_id in catalogue:
        return as_id
    if "_" in text:  # an id with a typo, not a title: leave it to the did-you-mean
        return None
    for rec_id, definition in catalogue.items():
        title = definition.title.casefold()
        if folded in (title, title.rstrip("s"), title + "s") or folded.rstrip("s") == title:
            return rec_id
    return None


def suggest_recommendation(pack: RulePack, text: str) -> str | None:
    catalogue = pack.recommendations()
    as_id = "_".join(text.casefold().replace("-", " ").split())
    return closest(as_id, catalogue, cutoff=0.5)


def silenced_rules(pack: RulePack, question_id: str) -> list[str]:
    """Rules that cannot fire while ``question_id`` is unanswered (they test its value).

    A test on an unanswered question is false, except ``missing`` (and ``not`` around a
    test), so a rule that needs the answer to hold is silenced; one that only tests it
    under ``not`` or with ``missing`` is not.
    """
    silenced = []
    for rule in pack.rules:
        if any(
            isinstance(node, FactLeaf)
            and node.fact == question_id
            and not negated
            and node.op != "missing"
            for node, negated in walk(rule.when)
        ):
            silenced.append(rule.id)
    return silenced
