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
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from legrules.api import Engine
from legrules.compiler import CompiledPack, compile_pack
from legrules.errors import InputFileError, LegrulesError
from legrules.loader import load_pack
from legrules.paths import pack_dir
from legrules.yamlio import parse_json

CHUNK_LINES = 50
# chunks queued per worker: enough that no worker waits, few enough to bound memory
_IN_FLIGHT_PER_WORKER = 3
_COPY_BUFFER = 1 << 20

_worker_engine: Engine | None = None

_Line = tuple[int, bytes]


@dataclass
class BatchReport:
    total: int = 0
    assessed: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def _init_worker(compiled: CompiledPack) -> None:
    # The per-process engine a pool initializer leaves for the tasks: module state is
    # the one place a ProcessPoolExecutor worker can keep it.
    global _worker_engine  # noqa: PLW0603
    _worker_engine = Engine(compiled)


def _parse_line(number: int, data: bytes) -> Any:
    """One input line as a JSON value; an InputFileError naming the line if it is not.

    The int-to-text digit limit surfaces from ``json`` as a bare ValueError, not a
    JSONDecodeError, so it is caught here by name rather than left to escape the worker
    and abort the whole batch.
    """
    where = f"line {number}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(
            where, f"not UTF-8 text ({error.reason} at byte {error.start + 1})"
        ) from None
    try:
        return parse_json(text, where)
    except ValueError as error:
        if "digits" not in str(error):
            raise
        raise InputFileError(where, "not valid JSON: a number has too many digits") from None


def _assess_line(engine: Engine, number: int, data: bytes) -> tuple[str, str | None]:
    """The output line for one input line, and its error message if it is bad."""
    try:
        return engine.assess(_parse_line(number, data)).model_dump_json(), None
    except LegrulesError as error:
        message = str(error)
        return json.dumps({"line": number, "error": message}), message


def _assess_chunk(chunk: list[_Line], directory: str) -> tuple[str, int, list[tuple[int, str]]]:
    """Assess (line number, bytes) pairs into a new file in ``directory``.

    Returns the file's path, how many lines it holds, and the bad lines with their
    messages (also written to the file, as error records, in their place).
    """
    engine = _worker_engine
    assert engine is not None, "worker not initialised"
    bad: list[tuple[int, str]] = []
    fd, path = tempfile.mkstemp(prefix="chunk-", suffix=".jsonl", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for number, data in chunk:
            text, error = _assess_line(engine, number, data)
            if error is not None:
                bad.append((number, error))
            out.write(text)
            out.write("\n")
    return path, len(chunk), bad


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


def run_batch(
    source: Path,
    target: Path,
    *,
    rules: Path | CompiledPack | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Assess every non-empty line of ``source`` (JSON) into ``target`` (JSON Lines).

    ``rules`` is a pack directory (default: the shipped pack) or a compiled pack.
    ``workers`` defaults to the number of CPUs. ``progress`` is called with the number
    of lines finished after each chunk.
    """
    if not isinstance(rules, CompiledPack):
        rules = compile_pack(load_pack(pack_dir(rules)))
    handle = _open_input(source)
    report = BatchReport()
    count = workers or os.cpu_count() or 1
    target.parent.mkdir(parents=True, exist_ok=True)
    # the workers' chunk files live in one private directory, removed whatever happens
    scratch = tempfile.mkdtemp(prefix=f".{target.name}.chunks-", dir=target.parent)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        with (
            handle,
            os.fdopen(fd, "wb") as out,
            ProcessPoolExecutor(
                max_workers=count, initializer=_init_worker, initargs=(rules,)
            ) as pool,
        ):
            chunks = _chunks(_numbered_lines(handle, source), CHUNK_LINES)
            in_flight: deque[Future[tuple[str, int, list[tuple[int, str]]]]] = deque()
            while True:
                while len(in_flight) < _IN_FLIGHT_PER_WORKER * count:
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    in_flight.append(pool.submit(_assess_chunk, chunk, scratch))
                if not in_flight:
                    break
                path, lines, bad = in_flight.popleft().result()
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, _COPY_BUFFER)
                os.unlink(path)
                report.total += lines
                report.assessed += lines - len(bad)
                report.bad_lines.extend(bad)
                if progress is not None:
                    progress(lines)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report
