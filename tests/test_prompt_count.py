"""Issue 13 section 4: the questionnaire asks at most 30 prompts of a typical lifter.

It skips what cannot change the result and asks runs of yes/no questions as one
checklist; each persona is walked the way the terminal walks it (``walk`` and
``next_prompt``), answering from its answers file and taking the default elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from legrules import Engine
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.conftest import EXAMPLES
from tests.profiles import examples
from tests.strategies import answers_strategy
from tests.test_cli_assess import script

PERSONAS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".json", ".yaml"})


def assert_checklists_are_sound(engine: Engine, asked: list[list[str]]) -> None:
    """A checklist is only ever yes/no questions of one group, none of which decides
    whether another applies; no question is asked twice."""
    flat = [q for batch in asked for q in batch]
    assert len(flat) == len(set(flat))
    questions = engine.pack.questions()
    for batch in (b for b in asked if len(b) > 1):
        assert {questions[q].type for q in batch} == {"bool"}
        assert len({questions[q].group for q in batch}) == 1
        # never with a question whose answer decides whether it applies
        deciders = {c.question for q in batch for c in questions[q].skip_if}
        assert not deciders & set(batch)


@pytest.mark.parametrize("path", PERSONAS, ids=[p.stem for p in PERSONAS])
def test_a_typical_lifter_gets_at_most_30_prompts(engine: Engine, path: Path) -> None:
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    asked = script(engine, answers)
    assert len(asked) <= 30, asked
    assert_checklists_are_sound(engine, asked)


_PACK = load_pack(default_rules_dir())


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=answers_strategy(_PACK.questionnaire, _PACK))
def test_any_answers_walk_through_sound_checklists(engine: Engine, raw: dict[str, Any]) -> None:
    answers = {k: v for k, v in raw.items() if v is not None}
    assert_checklists_are_sound(engine, script(engine, answers))


def test_the_screening_yes_no_questions_are_one_checklist(engine: Engine) -> None:
    first = script(engine, {})[0]
    assert first[0] == "parq_heart_condition"
    assert len(first) == 7
