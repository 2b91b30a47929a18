"""``legrules assess``: one answer set in, a report or CONTRACT JSON out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from legrules.cli._common import fail, handle_errors, rules_option
from legrules.errors import EXIT_BAD_INPUT


@click.command()
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
        fail(
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
