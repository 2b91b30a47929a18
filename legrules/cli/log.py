"""``legrules log``: read a training log (Strong, Hevy, FitNotes, legrules CSV/JSON) and
show what it measures: e1RM trends and stalls, hard sets per muscle, heavy sessions,
and the questionnaire answers it supports, each with its evidence."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from legrules.cli._common import (
    echo_json,
    format_options,
    handle_errors,
    iso_date,
    report_width,
    rules_option,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from legrules.traininglog.analysis import LogAnalysis
    from legrules.traininglog.derive import DerivedFacts

_FORMATS = ("auto", "strong", "hevy", "fitnotes", "legrules")


def _log_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """FILE, --units, --app, --as-of and --rules, alike on every log command."""
    func = rules_option(func)
    func = click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        callback=iso_date,
        help="Judge the log as of this date (YYYY-MM-DD) instead of today: later sets are "
        "skipped as future, and habits need a leg session in the weeks before it.",
    )(func)
    func = click.option(
        "--app",
        "log_format",
        type=click.Choice(_FORMATS),
        default="auto",
        show_default=True,
        help="The app that wrote the log (auto: recognised from the header).",
    )(func)
    func = click.option(
        "--units",
        type=click.Choice(["kg", "lb"]),
        default=None,
        help="Weight unit, for an export that does not say (Strong's classic CSV).",
    )(func)
    return click.argument("file", metavar="FILE|-")(func)


def _measure(
    file: str, units: str | None, log_format: str, as_of: dt.date | None, rules_dir: Path | None
) -> tuple[LogAnalysis, DerivedFacts]:
    from legrules.pack.yamlio import read_stream_bytes
    from legrules.paths import pack_dir
    from legrules.traininglog.analysis import analyse
    from legrules.traininglog.derive import derive_answers
    from legrules.traininglog.packfiles import load_exercise_table, load_settings
    from legrules.traininglog.readers import MAX_LOG_BYTES, decode, parse_log, read_log

    if file == "-":
        raw = read_stream_bytes(sys.stdin.buffer, "<stdin>", MAX_LOG_BYTES)
        text = decode(raw, "<stdin>")
        log = parse_log(text, "<stdin>", format=log_format, units=units, today=as_of, raw=raw)
    else:
        log = read_log(Path(file), format=log_format, units=units, today=as_of)
    pack = pack_dir(rules_dir)
    analysis = analyse(
        log, table=load_exercise_table(pack), settings=load_settings(pack), today=as_of
    )
    return analysis, derive_answers(analysis, pack)


@click.group()
def log() -> None:
    """Read a training log and measure what it shows.

    \b
    Examples:
      legrules log summary strong-export.csv
      legrules log summary hevy-workouts.csv --json
      legrules log chart strong-export.csv -o progress.png

    Reads exports from Strong, Hevy and FitNotes, and legrules' own CSV or JSON (the one
    format that records left and right). Exercise names are matched through the rule
    pack's exercise-names.yaml; unknown names are listed, never guessed.

    Exit codes: 0 done, 2 unreadable log or bad options.
    """


@log.command("summary", short_help="Lift trends and stalls, weekly sets, heavy sessions, answers.")
@_log_options
@format_options("text", "json", help="text for reading, json for programs.")
@handle_errors
def summary(
    *,
    file: str,
    units: str | None,
    log_format: str,
    as_of: dt.date | None,
    rules_dir: Path | None,
    fmt: str,
) -> None:
    """Per-lift e1RM trends and stalls, weekly sets per muscle, heavy sessions, and the
    answers the log supports, each with its evidence.

    \b
    Examples:
      legrules log summary strong-export.csv
      legrules log summary strong-classic.csv --units lb
      legrules log summary hevy-workouts.csv --json
      cat log.json | legrules log summary -

    Exit codes: 0 done, 2 unreadable log (every problem with its line and column) or
    bad options.
    """
    from legrules.traininglog.report import summary_json, summary_text

    analysis, derived = _measure(file, units, log_format, as_of, rules_dir)
    if fmt == "json":
        echo_json(summary_json(analysis, derived))
    else:
        click.echo(summary_text(analysis, derived, width=report_width()), nl=False)


@log.command("chart")
@_log_options
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png|FILE.svg",
    help="Where to draw the chart; the format comes from the name.",
)
@handle_errors
def chart(
    *,
    file: str,
    units: str | None,
    log_format: str,
    as_of: dt.date | None,
    rules_dir: Path | None,
    output: Path,
) -> None:
    """Draw e1RM per lift over time and hard sets per muscle per week.

    \b
    Examples:
      legrules log chart strong-export.csv -o progress.png
      legrules log chart hevy-workouts.csv -o progress.svg

    Needs the optional extra: pip install 'legrules[plot]' (matplotlib).

    Exit codes: 0 drawn, 2 unreadable log, bad options or matplotlib not installed.
    """
    from legrules.output import output as checked_output
    from legrules.traininglog.chart import chart_format, render_chart

    # a wrong name, or the log itself as the output, fails before the log is read
    chart_format(output)
    checked_output(output, "the chart", inputs=[file])
    analysis, _ = _measure(file, units, log_format, as_of, rules_dir)
    written = render_chart(analysis, output, inputs=[file])
    click.echo(f"legrules: chart written to {written}", err=True)
