"""Was the safety screening answered, or only defaulted? (issue 13)

Every safety question has a default ("no", "none"), so an empty answers file used to get
the heavy plan and "nothing needs a professional's attention" without a single screening
question answered. The result now says which screening questions were not answered and
could still change the safety outcome (``Assessment.screening``); the renderers show it
as a notice at the top of the safety section.

A question counts as missing when the person did not answer it, its ``skip_if`` does not
apply to the answers given, and some safety rule that reads it is still undecided by the
answers given (three-valued logic, as the interactive questionnaire uses to skip). So a
full interactive run, which asks every screening question that can still matter, is
always complete, and ``used_to_vigorous_exercise`` is not missing for a 30-year-old.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from legrules.logic.partial import PartialState
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.schema import Rule, facts_read
from legrules.run.answers import Answers

SCREENING_GROUP = "safety"


def _applies(expected: list[str | int | bool], value: AnswerValue) -> bool:
    """A ``skip_if`` match, typed as the interactive questionnaire matches it."""
    if isinstance(value, list):
        return any(item in expected for item in value)
    return value is not None and any(
        value == item and type(value) is type(item) for item in expected
    )


class ScreeningCheck:
    """The screening questions of one pack and the safety rules reading each, worked out
    once per engine so that checking an assessment costs a partial evaluation at most."""

    def __init__(self, pack: RulePack) -> None:
        self._pack = pack
        self._questions = [q for q in pack.questionnaire.questions if q.group == SCREENING_GROUP]
        # each rule's condition walked once, not once per screening question (17 x 25
        # walks were a quarter of building an engine, 2.4 ms)
        safety = [
            (rule, frozenset(facts_read(rule.when)))
            for rule in pack.rules
            if rule.provenance == "safety"
        ]
        self._readers: dict[str, list[Rule]] = {
            q.id: [rule for rule, reads in safety if q.id in reads] for q in self._questions
        }
        rules = pack.rules_by_id()
        self._by_finding = {
            name: [rules[r] for r in by] for name, by in pack.index.derived_by.items()
        }

    def check(self, answers: Answers) -> dict[str, Any]:
        """``Assessment.screening`` as data: ``complete``, ``incomplete`` or ``not_done``
        (no screening question answered at all), and the missing question ids."""
        provided = answers.provided
        unasked = [q for q in self._questions if q.id not in provided]
        if not unasked:
            return {"status": "complete", "missing": []}
        known = {q: answers[q] for q in provided}
        state = PartialState(self._pack, known, self._by_finding)
        missing = [q.id for q in unasked if self._still_matters(q, known, state)]
        if not missing:
            status = "complete"
        elif len(unasked) == len(self._questions):
            status = "not_done"
        else:
            status = "incomplete"
        return {"status": status, "missing": missing}

    def _still_matters(
        self, question: Question, known: Mapping[str, AnswerValue], state: PartialState
    ) -> bool:
        for condition in question.skip_if:
            if condition.question in known and _applies(
                condition.any_of, known[condition.question]
            ):
                return False
        return any(state.rule(rule) is None for rule in self._readers[question.id])
