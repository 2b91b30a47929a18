"""The decision log: one SQLite file (standard library, WAL mode), one record per assessment.

>>> from legrules import Engine
>>> from legrules.audit import AuditLog, explain_record
>>> engine = Engine(audit_log="decisions.db")            # doctest: +SKIP
>>> result = engine.assess({"squat_felt_most": "glutes"})  # doctest: +SKIP
>>> with AuditLog("decisions.db", readonly=True) as log:   # doctest: +SKIP
...     record = log.get(result.assessment_id)
...     print(explain_record(log, record.assessment_id, "leg_curl").text())
...     print(log.verify().ok)

Writes: each record is one ``BEGIN IMMEDIATE`` transaction that reads the chain head,
stores the rule pack if its fingerprint is new, inserts the record and moves the head, so
concurrent writers (threads or processes) queue on SQLite's write lock and the chain
never forks. A writer killed mid-transaction leaves no trace: WAL recovery drops the
uncommitted frames.

Reads: ``readonly=True`` opens the file with ``mode=ro``; SQLite itself then refuses
to change it. Every command that only reads uses that mode. A read-only connection to a
WAL database still creates (and leaves) ``-wal`` and ``-shm`` files beside it, and fails
where it cannot. So where the log is not this process's to write (its directory or the
file is read-only, by permission or by mode bits, which also binds root; or another
user owns it) and no writer has it open (no ``-wal`` with content), it is opened
``immutable=1`` too: SQLite then reads the file alone and creates nothing. Immutable
means SQLite trusts the file not to change, so each read checks afterwards that it did
not (a writer that started meanwhile), reopens before the next read if it did, and
reports a read it cannot trust instead of returning it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import sqlite3
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from legrules.audit.model import (
    GENESIS,
    AuditError,
    AuditLogError,
    AuditRecord,
    AuditWriteError,
    EngineRef,
    RecordNotFoundError,
    RuleRef,
    chain_hash,
    genesis_hash,
    index_columns,
    redact_assessment,
    redaction_closure,
    redaction_hash,
)
from legrules.audit.verify import Row, VerifyReport, verify_rows
from legrules.canonical import canonical_json
from legrules.errors import Problem, RulePackError, closest
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue
from legrules.run.assessment import Assessment
from legrules.run.compact import compact, is_compact
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.snapshot import PackSnapshot

if TYPE_CHECKING:
    from legrules.audit.replay import Replay
    from legrules.explain.whynot import WhyNot
    from legrules.run.engine import Engine

#: 2: the chain starts from the log's metadata (the salt) and packs hold only what is
#: checked. Version 1 logs are still read and verified, never appended to.
SCHEMA_VERSION = 2
FORMAT = "legrules-audit-log"
_BATCH = 500

_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE packs (
    fingerprint TEXT PRIMARY KEY,
    pack_hash TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    assessment_id TEXT NOT NULL UNIQUE,
    timestamp TEXT NOT NULL,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    content TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX records_by_time ON records (timestamp);
"""

# Snapshot content hash -> the fingerprint it compiles to, per process: a pack's files are
# loaded once to check them, not once per engine.
_VERIFIED: dict[str, str] = {}

# the index columns (model.index_columns, derived from content), then the chain's own
_ROW_COLUMNS = "seq, assessment_id, timestamp, status, fingerprint, content, prev_hash, hash"

T = TypeVar("T")

