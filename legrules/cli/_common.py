"""What every ``legrules`` subcommand shares: error handling, exit codes, options."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click
from click.core import ParameterSource

from legrules.errors import (
    EXIT_CHECK_FAILED,
    EXIT_CLOSED_PIPE,
    EXIT_INTERRUPTED,
    LegrulesError,
)
from legrules.paths import ENV_AUDIT_LOG, ENV_RULES

if TYPE_CHECKING:
    from legrules.api import Engine
    from legrules.audit import AuditLog
    from legrules.pack.model import RulePack
    from legrules.run.answers import Answers
    from legrules.run.compiler import CompiledPack

P = ParamSpec("P")
R = TypeVar("R")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"legrules: {message}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every expected failure into a message on stderr and its exit code.

    An unexpected exception is a bug: it gets a one-line message and exit code 1, and
    the traceback only with LEGRULES_DEBUG=1, so a user never has to read one.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LegrulesError as error:
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            click.echo("\nlegrules: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            raise  # not a bug: the reader left; LegrulesGroup stops quietly
        except Exception as error:
            if os.environ.get("LEGRULES_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error: {type(error).__name__}: {error} "
                "(set LEGRULES_DEBUG=1 for a traceback, and please report it)",
                EXIT_CHECK_FAILED,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def format_options(
    *choices: str, help: str, shortcuts: Mapping[str, tuple[str, str]] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--format CHOICE`` (the first is the default), and ``--json`` as short for
    ``--format json`` when JSON is one of the choices, alike on every command that
    prints data. ``shortcuts`` adds other flags: ``{"--graph": ("mermaid", help)}``.

    The command receives only ``fmt``, already resolved: a shortcut and a --format (or
    two shortcuts) that ask for different formats are a usage error rather than one
    silently winning.
    """
    flags = {"--json": ("json", "Shortcut for --format json.")} if "json" in choices else {}
    flags.update(shortcuts or {})

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def resolved(*args: P.args, **kwargs: P.kwargs) -> R:
            asked = [flag for flag in flags if kwargs.pop(_flag_dest(flag))]
            fmt = kwargs["fmt"]
            source = click.get_current_context().get_parameter_source("fmt")
            if source is not ParameterSource.DEFAULT:
                asked.append(f"--format {fmt}")
            wanted = {flags[a][0] if a in flags else fmt for a in asked}
            if len(wanted) > 1:
                raise click.UsageError(
                    f"{' and '.join(asked)} ask for different output formats: give one"
                )
            kwargs["fmt"] = wanted.pop() if wanted else fmt
            return func(*args, **kwargs)

        for flag, (name, flag_help) in reversed(flags.items()):
            if name not in choices:
                raise ValueError(f"{flag} is short for --format {name}, not one of {choices}")
            resolved = click.option(flag, _flag_dest(flag), is_flag=True, help=flag_help)(resolved)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=choices[0],
            show_default=True,
            help=help,
        )(resolved)

    return decorate


def echo_json(data: object, *, indent: int | None = 2, sort_keys: bool = False) -> None:
    """Print what ``--format json`` asked for, alike on every command: indented (or one
    line, ``indent=None``, for JSON Lines), and UTF-8 rather than ``\\u`` escapes, so a
    title reads the same in the JSON as in the text report."""
    click.echo(json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False))


def _flag_dest(flag: str) -> str:
    return "format_shortcut_" + flag.lstrip("-").replace("-", "_")


