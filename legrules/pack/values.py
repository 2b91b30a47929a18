"""How an answer value is shown to a person: the one formatter every report uses.

Three readers, three forms of the same rules, so that a value never reads one way in the
report and another in the explanation or the audit log:

* ``words``, for the lifter: the questionnaire's labels (``Front of the thighs``,
  ``Yes``, ``Knee, Hip``, ``None of these``, ``not answered``);
* ``ids``, as an answers file spells it (``quads``, ``true``, ``[knee, hip]``, ``[]``,
  ``unanswered``), for whoever writes or checks such files, and wherever no
  questionnaire is at hand;
* ``both``, for a coach or an auditor reading the reasoning: the id, then the label in
  brackets where the label says more than the id (``quads (Front of the thighs)``, but
  ``34``, ``true``, ``[]``).

A redacted answer is ``[redacted]`` in every form: the salted hash stored in its place
means nothing to a person. The caller says which answers are redacted (it knows the
record); the formatter does not guess from the value.
"""

from __future__ import annotations

from typing import Literal

from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.typed import label

Form = Literal["words", "ids", "both"]

REDACTED = "[redacted]"


def show_value(
    value: AnswerValue,
    question: Question | None = None,
    form: Form = "words",
    *,
    redacted: bool = False,
) -> str:
    """``value`` (an answer to ``question``) shown in ``form``; without ``question``, the
    labels are unknown and every form is ``ids``."""
    if redacted:
        return REDACTED
    ids = _ids(value)
    if question is None or form == "ids":
        return ids
    words = _words(question, value)
    if form == "words":
        return words
    labelled = isinstance(value, str | list) and bool(value)  # a choice, not a flag or number
    return f"{ids} ({words})" if labelled and words.casefold() != ids.casefold() else ids


def _ids(value: AnswerValue) -> str:
    if value is None:
        return "unanswered"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


def _words(question: Question, value: AnswerValue) -> str:
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ", ".join(label(question, item) for item in value) if value else "None of these"
    return label(question, value)
