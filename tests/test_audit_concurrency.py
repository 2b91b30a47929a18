"""Nothing lost, nothing half-written: concurrent threads, concurrent processes, SIGKILL.

The process tests start real Python processes (``subprocess``) that write through
``Engine(audit_log=...)`` and print each assessment id only after ``assess`` returned,
that is after its transaction committed. Every printed id must be in the log, the chain
must verify, and ``seq`` must run 1..n without a gap or a fork.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legrules import Engine
from legrules.audit import AuditLog, AuditWriteError
from legrules.pack.model import RulePack
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

pytestmark = pytest.mark.slow

# argv: pack dir, log path, records to write (0: until killed), record to die in (0: none).
# Dying: SIGKILL inside that record's transaction, after its rows are inserted and before
# COMMIT. A one-page cache makes SQLite spill the uncommitted pages into the WAL first, so
# the file really holds a half-written transaction; the WAL size at BEGIN and at the kill
# goes to stderr so the test can check that it grew.
WRITER = r"""
import os, signal, sqlite3, sys

pack_dir, log_path, count, die_in = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
written = 0
real_connect = sqlite3.connect


def wal_size():
    try:
        return os.path.getsize(log_path + "-wal")
    except OSError:
        return 0


def connect(*args, **kwargs):
    conn = real_connect(*args, **kwargs)
    if die_in:
        conn.execute("PRAGMA cache_size = 1")

        def trace(statement):
            if written + 1 != die_in:
                return
            if statement.startswith("BEGIN IMMEDIATE"):
                sys.stderr.write(f"begin {wal_size()}\n")
            elif statement.startswith("UPDATE meta"):
                sys.stderr.write(f"kill {wal_size()}\n")
                sys.stderr.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        conn.set_trace_callback(trace)
    return conn


sqlite3.connect = connect

from legrules import Engine

engine = Engine(pack_dir, audit_log=log_path)
while count == 0 or written < count:
    result = engine.assess({"age": 20 + written % 60, "squat_felt_most": "glutes"})
    written += 1
    print(result.assessment_id, flush=True)
"""


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the pack, so rule edits elsewhere cannot race the writers."""
    root = tmp_path_factory.mktemp("concurrency") / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests"))
    return root


@pytest.fixture(scope="module")
def pack(pack_dir: Path) -> RulePack:
    return load_pack(pack_dir)


