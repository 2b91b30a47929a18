"""The interactive questionnaire of ``legrules assess`` (only when stdin is a terminal).

Everything it writes goes to stderr, so ``legrules assess > report.txt`` still asks on
the terminal and keeps the report clean. Lines are read with ``sys.stdin.readline`` (the
terminal's own line editing applies); Ctrl-C raises KeyboardInterrupt, which the command
turns into exit code 130 without a traceback, and end of input (Ctrl-D) does the same.

What to ask, what to skip and how typed text becomes an answer are decided by the
library (:mod:`legrules.interview.skips`, :mod:`legrules.pack.typed`); this module only talks.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable

import click

from legrules.explain.whyasked import why_asked
from legrules.interview.skips import Step, answered, default_for, next_prompt, walk
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import GROUP_INTROS, GROUP_TITLES, AnswerValue, Question
from legrules.pack.typed import (
    AnswerParseError,
    choices_hint,
    label,
    parse_typed,
    short_prompt,
)
from legrules.pack.values import show_value
from legrules.text import wrap

Style = Callable[[str, str], str]

_CONTROL = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?|[\x00-\x08\x0b-\x1f\x7f]")


def _width() -> int:
    return max(40, min(shutil.get_terminal_size().columns, 100) - 1)


def _plain(text: str, role: str) -> str:
    return text


_NUMBERED = re.compile(r"\s*\d+\) ")


def _say(text: str = "", role: str = "", style: Style = _plain) -> None:
    """One message on stderr, wrapped to the terminal with its indent kept, then styled;
    a numbered choice's second line starts under its text, not under its number."""
    indent = text[: len(text) - len(text.lstrip())]
    numbered = _NUMBERED.match(text)
    rest = " " * numbered.end() if numbered else indent + "  "
    lines = wrap(text.strip(), rest, _width(), first=indent, collapse=False)
    click.echo("\n".join(style(line, role) for line in lines), err=True)


def _read_line() -> str:
    return sys.stdin.readline()


def _read(prompt: str) -> str:
    """One line from the person; KeyboardInterrupt on Ctrl-C or end of input."""
    click.echo(prompt, nl=False, err=True)
    sys.stderr.flush()
    line = _read_line()
    if not line:  # Ctrl-D / end of input: the person left
        _say()
        raise KeyboardInterrupt
    # arrow and function keys arrive as escape sequences in a plain terminal line
    return _CONTROL.sub("", line.rstrip("\r\n"))


def _default_words(question: Question, default: AnswerValue) -> str:
    if default is None:
        return "Enter to skip"
    if question.type == "enum" and isinstance(default, str):
        number = (question.values or []).index(default) + 1
        return f"{number} {label(question, default)}"
    if question.type == "multi" and isinstance(default, list) and not default:
        return "none"
    return (
        show_value(default, question).lower()
        if question.type == "bool"
        else (show_value(default, question))
    )


def _show_question(question: Question, header: str, style: Style) -> None:
    _say()
    _say(header, "dim", style)
    _say(" ".join(question.prompt.split()), "prompt", style)
    if question.help:
        _say(f"  ({' '.join(question.help.split())})")
    if question.type in ("enum", "multi"):
        for number, value in enumerate(question.values or [], 1):
            _say(f"  {number:>2}) {label(question, value)}")
    _say(f"  {choices_hint(question)} Type ? for why we ask.", "dim", style)


def _show_why(pack: RulePack, question: Question) -> None:
    for line in why_asked(pack, question.id).lines():
        _say(f"  {line}")


def ask(
    pack: RulePack, question: Question, default: AnswerValue, header: str, style: Style
) -> AnswerValue:
    """Ask one question until the answer is valid; Enter takes ``default``."""
    _show_question(question, header, style)
    suffix = f"[{_default_words(question, default)}]"
    while True:
        text = _read(f"> {suffix} ").strip()
        if text == "?":
            _show_why(pack, question)
            continue
        if text == "":
            if default is None:
                _say("  (left unanswered)")
            return default
        try:
            return parse_typed(question, text)
        except AnswerParseError as error:
            _say(f"  {error}", "error", style)
            if question.type in ("enum", "multi"):
                values = ", ".join(f"{n}={v}" for n, v in enumerate(question.values or [], 1))
                _say(f"  Allowed: {values}")


def ask_checklist(
    pack: RulePack, questions: list[Question], style: Style, header: str
) -> dict[str, AnswerValue]:
    """Yes/no questions as one checklist: the numbers of those that apply, or Enter for
    none. Each question is answered (yes if ticked, else no) under its own id."""
    _say()
    _say(header, "dim", style)
    _say("Do any of these apply to you?", "prompt", style)
    for number, question in enumerate(questions, 1):
        _say(f"  {number:>2}) {' '.join(question.prompt.split())}")
    _say(
        "  Type the numbers that apply (e.g. 1,3), or press Enter if none do. "
        "Type ? for why we ask.",
        "dim",
        style,
    )
    while True:
        text = _read("> [none] ").strip().lower()
        if text == "?":
            for question in questions:
                _say(f"  {short_prompt(question, 70)}")
                _show_why(pack, question)
            continue
        picked = _checklist_numbers(text, len(questions))
        if picked is not None:
            return {q.id: number in picked for number, q in enumerate(questions, 1)}
        _say(
            f"  {text!r} is not a list of numbers from 1 to {len(questions)}, or none.",
            "error",
            style,
        )


