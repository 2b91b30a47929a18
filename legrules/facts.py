"""The one place that shapes what the engine sees.

Answers become one flat fact of scalars. A multi-select answer becomes one boolean per
allowed value (``equipment__leg_curl: true``) plus a count (``equipment__n``), because
flat equality tests are what the engine matches fastest and most predictably. An
unanswered question is *absent* from the fact, never ``null``, so that "exists" and
"missing" mean what they say.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from legrules.questionnaire import AnswerValue, Questionnaire

KIND_KEY = "_t"
ANSWERS_KIND = "answers"
FINDING_KIND = "finding"
SEP = "__"

FactValue = bool | int | str
Fact = dict[str, FactValue]


def item_field(question_id: str, value: str) -> str:
    """Fact field for one value of a multi-select answer."""
    return f"{question_id}{SEP}{value}"


def count_field(question_id: str) -> str:
    """Fact field holding how many values of a multi-select answer were chosen."""
    return f"{question_id}{SEP}n"


def answers_fact(
    answers: Mapping[str, AnswerValue],
    questionnaire: Questionnaire,
    fields: Set[str] | None = None,
) -> Fact:
    """The answers as one flat fact; ``fields`` (if given) keeps only what rules read.

    Leaving out fields no rule tests changes no match, and the engine's cost per fact
    grows with its size.
    """
    fact: Fact = {KIND_KEY: ANSWERS_KIND}
    for question in questionnaire.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type == "multi":
            chosen = set(value) if isinstance(value, list) else set()
            for option in question.values or ():
                fact[item_field(question.id, option)] = option in chosen
            fact[count_field(question.id)] = len(chosen)
        elif not isinstance(value, list):
            fact[question.id] = value
    if fields is not None:
        fact = {k: v for k, v in fact.items() if k == KIND_KEY or k in fields}
    return fact


def finding_fact(finding: str) -> Fact:
    return {KIND_KEY: FINDING_KIND, "id": finding}
