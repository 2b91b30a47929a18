"""Every command: help that leads with an example, and the exit codes every command shares.

The command tree is walked from the click group, so a command added later is checked
without touching this file.
"""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import legrules.cli
from legrules.cli import cli
from legrules.paths import ENV_AUDIT_LOG


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


ALL = command_paths()


def test_the_walk_finds_the_commands() -> None:
    names = {" ".join(path) for path in ALL}
    for expected in (
        "assess",
        "explain",
        "questions",
        "rules list",
        "rules show",
        "rules lint",
        "rules test",
        "rules graph",
        "schema rules",
        "schema answers",
    ):
        assert expected in names


def _paragraphs(path: tuple[str, ...]) -> list[str]:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("Usage: ")
    return [p.strip() for p in result.stdout.split("\n\n")]


def _examples(paragraph: str) -> list[str]:
    return [line.strip() for line in paragraph.splitlines()[1:]]


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "legrules")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    paragraphs = _paragraphs(path)
    options = next(i for i, p in enumerate(paragraphs) if p.startswith("Options:"))
    examples = [p for p in paragraphs[:options] if p.startswith("Example")]
    assert examples, "\n\n".join(paragraphs)
    lines = _examples(examples[0])
    assert lines
    assert all("legrules " in line for line in lines), examples[0]


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "legrules")
def test_help_leads_with_an_example(path: tuple[str, ...]) -> None:
    """Usage, a one-line summary, then the example(s), before any other text."""
    paragraphs = _paragraphs(path)
    assert paragraphs[2].startswith("Example"), "\n\n".join(paragraphs)
    lines = _examples(paragraphs[2])
    if path:
        assert any(f"legrules {' '.join(path)}" in line for line in lines), paragraphs[2]


@pytest.mark.parametrize("path", [p for p in ALL if p], ids=" ".join)
def test_help_documents_exit_codes(path: tuple[str, ...]) -> None:
    text = CliRunner().invoke(cli, [*path, "--help"]).stdout
    assert "Exit codes:" in text


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "legrules")
def test_every_option_is_documented(path: tuple[str, ...]) -> None:
    """Every option a user can see says what it does, in a sentence."""
    for param in _command(path).params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{param.opts[0]} has no help"
            assert param.help.rstrip(")").endswith("."), f"{param.opts[0]}: {param.help!r}"


