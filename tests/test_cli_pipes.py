"""A closed stdout (``legrules ... | head``) stops the command quietly with status 141.

Each command runs in a real child process whose stdout is a pipe nobody reads: the
read end is closed before the child starts, so its first write fails with EPIPE
whatever the timing, the same failure ``| head -c 100`` causes once head has exited.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from legrules import Engine
from legrules.audit import AuditLog
from legrules.errors import EXIT_CLOSED_PIPE
from tests.conftest import EXAMPLES, REPO

pytestmark = pytest.mark.slow

# generous for a child python on a busy machine, but a bound: a hang fails the test
_BOUND_SECONDS = 120


def run_into_closed_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` with stdout a pipe whose reader is gone, and Python's default
    (block) buffering, as a user has it: PYTHONUNBUFFERED would hide the exit flush."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=cwd,
            text=True,
            timeout=_BOUND_SECONDS,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An audit log with one record, and that record's id (a batch input beside it)."""
    log = tmp_path_factory.mktemp("pipes") / "decisions.db"
    with Engine(audit_log=AuditLog(log)) as engine:
        record = engine.assess({"squat_felt_most": "glutes", "age": 34})
    (log.parent / "in.jsonl").write_text('{"age": 34}\n{"age": 35}\n', encoding="utf-8")
    return log, record.assessment_id


COMMANDS = {
    "assess": ["assess", "--answers", str(EXAMPLES / "glute-dominant.json")],
    "assess-json": ["assess", "--defaults", "--json"],
    "rules-graph-dot": ["rules", "graph", "--format", "dot"],
    "audit-export": ["audit", "export", "--format", "jsonl", "--audit-log", "{log}"],
    "audit-list": ["audit", "list", "--audit-log", "{log}"],
    "audit-show": ["audit", "show", "{id}", "--audit-log", "{log}"],
    "audit-replay": ["audit", "replay", "{id}", "--audit-log", "{log}"],
    "batch-out-stdout": ["assess", "--batch", "{dir}/in.jsonl", "--out", "-", "--workers", "1"],
    "help": ["--help"],
    "assess-help": ["assess", "--help"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_closed_stdout_stops_quietly_with_141(name: str, logged: tuple[Path, str]) -> None:
    log, record_id = logged
    args = [arg.format(log=log, id=record_id, dir=log.parent) for arg in COMMANDS[name]]
    result = run_into_closed_pipe(["-m", "legrules", *args], REPO)
    assert result.returncode == EXIT_CLOSED_PIPE, result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "Broken" not in result.stderr  # no "BrokenPipeError" / "Exception ignored"


UNFLUSHED = """
import sys
import click
from legrules.cli._common import LegrulesGroup

@click.group(cls=LegrulesGroup)
def cli() -> None: ...

@cli.command()
def small() -> None:
    sys.stdout.write("a short line, still in the buffer when the command returns\\n")

cli(["small"], prog_name="legrules")
"""


def test_output_still_buffered_at_exit_stops_quietly_with_141(tmp_path: Path) -> None:
    """The write that fails is the flush after the command returned (what the
    interpreter would otherwise do at exit, with an "Exception ignored" message)."""
    result = run_into_closed_pipe(["-c", UNFLUSHED], tmp_path)
    assert result.returncode == EXIT_CLOSED_PIPE, result.stderr
    assert result.stderr == ""
