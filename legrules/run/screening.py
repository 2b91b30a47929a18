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
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import Rule, facts_read, findings_read
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
    once per engine so that checking an assessment costs a partial evaluation at most.

    Most checks need no evaluation at all: a rule that reads no finding and none of
    whose questions was answered is undecided (every leaf of its condition is unknown,
    and Kleene's and, or and not of unknowns stay unknown), so a question such a rule
    reads still matters, which a set test tells. The answers are copied and rules
    evaluated only for the rules that test does not settle (a third of the check's time
    on the benchmark documents, most of which answer few screening questions).
    """

    def __init__(self, pack: RulePack) -> None:
        self._pack = pack
        self._questions = [q for q in pack.questionnaire.questions if q.group == SCREENING_GROUP]
        safety = [rule for rule in pack.rules if rule.provenance == "safety"]
        # each safety rule, the questions it reads, and whether it reads no finding
        reads = [
            (rule, frozenset(facts_read(rule.when)), not findings_read(rule.when))
            for rule in safety
        ]
        self._readers: dict[str, list[tuple[Rule, frozenset[str], bool]]] = {
            q.id: [entry for entry in reads if q.id in entry[1]] for q in self._questions
        }
        rules = pack.rules_by_id()
        self._by_finding = {
            name: [rules[r] for r in by] for name, by in pack.index.derived_by.items()
        }
        # per screening question, in order: its id, its skip_if conditions as (question,
        # values) and the rules reading it. Read from the models once: per assessment,
        # the attribute reads and Answers' Python-level look-ups were a fifth of the check.
        self._plans: list[tuple[str, _SkipIf, list[tuple[Rule, frozenset[str], bool]]]] = [
            (
                q.id,
                tuple((c.question, c.any_of) for c in q.skip_if),
                self._readers[q.id],
            )
            for q in self._questions
        ]

    def check(self, answers: Answers) -> dict[str, Any]:
        """``Assessment.screening`` as data: ``complete``, ``incomplete`` or ``not_done``
        (no screening question answered at all), and the missing question ids."""
        provided = answers.provided
        unasked = [plan for plan in self._plans if plan[0] not in provided]
        if not unasked:
            return {"status": "complete", "missing": []}
        values = answers.as_mapping()
        state: PartialState | None = None
        missing = []
        for question_id, skip_if, readers in unasked:
            if skip_if and _skipped(skip_if, provided, values):
                continue
            for rule, facts, blind in readers:
                if blind and facts.isdisjoint(provided):
                    break  # undecided without evaluating (see the class)
                if state is None:
                    known = {q: values[q] for q in provided}
                    state = PartialState(self._pack, known, self._by_finding)
                if state.rule(rule) is None:
                    break
            else:
                continue
            missing.append(question_id)
        if not missing:
            status = "complete"
        elif len(unasked) == len(self._questions):
            status = "not_done"
        else:
            status = "incomplete"
        return {"status": status, "missing": missing}


#: A question's ``skip_if``: each condition's question and the values that skip it.
_SkipIf = tuple[tuple[str, list[str | int | bool]], ...]


def _skipped(skip_if: _SkipIf, provided: frozenset[str], values: Mapping[str, AnswerValue]) -> bool:
    """Whether a question's ``skip_if`` applies to the answers given."""
    return any(
        question in provided and _applies(any_of, values[question]) for question, any_of in skip_if
    )
