"""What runs inside Spark's Python workers: Arrow batches in, result batches out.

Kept apart from :mod:`legrules.spark.frames` so that the functions Spark ships to the
executors are found there by module and name, and carry nothing but their arguments: the
pack reference (pickled once per job) and the column names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from legrules.audit.impact import ImpactSummary, diff_rows
from legrules.errors import InputFileError
from legrules.run.rescore import PackRef, assess_rows

_STRINGS = pa.list_(pa.string())

ASSESS_ARROW = pa.schema(
    [
        ("id", pa.string()),
        ("status", pa.string()),
        ("recommendations", _STRINGS),
        ("fired_rules", _STRINGS),
        ("fingerprint", pa.string()),
        ("legrules_version", pa.string()),
        ("record", pa.string()),
        ("error", pa.string()),
        ("worker", pa.string()),
    ]
)

DIFF_ARROW = pa.schema(
    [
        ("id", pa.string()),
        ("changed", pa.bool_()),
        ("error", pa.string()),
        ("status_before", pa.string()),
        ("status_after", pa.string()),
        ("gained", _STRINGS),
        ("lost", _STRINGS),
        (
            "changes",
            pa.list_(
                pa.struct(
                    [("subject", pa.string()), ("summary", pa.string()), ("caused_by", _STRINGS)]
                )
            ),
        ),
        ("fired_now", _STRINGS),
        ("fired_no_longer", _STRINGS),
    ]
)

SUMMARY_ARROW = pa.schema([("summary", pa.string())])


def assess_batches(
    batches: Iterator[pa.RecordBatch], pack: PackRef, whole_records: bool
) -> Iterator[pa.RecordBatch]:
    """mapInArrow: batches of (id, answers) to batches of result rows."""
    for batch in batches:
        rows = assess_rows(batch.to_pylist(), pack, whole_records=whole_records)
        yield pa.RecordBatch.from_pylist(list(rows), schema=ASSESS_ARROW)


def diff_batches(
    batches: Iterator[pa.RecordBatch], old: PackRef, new: PackRef, whole_records: bool
) -> Iterator[pa.RecordBatch]:
    """mapInArrow: batches of (id, answers) to batches of difference rows."""
    for batch in batches:
        rows = diff_rows(batch.to_pylist(), old, new, whole_records=whole_records)
        yield pa.RecordBatch.from_pylist(list(rows), schema=DIFF_ARROW)


def summary_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """mapInArrow: a partition's difference rows to one row holding their summary (JSON),
    so only one small row per partition travels to the driver."""
    summary = ImpactSummary()
    for batch in batches:
        for row in batch.to_pylist():
            summary.add(row)
    yield pa.RecordBatch.from_pylist(
        [{"summary": json.dumps(summary.to_dict())}], schema=SUMMARY_ARROW
    )


@contextmanager
def _parquet_errors(path: str) -> Iterator[None]:
    """A file that starts like Parquet and is not (or is cut short) is the input's
    fault, said as such, not an internal error (pyarrow's) or a JVM stack trace
    (Spark's)."""
    try:
        yield
    except (pa.ArrowException, OSError) as error:
        reason = str(error).split("\n", 1)[0]
        raise InputFileError(
            path,
            f"not a readable Parquet file ({reason}); allowed: a Parquet file or JSON Lines",
        ) from None


def check_parquet(path: str) -> None:
    """Read ``path``'s Parquet footer: an InputFileError if it has none (before Spark
    is handed the file)."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (only for Parquet input)

    with _parquet_errors(path):
        pq.read_metadata(path)


def parquet_rows(path: str) -> Iterator[dict[str, object]]:
    """A Parquet file's rows as dicts, a batch at a time (the local engine's reader)."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (only for Parquet input)

    with _parquet_errors(path):
        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
