"""``legrules schema``: JSON Schemas for tools and app builders."""

from __future__ import annotations

from pathlib import Path

import click

from legrules.cli._common import echo_json, handle_errors, rules_option


@click.group()
def schema() -> None:
    """Print JSON Schemas for tools and app builders.

    \b
    Example:
      legrules schema rules > rule-file.schema.json

    Exit codes: 0 done, 2 invalid rules (answers).
    """


@schema.command("rules")
@handle_errors
def schema_rules() -> None:
    """The JSON Schema of a rule file (rules/rules/*.yaml).

    \b
    Example:
      legrules schema rules > rule-file.schema.json

    Exit codes: 0 done.
    """
    from legrules.pack.schema import rule_file_json_schema

    echo_json(rule_file_json_schema(), sort_keys=True)


@schema.command("answers")
@rules_option
@handle_errors
def schema_answers(rules_dir: Path | None) -> None:
    """The JSON Schema of an answers file, for apps with their own form.

    \b
    Example:
      legrules schema answers > answers.schema.json

    Exit codes: 0 done, 2 invalid rules.
    """
    from legrules.pack.answerschema import answers_json_schema
    from legrules.paths import pack_dir
    from legrules.run.loader import load_pack

    pack = load_pack(pack_dir(rules_dir))
    echo_json(answers_json_schema(pack.questionnaire))
