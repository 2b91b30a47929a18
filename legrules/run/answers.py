"""Answers: a questionnaire response, validated against the loaded questionnaire.

The pydantic model is generated from ``rules/questionnaire.yaml`` so that the contract
(ids, types, allowed values) has exactly one source. Every problem in a document is
reported at once, each naming the question, the value given and what is allowed, with a
did-you-mean for a near miss; a silent correction would be a guess about someone's body.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    create_model,
)

from legrules.errors import MAX_LISTED, AnswersError, Problem, clip, closest, show
from legrules.pack.questionnaire import AnswerValue, Question, Questionnaire
from legrules.pack.yamlio import ANSWERS_LIMIT, parse_document, read_stream, read_text
from legrules.strict import StrictModel


def _suggest(word: object, choices: Iterable[str], wanted: bool = True) -> str | None:
    """A did-you-mean, only for the problems a message lists: half a million unknown
    keys took two minutes of difflib for suggestions nobody would see."""
    if not wanted or not isinstance(word, str):
        return None
    return closest(word.lower(), choices)


def _no_repeats(value: list[str] | None) -> list[str] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("a value is listed twice")
    return value


def _field_type(question: Question) -> Any:
    if question.type == "bool":
        return StrictBool | None
    if question.type == "int":
        return Annotated[StrictInt, Field(ge=question.min, le=question.max)] | None
    literal: Any = Literal.__getitem__(tuple(question.values or ()))
    if question.type == "enum":
        return literal | None
    return Annotated[list[literal] | None, AfterValidator(_no_repeats)]


def answers_model(questionnaire: Questionnaire) -> type[BaseModel]:
    """The pydantic model of one questionnaire, built once per loaded questionnaire."""
    cached = questionnaire.cached_answers_model()
    if cached is not None:
        return cached
    fields: dict[str, Any] = {
        q.id: (_field_type(q), Field(default=None, description=q.prompt))
        for q in questionnaire.questions
    }
    model: type[BaseModel] = create_model(
        "AnswersDocument",
        __base__=StrictModel,
        **fields,
    )
    questionnaire.cache_answers_model(model)
    return model


class Answers(Mapping[str, AnswerValue]):
    """Validated answers with defaults filled in, in questionnaire order.

    Read-only mapping from question id to value; ``None`` means unanswered (a question
    with no default that was not answered). ``provided`` lists the ids the user actually
    answered, so a report can tell a default from a choice.
    """

    __slots__ = ("_provided", "_values")

    def __init__(self, values: dict[str, AnswerValue], provided: frozenset[str]) -> None:
        self._values = values
        self._provided = provided

    def __getitem__(self, key: str) -> AnswerValue:
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        # the dict's own get: Mapping's, through __getitem__ and an exception for a
        # missing key, was most of building the engine's fact
        return self._values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Answers({self._values!r})"

    @property
    def provided(self) -> frozenset[str]:
        return self._provided

    def as_mapping(self) -> Mapping[str, AnswerValue]:
        """The answers themselves as a plain mapping, read-only by type: code reading
        them in bulk (the explanation of each of a large pack's thousand firings per
        assessment) saves a Python-level call per read; nothing is copied."""
        return self._values

    def to_dict(self) -> dict[str, AnswerValue]:
        """A JSON-ready copy (lists copied so callers cannot mutate the original).

        The dict is copied whole and only its lists replaced: a comprehension rebuilding
        every entry took 4.5 us of each assessment, this 2.8 (most values are not lists).
        """
        copy = self._values.copy()
        for key, value in copy.items():
            if isinstance(value, list):
                copy[key] = list(value)
        return copy

    def unanswered(self) -> list[str]:
        return [k for k, v in self._values.items() if v is None]

    def given(self) -> list[str]:
        """The ids the user answered, in questionnaire order (``Assessment.given``);
        read from the values directly: through the mapping's iterator and ``provided``
        it cost four times as much."""
        provided = self._provided
        return [k for k in self._values if k in provided]


def _problem_from_error(
    error: Mapping[str, Any],
    raw: Mapping[str, Any],
    questions: dict[str, Question],
    suggest: bool = True,
) -> Problem:
    loc = error.get("loc", ())
    key = str(loc[0]) if loc else "(document)"
    if error.get("type") == "extra_forbidden":
        return Problem(
            location=clip(key) or '""',
            message="unknown question id",
            allowed="the question ids listed by `legrules questions`",
            suggestion=_suggest(key, questions, suggest),
        )
    question = questions.get(key)
    if question is None:  # pragma: no cover - pydantic only reports declared fields here
        return Problem(location=key, message=str(error.get("msg")))
    given = raw.get(key)
    suggestion = None
    if question.values:
        bad: object = given
        if question.type == "multi" and len(loc) > 1 and isinstance(given, list):
            index = loc[1]
            if isinstance(index, int) and index < len(given):
                bad = given[index]
        suggestion = _suggest(bad, question.values, suggest)
    message = question.check_value(given) or str(error.get("msg"))
    return Problem(
        location=key,
        message=message,
        given=show(given),
        allowed=question.allowed_text(),
        suggestion=suggestion,
    )


def validate_answers(
    raw: object, questionnaire: Questionnaire, source: str | None = None
) -> Answers:
    """Validate an answers document (a mapping) and fill defaults.

    Raises :class:`AnswersError` listing every problem; never returns a partial result.
    ``None`` for a question means "not answered" and takes that question's default.
    """
    if not isinstance(raw, Mapping):
        raise AnswersError(
            [
                Problem(
                    location="(document)",
                    message="an answers document must be a mapping of question id to answer",
                    given=type(raw).__name__,
                )
            ],
            source,
        )
    non_string = [k for k in raw if not isinstance(k, str)]
    if non_string:
        raise AnswersError(
            [Problem(location=show(k), message="question ids must be strings") for k in non_string],
            source,
        )
    model = answers_model(questionnaire)
    try:
        document = model.model_validate(raw if isinstance(raw, dict) else dict(raw))
    except ValidationError as exc:
        questions = questionnaire.by_id()
        seen: set[str] = set()
        problems: list[Problem] = []
        for err in exc.errors(include_url=False, include_context=False, include_input=False):
            problem = _problem_from_error(err, raw, questions, len(problems) < MAX_LISTED)
            if problem.location not in seen:  # one line per question, not per union arm
                seen.add(problem.location)
                problems.append(problem)
        raise AnswersError(problems, source) from None
    given: dict[str, AnswerValue] = document.__dict__
    provided = frozenset(k for k, v in given.items() if v is not None)
    values: dict[str, AnswerValue] = {}
    for question_id, question, order, default in _filling(model, questionnaire):
        value = given[question_id]
        if value is None:
            if default is _FROM_ANSWERS:
                value = _default(question, values)
            else:
                value = list(default) if isinstance(default, list) else default
        elif order is not None and isinstance(value, list):
            value = sorted(value, key=order.__getitem__)
        values[question_id] = value
    return Answers(values, provided)


#: A question whose default depends on an earlier answer (``default_from``).
_FROM_ANSWERS: Any = object()

#: Per question: its id, the question, each option's position (multi: a given list is
#: put in the questionnaire's order) and its default (or _FROM_ANSWERS).
_Filling = list[tuple[str, Question, Mapping[str, int] | None, Any]]

#: Worked out once per answers model (so per loaded questionnaire): reading each
#: question's type, options and default per assessment was most of validating answers.
_FILLINGS: weakref.WeakKeyDictionary[type[BaseModel], _Filling] = weakref.WeakKeyDictionary()


def _filling(model: type[BaseModel], questionnaire: Questionnaire) -> _Filling:
    found = _FILLINGS.get(model)
    if found is None:
        found = [
            (
                q.id,
                q,
                {v: i for i, v in enumerate(q.values or [])} if q.type == "multi" else None,
                _FROM_ANSWERS if q.default_from is not None else q.default,
            )
            for q in questionnaire.questions
        ]
        _FILLINGS[model] = found
    return found


def _default(question: Question, earlier: dict[str, AnswerValue]) -> AnswerValue:
    if question.default_from is not None:
        other = earlier.get(question.default_from.question)
        if isinstance(other, str | int) and not isinstance(other, bool):
            case = question.default_from.cases.get(str(other))
            if case == "all" and question.type == "multi":
                return list(question.values or [])
            if case is not None:
                return list(case) if isinstance(case, list) else case
    default = question.default
    return list(default) if isinstance(default, list) else default


def parse_answers_document(text: str, source: str) -> object:
    """An answers document from its text (JSON or YAML), not yet validated.

    An empty document (nothing, only whitespace or comments, or ``null``) is refused
    rather than read as "every default": an empty file is far more often a mistake (a
    failed redirect, a truncated save) than a choice, and a choice can say so with
    ``{}``.
    """
    raw = None if not text.strip() else parse_document(text, source)
    if raw is None:
        raise AnswersError(
            [
                Problem(
                    location="(document)",
                    message="no answers in it: the document is empty (or only comments, or null)",
                    allowed="a mapping of question id to answer; to accept every default "
                    "on purpose, write {} (or use `legrules assess --defaults`)",
                )
            ],
            source,
        )
    return raw


STDIN = "-"


def read_answers_document(
    given: str | os.PathLike[str], *, stdin: IO[bytes] | None = None
) -> tuple[object, str]:
    """Read one answers document, not yet validated, and the name messages give it.

    Every answers document legrules reads comes through here (``--answers FILE``,
    ``--answers -``, ``--resume FILE``, :func:`load_answers_file`), so they are all read
    and refused alike. ``-`` means ``stdin`` when a stream is passed (the command line
    does); the library reads only files.
    """
    if stdin is not None and os.fspath(given) == STDIN:
        source = "<stdin>"
        return parse_answers_document(read_stream(stdin, source, ANSWERS_LIMIT), source), source
    source = os.fspath(given)  # as the user wrote it, in every message
    return parse_answers_document(read_text(Path(source), ANSWERS_LIMIT), source), source


def load_answers_file(path: str | os.PathLike[str], questionnaire: Questionnaire) -> Answers:
    """Read a JSON or YAML answers file and validate it; errors name the file."""
    raw, source = read_answers_document(path)
    return validate_answers(raw, questionnaire, source=source)
