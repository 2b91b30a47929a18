"""``legrules rescore``: stored answers re-scored with new rules, and what that changes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from legrules.cli import _common
from legrules.cli._common import (
    CONTEXT_SETTINGS,
    echo_json,
    fail,
    format_options,
    handle_errors,
    rules_option,
)
from legrules.errors import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from legrules.audit.impact import ImpactSummary
    from legrules.run.compiler import CompiledPack


@click.command(
    "rescore",
    context_settings=CONTEXT_SETTINGS,
    short_help="Re-score stored answers with new rules: whose results change.",
)
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path), metavar="IN")
@rules_option
@click.option(
    "--baseline",
    "baseline_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The rule pack to compare against (default: the pack shipped with legrules).",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT.jsonl",
    help="Where to write one difference row (JSON Lines) per record whose result changed "
    "or that could not be assessed (a file: the summary goes to stdout). Never the input.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: this machine's worker processes; spark: Apache Spark (pip install "
    "'legrules[spark]', and a Java runtime).",
)
@click.option(
    "--master",
    default="local[2]",
    show_default=True,
    help="With --engine spark: the Spark master URL.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --engine local: worker processes (default: one per CPU).",
)
@format_options("text", "json", help="How to print the impact summary.")
@handle_errors
def rescore(
    *,
    source: Path,
    rules_dir: Path | None,
    baseline_dir: Path | None,
    out_path: Path,
    engine: str,
    master: str,
    workers: int | None,
    fmt: str,
) -> None:
    """Re-score stored answers with new rules: whose results change, and which rule
    changes caused it.

    \b
    Examples:
      legrules audit export --audit-log decisions.db -o decisions.jsonl
      legrules rescore decisions.jsonl --rules my-rules/ --out changes.jsonl
      legrules rescore decisions.jsonl --rules my-rules/ --out changes.jsonl --engine spark

    IN is JSON Lines or Parquet. Each line (row) is a `legrules audit export` record (its
    answers are re-scored; redacted answers count as unanswered), an object with "id" and
    "answers", or a bare answers document; a record without an id is known by its line
    (row) number. Every record is assessed with --baseline and with --rules; the
    differences are written to OUT and counted in the summary printed here: decisions
    changed, status changes (ok <-> referral), recommendations gained and lost, each with
    the rule changes that caused it, as `legrules audit replay` reports for one record.

    Exit codes: 0 done, 1 Spark could not start, 2 bad options or rules, or a record that
    could not be assessed (its error row is in OUT).
    """
    from legrules.audit.impact import Impact, ImpactSummary, RuleDiff
    from legrules.output import STDOUT, output

    given = click.get_current_context().get_parameter_source
    if engine != "spark" and given("master") is not ParameterSource.DEFAULT:
        fail("--master only applies with --engine spark", EXIT_BAD_INPUT)
    if engine != "local" and workers is not None:
        fail("--workers only applies with --engine local", EXIT_BAD_INPUT)
    if str(out_path) == STDOUT:
        fail(
            "--out - would mix the differences with the summary on stdout: name a file",
            EXIT_BAD_INPUT,
        )
    out = output(out_path, "the differences", inputs=[source])
    old = _common.compiled_for(baseline_dir)
    new = _common.compiled_for(rules_dir)
    summary = ImpactSummary()
    with out.open() as stream:
        if engine == "local":
            _local(
                source,
                old,
                new,
                workers=workers,
                summary=summary,
                stream=stream,
                scratch=out.directory(),
            )
        else:
            _spark(source, old, new, master=master, summary=summary, stream=stream)
    impact = Impact(RuleDiff.of(old, new), summary)
    if fmt == "json":
        echo_json(impact.to_dict())
    else:
        click.echo("\n".join(impact.lines()))
    click.echo(f"legrules: {summary.records} records re-scored; differences in {out}", err=True)
    if summary.errors:
        click.echo(
            f"legrules: {summary.errors} records could not be assessed; their error rows "
            f"are in {out}",
            err=True,
        )
        sys.exit(EXIT_BAD_INPUT)


def _write(
    rows: Iterable[dict[str, Any]], summary: ImpactSummary, stream: IO[str], *, count: bool
) -> None:
    """Write the rows worth reading (changed, or in error); count them all if asked."""
    for row in rows:
        if count:
            summary.add(row)
        if row["changed"] or row["error"] is not None:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")


def _local(
    source: Path,
    old: CompiledPack,
    new: CompiledPack,
    *,
    workers: int | None,
    summary: ImpactSummary,
    stream: IO[str],
    scratch: str | None,
) -> None:
    from legrules.audit.impact import rescore_local
    from legrules.spark.frames import local_records

    rows = rescore_local(
        local_records(source),
        old,
        new,
        workers=workers,
        answers_key="record",
        whole_records=True,
        scratch_dir=scratch,
    )
    _write(rows, summary, stream, count=True)


def _spark(
    source: Path,
    old: CompiledPack,
    new: CompiledPack,
    *,
    master: str,
    summary: ImpactSummary,
    stream: IO[str],
) -> None:
    from legrules import spark as lspark

    lspark.frames.is_parquet(source)  # a missing input is reported before Spark starts
    with lspark.running(master, "legrules rescore") as spark:
        diffs = lspark.compare(
            lspark.read_input(spark, str(source.resolve())),
            old,
            new,
            answers_col="record",
            records=True,
        ).persist()
        try:
            summary.merge(lspark.summarize(diffs))
            shown = diffs.where("changed OR error IS NOT NULL")
            rows = (row.asDict(recursive=True) for row in shown.toLocalIterator())
            _write(rows, summary, stream, count=False)
        finally:
            diffs.unpersist()
