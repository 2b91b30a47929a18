"""The DataFrame side: assess and compare on ``mapInArrow``, summarise, start a session.

pyspark is imported only inside the functions that need it, so ``import legrules.spark``
works (and says which extra is missing) on a machine without Spark.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legrules.audit.impact import ImpactSummary
from legrules.errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, InputFileError, LegrulesError
from legrules.pack.model import RulePack
from legrules.run.compiler import CompiledPack
from legrules.run.rescore import PackRef

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

Rules = str | os.PathLike[str] | RulePack | CompiledPack | PackRef | None

ASSESS_SCHEMA = (
    "id string, status string, recommendations array<string>, fired_rules array<string>, "
    "fingerprint string, legrules_version string, record string, error string, worker string"
)
DIFF_SCHEMA = (
    "id string, changed boolean, error string, status_before string, status_after string, "
    "gained array<string>, lost array<string>, "
    "changes array<struct<subject: string, summary: string, caused_by: array<string>>>, "
    "fired_now array<string>, fired_no_longer array<string>"
)
_SUMMARY_SCHEMA = "summary string"
_PARQUET_MAGIC = b"PAR1"


class SparkExtraMissing(LegrulesError):
    """pyspark (or pyarrow) is not installed; the message says how to add it."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, needs: str = "the Spark engine needs pyspark") -> None:
        super().__init__(
            f"{needs}, which comes with the optional extra 'spark': "
            "pip install 'legrules[spark]' (and a Java runtime for Spark itself)"
        )


class SparkStartError(LegrulesError):
    """Spark could not start (no Java runtime, a bad master URL...): exit code 1, the
    machine's set-up rather than the input."""

    exit_code = EXIT_CHECK_FAILED


def _require_spark() -> None:
    for module in ("pyspark", "pyarrow"):
        try:
            __import__(module)
        except ImportError:
            raise SparkExtraMissing(f"the Spark engine needs {module}") from None


def _pack(rules: Rules) -> PackRef:
    return rules if isinstance(rules, PackRef) else PackRef.of(rules)


def _inputs(df: DataFrame, id_col: str, answers_col: str) -> DataFrame:
    """The two columns the workers read: the id as text, the answers as JSON text."""
    from pyspark.sql import functions as F  # noqa: PLC0415
    from pyspark.sql.types import StringType  # noqa: PLC0415

    for column in (id_col, answers_col):
        if column not in df.columns:
            raise InputFileError(
                "the DataFrame", f"no column {column!r}; its columns: {', '.join(df.columns)}"
            )
    answers: Column = F.col(answers_col)
    if not isinstance(df.schema[answers_col].dataType, StringType):
        answers = F.to_json(answers)  # a struct or map of answers, as the workers read them
    return df.select(F.col(id_col).cast("string").alias("id"), answers.alias("answers"))


def assess(
    df: DataFrame,
    rules: Rules = None,
    *,
    id_col: str = "id",
    answers_col: str = "answers",
    records: bool = False,
) -> DataFrame:
    """One result row per row of ``df`` (:data:`ASSESS_SCHEMA`, documented in
    :mod:`legrules.spark`), lazily, like any DataFrame.

    ``rules`` is a pack directory (default: the shipped pack), a loaded or compiled pack.
    ``answers_col`` holds each row's answers as JSON text, a struct or a map; with
    ``records`` it holds whole stored records instead (``legrules audit export`` lines,
    ``{"id", "answers"}`` objects or bare answers, see
    :func:`legrules.run.rescore.record_answers`) whose own id replaces ``id_col``.
    """
    _require_spark()
    from legrules.spark.arrow import assess_batches  # noqa: PLC0415

    work = partial(assess_batches, pack=_pack(rules), whole_records=records)
    return _inputs(df, id_col, answers_col).mapInArrow(work, ASSESS_SCHEMA)


