"""The ``legrules`` command: a thin click layer over the library.

Results go to stdout, messages to stderr. Exit codes: ``legrules.errors.EXIT_CODES``
(docs/CONTRACT.md section 4), listed in ``legrules --help``.
Each subcommand lives in its own module and imports the engine lazily, so ``--help``
stays fast.
"""

from __future__ import annotations

import click

from legrules._version import __version__
from legrules.cli._common import CONTEXT_SETTINGS, LegrulesGroup
from legrules.cli.assess import assess
from legrules.cli.audit import audit
from legrules.cli.explain import explain
from legrules.cli.log import log
from legrules.cli.questions import questions
from legrules.cli.rescore import rescore
from legrules.cli.rules import rules
from legrules.cli.schema import schema
from legrules.cli.serve import serve
from legrules.errors import EXIT_CODES
from legrules.paths import contract_file
from legrules.text import wrap


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


@click.group(cls=LegrulesGroup, context_settings=CONTEXT_SETTINGS, epilog=_epilog())
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


cli.add_command(assess)
cli.add_command(audit)
cli.add_command(explain)
cli.add_command(log)
cli.add_command(questions)
cli.add_command(rescore)
cli.add_command(rules)
cli.add_command(schema)
cli.add_command(serve)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="legrules")


__all__ = ["cli", "main"]
