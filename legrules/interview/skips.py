"""Which questions the interactive questionnaire skips, given the answers so far.

A question is skipped, and takes its default, when:

* ``skip_if`` says so (``pain_score`` when there is no pain): the question does not
  apply;
* a hard red flag is already answered (a rule that withholds the plan is certain to
  fire): nothing outside the safety section can change a referral, so only the rest of
  the safety screening is asked;
* no answer to it can change the outcome: every rule that reads it is already certain
  to fire or certain not to (or no rule reads it at all), and neither the plan nor the
  default of a question that matters depends on it. ``ask_all`` turns this one off, for
  someone who wants a complete answers file.

Everything here is pure: the CLI asks, this module decides. :func:`walk` gives the whole
questionnaire's state for the answers given so far, so a changed answer on the review
screen simply re-walks (questions that now apply are asked, ones that no longer apply
are dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from legrules.logic.partial import PartialState
from legrules.logic.withholding import certain_referrals
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.schema import facts_read
from legrules.pack.values import show_value
from legrules.run.answers import _default
from legrules.run.plan import PLAN_FACTS

SkipKind = Literal["skip_if", "referral", "no_effect"]


@dataclass(frozen=True)
class Skip:
    kind: SkipKind
    text: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One question's place in the questionnaire for the answers given so far.

    ``status`` is ``answered`` (given, and still applies), ``skipped`` (takes its
    default, see ``skip``) or ``pending`` (must be asked). ``value`` is the answer, or
    the default a skipped question takes; ``None`` for a pending question.
    """

    question: Question
    status: Literal["answered", "skipped", "pending"]
    value: AnswerValue = None
    skip: Skip | None = None


def _matches(expected: list[str | int | bool], value: AnswerValue) -> bool:
    if isinstance(value, list):
        return any(item in expected for item in value)
    return value is not None and any(
        value == item and type(value) is type(item) for item in expected
    )


def skip_reason(
    pack: RulePack,
    question: Question,
    known: Mapping[str, AnswerValue],
    *,
    ask_all: bool = False,
    state: PartialState | None = None,
) -> Skip | None:
    """Why ``question`` need not be asked, given the ``known`` answers (None: ask it).

    ``known`` maps every question already settled (answered or skipped) to its value;
    questions absent from it are still open.
    """
    questions = pack.questions()
    for condition in question.skip_if:
        if condition.question in known and _matches(condition.any_of, known[condition.question]):
            other = questions[condition.question]
            return Skip(
                kind="skip_if",
                text=f"it does not apply when {other.id} is {show_value(known[other.id])}",
            )
    state = state if state is not None else PartialState(pack, known)
    if question.group != "safety":
        red_flags = certain_referrals(pack, state)
        if red_flags:
            return Skip(
                kind="referral",
                text="a safety answer already means a referral, so it cannot change the result",
                rules=tuple(red_flags),
            )
    if ask_all or _matters(pack, question, state, set()):
        return None
    return Skip(kind="no_effect", text="no answer to it can change the result")


def _matters(pack: RulePack, question: Question, state: PartialState, seen: set[str]) -> bool:
    seen.add(question.id)
    if question.id in PLAN_FACTS:
        return True
    for rule in pack.rules:
        if question.id in facts_read(rule.when) and state.rule(rule) is None:
            return True
    return any(
        other.default_from is not None
        and other.default_from.question == question.id
        and other.id not in seen
        and _matters(pack, other, state, seen)
        for other in pack.questionnaire.questions
    )


def walk(pack: RulePack, given: Mapping[str, AnswerValue], *, ask_all: bool = False) -> list[Step]:
    """The state of every question, in asking order, for the answers ``given`` so far.

    A given answer to a question that no longer applies (an earlier answer changed) is
    reported as skipped, not answered, so it is neither shown nor saved. Questions after
    the first pending one are judged with the pending ones unknown, so their status is
    the best estimate for a progress count.
    """
    known: dict[str, AnswerValue] = {}
    steps: list[Step] = []
    for question in pack.questionnaire.questions:
        skip = skip_reason(pack, question, known, ask_all=ask_all)
        if skip is not None:
            value = _default(question, known)
            known[question.id] = value
            steps.append(Step(question, "skipped", value, skip))
        elif question.id in given:
            known[question.id] = given[question.id]
            steps.append(Step(question, "answered", given[question.id]))
        else:
            steps.append(Step(question, "pending"))
    return steps


def next_pending(steps: list[Step]) -> Step | None:
    return next((step for step in steps if step.status == "pending"), None)


def answered(steps: list[Step]) -> dict[str, AnswerValue]:
    """The answers to keep (and save): given answers to questions that still apply."""
    return {step.question.id: step.value for step in steps if step.status == "answered"}


def default_for(question: Question, steps: list[Step]) -> AnswerValue:
    """The default shown for ``question``, from the answers before it."""
    earlier = {
        step.question.id: step.value for step in steps if step.status in ("answered", "skipped")
    }
    return _default(question, earlier)


def next_prompt(steps: list[Step]) -> list[Step]:
    """The questions to ask in the next prompt: the first pending one, and with it the
    yes/no questions right after it in the same group whose answer is "no" unless said
    otherwise, asked together as one checklist ("which of these apply?").

    A run of yes/no questions one by one is most of a long questionnaire; a checklist
    asks the same questions, each still answered (ticked or not) and saved under its own
    id. A question another in the run decides to skip (``skip_if``) ends the run, so a
    checklist never holds a question that its own answers could make inapplicable.
    """
    first = next_pending(steps)
    if first is None:
        return []
    if not _checkable(first, steps):
        return [first]
    start = steps.index(first)
    run = [first]
    for step in steps[start + 1 :]:
        question = step.question
        depends = any(c.question in {s.question.id for s in run} for c in question.skip_if)
        if step.status == "skipped":
            continue
        if step.status != "pending" or depends or not _checkable(step, steps):
            break
        if question.group != first.question.group:
            break
        run.append(step)
    return run


def _checkable(step: Step, steps: list[Step]) -> bool:
    return step.question.type == "bool" and default_for(step.question, steps) is False
