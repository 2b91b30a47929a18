"""Batch assessment: one answers document per line in, one Assessment per line out.

durable-rules holds the GIL, so threads add no throughput; the batch uses worker
processes, each with its own Engine, and hands them chunks of lines so the cost of
crossing the process boundary is paid per chunk rather than per line. Output keeps
input order. A bad line does not stop the batch: its output line is an error record
(``{"line": N, "error": "..."}``) and it is counted in the report. That holds for any
line, however hostile (not UTF-8, a number too long to convert): the input is read as
bytes and each line is decoded on its own. The output file is written to a temporary
name and renamed when complete, so it is never half-written. The pack is loaded and
compiled once, before any worker starts, so a broken pack is reported as such instead of
failing inside every worker.

An Assessment is about 16 KB of JSON, so the workers write each chunk's output to a
file of their own beside the target and the parent only splices those files together
in order: passing the text back through the pool's pipes made the parent the
bottleneck on two cores. At most a few chunks per worker are in flight at once, so
memory stays flat however long the input is.

A batch that cannot finish (a worker killed, the disk full, SIGTERM or SIGHUP) stops its
workers and removes its partial output and chunk files before it reports why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import FrameType
from typing import IO, Any

from pydantic_core import to_json

from legrules.errors import BatchError, InputFileError, LegrulesError
from legrules.output import output
from legrules.pack.yamlio import decode_utf8, parse_json
from legrules.paths import pack_dir
from legrules.run.compact import compact
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.engine import Engine
from legrules.run.loader import load_pack

CHUNK_LINES = 50
# chunks queued per worker: enough that no worker waits, few enough to bound memory
_IN_FLIGHT_PER_WORKER = 3
_COPY_BUFFER = 1 << 20
# the signals that would otherwise kill the parent outright and orphan its workers
# (SIGINT already arrives as KeyboardInterrupt)
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_worker_engine: Engine | None = None
_worker_compact = False

_Line = tuple[int, bytes]
_ChunkResult = tuple[str, int, list[tuple[int, str]]]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived while a batch had workers and partial output to clean up.

    A KeyboardInterrupt, like Ctrl-C, so nothing that catches Exception swallows it;
    ``exit_code`` is what a shell reports for a process the signal stopped (128 + its
    number), and what the CLI exits with.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"terminated by {signal.Signals(signum).name}")


@dataclass
class BatchReport:
    total: int = 0
    assessed: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def _init_worker(compiled: CompiledPack, compact_form: bool = False) -> None:
    # The per-process engine a pool initializer leaves for the tasks: module state is
    # the one place a ProcessPoolExecutor worker can keep it.
    global _worker_engine, _worker_compact  # noqa: PLW0603
    _worker_engine = Engine(compiled)
    _worker_compact = compact_form


def _parse_line(number: int, data: bytes) -> Any:
    """One input line as a JSON value; an InputFileError naming the line if it is not
    UTF-8 (decoded here, per line, so one such line cannot end the batch)."""
    where = f"line {number}"
    return parse_json(decode_utf8(data, where, lines=False), where)


def _assess_line(
    engine: Engine, number: int, data: bytes, compact_form: bool = False
) -> tuple[str, str | None]:
    """The output line for one input line, and its error message if it is bad."""
    try:
        result = engine.assess(_parse_line(number, data))
        if compact_form:
            return to_json(compact(result, engine.pack)).decode("utf-8"), None
        return result.model_dump_json(), None
    except LegrulesError as error:
        message = str(error)
        return json.dumps({"line": number, "error": message}), message


def _write_chunk(directory: str, lines: list[str]) -> str:
    """Write ``lines`` to a new file in ``directory``; a BatchError if the disk refuses."""
    try:
        fd, path = tempfile.mkstemp(prefix="chunk-", suffix=".jsonl", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line)
                out.write("\n")
    except OSError as error:
        raise BatchError(
            f"cannot write the batch's chunk files in {directory} ({error.strerror}); "
            "the batch was stopped"
        ) from None
    return path


def _assess_chunk(chunk: list[_Line], directory: str) -> _ChunkResult:
    """Assess (line number, bytes) pairs into a new file in ``directory``.

    Returns the file's path, how many lines it holds, and the bad lines with their
    messages (also written to the file, as error records, in their place).
    """
    engine = _worker_engine
    assert engine is not None, "worker not initialised"
    bad: list[tuple[int, str]] = []
    lines: list[str] = []
    for number, data in chunk:
        text, error = _assess_line(engine, number, data, _worker_compact)
        lines.append(text)
        if error is not None:
            bad.append((number, error))
    return _write_chunk(directory, lines), len(chunk), bad


def _numbered_lines(handle: IO[bytes], source: Path) -> Iterator[_Line]:
    """The non-blank lines of the input with their 1-based numbers, undecoded: a line
    that is not UTF-8 is that line's error, found by the worker that decodes it."""
    try:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line
    except OSError as error:
        raise InputFileError(str(source), f"cannot read ({error.strerror})") from None


def _open_input(source: Path) -> IO[bytes]:
    try:
        return source.open("rb")
    except OSError as error:
        raise InputFileError(str(source), f"cannot read ({error.strerror})") from None