def audit_log_option(help: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--audit-log PATH`` (or $LEGRULES_AUDIT_LOG), alike for the command that writes
    the log and those that read it; ``help`` says which it is."""
    return click.option(
        "--audit-log",
        "log_path",
        type=click.Path(path_type=Path),
        envvar=ENV_AUDIT_LOG,
        show_envvar=True,
        default=None,
        metavar="PATH",
        help=help,
    )


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_RULES,
    show_envvar=True,
    default=None,
    help="Rule pack directory (default: the pack shipped with legrules).",
)


def compiled_for(rules_dir: Path | None) -> CompiledPack:
    """The pack a command runs on, compiled, kept between runs in the per-user cache
    (``$LEGRULES_CACHE_DIR``; ``LEGRULES_NO_CACHE=1`` turns it off): a one-shot command
    would otherwise spend most of its time re-reading and compiling the pack."""
    from legrules.paths import default_cache_dir, pack_dir
    from legrules.run.packcache import compiled_pack

    return compiled_pack(pack_dir(rules_dir), default_cache_dir())


def engine_for(rules_dir: Path | None, audit_log: Path | AuditLog | None = None) -> Engine:
    """The engine a command runs on, from :func:`compiled_for`."""
    from legrules.api import Engine

    return Engine(compiled_for(rules_dir), audit_log=audit_log)


@contextmanager
def _stop_on_closed_pipe() -> Iterator[None]:
    """When the reader of stdout goes away (``| head``, ``| true``), stop quietly with the
    status a shell gives a tool killed by SIGPIPE, as Unix tools do: the output was
    cut short on purpose, which is neither a bug nor a message worth printing.

    stdout is pointed at /dev/null first, as Python's documentation on SIGPIPE advises,
    so the interpreter's own flush at exit has nowhere to fail again.
    """
    try:
        yield
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # a stdout without a descriptor (tests)
            pass
        sys.exit(EXIT_CLOSED_PIPE)


class LegrulesGroup(click.Group):
    """The ``legrules`` group: a closed stdout and Ctrl-C are handled here, once, for
    every command (click would turn a closed pipe into exit code 1)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click turns a usage error into exit code 2 already; this keeps Ctrl-C at 130.
        try:
            with _stop_on_closed_pipe():
                try:
                    return super().main(*args, **kwargs)
                finally:
                    # what is still buffered fails here, where it can be handled, rather
                    # than in the interpreter's flush at exit
                    sys.stdout.flush()
        except KeyboardInterrupt:  # pragma: no cover - click handles it as Abort first
            click.echo("\nlegrules: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        # ``legrules --help`` and ``--version`` print while the arguments are parsed
        with _stop_on_closed_pipe():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _stop_on_closed_pipe():
            return super().invoke(ctx)


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """The ``--as-of DATE`` callback, alike for ``log`` and ``assess --log``."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-03-31") from None


def stdin_is_tty() -> bool:
    """Whether a person can be asked (tests replace this to drive the questionnaire)."""
    return sys.stdin.isatty()


def color_allowed(err: bool = False) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stderr if err else sys.stdout
    return stream.isatty()


_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True},
    "heading": {"bold": True},
    "strong": {"bold": True},
    "safety": {"fg": "red", "bold": True},
    "warn": {"fg": "yellow", "bold": True},
    "dim": {"dim": True},
    "prompt": {"bold": True},
    "error": {"fg": "red"},
}


def report_width() -> int:
    """The text report's width: the terminal's (within reason), else 88 columns."""
    if not sys.stdout.isatty():
        return 88
    import shutil

    return max(72, min(shutil.get_terminal_size((88, 24)).columns, 110))


def styler(enabled: bool) -> Callable[[str, str], str]:
    """``style(text, role)`` for the renderers: click.style when allowed, else identity."""

    def style(text: str, role: str) -> str:
        if not enabled or not text:
            return text
        return click.style(text, **_STYLES.get(role, {}))

    return style


def answers_options(func: Callable[P, R]) -> Callable[P, R]:
    """``--answers FILE|-``, repeatable ``--answer ID=VALUE`` and ``--defaults``."""
    func = click.option(
        "--defaults",
        is_flag=True,
        help="Accept every question's default on purpose (no answers needed).",
    )(func)
    func = click.option(
        "--answer",
        "answer_pairs",
        multiple=True,
        metavar="ID=VALUE",
        help="One answer, e.g. --answer squat_felt_most=glutes (repeatable; lists as a,b). "
        "Overrides the same question in --answers.",
    )(func)
    return click.option(
        "--answers",
        "answers_path",
        metavar="FILE|-",
        help="Answers as a JSON or YAML file, or - to read them from stdin.",
    )(func)


NO_ANSWERS_HELP = (
    "Pass --answers FILE (JSON or YAML; - reads stdin), --answer ID=VALUE (repeatable), "
    "or --defaults to accept every default on purpose. `legrules questions` lists the ids."
)


def answers_given(answers_path: str | None, answer_pairs: tuple[str, ...], defaults: bool) -> bool:
    return answers_path is not None or bool(answer_pairs) or defaults


def gather_answers(
    engine: Engine, answers_path: str | None, answer_pairs: tuple[str, ...]
) -> Answers:
    """Answers from --answers (file or stdin) and --answer, validated (AnswersError if bad)."""
    from legrules.pack.typed import parse_answer_options
    from legrules.run.answers import read_answers_document, validate_answers

    document: object = {}
    source: str | None = None
    if answers_path is not None:
        document, source = read_answers_document(answers_path, stdin=sys.stdin.buffer)
    if answer_pairs:
        overrides = parse_answer_options(engine.questionnaire, answer_pairs)
        if isinstance(document, dict):
            document = {**document, **overrides}
            source = f"{source} and --answer" if source else "--answer"
    return validate_answers(document, engine.questionnaire, source)


def warn_unanswered(pack: RulePack, answers: Answers, style: Callable[[str, str], str]) -> None:
    """List, on stderr, questions left without an answer or default, and what they silence."""
    missing = answers.unanswered()
    if not missing:
        return
    from legrules.explain.whyasked import silenced_rules

    questions = pack.questions()
    noun = "question has" if len(missing) == 1 else "questions have"
    click.echo(
        style(f"legrules: warning: {len(missing)} {noun} no answer and no default:", "warn"),
        err=True,
    )
    for question_id in missing:
        rules = silenced_rules(pack, question_id)
        effect = (
            f"rules that cannot fire without it: {', '.join(rules)}"
            if rules
            else "no rule needs it"
        )
        prompt = " ".join(questions[question_id].prompt.split())
        click.echo(f"  - {question_id} ({prompt}): {effect}", err=True)
    click.echo("  Answer with --answer ID=VALUE or in the answers file to include them.", err=True)
