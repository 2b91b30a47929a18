"""The question groups: one vocabulary (legrules.pack.questionnaire.Group) with one title and
one intro each, used by validation, the interview, `legrules questions` and the schema."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from legrules.api import Engine
from legrules.cli import cli
from legrules.pack.answerschema import answers_json_schema
from legrules.pack.questionnaire import GROUP_INTROS, GROUP_TITLES, Group, Question


def test_every_group_has_a_title_and_an_intro_in_order() -> None:
    assert tuple(GROUP_TITLES) == get_args(Group)
    assert tuple(GROUP_INTROS) == get_args(Group)
    assert all(GROUP_TITLES.values())
    assert all(GROUP_INTROS.values())


def test_the_default_questionnaire_asks_the_groups_in_vocabulary_order(engine: Engine) -> None:
    groups = [q.group for q in engine.questionnaire.questions]
    order = list(get_args(Group))
    assert groups == sorted(groups, key=order.index)
    assert set(groups) == set(order)


def test_a_group_outside_the_vocabulary_is_refused() -> None:
    question = {"id": "warm", "group": "warmup", "type": "bool", "prompt": "p", "why": "w"}
    with pytest.raises(ValidationError, match="'safety'"):
        Question.model_validate(question)


def test_the_cli_and_the_schema_show_the_same_titles(engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["questions", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["groups"] == GROUP_TITLES
    properties = answers_json_schema(engine.questionnaire)["properties"]
    for question in engine.questionnaire.questions:
        shown = properties[question.id]["x-legrules-group-title"]
        assert shown == GROUP_TITLES[question.group]