@pytest.mark.parametrize(
    "args",
    [
        ["assess", "--defaults"],
        ["explain", "--defaults"],
        ["questions"],
        ["rules", "list"],
        ["rules", "show", "glute-dominance"],
        ["rules", "lint"],
        ["rules", "test"],
        ["rules", "graph"],
        ["schema", "answers"],
        ["schema", "rules"],
    ],
    ids=" ".join,
)
def test_ctrl_c_is_exit_130_without_traceback(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    # Import the modules first: one imported while legrules.run.loader.load_pack is
    # patched would bind the patched function for good, and break later tests.
    import legrules.authoring.lint
    import legrules.run.engine
    import legrules.run.packcache

    del legrules
    for target in (
        "legrules.run.loader.load_pack",
        "legrules.run.engine.load_pack",
        "legrules.run.packcache.compiled_pack",
        "legrules.authoring.lint.load_pack",
        "legrules.pack.schema.rule_file_json_schema",
    ):
        monkeypatch.setattr(target, interrupted)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr.strip() == "legrules: interrupted"


@pytest.mark.parametrize("args", [["nope"], ["rules", "nope"], ["assess", "--nope"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage:" in result.stderr


def _top_level_imports(path: Path) -> set[str]:
    """Modules a file imports when it is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_cli_imports_the_engine_lazily() -> None:
    """Loading the command tree pulls in no legrules module beyond errors, paths and output.

    Commands import the engine, pydantic models and renderers inside their functions, so
    `legrules --help` and `legrules rules --help` pay only for click.
    """
    cli_dir = Path(legrules.cli.__file__).parent
    # legrules.output needs only the standard library and legrules.errors; legrules.text
    # (the exit codes in --help) only textwrap
    allowed = {
        "legrules",
        "legrules._version",
        "legrules.errors",
        "legrules.paths",
        "legrules.output",
        "legrules.text",
    }
    seen: set[str] = set()
    # the group imports each command's module by name when it runs (legrules.cli.COMMANDS)
    pending = ["legrules.cli", *(entry.module for entry in legrules.cli.COMMANDS.values())]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        name = module.removeprefix("legrules.cli").lstrip(".") or "__init__"
        for imported in _top_level_imports(cli_dir / f"{name}.py"):
            if imported.startswith("legrules.cli"):
                pending.append(imported)
            elif imported.startswith("legrules"):
                assert imported in allowed, f"{module} imports {imported} at start-up"
    assert {"legrules.cli.assess", "legrules.cli.rules", "legrules.cli.explain"} <= seen


def test_help_runs_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "legrules", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "Commands:" in done.stdout
    assert done.stderr == ""


def test_start_up_loads_neither_the_engine_nor_pydantic() -> None:
    """`legrules --help` stays fast: nothing heavy is imported until a command runs."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, legrules.cli; "
            "print(sorted(m for m in ('durable', 'pydantic', 'yaml') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


def _options(path: tuple[str, ...]) -> dict[str, click.Option]:
    return {
        param.name: param
        for param in _command(path).params
        if isinstance(param, click.Option) and param.name is not None
    }


def test_one_audit_log_option() -> None:
    """The command that writes the log and those that read it take it the same way."""
    users = [path for path in ALL if "log_path" in _options(path)]
    assert ("assess",) in users
    assert {path for path in ALL if path[:1] == ("audit",) and len(path) == 2} <= set(users)
    for path in users:
        option = _options(path)["log_path"]
        assert option.opts == ["--audit-log"], path
        assert option.secondary_opts == []
        assert option.envvar == ENV_AUDIT_LOG
        assert option.metavar == "PATH"
    spelled = [
        (path, param.opts)
        for path in ALL
        for param in _command(path).params
        if any("log" in opt and "audit" not in opt for opt in getattr(param, "opts", []))
    ]
    # the one other "log" is the lifter's training log (issue 14), never the audit log
    assert spelled == [(("assess",), ["--log"])]
    assert _options(("assess",))["training_logs"].metavar == "FILE"


# commands whose output has one format only: there is nothing to choose
# (`log chart` writes a picture, PNG or SVG by the name given to -o)
# (`serve` prints no data: it answers HTTP requests, each in the format of its endpoint)
ONE_FORMAT = {("schema", "rules"), ("schema", "answers"), ("log", "chart"), ("serve",)}
LEAVES = [path for path in ALL if not isinstance(_command(path), click.Group)]


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_that_prints_data_takes_format_and_json(path: tuple[str, ...]) -> None:
    """One spelling everywhere: --format CHOICE (the first is the default) and --json."""
    options = _options(path)
    formats = [o for o in options.values() if any("format" in opt for opt in o.opts)]
    if path in ONE_FORMAT:
        assert formats == []
        return
    fmt = options["fmt"]
    assert fmt.opts == ["--format"]
    assert isinstance(fmt.type, click.Choice)
    choices = list(fmt.type.choices)
    assert fmt.default == choices[0]
    assert fmt.show_default
    # no second, visible way to choose a format (a deprecated one may stay, hidden)
    assert [o.opts for o in formats if not o.hidden] == [["--format"]]
    if path == ("audit", "export"):
        assert choices == ["jsonl"]  # JSON lines only; --json would be a second name for it
        return
    assert "json" in choices
    shortcut = options["format_shortcut_json"]
    assert shortcut.opts == ["--json"]
    assert shortcut.is_flag
    assert shortcut.help == "Shortcut for --format json."


def _readme_commands() -> list[str]:
    """The `legrules ...` command lines in the README's code blocks, without comments,
    pipes, redirections and optional-part brackets."""
    readme = Path(__file__).resolve().parent.parent / "README.md"
    found: list[str] = []
    fenced = False
    for raw in readme.read_text(encoding="utf-8").splitlines():
        if raw.startswith("```"):
            fenced = not fenced
            continue
        if not (fenced or raw.startswith("    ")):
            continue
        line = raw.split(" #")[0].strip()
        if line.startswith("[") and found:  # a continuation of the command above
            found[-1] += " " + line
            continue
        if "| legrules " in line:
            line = line.split("| ", 1)[1]
        if line.startswith("legrules "):
            found.append(line.split(" |")[0].split(" >")[0])
    return [line.replace("[", " ").replace("]", " ") for line in found]


README_COMMANDS = _readme_commands()


def test_the_readme_shows_the_commands() -> None:
    assert len(README_COMMANDS) > 20
    assert any(line.startswith("legrules audit verify") for line in README_COMMANDS)


@pytest.mark.parametrize("line", README_COMMANDS)
def test_every_command_in_the_readme_exists_with_its_options(line: str) -> None:
    """Parsed up to --help: an option renamed or removed since is a usage error here."""
    args = shlex.split(line)[1:]
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("kind", ["json", "yaml"])
def test_assessing_a_json_answers_file_does_not_load_yaml(kind: str, tmp_path: Path) -> None:
    """PyYAML was a tenth of `assess --answers FILE.json`'s start-up and reads no JSON."""
    answers = tmp_path / f"answers.{kind}"
    answers.write_text('{"squat_felt_most": "glutes"}\n', encoding="utf-8")
    if kind == "yaml":
        answers.write_text("squat_felt_most: glutes\n", encoding="utf-8")
    argv = ["legrules", "assess", "--answers", str(answers), "--format", "json"]
    script = (
        f"import sys\nfrom legrules.cli import cli\nsys.argv = {argv!r}\n"
        "try:\n    cli()\nexcept SystemExit:\n    pass\n"
        "print('yaml' in sys.modules, file=sys.stderr)\n"
    )
    for _ in range(2):  # the first run may fill the compiled-pack cache from rules/*.yaml
        probe = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
    assert '"status"' in probe.stdout, probe.stderr
    assert probe.stderr.strip().splitlines()[-1] == str(kind == "yaml")


@pytest.mark.parametrize(
    "path",
    [p for p in ALL if isinstance(_command(p) if p else cli, click.Group)],
    ids=lambda p: " ".join(p) or "legrules",
)
def test_a_group_lists_each_command_with_its_whole_summary(path: tuple[str, ...]) -> None:
    """At 80 columns click cuts a long summary off with '...'; each reads whole."""
    text = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80).stdout
    commands = text[text.index("Commands:") :].split("\n\n")[0]
    assert "..." not in commands, commands