_V1_NOTE = (
    "a schema version 1 log: its chain does not commit to the log's metadata (the "
    "redaction salt), so a changed salt cannot be detected here"
)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_stamp(moment: datetime | str) -> str:
    """A moment as the log's sortable UTC text, to the second: ``2026-05-09T07:35:25Z``.

    Naive datetimes (and ISO strings without an offset) are taken as UTC.
    """
    if isinstance(moment, str):
        text = moment.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise AuditError(
                f"not an ISO 8601 date or time: {moment!r} (e.g. 2026-05-09 or "
                "2026-05-09T07:35:25Z)"
            ) from None
    else:
        parsed = moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(path: Path) -> tuple[int, ...]:
    """What changes when a writer changes the file (or replaces it)."""
    try:
        info = path.stat()
    except OSError:
        return ()
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _not_ours(path: Path) -> bool:
    """Whether the log must be left exactly as it is: its file or directory cannot be
    written (or has no write bit at all: root could, but someone made it read-only), or
    another user owns it (a -shm file of ours would lock its owner out)."""
    for place in (path, path.parent):
        try:
            info = place.stat()
        except OSError:
            return True
        if not os.access(place, os.W_OK) or not info.st_mode & 0o222:
            return True
    return hasattr(os, "geteuid") and path.stat().st_uid != os.geteuid()


def _wal_in_use(path: Path) -> bool:
    """Whether a write-ahead log holds changes not yet in the file (a writer has it open,
    or was killed): then only a WAL reader sees them, immutable would miss them."""
    try:
        return path.with_name(path.name + "-wal").stat().st_size > 0
    except OSError:
        return False


def _describe_sqlite(error: sqlite3.Error) -> str:
    text = str(error)
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return f"not a legrules audit log, or a damaged one (SQLite: {text})"
    return f"SQLite: {text}"


