"""The one place that shapes what the engine sees.

Answers become one flat fact of scalars. A multi-select answer becomes one boolean per
allowed value plus a count, because flat equality tests are what the engine matches
fastest and most predictably. An unanswered question is *absent* from the fact, never
``null``, so that "exists" and "missing" mean what they say.

Field names live in their own namespace, so that no question id or option can collide
with another or with the engine's bookkeeping (``_t`` the kind of fact, ``sid`` the
session, ``id`` a finding's name): a scalar answer is ``q_<question id>``, a
multi-select's count ``n_<question id>`` and its options ``o_<question id>__<k>`` with
``k`` the option's position in the question's values. Question ids are
``[a-z][a-z0-9_]*``, so each name splits back uniquely (the prefix, and for options the
digits after the last ``__``); options go by position because their text is free (``n``,
``a__b``, quotes, dots) and would otherwise collide or be read as a path by the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from legrules.pack.questionnaire import AnswerValue, Questionnaire

KIND_KEY = "_t"
ANSWERS_KIND = "answers"
FINDING_KIND = "finding"
SEP = "__"

FactValue = bool | int | str
Fact = dict[str, FactValue]


def answer_field(question_id: str) -> str:
    """Fact field holding a bool, int or enum answer."""
    return f"q_{question_id}"


def item_field(question_id: str, position: int) -> str:
    """Fact field for the value at ``position`` in a multi-select question's values."""
    return f"o_{question_id}{SEP}{position}"


def count_field(question_id: str) -> str:
    """Fact field holding how many values of a multi-select answer were chosen."""
    return f"n_{question_id}"


def finding_fact(finding: str) -> Fact:
    return {KIND_KEY: FINDING_KIND, "id": finding}


class FactBuilder:
    """The answers as one flat fact; ``fields`` (if given) keeps only what rules read
    (leaving out fields no rule tests changes no match, and the engine's cost per fact
    grows with its size). Planned once per questionnaire and field set.

    An engine builds one fact per assessment; working out which questions and options
    matter every time cost as much as building the fact.
    """

    def __init__(self, questionnaire: Questionnaire, fields: Set[str] | None = None) -> None:
        self._scalars: list[tuple[str, str]] = []
        self._multis: list[tuple[str, list[tuple[str, str]], str | None]] = []
        for question in questionnaire.questions:
            if question.type == "multi":
                options = [
                    (option, item_field(question.id, position))
                    for position, option in enumerate(question.values or ())
                    if fields is None or item_field(question.id, position) in fields
                ]
                count = count_field(question.id)
                keep_count = fields is None or count in fields
                if options or keep_count:
                    self._multis.append((question.id, options, count if keep_count else None))
            elif fields is None or answer_field(question.id) in fields:
                self._scalars.append((question.id, answer_field(question.id)))

    def build(self, answers: Mapping[str, AnswerValue]) -> Fact:
        fact: Fact = {KIND_KEY: ANSWERS_KIND}
        for question_id, name in self._scalars:
            value = answers.get(question_id)
            if value is not None and not isinstance(value, list):
                fact[name] = value
        for question_id, options, count in self._multis:
            value = answers.get(question_id)
            if not isinstance(value, list):
                continue
            for option, name in options:
                fact[name] = option in value
            if count is not None:
                fact[count] = len(value)
        return fact
