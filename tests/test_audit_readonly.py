"""Reading a log this process may not write: SQLite's read-only and immutable URI modes.

Tests run as root in CI, where chmod stops nothing, so what is checked is what root
would notice too: files appearing beside the log, the log's bytes, and SQLite refusing a
write through the read connection. A read-only bind mount, which binds root as well,
reproduces the original failure where the machine allows one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from legrules import Engine
from legrules.audit import AuditError, AuditLog
from legrules.pack.model import RulePack
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    root = tmp_path_factory.mktemp("readonly") / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests"))
    return load_pack(root)


@pytest.fixture
def shared(tmp_path: Path, pack: RulePack) -> Iterator[Path]:
    """A log with two records in its own directory (given back writable afterwards)."""
    directory = tmp_path / "shared"
    directory.mkdir()
    log = directory / "decisions.db"
    with Engine(pack, audit_log=log) as engine:
        engine.assess({})
        engine.assess({"squat_felt_most": "glutes"})
    yield log
    directory.chmod(0o755)
    log.chmod(0o644)


@pytest.mark.parametrize("place", ["own", "read-only-dir", "read-only-copy"])
def test_the_read_connection_refuses_writes(shared: Path, place: str) -> None:
    if place == "read-only-dir":
        shared.parent.chmod(0o555)
    elif place == "read-only-copy":
        shared.chmod(0o444)
    with AuditLog(shared, readonly=True) as log:
        conn = log._connection()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        assert log.count() == 2


def test_an_immutable_reader_follows_a_writer_between_reads(shared: Path, pack: RulePack) -> None:
    shared.chmod(0o444)
    with AuditLog(shared, readonly=True) as log:
        assert log.count() == 2
        assert log._pinned is not None  # opened immutable
        shared.chmod(0o644)
        with Engine(pack, audit_log=shared) as engine:
            engine.assess({})
        assert log.count() == 3  # the file changed: reopened, not a stale answer


def test_an_immutable_read_torn_by_a_writer_is_reported(shared: Path, pack: RulePack) -> None:
    shared.chmod(0o444)

    def read_while_writing(conn: sqlite3.Connection) -> int:
        with Engine(pack, audit_log=shared) as engine:
            engine.assess({})
        return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])

    with AuditLog(shared, readonly=True) as log:
        log.count()
        shared.chmod(0o644)
        with pytest.raises(AuditError, match="written to while it was being read"):
            log._read(read_while_writing)


def _can_bind_read_only(directory: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", _bind(directory, "true")],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _bind(directory: Path, command: str) -> str:
    d = str(directory)
    return f"mount --bind '{d}' '{d}' && mount -o remount,bind,ro '{d}' && {command}"


def test_commands_read_a_log_on_a_read_only_mount(shared: Path) -> None:
    directory = shared.parent
    if not _can_bind_read_only(directory):
        pytest.skip("no private mount namespace here (unshare -m with a read-only bind)")
    before = sorted(os.listdir(directory)), shared.read_bytes()
    for command in ("list", "verify", "export --format jsonl"):
        run = f"{sys.executable} -m legrules audit {command} --audit-log '{shared}'"
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", _bind(directory, run)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "readonly database" not in result.stderr
    assert (sorted(os.listdir(directory)), shared.read_bytes()) == before
