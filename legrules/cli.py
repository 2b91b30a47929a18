"""The ``legrules`` command: a thin click layer over the library.

Results go to stdout, messages to stderr. Exit codes (CONTRACT section 4): 0 success (a
referral is a success), 1 a check found problems, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from legrules import __version__
from legrules.errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERRUPTED, LegrulesError
from legrules.paths import ENV_RULES

P = ParamSpec("P")
R = TypeVar("R")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str, code: int) -> None:
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
            _fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            click.echo("\nlegrules: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if os.environ.get("LEGRULES_DEBUG"):
                traceback.print_exc()
            _fail(
                f"internal error: {type(error).__name__}: {error} "
                "(set LEGRULES_DEBUG=1 for a traceback, and please report it)",
                EXIT_CHECK_FAILED,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_RULES,
    show_envvar=True,
    default=None,
    help="Rule pack directory (default: the pack shipped with legrules).",
)


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click turns a usage error into exit code 2 already; this keeps Ctrl-C at 130.
        try:
            return super().main(*args, **kwargs)
        except KeyboardInterrupt:  # pragma: no cover - click handles it as Abort first
            click.echo("\nlegrules: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="legrules")
def cli() -> None:
    """Explainable leg-training recommendations from a questionnaire.

    \b
    Example:
      legrules assess --answers examples/glute-dominant.json --format json

    Every recommendation says which rule made it, which of your answers mattered and
    where the guidance comes from. Safety screening comes first: red-flag answers get a
    referral to a qualified professional instead of a training plan.
    """


@cli.command()
@click.option(
    "--answers",
    "answers_path",
    metavar="FILE|-",
    help="Answers as a JSON or YAML file, or - to read them from stdin.",
)
@click.option(
    "--defaults",
    is_flag=True,
    help="Accept every question's default on purpose (no answers file needed).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report for a person (text) or CONTRACT JSON for programs.",
)
@click.option("--json", "as_json", is_flag=True, help="Shortcut for --format json.")
@rules_option
@handle_errors
def assess(
    answers_path: str | None, defaults: bool, fmt: str, as_json: bool, rules_dir: Path | None
) -> None:
    """Assess one set of answers and print the recommendations.

    \b
    Examples:
      legrules assess --answers examples/glute-dominant.json
      legrules assess --answers answers.yaml --format json
      cat answers.json | legrules assess --answers - --json

    Exit codes: 0 done (a referral is a valid result), 2 invalid answers or rules.
    """
    from legrules.answers import load_answers_file, load_answers_text
    from legrules.api import Engine
    from legrules.render import render_text

    if answers_path is None and not defaults:
        _fail(
            "no answers given. Pass --answers FILE (JSON or YAML; - reads stdin), "
            "or --defaults to accept every default on purpose.",
            EXIT_BAD_INPUT,
        )
    engine = Engine(rules_dir)
    if answers_path == "-":
        answers = load_answers_text(sys.stdin.read(), engine.questionnaire, "<stdin>")
    elif answers_path is not None:
        answers = load_answers_file(Path(answers_path), engine.questionnaire)
    else:
        answers = engine.validate({})
    result = engine.assess(answers)
    if as_json or fmt == "json":
        click.echo(result.to_json())
    else:
        click.echo(render_text(result), nl=False)


@cli.group()
def schema() -> None:
    """Print JSON Schemas for tools and app builders.

    \b
    Example:
      legrules schema rules > rule-file.schema.json
    """


@schema.command("rules")
@handle_errors
def schema_rules() -> None:
    """The JSON Schema of a rule file (rules/rules/*.yaml).

    \b
    Example:
      legrules schema rules > rule-file.schema.json
    """
    from legrules.ruleschema import rule_file_json_schema

    click.echo(json.dumps(rule_file_json_schema(), indent=2, sort_keys=True))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="legrules")
