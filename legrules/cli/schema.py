"""``legrules schema``: JSON Schemas for tools and app builders."""

from __future__ import annotations

import json

import click

from legrules.cli._common import handle_errors


@click.group()
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
