"""What every ``legrules`` subcommand shares: error handling, exit codes, options."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from legrules.errors import EXIT_CHECK_FAILED, EXIT_INTERRUPTED, LegrulesError
from legrules.paths import ENV_RULES

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


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_RULES,
    show_envvar=True,
    default=None,
    help="Rule pack directory (default: the pack shipped with legrules).",
)


class LegrulesGroup(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click turns a usage error into exit code 2 already; this keeps Ctrl-C at 130.
        try:
            return super().main(*args, **kwargs)
        except KeyboardInterrupt:  # pragma: no cover - click handles it as Abort first
            click.echo("\nlegrules: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