def _checklist_numbers(text: str, count: int) -> set[int] | None:
    if text in ("", "none", "n", "no", "0"):
        return set()
    words = re.split(r"[,\s]+", text)
    if not all(w.isdigit() and 1 <= int(w) <= count for w in words if w):
        return None
    return {int(w) for w in words if w}


def _progress(steps: list[Step], current: Step, size: int = 1) -> str:
    group = current.question.group
    in_group = [s for s in steps if s.question.group == group and s.status != "skipped"]
    position = next(i for i, s in enumerate(in_group, 1) if s is current)
    title = GROUP_TITLES.get(group, group)
    if size > 1:
        return f"{title} - questions {position}-{position + size - 1} of {len(in_group)}"
    return f"{title} - question {position} of {len(in_group)}"


def review(pack: RulePack, steps: list[Step], style: Style) -> Question | None:
    """The review screen: None to go on to the result, or the question to change."""
    shown = [step for step in steps if step.status == "answered"]
    skipped = [step for step in steps if step.status == "skipped"]
    _say()
    _say("Review your answers", "heading", style)
    _say("-------------------", "heading", style)
    for number, step in enumerate(shown, 1):
        answer = show_value(step.value, step.question)
        _say(f"  {number:>2}. {short_prompt(step.question, 58):<58}  {answer}")
    if skipped:
        _say(
            f"  {len(skipped)} questions were skipped: they did not apply, or no answer "
            "to them could change your result. They take their defaults.",
            "dim",
            style,
        )
    while True:
        text = _read("Press Enter to see your result, or type a number to change that answer: ")
        text = text.strip()
        if text == "":
            return None
        if text == "?":
            _say("  Enter shows your result; a number from the list re-asks that question.")
            continue
        if text.isdigit() and 1 <= int(text) <= len(shown):
            return shown[int(text) - 1].question
        _say(f"  Type a number from 1 to {len(shown)}, or press Enter.", "error", style)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or end of input) in the questionnaire, with the answers given so far
    (to questions that still apply), so they can be saved and the questionnaire resumed.
    A KeyboardInterrupt still, so whoever does not care exits as for any Ctrl-C."""

    def __init__(self, answers: dict[str, AnswerValue]) -> None:
        super().__init__()
        self.answers = answers


def run(
    pack: RulePack,
    *,
    ask_all: bool,
    style: Style,
    given: dict[str, AnswerValue] | None = None,
    measured: frozenset[str] = frozenset(),
) -> dict[str, AnswerValue]:
    """Ask, review, and return the answers given (questions that still apply).

    ``given`` are answers from an earlier, interrupted run, or ``measured`` from a
    training log: they are kept and only the rest is asked. Raises
    :class:`Interrupted` on Ctrl-C or end of input.
    """
    given = dict(given or {})
    try:
        return _run(pack, given, ask_all=ask_all, style=style, measured=measured)
    except KeyboardInterrupt:
        raise Interrupted(answered(walk(pack, given, ask_all=ask_all))) from None


def _run(
    pack: RulePack,
    given: dict[str, AnswerValue],
    *,
    ask_all: bool,
    style: Style,
    measured: frozenset[str] = frozenset(),
) -> dict[str, AnswerValue]:
    _say("legrules leg-training questionnaire", "title", style)
    _say(
        "Press Enter to take the answer in [brackets]. Type ? at any question to see why we "
        "ask it. Questions that cannot change your result are skipped. Ctrl-C quits."
    )
    kept = len(given.keys() - measured)
    if kept:
        noun = "answer" if kept == 1 else "answers"
        _say(f"{kept} {noun} kept from before; asking the rest.", "dim", style)
    if measured:
        noun = "answer" if len(measured) == 1 else "answers"
        _say(f"{len(measured)} {noun} measured from your training log; not asked.", "dim", style)
    group = None
    while True:
        steps = walk(pack, given, ask_all=ask_all)
        batch = next_prompt(steps)
        if batch:
            pending = batch[0]
            question = pending.question
            if question.group != group:
                group = question.group
                title = GROUP_TITLES.get(group, group)
                _say()
                _say(f"== {title} ==", "heading", style)
                if group in GROUP_INTROS:
                    _say(GROUP_INTROS[group], "dim", style)
            header = _progress(steps, pending, len(batch))
            if len(batch) > 1:
                questions = [step.question for step in batch]
                given.update(ask_checklist(pack, questions, style, header))
                continue
            default = default_for(question, steps)
            given[question.id] = ask(pack, question, default, header, style)
            continue
        change = review(pack, steps, style)
        if change is None:
            return answered(steps)
        current = given.get(change.id)
        given[change.id] = ask(pack, change, current, f"Change: {change.id}", style)
