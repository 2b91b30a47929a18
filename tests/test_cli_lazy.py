"""The `legrules` group loads a subcommand's module only when that command runs, and
lists every command in `--help` from the table `legrules.cli.COMMANDS`; these tests keep
that table true to the commands themselves."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import legrules.cli
from legrules.cli import COMMANDS, cli


def _top_level_commands() -> dict[str, click.Command]:
    """Every click command defined in a public legrules.cli module that no group there
    holds as a subcommand: the commands `legrules` must offer."""
    found: dict[int, tuple[str, click.Command]] = {}
    nested: set[int] = set()
    for info in pkgutil.iter_modules(legrules.cli.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"legrules.cli.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and value.callback is not None:
                if value.callback.__module__ == module.__name__:
                    found[id(value)] = (info.name, value)
                if isinstance(value, click.Group):
                    nested.update(id(sub) for sub in value.commands.values())
    return {cmd.name or "": cmd for key, (_, cmd) in found.items() if key not in nested}


def test_the_table_lists_every_command_and_no_other() -> None:
    assert sorted(COMMANDS) == sorted(_top_level_commands())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_row_is_true_to_its_command(name: str) -> None:
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(entry.module), name)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert entry.short_help == command.short_help
    if command.short_help is None:
        assert command.help is not None
        assert entry.help == inspect.cleandoc(command.help).split("\n\n")[0]
    else:
        assert entry.help is None
    listed = click.Command(name, help=entry.help, short_help=entry.short_help)
    for limit in range(20, 121):
        assert listed.get_short_help_str(limit) == command.get_short_help_str(limit)


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_help_lists_what_the_loaded_commands_would(
    columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lazy listing, laid out beside the one click makes from the loaded commands."""
    monkeypatch.setenv("COLUMNS", columns)
    loaded = click.Group(
        commands=[getattr(importlib.import_module(e.module), n) for n, e in COMMANDS.items()]
    )
    with click.Context(cli) as ctx:
        lazy = click.HelpFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        eager = click.HelpFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        fresh = type(cli)(commands={})  # no command loaded yet
        fresh.format_commands(ctx, lazy)
        loaded.format_commands(ctx, eager)
    assert lazy.getvalue() == eager.getvalue()
    assert all(f"  {name}" in lazy.getvalue() for name in COMMANDS)


def test_help_loads_no_command_module() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom legrules.cli import cli\nsys.argv = ['legrules', '--help']\n"
            "try:\n    cli()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('legrules.cli.')"
            " and not m.startswith('legrules.cli._')), file=sys.stderr)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Commands:" in probe.stdout, probe.stderr
    assert probe.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("typed", "meant"), [("asess", "assess"), ("rule", "rules")])
def test_a_mistyped_command_is_told_the_closest_one(typed: str, meant: str) -> None:
    """click suggests from the commands it has loaded; a lazy group has loaded none."""
    result = CliRunner().invoke(cli, [typed])
    assert result.exit_code == 2
    assert f"Did you mean '{meant}'?" in result.output
