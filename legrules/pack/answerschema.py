"""The JSON Schema of an answers document, for app builders who render their own form.

Built from the questionnaire (the one source of the contract), with what a form needs
beyond validation: each question's prompt as ``title``, choices as ``oneOf`` entries with
their labels (the usual JSON Schema idiom that form libraries render as a select), the
default, and ``x-legrules-*`` keys for the group, the "why we ask" text, the help text,
the asking order, a default that depends on another answer, and ``skip_if``.
"""

from __future__ import annotations

from typing import Any

from legrules.pack.questionnaire import GROUP_TITLES, Question, Questionnaire
from legrules.pack.typed import label

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _choices(question: Question) -> list[dict[str, Any]]:
    return [{"const": value, "title": label(question, value)} for value in question.values or []]


def question_schema(question: Question, order: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": " ".join(question.prompt.split())}
    if question.type == "bool":
        schema["type"] = ["boolean", "null"]
    elif question.type == "int":
        schema.update(type=["integer", "null"], minimum=question.min, maximum=question.max)
    elif question.type == "enum":
        schema["oneOf"] = [*_choices(question), {"type": "null"}]
    else:
        schema.update(
            type=["array", "null"],
            items={"oneOf": _choices(question)},
            uniqueItems=True,
        )
    if question.default is not None:
        schema["default"] = question.default
    schema["description"] = " ".join(question.why.split())
    schema["x-legrules-group"] = question.group
    schema["x-legrules-group-title"] = GROUP_TITLES.get(question.group, question.group)
    schema["x-legrules-order"] = order
    if question.code:
        schema["x-legrules-code"] = question.code
    if question.help:
        schema["x-legrules-help"] = " ".join(question.help.split())
    if question.default_from is not None:
        schema["x-legrules-default-from"] = question.default_from.model_dump(mode="json")
    if question.skip_if:
        schema["x-legrules-skip-if"] = [c.model_dump(mode="json") for c in question.skip_if]
    return schema


def answers_json_schema(questionnaire: Questionnaire) -> dict[str, Any]:
    """JSON Schema (2020-12) of an answers file: every key optional, unknown keys refused.

    ``null`` means "not answered" (the default applies), exactly as the validator reads
    it. Properties are in asking order (safety first).
    """
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "legrules answers",
        "description": (
            "Answers to the legrules questionnaire. Every question is optional: an "
            "unanswered question (missing or null) takes its default."
        ),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            question.id: question_schema(question, order)
            for order, question in enumerate(questionnaire.questions, 1)
        },
    }