def _writer(pack_dir: Path, log: Path, count: int, die_in: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(pack_dir), str(log), str(count), str(die_in)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_log(log_path: Path, committed: set[str]) -> list[str]:
    """Verify the chain read-only; return the ids in seq order. Every committed id is in."""
    with AuditLog(log_path, readonly=True) as log:
        report = log.verify()
        assert report.ok, report.lines()
        records = list(log.records())
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    ids = [r.assessment_id for r in records]
    assert len(set(ids)) == len(ids)
    missing = committed - set(ids)
    assert not missing, f"{len(missing)} committed records lost"
    return ids


def test_threads_sharing_a_log_and_with_their_own(pack: RulePack, tmp_path: Path) -> None:
    log_path = tmp_path / "threads.db"
    shared = AuditLog(log_path)
    ids: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    per_thread = 25

    def run(engine: Engine) -> None:
        try:
            for i in range(per_thread):
                result = engine.assess({"age": 20 + i})
                with lock:
                    ids.append(result.assessment_id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    with Engine(pack, audit_log=shared) as common:
        # Four threads on one Engine and one AuditLog (one connection, a lock), and three
        # threads with an Engine and an AuditLog each: those contend inside SQLite.
        own = [Engine(pack, audit_log=AuditLog(log_path)) for _ in range(3)]
        threads = [threading.Thread(target=run, args=(common,)) for _ in range(4)]
        threads += [threading.Thread(target=run, args=(engine,)) for engine in own]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)  # a hang bound, not a schedule
        for engine in own:
            engine.close()
    assert not any(thread.is_alive() for thread in threads), "a writer thread hung"
    assert not errors, errors
    assert len(ids) == 7 * per_thread
    assert sorted(_check_log(log_path, set(ids))) == sorted(ids)


def test_processes_writing_one_file(pack_dir: Path, tmp_path: Path) -> None:
    log_path = tmp_path / "processes.db"
    per_process, processes = 40, 4
    writers = [_writer(pack_dir, log_path, per_process) for _ in range(processes)]
    committed: set[str] = set()
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        committed.update(out.split())
    assert len(committed) == per_process * processes
    assert sorted(_check_log(log_path, committed)) == sorted(committed)


def test_sigkill_inside_a_transaction_leaves_every_committed_record(
    pack_dir: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "killed.db"
    writer = _writer(pack_dir, log_path, 0, die_in=11)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == -signal.SIGKILL, err
    committed = out.split()
    assert len(committed) == 10
    sizes = dict(line.split() for line in err.splitlines() if line.startswith(("begin", "kill")))
    assert int(sizes["kill"]) > int(sizes["begin"]), "the kill should leave uncommitted frames"
    before = log_path.read_bytes()
    assert _check_log(log_path, set(committed)) == committed  # read-only, after the crash
    assert log_path.read_bytes() == before
    # The next writer recovers the WAL and continues the same chain.
    follower = _writer(pack_dir, log_path, 5)
    more, err = follower.communicate(timeout=120)
    assert follower.returncode == 0, err
    assert _check_log(log_path, set(committed) | set(more.split())) == committed + more.split()


def _read_lines(writer: subprocess.Popen[str], count: int) -> Iterator[str]:
    assert writer.stdout is not None
    for _ in range(count):
        line = writer.stdout.readline()
        if not line:
            return
        yield line.strip()


def _rest_after_kill(writer: subprocess.Popen[str]) -> list[str]:
    """Everything the killed writer printed that was not read yet.

    Read through the same file object as :func:`_read_lines`: ``readline`` reads the
    pipe in blocks, so lines already printed can sit in that object's buffer, where
    ``communicate()`` (which reads the raw descriptor) would never see them. The writer
    is dead, so the read ends at EOF.
    """
    assert writer.stdout is not None
    rest = writer.stdout.read().split()
    writer.communicate(timeout=60)  # stdout is drained now: only stderr and the status
    return rest


def test_sigkill_at_random_moments_loses_nothing_committed(pack_dir: Path, tmp_path: Path) -> None:
    """Two writers at full speed; one is killed at a random moment, three times."""
    log_path = tmp_path / "random.db"
    rng = random.Random(20260115)
    committed: set[str] = set()
    for _ in range(3):
        victim = _writer(pack_dir, log_path, 0)
        survivor = _writer(pack_dir, log_path, 30)
        committed.update(_read_lines(victim, rng.randint(5, 25)))
        time.sleep(rng.uniform(0, 0.02))
        os.kill(victim.pid, signal.SIGKILL)
        committed.update(_rest_after_kill(victim))  # printed before the kill: committed
        assert victim.returncode == -signal.SIGKILL
        out, err = survivor.communicate(timeout=120)
        assert survivor.returncode == 0, err
        committed.update(out.split())
        ids = _check_log(log_path, committed)
        # At most one record per killed writer committed without being printed.
        assert len(ids) - len(committed) <= 1
        committed.update(ids)


def test_a_writer_never_waits_forever(pack: RulePack, tmp_path: Path) -> None:
    """A lock held past the timeout is an AuditWriteError (exit 1), and nothing is written."""
    log_path = tmp_path / "busy.db"
    with Engine(pack, audit_log=log_path) as engine:
        engine.assess({})
    with Engine(pack) as plain:
        result = plain.assess({"age": 30})
    blocker = sqlite3.connect(log_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with (
            AuditLog(log_path, timeout=0.2) as impatient,
            pytest.raises(AuditWriteError, match="held the audit log"),
        ):
            impatient.record(result, plain.compiled)
        assert time.monotonic() - started < 10
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with AuditLog(log_path, readonly=True) as log:
        assert log.count() == 1
        assert log.verify().ok


def test_many_connections_creating_a_new_log_at_the_same_moment(tmp_path: Path) -> None:
    """Six connections (one per thread, each its own AuditLog) open a log that does not
    exist yet, released by a barrier. SQLite's locking between connections is the same
    within a process as between processes. The switch to WAL can fail at once with
    "database is locked" (SQLite does not wait where waiting could deadlock), and a
    connection could see the tables before the schema version: both once broke this."""
    errors: list[str] = []
    for round_ in range(40):
        log_path = tmp_path / f"new-{round_}.db"
        barrier = threading.Barrier(6)

        def open_log(path: Path = log_path, gate: threading.Barrier = barrier) -> None:
            gate.wait()
            try:
                with AuditLog(path) as log:
                    log.count()
            except Exception as error:  # pragma: no cover - the assertion shows it
                errors.append(f"{type(error).__name__}: {error}")

        threads = [threading.Thread(target=open_log) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)  # a hang bound, not a schedule
        assert not any(thread.is_alive() for thread in threads), "an opener hung"
        with AuditLog(log_path, readonly=True) as log:
            assert log.verify().ok
    assert errors == []
