"""One exception tree for everything legrules refuses, each mapped to a CLI exit code.

Library callers catch :class:`LegrulesError` (or a subclass) and read ``problems``; the CLI
prints ``str(error)`` to stderr and exits with ``error.exit_code``. Nothing here formats
for a terminal: the message is plain text that names the file, the field and what is
allowed, because that is what a person needs to fix the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
# 128 + SIGPIPE: what a shell reports for a tool stopped by a closed pipe (`| head`)
EXIT_CLOSED_PIPE = 141
# 128 + SIGHUP and 128 + SIGTERM: a batch stopped by the signal (legrules.run.batch.Terminated)
EXIT_HANGUP = 129
EXIT_TERMINATED = 143

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success (a referral is a success: it is the right answer)",
    EXIT_CHECK_FAILED: "a check found problems (rules test, rules lint, audit verify); or the "
    "command could not finish for a reason outside its input (a batch worker process died, "
    "the output could not be written: a full disk, Spark could not start), with a one-line "
    "message; or an internal error",
    EXIT_BAD_INPUT: "bad input: usage, invalid answers, unknown ids, invalid rule files, with "
    "a message naming the file, the field and what is allowed, never a traceback; with "
    "--batch, any bad line; with rescore, any record that could not be assessed",
    EXIT_HANGUP: "a batch stopped by SIGHUP (128 + the signal number); its partial output "
    "is removed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C: 128 + SIGINT)",
    EXIT_CLOSED_PIPE: "stdout was closed by its reader (legrules ... | head): the command "
    "stops quietly, as Unix tools do (128 + SIGPIPE)",
    EXIT_TERMINATED: "a batch stopped by SIGTERM (128 + the signal number); its partial "
    "output is removed",
}
"""Every exit code a ``legrules`` command ends with, in order, and what it means: the one
table that docs/CONTRACT.md section 4 and ``legrules --help`` are made from, so the
documented codes cannot drift from each other."""

SHOWN_CHARS = 80
"""How much of a value (or key) the user gave a message repeats."""
MAX_LISTED = 50
"""How many problems a message lists (and gets a did-you-mean for); the rest are counted."""
_LOCATION_CHARS = 200
_PART_CHARS = 500
# no valid id is this long; difflib's work grows with the word's length
_CLOSEST_MAX_CHARS = 100


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was, so a message stays
    one readable line whatever the input held (a 1 MB value gave a 1 MB message)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def show(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value the user gave, as JSON, clipped: short and safe to print whatever it is."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):  # too many digits, nested too deeply
        if isinstance(value, int):
            text = f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        else:
            text = f"a {type(value).__name__} too large or too deeply nested to show"
    return clip(text, limit)


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The valid spelling ``word`` most likely meant (for a :class:`Problem`'s
    ``suggestion``), or None when nothing is close enough."""
    if len(word) > _CLOSEST_MAX_CHARS:
        return None
    import difflib  # noqa: PLC0415  (only when there is a typo to explain)

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return match[0] if match else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough to fix without reading code.

    ``location`` is the question id for answers, or ``file:line`` plus the rule id for a
    rule pack; ``allowed`` says what would have been accepted; ``suggestion`` is the
    closest valid spelling when the input looks like a typo.
    """

    location: str
    message: str
    given: str | None = None
    allowed: str | None = None
    suggestion: str | None = None

    def render(self) -> str:
        # clipped here too, whatever the caller put in: a backstop for item values
        # that reach a message unshortened
        parts = [f"{clip(self.location, _LOCATION_CHARS)}: {clip(self.message, _PART_CHARS)}"]
        if self.given is not None:
            parts.append(f"got {clip(self.given, _PART_CHARS)}")
        if self.allowed is not None:
            parts.append(f"allowed: {clip(self.allowed, _PART_CHARS)}")
        text = "; ".join(parts)
        if self.suggestion is not None:
            text += f" (did you mean {self.suggestion!r}?)"
        return text


class LegrulesError(Exception):
    """Base of every error legrules raises on purpose.

    Every one has ``problems``, so a caller can handle any of them one way: an error
    about one thing carries a single :class:`Problem` made from its message (at
    ``location``, by default ``(general)`` when the message names no place).
    """

    exit_code: int = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Problem] | None = None,
        location: str = "(general)",
    ) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (
            tuple(problems)
            if problems is not None
            else (Problem(location=location, message=message),)
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Rebuilt from its message and attributes, not by calling ``__init__`` again.

        Pickle's default calls ``type(self)(*self.args)``, which breaks every subclass
        whose ``__init__`` takes other arguments than the message (``InputFileError(where,
        reason)``...): an error raised in a worker process (``ProcessPoolExecutor``,
        multiprocessing) then reached the parent as a BrokenProcessPool instead of
        itself. Fixed once here, so a new subclass cannot forget it.
        """
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[LegrulesError], args: tuple[object, ...], state: dict[str, object]
) -> LegrulesError:
    """A pickled :class:`LegrulesError` back, as it was: same type, message and fields."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ProblemsError(LegrulesError):
    """An input with one or more problems, all reported at once (not first-error-only)."""

    headline: str = "invalid input"

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self._format(), problems=self.problems)

    def _format(self) -> str:
        where = f" in {self.source}" if self.source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.headline}{where}: {count} {noun}"]
        lines.extend(f"  - {p.render()}" for p in self.problems[:MAX_LISTED])
        if count > MAX_LISTED:
            lines.append(f"  ... and {count - MAX_LISTED} more")
        return "\n".join(lines)


class AnswersError(ProblemsError):
    """The answers document is not valid for the loaded questionnaire."""

    headline = "invalid answers"


class RulePackError(ProblemsError):
    """A rule pack (questionnaire, catalogue or rule files) is malformed or inconsistent.

    Raised by the loader before the engine sees anything, so a bad pack is never half
    loaded.
    """

    headline = "invalid rule pack"


class UnknownIdError(LegrulesError):
    """An id on the command line (rule, question, recommendation) that the pack lacks."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        kind: str,
        given: str,
        known: list[str],
        where: str,
        *,
        suggestion: str | None = None,
    ) -> None:
        # ``suggestion``: the caller's better guess (from a normalised spelling), if any
        self.suggestion = suggestion or closest(given, known)
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        super().__init__(
            f"unknown {kind} id {given!r}{hint}; {where} lists them",
            problems=[
                Problem(
                    location=given,
                    message=f"unknown {kind} id",
                    allowed=f"the ids {where} lists",
                    suggestion=self.suggestion,
                )
            ],
        )


class InputFileError(LegrulesError):
    """A file could not be read or parsed at all (missing, unreadable, not JSON/YAML).

    ``where`` is the file (with ``:line`` when known); ``reason`` says what is wrong.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}", problems=[Problem(location=where, message=reason)])


class EngineError(LegrulesError):
    """The rule engine failed while assessing. Not the user's fault: exit code 1."""

    exit_code = EXIT_CHECK_FAILED


class RuleLoopError(EngineError):
    """A forward chain fired more rules than the pack can legitimately fire.

    The loader rejects derivation cycles, so this is a guard against engine or compiler
    defects; the message names the rules that kept firing.
    """

    def __init__(self, rules: Iterable[str], budget: int) -> None:
        self.rules = tuple(rules)
        self.budget = budget
        super().__init__(
            f"rule chain stopped after {budget} firings (loop guard); "
            f"rules in the chain: {', '.join(self.rules)}"
        )


class BatchError(LegrulesError):
    """A batch could not finish for a reason outside its input: a worker process died,
    or the output could not be written (disk full). Not the input's fault: exit code 1.
    The partial output has been removed by the time this is raised."""

    exit_code = EXIT_CHECK_FAILED
