"""The questionnaire definition: what can be asked, what answers are allowed, defaults.

It is data (``rules/questionnaire.yaml``) rather than code so that the public answer
vocabulary (docs/CONTRACT.md section 1) lives next to the rules that read it, and so that
one definition drives validation, the interactive prompts and the JSON Schema for apps.
"""

# No ``from __future__ import annotations`` here: pydantic would compile every field's
# string annotation again when the class is made (3.5 ms of start-up over the pack and
# output models, tests/test_startup_path.py); names not yet defined are quoted instead.

from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    model_validator,
)

from legrules.errors import show
from legrules.strict import StrictModel, empty_list

QuestionType = Literal["bool", "int", "enum", "multi"]
AnswerValue = bool | int | str | list[str] | None

# The question groups, in the order the questionnaire asks them. Their ids are
# CONTRACT vocabulary (``questions --format json``, the answers JSON Schema), their
# titles and intros are what a person sees; all three are defined here and nowhere else.
Group = Literal["safety", "symptoms", "compensation", "habits", "goals", "equipment", "schedule"]

GROUP_TITLES: dict[Group, str] = {
    "safety": "Safety screening",
    "symptoms": "Symptoms",
    "compensation": "How your lifts feel",
    "habits": "Training habits",
    "goals": "Goals",
    "equipment": "Equipment",
    "schedule": "Schedule",
}

GROUP_INTROS: dict[Group, str] = {
    "safety": "Health and pain first: some answers mean seeing a professional before any plan.",
    "symptoms": "What you notice when you train legs.",
    "compensation": "Where you feel the big lifts working.",
    "habits": "How you train now.",
    "goals": "What you want from leg training.",
    "equipment": "Where you train and what you can use.",
    "schedule": "How much time you have.",
}

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"

#: Largest magnitude of an int question's bounds (so of any int answer or rule constant):
#: 2**53 - 1, where every JSON reader (IEEE doubles) still compares whole numbers
#: exactly. durable-rules compared 2**63 and beyond wrongly.
SAFE_INT = 2**53 - 1


class DefaultCase(StrictModel):
    """A default that depends on another answer (equipment depends on where you train)."""

    question: str = Field(pattern=_ID_PATTERN)
    cases: dict[str, list[str] | str | StrictInt | StrictBool]


class SkipIf(StrictModel):
    """Skip the question when another question has one of these values (interactive only)."""

    question: str = Field(pattern=_ID_PATTERN)
    any_of: list[str | StrictInt | StrictBool] = Field(min_length=1)


class Question(StrictModel):
    id: str = Field(pattern=_ID_PATTERN)
    code: str | None = None
    group: Group
    type: QuestionType
    prompt: str = Field(min_length=1)
    why: str = Field(min_length=1, description="Why we ask: which findings it can lead to.")
    help: str | None = None
    values: list[str] | None = None
    value_labels: dict[str, str] | None = None
    min: StrictInt | None = None
    max: StrictInt | None = None
    default: StrictBool | StrictInt | str | list[str] | None = None
    default_from: DefaultCase | None = None
    skip_if: list[SkipIf] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _consistent(self) -> "Question":
        if self.type in ("enum", "multi"):
            if not self.values:
                raise ValueError(f"{self.type} question needs 'values'")
            if len(set(self.values)) != len(self.values):
                raise ValueError("'values' lists a value twice")
        elif self.values is not None:
            raise ValueError(f"'values' is only for enum and multi questions, not {self.type}")
        if self.type == "int":
            if self.min is None or self.max is None or self.min > self.max:
                raise ValueError("int question needs 'min' <= 'max'")
            if max(abs(self.min), abs(self.max)) > SAFE_INT:
                raise ValueError(
                    f"int question bounds must lie within -{SAFE_INT} to {SAFE_INT} "
                    "(2**53 - 1), the range every engine compares exactly"
                )
        elif self.min is not None or self.max is not None:
            raise ValueError("'min'/'max' are only for int questions")
        if self.default is not None:
            problem = self.check_value(self.default)
            if problem:
                raise ValueError(f"default {self.default!r}: {problem}")
        return self

    def allowed_text(self) -> str:
        """What this question accepts, in words, for error messages and prompts."""
        if self.type == "bool":
            return "true or false"
        if self.type == "int":
            return f"a whole number from {self.min} to {self.max}"
        assert self.values is not None
        listed = ", ".join(self.values)
        if self.type == "enum":
            return f"one of: {listed}"
        return f"a list of any of: {listed} (an empty list means none)"

    def check_value(self, value: object) -> str | None:
        """Return why ``value`` is not acceptable, or None when it is.

        Types are strict on purpose: ``"true"`` is not a bool, ``True`` is not an int,
        and ``2.0`` is not a whole number, because a silent conversion is a guess.
        """
        if self.type == "bool":
            return None if isinstance(value, bool) else "expected true or false"
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return "expected a whole number"
            assert self.min is not None
            assert self.max is not None
            if not self.min <= value <= self.max:
                return "out of range"
            return None
        assert self.values is not None
        if self.type == "enum":
            if not isinstance(value, str):
                return "expected one of the listed values"
            return None if value in self.values else "not an allowed value"
        if not isinstance(value, list):
            return "expected a list"
        for item in value:
            if not isinstance(item, str) or item not in self.values:
                return f"{show(item)} is not an allowed value"
        if len(set(value)) != len(value):
            return "a value is listed twice"
        return None


class Questionnaire(StrictModel):
    """All questions, in the order they are asked (safety first)."""

    questions: list[Question] = Field(min_length=1)
    _answers_model: type[BaseModel] | None = PrivateAttr(default=None)
    _by_id: dict[str, Question] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique(self) -> "Questionnaire":
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} is defined twice")
            seen.add(question.id)
        for question in self.questions:
            refs = [c.question for c in question.skip_if]
            if question.default_from:
                refs.append(question.default_from.question)
            for ref in refs:
                if ref not in seen:
                    raise ValueError(f"question {question.id!r} refers to unknown {ref!r}")
        return self

    def by_id(self) -> dict[str, Question]:
        if self._by_id is None:
            self._by_id = {q.id: q for q in self.questions}
        return self._by_id

    def cached_answers_model(self) -> type[BaseModel] | None:
        """Read from pydantic's dict of private values directly: through the model's
        ``__getattr__``, 2 us of every assessment's validation for one look-up."""
        private = self.__pydantic_private__
        model: type[BaseModel] | None = None if private is None else private["_answers_model"]
        return model

    def cache_answers_model(self, model: type[BaseModel]) -> None:
        """Remember the generated answers model (see :func:`legrules.run.answers.answers_model`)."""
        self._answers_model = model

    def __getstate__(self) -> dict[Any, Any]:
        # The generated answers model is a class made at run time, which pickle cannot
        # name; a copy in another process (a batch worker, the compiled-pack cache)
        # simply generates its own.
        state = super().__getstate__()
        state["__pydantic_private__"] = {"_answers_model": None, "_by_id": None}
        return state

    def ids(self) -> list[str]:
        return [q.id for q in self.questions]