def compare(
    df: DataFrame,
    old_rules: Rules,
    new_rules: Rules,
    *,
    id_col: str = "id",
    answers_col: str = "answers",
    records: bool = False,
) -> DataFrame:
    """One difference row per row of ``df`` (:data:`DIFF_SCHEMA`): the row assessed with
    ``old_rules`` and with ``new_rules``, and what changed, each difference attributed to
    the rule changes that decide it. Columns as :func:`assess`."""
    _require_spark()
    from legrules.spark.arrow import diff_batches  # noqa: PLC0415

    work = partial(diff_batches, old=_pack(old_rules), new=_pack(new_rules), whole_records=records)
    return _inputs(df, id_col, answers_col).mapInArrow(work, DIFF_SCHEMA)


def summarize(diffs: DataFrame) -> ImpactSummary:
    """The summary of :func:`compare`'s rows, made partition by partition on the
    executors: one small row per partition reaches the driver."""
    _require_spark()
    from legrules.spark.arrow import summary_batches  # noqa: PLC0415

    total = ImpactSummary()
    for row in diffs.mapInArrow(summary_batches, _SUMMARY_SCHEMA).collect():
        total.merge(ImpactSummary.from_dict(json.loads(row["summary"])))
    return total


def session(master: str = "local[2]", app_name: str = "legrules") -> SparkSession:
    """A SparkSession for ``master``: the one already running, or a new one.

    For a local master the Python workers run this interpreter (``PYSPARK_PYTHON``, unless
    set), which is the one that has legrules installed; the driver binds 127.0.0.1 and the
    web UI stays off. On a cluster, configure those through spark-submit as usual.
    """
    _require_spark()
    from pyspark.sql import SparkSession  # noqa: PLC0415

    builder = SparkSession.builder.master(master).appName(app_name)
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
        )
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # Spark reports a missing Java in several ways
        raise SparkStartError(
            f"cannot start Spark (master {master}): {str(error).strip().splitlines()[0]}; "
            "Spark needs a Java runtime (java on the PATH, or JAVA_HOME)"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def running(master: str = "local[2]", app_name: str = "legrules") -> Iterator[SparkSession]:
    """:func:`session` for one piece of work: stopped afterwards if it was started here,
    left running if the caller already had one."""
    _require_spark()
    from pyspark.sql import SparkSession  # noqa: PLC0415

    had = SparkSession.getActiveSession()
    spark = session(master, app_name)
    try:
        yield spark
    finally:
        if had is None:
            spark.stop()


def read_input(spark: SparkSession, path: str | os.PathLike[str]) -> DataFrame:
    """A JSON Lines or Parquet file as rows of ``id`` (the line or row number) and
    ``record`` (the row as JSON text), for :func:`assess` or :func:`compare` with
    ``answers_col="record", records=True``. Blank lines are skipped."""
    _require_spark()
    from pyspark.sql import functions as F  # noqa: PLC0415

    source = str(path)
    if is_parquet(Path(source)):
        from legrules.spark.arrow import check_parquet  # noqa: PLC0415

        check_parquet(source)
        rows = spark.read.parquet(source)
        frame = rows.select(F.to_json(F.struct(*rows.columns)).alias("record"))
    else:
        frame = spark.read.text(source).withColumnRenamed("value", "record")
    numbered = frame.rdd.zipWithIndex().map(lambda pair: (str(pair[1] + 1), pair[0]["record"]))
    table = numbered.toDF("id string, record string")
    return table.where(F.trim(F.col("record")) != "")


def is_parquet(path: Path) -> bool:
    """Whether the file starts like Parquet; anything else is read as JSON Lines."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(_PARQUET_MAGIC)) == _PARQUET_MAGIC
    except OSError as error:
        raise InputFileError(str(path), f"cannot read ({error.strerror})") from None


def local_records(path: Path) -> Iterator[dict[str, Any]]:
    """The same rows as :func:`read_input`, read here without Spark (the local engine):
    JSON Lines as undecoded lines, Parquet (which needs pyarrow) as dicts."""
    if is_parquet(path):
        try:
            from legrules.spark.arrow import parquet_rows  # noqa: PLC0415
        except ImportError:
            raise SparkExtraMissing("reading Parquet needs pyarrow") from None
        for number, row in enumerate(parquet_rows(str(path)), start=1):
            yield {"id": str(number), "record": row}
        return
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield {"id": str(number), "record": line}
    except OSError as error:
        raise InputFileError(str(path), f"cannot read ({error.strerror})") from None
