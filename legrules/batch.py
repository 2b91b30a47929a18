"""Batch assessment: one answers document per line in, one Assessment per line out.

durable-rules holds the GIL, so threads add no throughput; the batch uses worker
processes, each with its own Engine, and hands them chunks of lines so the cost of
crossing the process boundary is paid per chunk rather than per line. Output keeps
input order. A bad line does not stop the batch: its output line is an error record
(``{"line": N, "error": "..."}``) and it is counted in the report. The output file is
written to a temporary name and renamed when complete, so it is never half-written.
The pack is loaded and compiled once, before any worker starts, so a broken pack is
reported as such instead of failing inside every worker.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from legrules.api import Engine
from legrules.compiler import CompiledPack, compile_pack
from legrules.errors import InputFileError, LegrulesError
from legrules.loader import load_pack
from legrules.paths import default_rules_dir

CHUNK_LINES = 250

_worker_engine: Engine | None = None


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


def _assess_chunk(chunk: list[tuple[int, str]]) -> list[tuple[int, str, bool]]:
    """Assess (line number, text) pairs; returns (line number, output JSON, ok)."""
    engine = _worker_engine
    assert engine is not None, "worker not initialised"
    out: list[tuple[int, str, bool]] = []
    for number, text in chunk:
        try:
            try:
                raw = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as error:
                raise InputFileError(f"line {number}", f"not valid JSON: {error}") from None
            result = engine.assess(raw)
            out.append((number, result.model_dump_json(), True))
        except LegrulesError as error:
            message = str(error)
            out.append((number, json.dumps({"line": number, "error": message}), False))
    return out


def _chunks(lines: Iterator[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
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
        rules = compile_pack(load_pack(rules if rules is not None else default_rules_dir()))
    try:
        handle = source.open(encoding="utf-8")
    except OSError as error:
        raise InputFileError(str(source), f"cannot read ({error.strerror})") from None
    report = BatchReport()
    count = workers or os.cpu_count() or 1
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with (
            handle,
            os.fdopen(fd, "w", encoding="utf-8") as out,
            ProcessPoolExecutor(
                max_workers=count,
                initializer=_init_worker,
                initargs=(rules,),
            ) as pool,
        ):
            numbered = ((n, line) for n, line in enumerate(handle, start=1) if line.strip())
            for results in pool.map(_assess_chunk, _chunks(numbered, CHUNK_LINES)):
                for number, text, ok in results:
                    out.write(text + "\n")
                    report.total += 1
                    if ok:
                        report.assessed += 1
                    else:
                        report.bad_lines.append((number, json.loads(text)["error"]))
                if progress is not None:
                    progress(len(results))
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return report
