"""Issue 13 section 4: the questionnaire asks at most 30 prompts of a typical lifter.

It skips what cannot change the result and asks runs of yes/no questions as one
checklist; each persona is walked the way the terminal walks it (``walk`` and
``next_prompt``), answering from its answers file and taking the default elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from legrules import Engine
from legrules.interview.skips import default_for, next_prompt, walk
from legrules.pack.questionnaire import AnswerValue
from tests.conftest import EXAMPLES

PERSONAS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".json", ".yaml"})


def prompts_for(engine: Engine, answers: dict[str, AnswerValue]) -> list[list[str]]:
    given: dict[str, AnswerValue] = {}
    asked: list[list[str]] = []
    while batch := next_prompt(steps := walk(engine.pack, given)):
        asked.append([step.question.id for step in batch])
        for step in batch:
            question = step.question
            given[question.id] = (
                answers[question.id] if question.id in answers else default_for(question, steps)
            )
    return asked


@pytest.mark.parametrize("path", PERSONAS, ids=[p.stem for p in PERSONAS])
def test_a_typical_lifter_gets_at_most_30_prompts(engine: Engine, path: Path) -> None:
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    asked = prompts_for(engine, answers)
    assert len(asked) <= 30, asked
    # a checklist is only ever yes/no questions of one group
    questions = engine.pack.questions()
    for batch in (b for b in asked if len(b) > 1):
        assert {questions[q].type for q in batch} == {"bool"}
        assert len({questions[q].group for q in batch}) == 1
        # never with a question whose answer decides whether it applies
        deciders = {c.question for q in batch for c in questions[q].skip_if}
        assert not deciders & set(batch)


def test_the_screening_yes_no_questions_are_one_checklist(engine: Engine) -> None:
    first = prompts_for(engine, {})[0]
    assert first[0] == "parq_heart_condition"
    assert len(first) == 7