class AuditLog:
    """An audit log file. Safe to share between threads; any number of processes may write.

    ``path`` is the SQLite file (created on first write). ``redact`` lists question ids
    whose answers are stored as salted hashes instead of values. ``readonly=True`` opens
    an existing log with SQLite's read-only mode (it cannot be modified through this
    object) and fails at once if the file is not a readable log. ``timeout`` is how long
    a writer waits for another writer's transaction, in seconds.

    Every failure is an :class:`AuditError` (exit code 2), except a write that could not
    complete (:class:`AuditWriteError`, exit code 1).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        redact: Iterable[str] = (),
        readonly: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.redact: tuple[str, ...] = tuple(dict.fromkeys(redact))
        self.readonly = readonly
        self._timeout = timeout
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._salt: bytes | None = None
        # the file's identity when opened immutable (see the module docstring), else None
        self._pinned: tuple[int, ...] | None = None
        self._snapshots: dict[str, PackSnapshot | None] = {}
        self._stored_packs: dict[str, RulePack] = {}
        if readonly:
            self._connection()

    def __repr__(self) -> str:
        mode = "readonly" if self.readonly else "read-write"
        return f"AuditLog({str(self.path)!r}, {mode})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as what reopens the same file (by absolute path) with the same options,
        so an Engine pickled with its log records into it wherever it is unpickled."""
        return (_reopen, (str(self.path.absolute()), self.redact, self.readonly, self._timeout))

    @property
    def timeout(self) -> float:
        """Seconds a writer waits for another writer (an unpickled Engine reopens its log
        with the same)."""
        return self._timeout

    # -- connection ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (a writer's last close checkpoints the WAL)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self._pinned = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, reason: str) -> AuditLogError:
        return AuditLogError(str(self.path), reason)

    def _connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is None:
                self._conn = self._open_readonly() if self.readonly else self._open_writable()
            return self._conn

    def _check_path(self, must_exist: bool) -> None:
        path = self.path
        if path.is_dir():
            raise self._fail("is a directory, expected an audit log file")
        if path.exists():
            if not os.access(path, os.R_OK):
                raise self._fail("permission denied (cannot read the audit log)")
            if not path.is_file():
                raise self._fail("not a regular file")
        elif must_exist:
            raise self._fail(
                "no audit log here (read commands never create one; write one with "
                "`legrules assess --audit-log PATH`)"
            )
        elif not path.parent.is_dir():
            raise self._fail(f"cannot create the audit log: no directory {path.parent}")

    def _open_readonly(self) -> sqlite3.Connection:
        self._check_path(must_exist=True)
        resolved = self.path.resolve()
        uri = "file:" + urllib.parse.quote(str(resolved)) + "?mode=ro"
        pinned = None
        if _not_ours(resolved) and not _wal_in_use(resolved):
            pinned = _identity(resolved)
            uri += "&immutable=1"
        try:
            conn = sqlite3.connect(
                uri, uri=True, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._fail(_describe_sqlite(error)) from None
        try:
            with self._sqlite_errors():
                version = self._check_schema(*self._inspect(conn))
            if version == 0:
                raise self._fail("not a legrules audit log (no audit tables in this SQLite file)")
            self._salt = self._read_salt(conn)
        except BaseException:
            conn.close()
            raise
        self._pinned = pinned
        return conn

    def _open_writable(self) -> sqlite3.Connection:
        self._check_path(must_exist=False)
        try:
            conn = sqlite3.connect(
                str(self.path),
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise self._fail(_describe_sqlite(error)) from None
        try:
            with self._sqlite_errors(writing=True):
                self._prepare(conn)
            self._salt = self._read_salt(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Check the file, switch it to WAL, create the schema if it is new.

        A foreign or newer file is refused before anything is written to it. Processes
        that open a new log at the same moment can get SQLITE_BUSY without SQLite's busy
        handler being called (the switch to WAL needs an exclusive lock, and SQLite does
        not wait where waiting could deadlock): those steps are retried until the timeout.
        """
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                version = self._check_schema(*self._inspect(conn))
                if version not in (0, SCHEMA_VERSION):
                    raise self._fail(
                        f"an audit log of schema version {version}, written by an older "
                        "legrules: its hash chain does not commit to the log's redaction salt, "
                        "so this legrules does not add records to it. Start a new log (this "
                        "one stays readable: `legrules audit list/show/verify` work on it)"
                    )
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                if version == 0:
                    self._create(conn)
                return
            except sqlite3.OperationalError as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                busy = "locked" in str(error) or "busy" in str(error)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    @staticmethod
    def _inspect(conn: sqlite3.Connection) -> tuple[int, set[str]]:
        """The schema version and table names, read in one transaction (one snapshot)."""
        conn.execute("BEGIN")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                str(row[0])
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
        return version, tables

    def _check_schema(self, version: int, tables: set[str]) -> int:
        if version > SCHEMA_VERSION:
            raise self._fail(
                f"written by a newer legrules (log schema version {version}; this legrules "
                f"reads up to {SCHEMA_VERSION}): upgrade legrules to read it"
            )
        if version == 0 and tables:
            raise self._fail(
                "not a legrules audit log (an SQLite file with other tables: "
                f"{', '.join(sorted(tables))}); it was left unchanged"
            )
        if version and not {"meta", "packs", "records"} <= tables:
            raise self._fail("not a legrules audit log (its audit tables are missing)")
        return version

    def _create(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created the schema while this one waited for the lock.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)  # not executescript: it would COMMIT first
                meta = {"format": FORMAT, "created_at": utc_now(), "salt": secrets.token_hex(32)}
                meta.update(head_seq="0", head_hash=genesis_hash(meta, SCHEMA_VERSION))
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _read_salt(self, conn: sqlite3.Connection) -> bytes:
        with self._sqlite_errors():
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if rows.get("format") != FORMAT:
            raise self._fail("not a legrules audit log (its meta table has no legrules format)")
        try:
            return bytes.fromhex(rows["salt"])
        except (KeyError, ValueError):
            raise self._fail("damaged audit log: its redaction salt is missing") from None

    @contextlib.contextmanager
    def _sqlite_errors(self, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            text = str(error)
            if writing and ("locked" in text or "busy" in text):
                raise AuditWriteError(
                    f"{self.path}: another writer held the audit log for more than "
                    f"{self._timeout:g} s; nothing was recorded"
                ) from None
            if writing and isinstance(error, sqlite3.OperationalError):
                raise AuditWriteError(f"{self.path}: could not write ({text})") from None
            raise self._fail(_describe_sqlite(error)) from None

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._pinned is not None and self._pinned != _identity(self.path.resolve()):
                self.close()  # a writer changed it since: reopen, to read what it is now
            conn = self._connection()
            pinned = self._pinned
            try:
                with self._sqlite_errors():
                    result = work(conn)
            except AuditError:
                # a read torn by a writer can look like a damaged file: say what it was
                if pinned is not None and pinned != _identity(self.path.resolve()):
                    raise self._written_while_read() from None
                raise
            if pinned is not None and pinned != _identity(self.path.resolve()):
                raise self._written_while_read()
            return result

    def _written_while_read(self) -> AuditError:
        return AuditError(
            f"{self.path}: the log was written to while it was being read (it was opened "
            "immutable, as a log this process may not write); run the command again"
        )

    # -- writing ------------------------------------------------------------------------

    def _check_redact(self, fields: Iterable[str], pack: RulePack) -> None:
        questions = pack.questions()
        problems = []
        for name in fields:
            if name not in questions:
                problems.append(
                    Problem(
                        location=name,
                        message="--redact names no question of this rule pack",
                        suggestion=closest(name, questions),
                    )
                )
        if problems:
            raise RulePackError(problems, source="redacted fields")

    def register_pack(self, compiled: CompiledPack) -> None:
        """Snapshot a pack's files now, and check they are the pack that was compiled.

        :class:`~legrules.Engine` calls this when it is built with ``audit_log=`` (see
        :class:`~legrules.run.recorder.Recorder`), so the files are read right after they were
        loaded. Raises AuditError if the files on disk no longer produce the compiled
        fingerprint (they changed since loading), because storing them would explain
        records with rules that did not produce them.
        """
        if self.readonly:
            raise AuditError(f"{self.path}: opened read-only; cannot record")
        self._check_redact(self.redact, compiled.pack)
        fingerprint = compiled.fingerprint
        if fingerprint in self._snapshots:
            return
        stored = self._read(
            lambda conn: conn.execute(
                "SELECT 1 FROM packs WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        )
        # None: the log holds this pack already (stored once), nothing to snapshot.
        self._snapshots[fingerprint] = None if stored else self._take_snapshot(compiled)

    def _take_snapshot(self, compiled: CompiledPack) -> PackSnapshot:
        snapshot = PackSnapshot.from_dir(compiled.pack.root)
        key = snapshot.content_hash
        reloaded = _VERIFIED.get(key)
        if reloaded is None:
            reloaded = compile_pack(snapshot.load()).fingerprint
            _VERIFIED[key] = reloaded
        if reloaded != compiled.fingerprint:
            raise AuditError(
                f"the rule files in {compiled.pack.root} changed after they were loaded "
                f"(fingerprint {reloaded}, the engine's is {compiled.fingerprint}); "
                "rebuild the engine so the audit log stores the rules that decide"
            )
        return snapshot

    def record(
        self,
        assessment: Assessment,
        pack: CompiledPack | RulePack,
        *,
        provided: Iterable[str] | None = None,
        redact: Iterable[str] | None = None,
    ) -> AuditRecord:
        """Append one record for ``assessment``, made by ``pack``; return it as stored.

        ``provided`` is the question ids the person actually answered (see
        :attr:`~legrules.Answers.provided`; not stored when answers are redacted);
        ``redact`` overrides the log's redacted fields for this record. Questions whose
        default derives from a redacted one are redacted too (see
        :func:`~legrules.audit.model.redact_assessment`). One transaction: either the
        whole record (and its pack, the first time the pack is seen) is in the log, or
        nothing is.
        """
        compiled = pack if isinstance(pack, CompiledPack) else compile_pack(pack)
        if assessment.ruleset.fingerprint != compiled.fingerprint:
            raise AuditError(
                f"assessment {assessment.assessment_id} was made by rules "
                f"{assessment.ruleset.fingerprint}, not by the pack given "
                f"({compiled.fingerprint})"
            )
        asked = list(dict.fromkeys(self.redact if redact is None else redact))
        if compiled.fingerprint not in self._snapshots:
            self.register_pack(compiled)
        self._check_redact(asked, compiled.pack)
        fields = sorted(redaction_closure(asked, compiled.pack.questionnaire))
        conn = self._connection()
        assert self._salt is not None
        full: dict[str, Any] = assessment.model_dump(mode="json")
        if fields:
            full = redact_assessment(full, fields, self._salt, compiled.pack)
        # the pack's text is stored once, with the pack: records reference it
        result = compact(full, compiled.pack)
        base: dict[str, Any] = {
            "assessment_id": assessment.assessment_id,
            "timestamp": utc_stamp(assessment.created_at),
            "legrules_version": assessment.engine.legrules_version,
            "engine": EngineRef(name=assessment.engine.name, version=assessment.engine.version),
            "ruleset": assessment.ruleset,
            "rules": [RuleRef(id=rule.id, version=rule.version) for rule in compiled.pack.rules],
            # which questions were answered can give a redacted answer away (the
            # interactive questionnaire skips questions by earlier answers)
            "provided": None if provided is None or fields else sorted(provided),
            "redacted": fields,
            "assessment": result,
        }
        while True:
            snapshot = self._snapshots[compiled.fingerprint]
            with self._lock, self._sqlite_errors(writing=True):
                base["logged_at"] = utc_now()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    stored = self._write(conn, base, compiled, snapshot)
                    conn.execute("COMMIT" if stored is not None else "ROLLBACK")
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK")
                    raise AuditError(
                        f"{self.path}: assessment {assessment.assessment_id} is already recorded"
                    ) from None
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            if stored is not None:
                # its full form is the one it was compacted from: expanding it again
                # was a millisecond of every recorded assessment, and inside the
                # transaction it held every writer of the file waiting
                return stored.written_from(full)
            # The log lost the pack since this object last looked: snapshot it now.
            self._snapshots[compiled.fingerprint] = self._take_snapshot(compiled)

    def _write(
        self,
        conn: sqlite3.Connection,
        base: dict[str, Any],
        compiled: CompiledPack,
        snapshot: PackSnapshot | None,
    ) -> AuditRecord | None:
        head = dict(
            conn.execute("SELECT key, value FROM meta WHERE key IN ('head_seq', 'head_hash')")
        )
        seq, prev_hash = int(head["head_seq"]) + 1, head["head_hash"]
        row = conn.execute(
            "SELECT pack_hash FROM packs WHERE fingerprint = ?", (compiled.fingerprint,)
        ).fetchone()
        if row is None:
            if snapshot is None:
                return None
            pack_hash = snapshot.content_hash
            conn.execute(
                "INSERT INTO packs (fingerprint, pack_hash, files) VALUES (?, ?, ?)",
                (compiled.fingerprint, pack_hash, snapshot.to_json()),
            )
        else:
            pack_hash = str(row[0])
        unhashed = AuditRecord(seq=seq, pack_hash=pack_hash, prev_hash=prev_hash, hash="", **base)
        content = unhashed.content()
        digest = chain_hash(prev_hash, content)
        columns = index_columns(json.loads(content))  # as verify derives them
        conn.execute(
            f"INSERT INTO records ({', '.join(columns)}, content, prev_hash, hash) "
            f"VALUES ({', '.join('?' * (len(columns) + 3))})",
            (*columns.values(), content, prev_hash, digest),
        )
        conn.executemany(
            "UPDATE meta SET value = ? WHERE key = ?",
            [(str(seq), "head_seq"), (digest, "head_hash")],
        )
        return unhashed.model_copy(update={"hash": digest})

    # -- reading ------------------------------------------------------------------------

    def count(self) -> int:
        """How many records the log holds."""
        return self._read(
            lambda conn: int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
        )

    def _to_record(self, row: tuple[Any, ...]) -> AuditRecord:
        record = AuditRecord.from_row(str(row[5]), str(row[6]), str(row[7]))
        if is_compact(record.assessment):
            # a pack that no longer loads leaves the record listable; reading its
            # result then says why it cannot be expanded
            with contextlib.suppress(AuditError):
                record.expanded_by(self.pack(record.ruleset.fingerprint))
        return record

    def _record_or_fail(self, row: tuple[Any, ...]) -> AuditRecord:
        try:
            return self._to_record(row)
        except ValueError as error:
            raise AuditError(
                f"{self.path}: record {row[0]} ({row[1]}) cannot be read ({error}); run "
                "`legrules audit verify`"
            ) from None

    def get(self, assessment_id: str) -> AuditRecord:
        """The record of one assessment, by its id or a unique prefix of it (6+ characters)."""

        def lookup(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            rows = conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM records WHERE assessment_id = ?", (assessment_id,)
            ).fetchall()
            if rows or len(assessment_id) < 6:
                return rows
            pattern = assessment_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM records WHERE assessment_id LIKE ? ESCAPE '\\' "
                "LIMIT 6",
                (pattern + "%",),
            ).fetchall()

        rows = self._read(lookup)
        if len(rows) == 1:
            return self._record_or_fail(rows[0])
        if rows:
            ids = ", ".join(str(row[1]) for row in rows[:5])
            raise RecordNotFoundError(
                f"{self.path}: {assessment_id!r} matches more than one record ({ids}"
                f"{', ...' if len(rows) > 5 else ''}); give more of the id"
            )
        raise RecordNotFoundError(
            f"{self.path}: no record {assessment_id!r} (the log holds {self.count()} records; "
            "`legrules audit list` shows them)"
        )

    def records(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        recommendation: str | None = None,
        rule: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> Iterator[AuditRecord]:
        """Records in chain order, filtered.

        ``since``/``until`` bound the assessment time (inclusive, UTC; naive means UTC);
        ``recommendation`` keeps records that made that recommendation; ``rule`` keeps
        records in which that rule fired; ``status`` is ``ok`` or ``referral``. Records are
        read in batches, so a large log is never held in memory.
        """
        where, params = ["seq > ?"], []
        if since is not None:
            where.append("timestamp >= ?")
            params.append(utc_stamp(since))
        if until is not None:
            where.append("timestamp <= ?")
            params.append(utc_stamp(until))
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM records WHERE {' AND '.join(where)} "
            f"ORDER BY seq LIMIT {_BATCH}"
        )
        last, produced = 0, 0

        def batch(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(sql, [last, *params]).fetchall()

        while True:
            rows = self._read(batch)
            if not rows:
                return
            for row in rows:
                last = int(row[0])
                record = self._record_or_fail(row)
                if recommendation is not None and recommendation not in record.recommendation_ids():
                    continue
                if rule is not None and rule not in record.fired_rules():
                    continue
                yield record
                produced += 1
                if limit is not None and produced >= limit:
                    return

    def export_jsonl(self, out: IO[str], **filters: Any) -> int:
        """Write the records (filters as :meth:`records`) as JSON lines; return the count.

        Each line is one record with its ``seq``, ``prev_hash`` and ``hash``; without the
        two hashes, its canonical JSON is exactly what was hashed, so the chain can be
        checked from the export alone. The first record's ``prev_hash`` is the log's
        genesis hash (``genesis`` in :meth:`verify`'s report), which commits to the log's
        metadata.
        """
        count = 0
        for record in self.records(**filters):
            out.write(canonical_json(record.model_dump(mode="json")) + "\n")
            count += 1
        return count

    def snapshot(self, fingerprint: str) -> PackSnapshot:
        """The stored files of the pack with this fingerprint."""
        row = self._read(
            lambda conn: conn.execute(
                "SELECT files FROM packs WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        )
        if row is None:
            raise AuditError(f"{self.path}: the rule pack {fingerprint} is not in the log")
        return PackSnapshot.from_json(str(row[0]))

    def pack(self, fingerprint: str) -> RulePack:
        """The stored rule pack with this fingerprint, loaded (and cached)."""
        with self._lock:
            cached = self._stored_packs.get(fingerprint)
        if cached is not None:
            return cached
        try:
            loaded = self.snapshot(fingerprint).load()
        except RulePackError as error:
            raise AuditError(
                f"{self.path}: the stored rule pack {fingerprint} no longer loads with this "
                f"legrules:\n{error}"
            ) from None
        with self._lock:
            self._stored_packs[fingerprint] = loaded
        return loaded

    def check_value(self, assessment_id: str, field: str, value: AnswerValue) -> bool:
        """Whether ``value`` is the answer a record redacted for ``field`` (salted hash)."""
        record = self.get(assessment_id)
        if field not in record.redacted:
            raise AuditError(f"record {record.assessment_id}: {field!r} is not redacted")
        assert self._salt is not None
        return redaction_hash(self._salt, field, value) == record.answers.get(field)

    def explain(self, assessment_id: str, recommendation: str) -> WhyNot:
        """Deprecated: use :func:`legrules.audit.explain_record` (explaining is not storage)."""
        warnings.warn(
            "AuditLog.explain is deprecated; use legrules.audit.explain_record(log, id, rec)",
            DeprecationWarning,
            stacklevel=2,
        )
        # imported here: storing records does not depend on explaining them
        from legrules.audit.explain import explain_record  # noqa: PLC0415

        return explain_record(self, assessment_id, recommendation)

    def replay(
        self,
        assessment_id: str,
        engine: Engine | None = None,
        values: Mapping[str, AnswerValue] | None = None,
    ) -> Replay:
        """Deprecated: use :func:`legrules.audit.replay` (replaying is not storage)."""
        warnings.warn(
            "AuditLog.replay is deprecated; use legrules.audit.replay(log, id, engine, values)",
            DeprecationWarning,
            stacklevel=2,
        )
        # imported here: replaying runs an engine, which a log that only stores does not need
        from legrules.audit.replay import replay  # noqa: PLC0415

        return replay(self, assessment_id, engine, values)

    def stored_form(
        self, assessment: Assessment, fields: Iterable[str], pack: RulePack
    ) -> dict[str, Any]:
        """The assessment's JSON, made by ``pack``, as this log stores it with ``fields``
        (closed over derived defaults) redacted."""
        self._connection()
        assert self._salt is not None
        return redact_assessment(assessment.model_dump(mode="json"), fields, self._salt, pack)

    def salt_hash(self, field: str, value: AnswerValue) -> str:
        """The salted hash this log stores for ``value`` of ``field`` when it is redacted."""
        self._connection()
        assert self._salt is not None
        return redaction_hash(self._salt, field, value)

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Check the whole chain, every index column and every stored pack.

        Reads one consistent snapshot of the log. ``expect_head`` is a hash taken earlier
        (``head_hash`` of an earlier report): the chain must still pass through it.
        Raises AuditLogError if SQLite itself finds the file damaged.
        """

        def check(conn: sqlite3.Connection) -> VerifyReport:
            problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise self._fail(
                    "damaged database (SQLite integrity check: " + "; ".join(problems[:3]) + ")"
                )
            conn.execute("BEGIN")
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                head = (int(meta.get("head_seq", "0")), str(meta.get("head_hash", GENESIS)))
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                genesis, notes = GENESIS, [_V1_NOTE]
                if version >= 2:
                    genesis, notes = genesis_hash(meta, version), []
                packs = {
                    str(fp): (str(stored), self._files_hash(str(files)))
                    for fp, stored, files in conn.execute(
                        "SELECT fingerprint, pack_hash, files FROM packs"
                    )
                }
                rows = (
                    Row(*row)
                    for row in conn.execute(f"SELECT {_ROW_COLUMNS} FROM records ORDER BY seq")
                )
                return verify_rows(
                    rows,
                    head,
                    packs,
                    expect_head=expect_head,
                    path=str(self.path),
                    genesis=genesis,
                    notes=notes,
                )
            finally:
                conn.execute("COMMIT")

        return self._read(check)

    @staticmethod
    def _files_hash(files: str) -> str:
        try:
            return PackSnapshot.from_json(files).content_hash
        except RulePackError:
            return "unreadable"


def _reopen(path: str, redact: tuple[str, ...], readonly: bool, timeout: float) -> AuditLog:
    """An unpickled :class:`AuditLog` (see :meth:`AuditLog.__reduce__`)."""
    return AuditLog(path, redact=redact, readonly=readonly, timeout=timeout)