def count_lines(source: Path) -> int:
    """How many lines :func:`run_batch` will assess (for a progress bar's length)."""
    with _open_input(source) as handle:
        return sum(1 for _ in _numbered_lines(handle, source))


def _chunks(lines: Iterator[_Line], size: int) -> Iterator[list[_Line]]:
    while chunk := list(islice(lines, size)):
        yield chunk


def _splice(chunk_file: str, out: IO[bytes]) -> None:
    """Append a worker's chunk file to the output and delete it."""
    with open(chunk_file, "rb") as part:
        shutil.copyfileobj(part, out, _COPY_BUFFER)
    os.unlink(chunk_file)


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """While the batch runs, SIGTERM and SIGHUP raise :class:`Terminated` in the parent.

    Their default action kills the parent at once: its workers, blocked on a task queue
    whose write end they hold themselves, then live forever, and the partial output stays.
    Raising instead runs the same cleanup as Ctrl-C. Only signals still at their default
    are taken over (``nohup`` or a caller's own handler is respected), only in the main
    thread (the only one Python lets set handlers), and only once: a second signal must
    not interrupt the cleanup the first one started.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    parent = os.getpid()
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if os.getpid() != parent:
            # a worker forked before it could restore the default: die as it would have
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if not fired:
            fired = True
            raise Terminated(signum)

    previous = {
        signum: signal.signal(signum, handler)
        for signum in _STOP_SIGNALS
        if signal.getsignal(signum) == signal.SIG_DFL
    }
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's workers now, for a batch that is being abandoned.

    ``Executor.shutdown`` would first let them assess every chunk already queued. There
    is no public way to reach the processes before Python 3.14's ``terminate_workers``,
    so this reads the executor's process table (the same one its own broken-pool
    handling terminates).
    """
    processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


def _assess_all(
    lines: Iterator[_Line],
    out: IO[bytes],
    scratch: str,
    pool: ProcessPoolExecutor,
    *,
    count: int,
    progress: Callable[[int], None] | None,
) -> BatchReport:
    report = BatchReport()
    chunks = _chunks(lines, CHUNK_LINES)
    in_flight: deque[Future[_ChunkResult]] = deque()
    while True:
        # A dead worker breaks the pool: the next result() raises, or, if the pool saw
        # the death first, the next submit() does. Both are the same plain error.
        try:
            while len(in_flight) < _IN_FLIGHT_PER_WORKER * count:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                in_flight.append(pool.submit(_assess_chunk, chunk, scratch))
            if not in_flight:
                return report
            path, done, bad = in_flight.popleft().result()
        except BrokenProcessPool:
            raise BatchError(
                "a batch worker process died (killed, or out of memory); the batch was stopped"
            ) from None
        _splice(path, out)
        report.total += done
        report.assessed += done - len(bad)
        report.bad_lines.extend(bad)
        if progress is not None:
            progress(done)


def run_batch(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str] | IO[bytes],
    *,
    rules: Path | CompiledPack | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    compact_form: bool = False,
) -> BatchReport:
    """Assess every non-blank line of ``source`` (JSON Lines) into ``target``, in order.

    ``compact_form`` writes each Assessment in the compact form
    (:mod:`legrules.run.compact`: the pack's text left out, given back by
    :func:`~legrules.run.compact.expand` with the pack of its fingerprint).

    ``rules`` is a pack directory (default: the shipped pack) or a compiled pack.
    ``workers`` defaults to the number of CPUs. ``progress`` is called with the number
    of lines finished after each chunk. ``target`` is a path, written through
    :mod:`legrules.output` (refused if it is ``source`` by any name; complete or not at
    all), or an open binary stream the caller commits (the CLI's checked output).

    A batch that cannot finish raises BatchError (a worker died) or OutputWriteError (the
    output cannot be written) or, on SIGTERM/SIGHUP while it runs in the main thread,
    :class:`Terminated`; either way its workers are stopped and its working files removed
    first.
    """
    source = Path(source)
    if not isinstance(rules, CompiledPack):
        rules = compile_pack(load_pack(pack_dir(rules)))
    count = workers or os.cpu_count() or 1
    if not isinstance(target, (str, os.PathLike)):
        return _run(
            source, target, None, rules=rules, count=count, progress=progress, form=compact_form
        )
    out = output(target, "the batch output", inputs=[source])
    with out.open(binary=True) as stream:
        return _run(
            source,
            stream,
            out.directory(),
            rules=rules,
            count=count,
            progress=progress,
            form=compact_form,
        )


def _run(
    source: Path,
    out: IO[bytes],
    scratch_dir: str | None,
    *,
    rules: CompiledPack,
    count: int,
    progress: Callable[[int], None] | None,
    form: bool = False,
) -> BatchReport:
    # the workers' chunk files live in one private directory, removed whatever happens
    scratch = tempfile.mkdtemp(prefix=".legrules-batch-chunks-", dir=scratch_dir)
    try:
        with _open_input(source) as handle, _stop_signals_raise():
            pool = ProcessPoolExecutor(
                max_workers=count, initializer=_init_worker, initargs=(rules, form)
            )
            try:
                lines = _numbered_lines(handle, source)
                return _assess_all(lines, out, scratch, pool, count=count, progress=progress)
            except BaseException:
                _stop_workers(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
