"""``--json`` is ``--format json`` on every command that prints data, and asking for two
formats at once is a usage error (exit 2), never one silently winning.

test_cli_help.py checks how the options are declared; this runs them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules.cli import cli
from tests.conftest import EXAMPLES

GLUTES = str(EXAMPLES / "glute-dominant.json")
# ids and times that differ between two runs of one command
VOLATILE = {"assessment_id", "created_at"}


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    path = tmp_path_factory.mktemp("formats") / "log.db"
    args = ["assess", "--answers", GLUTES, "--audit-log", str(path), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return str(path), json.loads(result.stdout)["assessment_id"]


def _commands(log: tuple[str, str]) -> dict[str, list[str]]:
    path, record = log
    return {
        "assess": ["assess", "--answers", GLUTES],
        "explain": ["explain", "--answers", GLUTES],
        "explain --why-not": ["explain", "--answers", GLUTES, "--why-not", "leg_curl"],
        "questions": ["questions"],
        "questions ID": ["questions", "pain_type"],
        "rules list": ["rules", "list"],
        "rules show": ["rules", "show", "glute-dominance"],
        "rules lint": ["rules", "lint"],
        "rules test": ["rules", "test"],
        "rules graph": ["rules", "graph"],
        "audit list": ["audit", "list", "--audit-log", path],
        "audit show": ["audit", "show", record, "--audit-log", path],
        "audit explain": ["audit", "explain", record, "--why-not", "leg_curl", "--audit-log", path],
        "audit replay": ["audit", "replay", record, "--audit-log", path],
        "audit verify": ["audit", "verify", "--audit-log", path],
    }


NAMES = list(_commands(("", "")))


def _without_volatile(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _stable(text: str) -> object:
    """The JSON documents of an output (one, or one per line), without volatile ids."""
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError:
        documents = [json.loads(line) for line in text.splitlines()]
    return _without_volatile(documents)


@pytest.mark.parametrize("name", NAMES)
def test_json_is_short_for_format_json(name: str, log: tuple[str, str]) -> None:
    args = _commands(log)[name]
    runner = CliRunner()
    short = runner.invoke(cli, [*args, "--json"])
    long = runner.invoke(cli, [*args, "--format", "json"])
    assert short.exit_code == long.exit_code == 0, short.stderr + long.stderr
    assert _stable(short.stdout) == _stable(long.stdout)
    text = runner.invoke(cli, args)
    assert text.exit_code == 0, text.stderr
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.stdout)  # the default is for people


@pytest.mark.parametrize("name", ["assess", "rules list", "audit verify"])
def test_two_formats_at_once_is_a_usage_error(name: str, log: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, [*_commands(log)[name], "--json", "--format", "text"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--json and --format text ask for different output formats" in result.stderr


def test_the_same_format_twice_is_fine(log: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, ["rules", "list", "--json", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_explain_graph_is_short_for_format_mermaid() -> None:
    runner = CliRunner()
    graph = runner.invoke(cli, ["explain", "--answers", GLUTES, "--graph"])
    mermaid = runner.invoke(cli, ["explain", "--answers", GLUTES, "--format", "mermaid"])
    assert graph.exit_code == mermaid.exit_code == 0
    assert graph.stdout == mermaid.stdout
    assert graph.stdout.startswith("flowchart")
    both = runner.invoke(cli, ["explain", "--answers", GLUTES, "--graph", "--json"])
    assert both.exit_code == 2
    assert "--json and --graph ask for different output formats" in both.stderr


def test_the_old_graph_format_option_still_works() -> None:
    runner = CliRunner()
    old = runner.invoke(cli, ["explain", "--answers", GLUTES, "--graph", "--graph-format", "dot"])
    new = runner.invoke(cli, ["explain", "--answers", GLUTES, "--format", "dot"])
    assert old.exit_code == new.exit_code == 0
    assert old.stdout == new.stdout
    assert new.stdout.startswith("digraph")


def test_rules_graph_as_json_has_the_nodes_and_edges_of_the_diagram(tmp_path: Path) -> None:
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["rules", "graph", "--json"]).stdout)
    dot = runner.invoke(cli, ["rules", "graph", "--format", "dot"]).stdout
    assert data["nodes"]
    assert data["edges"]
    for node in data["nodes"]:
        assert set(node) == {"id", "label", "kind"}
        assert f"{node['id']} [" in dot
    for edge in data["edges"]:
        assert f"{edge['source']} -> {edge['target']}" in dot


@pytest.mark.parametrize(
    "args",
    [
        ["rules", "list", "--json"],
        ["rules", "show", "glute-dominance", "--json"],
        ["explain", "--answers", GLUTES, "--json"],
    ],
    ids=" ".join,
)
def test_json_output_is_utf8_on_every_command(args: list[str], pack_copy: Path) -> None:
    """A title reads the same in the JSON as in the text: no \\u escapes on any command."""
    rules = pack_copy / "rules" / "compensation.yaml"
    before = "title: Glutes take over in squats - add direct quad work"
    text = rules.read_text(encoding="utf-8")
    assert before in text
    rules.write_text(text.replace(before, "title: Glutes take over in squats - quads café"))
    result = CliRunner().invoke(cli, [*args, "--rules", str(pack_copy)])
    assert result.exit_code == 0, result.stderr
    assert "quads café" in result.stdout
    assert "\\u" not in result.stdout
