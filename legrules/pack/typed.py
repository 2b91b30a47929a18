"""Typed answers: reading what a person types, and showing answers in plain words.

Pure functions shared by the interactive questionnaire and ``--answer id=value``. The
interactive form is forgiving (a choice's number, its name, its label or an unambiguous
start of one; ``y``/``n``); the ``--answer`` form is strict (exact value ids, ``true`` or
``false``), like an answers file, because a script's typo should be an error, not a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from legrules.errors import AnswersError, Problem, closest
from legrules.pack.questionnaire import AnswerValue, Question, Questionnaire
from legrules.pack.schema import FactLeaf

_TRUE = {"y", "yes", "true"}
_FALSE = {"n", "no", "false"}
_NONE = {"none", "-", "nothing", "[]"}


class AnswerParseError(ValueError):
    """What was typed is not an answer to the question; the message says what is."""


def label(question: Question, value: str) -> str:
    """The plain-words label of one choice (its id when the questionnaire gives none)."""
    labels = question.value_labels or {}
    return labels.get(value, value.replace("_", " "))


def choices_hint(question: Question) -> str:
    """How to answer, in one line (shown under the choices and after a bad answer)."""
    if question.type == "bool":
        return "Answer y (yes) or n (no)."
    if question.type == "int":
        return f"Enter a whole number from {question.min} to {question.max}."
    count = len(question.values or [])
    if question.type == "enum":
        return f"Enter a number from 1 to {count}, or the name of a choice."
    return (
        f"Enter the numbers of all that apply, separated by commas (1-{count}), "
        "or 'none' for none of these."
    )


def short_prompt(question: Question, width: int = 60) -> str:
    text = " ".join(question.prompt.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _choice(question: Question, text: str) -> str:
    values = list(question.values or [])
    word = text.strip()
    if re.fullmatch(r"\d+", word):
        index = int(word)
        if 1 <= index <= len(values):
            return values[index - 1]
        raise AnswerParseError(f"{word} is not one of the numbers 1 to {len(values)}.")
    folded = word.casefold().replace("-", "_")
    for value in values:
        if folded in (value.casefold(), label(question, value).casefold()):
            return value
    starts = [
        value
        for value in values
        if value.casefold().startswith(folded)
        or label(question, value).casefold().startswith(word.casefold())
    ]
    if len(starts) == 1 and folded:
        return starts[0]
    if len(starts) > 1:
        names = ", ".join(starts)
        raise AnswerParseError(f"'{word}' could be any of: {names}. Type more of it.")
    raise AnswerParseError(f"'{word}' is not one of the choices.")


def parse_typed(question: Question, text: str) -> AnswerValue:
    """Read an answer typed at the questionnaire (forgiving). Raises AnswerParseError.

    The empty string is not handled here: the caller decides what Enter means.
    """
    word = text.strip()
    folded = word.casefold()
    if question.type == "bool":
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise AnswerParseError(f"'{word}' is not yes or no. {choices_hint(question)}")
    if question.type == "int":
        if not re.fullmatch(r"[+-]?\d+", word):
            raise AnswerParseError(f"'{word}' is not a whole number. {choices_hint(question)}")
        number = int(word)
        assert question.min is not None
        assert question.max is not None
        if not question.min <= number <= question.max:
            raise AnswerParseError(f"{number} is out of range. {choices_hint(question)}")
        return number
    if question.type == "enum":
        return _choice(question, word)
    if folded in _NONE:
        return []
    picked: list[str] = []
    for part in (p.strip() for p in word.split(",")):
        if not part:
            continue
        try:
            found = [_choice(question, part)]
        except AnswerParseError:
            if " " not in part:
                raise
            found = [_choice(question, item) for item in part.split()]
        picked.extend(value for value in found if value not in picked)
    order = list(question.values or [])
    return sorted(picked, key=order.index)


def parse_strict(question: Question, text: str) -> AnswerValue:
    """Read ``--answer id=value`` text (strict: exact ids, true/false, comma lists).

    Raises AnswerParseError. ``null`` (or nothing after ``=``) means unanswered, as in an
    answers file, so the default applies.
    """
    word = text.strip()
    if word in ("", "null"):
        return None
    if question.type == "bool":
        if word in ("true", "false"):
            return word == "true"
        raise AnswerParseError("expected true or false")
    if question.type == "int":
        if not re.fullmatch(r"[+-]?\d+", word):
            raise AnswerParseError("expected a whole number")
        return int(word)
    values = list(question.values or [])
    if question.type == "enum":
        if word not in values:
            raise AnswerParseError("not an allowed value")
        return word
    if word == "[]":
        return []
    items = [item.strip() for item in word.strip("[]").split(",") if item.strip()]
    for item in items:
        if item not in values:
            raise AnswerParseError(f"{item!r} is not an allowed value")
    return items


def leaf_in_words(leaf: FactLeaf, question: Question, negated: bool = False) -> str:
    """What a rule's test on one answer means for the person answering.

    ``{fact: squat_felt_most, eq: glutes}`` -> ``if you answer Glutes``; under ``not`` it
    reads ``unless ...``.
    """
    op, value = leaf.op, leaf.value
    words: str
    if op == "exists":
        words = "you answer it"
    elif op == "missing":
        words = "you leave it unanswered"
    elif op == "empty":
        words = "you pick none of these" if value else "you pick any of these"
    elif question.type == "bool" and op in ("eq", "ne"):
        yes = bool(value) if op == "eq" else not bool(value)
        words = "you answer yes" if yes else "you answer no"
    elif op in ("lt", "lte", "gt", "gte"):
        bound = int(value)
        words = {
            "lt": f"your answer is below {bound}",
            "lte": f"your answer is {bound} or less",
            "gt": f"your answer is above {bound}",
            "gte": f"your answer is {bound} or more",
        }[op]
    else:
        items = value if isinstance(value, list) else [value]
        shown = " or ".join(_choice_words(question, item) for item in items)
        if op == "ne":
            words = f"you answer anything but {shown}"
        elif op == "contains":
            listed = ", ".join(_choice_words(question, item) for item in items)
            words = f"you pick any of {listed}" if len(items) > 1 else f"you pick {shown}"
        else:
            words = f"you answer {shown}"
    return f"unless {words}" if negated else f"if {words}"


def _choice_words(question: Question, item: object) -> str:
    if isinstance(item, str) and question.values:
        return label(question, item)
    return str(item)


def _dump_yaml(values: dict[str, object]) -> str:
    """YAML of ``values``, a value shared by two answers written out twice (legrules
    refuses YAML aliases). PyYAML is imported here: only a YAML ``--save`` needs it."""
    import yaml  # noqa: PLC0415

    class NoAliasDumper(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return True

    return yaml.dump(values, Dumper=NoAliasDumper, sort_keys=False, allow_unicode=True, width=88)


def dump_answers(values: Mapping[str, object], *, json_format: bool, stamp: str) -> str:
    """An answers file for ``--save``: JSON, or YAML with a comment saying how to reuse it.

    YAML strings that YAML 1.1 would read as booleans (``"no"``) are quoted by the dumper,
    so the file reads back identically under legrules' YAML 1.2 loader too.
    """
    if json_format:
        return json.dumps(dict(values), indent=2, ensure_ascii=False) + "\n"
    header = (
        f"# legrules answers, saved {stamp}.\n"
        "# Reuse them with: legrules assess --answers THIS-FILE\n"
        "# Any question left out takes its default (see `legrules questions`).\n"
    )
    if not values:
        return header + "{}\n"
    return header + _dump_yaml(dict(values))


def parse_answer_options(
    questionnaire: Questionnaire, pairs: Sequence[str], option: str = "--answer"
) -> dict[str, AnswerValue]:
    """``ID=VALUE`` texts (``--answer``, ``audit replay --value``) as answers, typed by
    their question (strict). The one parser for answers given on the command line, so
    ``age=34`` and ``pain_locations=knee,hip`` mean the same wherever they are typed.

    Raises AnswersError listing every problem at once (unknown ids with a did-you-mean,
    values that do not fit, a question answered twice), like an answers file; the
    message names ``option``.
    """
    questions = questionnaire.by_id()
    values: dict[str, AnswerValue] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            problems.append(
                Problem(location=pair, message="expected ID=VALUE, e.g. squat_felt_most=glutes")
            )
            continue
        if key in seen:
            # last-wins would silently drop an answer someone typed on purpose
            problems.append(
                Problem(
                    location=key,
                    message=f"answered twice ({seen[key]!r}, then {text!r})",
                    allowed=f"one {option} per question",
                )
            )
            continue
        seen[key] = text
        question = questions.get(key)
        if question is None:
            problems.append(
                Problem(
                    location=key or '""',
                    message="unknown question id",
                    allowed="the question ids listed by `legrules questions`",
                    suggestion=closest(key, questions),
                )
            )
            continue
        try:
            values[key] = parse_strict(question, text)
        except AnswerParseError as error:
            problems.append(
                Problem(
                    location=key,
                    message=str(error),
                    given=text,
                    allowed=question.allowed_text(),
                    suggestion=closest(text.strip(), question.values or ()),
                )
            )
    if problems:
        raise AnswersError(problems, option)
    return values
