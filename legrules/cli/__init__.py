"""The ``legrules`` command: a thin click layer over the library.

Results go to stdout, messages to stderr. Exit codes: ``legrules.errors.EXIT_CODES``
(docs/CONTRACT.md section 4), listed in ``legrules --help``.
Each subcommand lives in its own module, imported only when that command runs (see
:class:`LazyGroup`), and imports the engine lazily, so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
from typing import NamedTuple

import click

from legrules._version import __version__
from legrules.cli._common import CONTEXT_SETTINGS, LegrulesGroup
from legrules.errors import EXIT_CODES
from legrules.paths import contract_file
from legrules.text import wrap


class Lazy(NamedTuple):
    """Where a subcommand lives, and what ``legrules --help`` shows for it without
    importing it: its ``short_help`` if it sets one, else the first paragraph of its
    help (click shortens either to the terminal's width, as for a loaded command).
    tests/test_cli_lazy.py holds this table to the commands themselves."""

    module: str
    help: str | None = None
    short_help: str | None = None


#: Every subcommand, by name. Adding a command means adding its row here.
COMMANDS: dict[str, Lazy] = {
    "assess": Lazy(
        "legrules.cli.assess", help="Answer the questionnaire; get explained recommendations."
    ),
    "audit": Lazy(
        "legrules.cli.audit",
        short_help="The decision log: what was recommended, by which rules, why.",
    ),
    "explain": Lazy(
        "legrules.cli.explain", help="How each recommendation was reached, or why one was not."
    ),
    "log": Lazy("legrules.cli.log", help="Read a training log and measure what it shows."),
    "questions": Lazy(
        "legrules.cli.questions",
        help="The questions, allowed answers and defaults; or one explained.",
    ),
    "rescore": Lazy(
        "legrules.cli.rescore",
        short_help="Re-score stored answers with new rules: whose results change.",
    ),
    "rules": Lazy("legrules.cli.rules", help="Inspect, check and test the rules."),
    "schema": Lazy("legrules.cli.schema", help="Print JSON Schemas for tools and app builders."),
    "serve": Lazy(
        "legrules.cli.serve",
        short_help="Serve a JSON API for apps and a questionnaire for browsers.",
    ),
}


class LazyGroup(LegrulesGroup):
    """The ``legrules`` group, importing a subcommand's module only when it is run.

    Importing every command module for every run cost `assess --format json` about
    10 ms of its start-up (the other commands' modules and what they import), and
    ``--help`` needs only each command's one-line summary, kept in :data:`COMMANDS`
    (click's documented lazy-loading pattern).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name].module)
            command = getattr(module, cmd_name)
            assert isinstance(command, click.Command)
            self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click (8.4+) suggests the closest command from the commands it has loaded,
        none of which are loaded yet here: suggest from every command instead."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            no_such = getattr(click.exceptions, "NoSuchCommand", None)
            if no_such is None or not isinstance(error, no_such):
                raise
            raise no_such(
                error.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`, laid out as click lays out loaded
        commands, without loading any."""
        listed = click.Group(
            commands=[
                self.commands.get(name)
                or click.Command(
                    name, help=COMMANDS[name].help, short_help=COMMANDS[name].short_help
                )
                for name in self.list_commands(ctx)
            ]
        )
        listed.format_commands(ctx, formatter)


def _epilog() -> str:
    """The exit codes from their one table, and where the contract is in this install."""
    codes = [
        "\n".join(wrap(meaning, " " * 7, 74, first=f"  {code:<5}"))
        for code, meaning in EXIT_CODES.items()
    ]
    return (
        "\b\nExit codes (every command):\n" + "\n".join(codes) + "\n\n"
        "Question and recommendation ids, the JSON output and these exit codes are the "
        f"public contract: docs/CONTRACT.md (here: {contract_file()})."
    )


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS, epilog=_epilog())
@click.version_option(__version__, "-V", "--version", prog_name="legrules")
def cli() -> None:
    """Explainable leg-training recommendations from a questionnaire.

    \b
    Examples:
      legrules assess                      # answer the questions at the terminal
      legrules assess --answers examples/glute-dominant.json --format json
      legrules explain --answers examples/glute-dominant.json --why-not leg_curl
      legrules serve                       # the questionnaire at http://127.0.0.1:8080/

    Every recommendation says which rule made it, which of your answers mattered and
    where the guidance comes from. Safety screening comes first: red-flag answers get a
    referral to a qualified professional instead of a training plan.

    Compiled rule packs are cached in ~/.cache/legrules ($XDG_CACHE_HOME/legrules, or
    $LEGRULES_CACHE_DIR); LEGRULES_NO_CACHE=1 turns the cache off.
    """


def main() -> None:
    """Console-script entry point (also ``python -m legrules``).

    pydantic looks for plugins on the first validator it builds, reading the entry
    points of every installed distribution: 3.5 ms of a one-shot command's start-up
    (benchmarks/README.md, start-up round 5) for plugins the command line does not use.
    The command asks pydantic to skip them unless the user has set the variable
    (``PYDANTIC_DISABLE_PLUGINS=`` empty loads them all); it is set for this process
    and its children only (batch and serve workers inherit it), never by the library.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli(prog_name="legrules")


__all__ = ["COMMANDS", "cli", "main"]
