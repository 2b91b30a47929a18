"""Why a question is asked, what an unanswered one silences, and id lookups.

MYCIN's WHY for the questionnaire and ``legrules questions ID``: which rules read an
answer and what they can conclude, computed from the pack. Also the lookups that turn
an id typed on the command line into a rule, question or recommendation, with a
did-you-mean when it is not one (:class:`legrules.errors.UnknownIdError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from legrules.errors import UnknownIdError, closest
from legrules.logic.partial import (
    PartialState,
    evaluate3,
    facts_closure,
    leaves_by_fact,
    value_domain,
)
from legrules.logic.withholding import refers
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import Question
from legrules.pack.schema import FactLeaf, Rule, facts_read, findings_read, walk
from legrules.pack.typed import leaf_in_words
from legrules.run.plan import PLAN_FACTS


def find_rule(pack: RulePack, rule_id: str) -> Rule:
    """The rule with this id; UnknownIdError (exit 2) with a did-you-mean otherwise."""
    rules = pack.rules_by_id()
    if rule_id not in rules:
        raise UnknownIdError("rule", rule_id, list(rules), "`legrules rules list`")
    return rules[rule_id]


def find_question(pack: RulePack, question_id: str) -> Question:
    """The question with this id; UnknownIdError (exit 2) with a did-you-mean otherwise."""
    questions = pack.questions()
    if question_id not in questions:
        raise UnknownIdError("question", question_id, list(questions), "`legrules questions`")
    return questions[question_id]


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
    conclusions. Unknown ids raise UnknownIdError (exit 2) with a did-you-mean.
    """
    question = find_question(pack, question_id)
    catalogue = pack.recommendations()
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
        readers.append(
            Reader(
                rule=rule.id,
                title=rule.title,
                when=when,
                others=others,
                recommends=[catalogue[r.id].title for r in rule.then.recommend],
                derives=[name.replace("_", " ") for name in rule.then.derive],
                leads_to=list(pack.index.feeds(rule.id)),
                withholds_plan=refers(rule, catalogue),
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


def find_recommendation(pack: RulePack, text: str) -> str:
    """The recommendation id ``text`` names (see :func:`resolve_recommendation`);
    UnknownIdError (exit 2) with a did-you-mean otherwise, so a typo is never answered
    with "no rule can recommend it". The one lookup the library and the CLI share."""
    found = resolve_recommendation(pack, text)
    if found is None:
        raise UnknownIdError(
            "recommendation",
            text,
            list(pack.recommendations()),
            "`legrules rules graph`",
            suggestion=suggest_recommendation(pack, text),
        )
    return found


def silenced_rules(pack: RulePack, question_id: str) -> list[str]:
    """Rules that cannot fire while ``question_id`` is unanswered, whatever else is.

    Decided by the partial evaluator with only this question known (to be unanswered),
    through findings too: a rule whose ``any:`` has another way to fire is not
    silenced, and one that needs a finding only this answer can give is.
    """
    state = PartialState(pack, {question_id: None})
    return [
        rule.id
        for rule in pack.rules
        if question_id in facts_closure(pack, [rule.when]) and state.rule(rule) is False
    ]
