"""``legrules log chart``: e1RM per lift over time and hard sets per muscle per week.

matplotlib is an optional extra (``pip install 'legrules[plot]'``), imported only here
and only when a chart is drawn. Figures are built with ``matplotlib.figure.Figure``
directly, not pyplot, so drawing touches no global state and needs no display.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from legrules.errors import EXIT_BAD_INPUT, LegrulesError
from legrules.output import output
from legrules.traininglog.analysis import LogAnalysis
from legrules.traininglog.model import LB_TO_KG
from legrules.traininglog.packfiles import MUSCLES

CHART_FORMATS = ("png", "svg")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 10.0, 7.5, 100
_MAX_LIFTS = 8


class PlotExtraMissing(LegrulesError):
    """matplotlib is not installed; the message says how to add it."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self) -> None:
        super().__init__(
            "drawing a chart needs matplotlib, which is the optional extra 'plot': "
            "pip install 'legrules[plot]'"
        )


class ChartFormatError(LegrulesError):
    """A chart that cannot be drawn: a name that is not .png/.svg, or nothing to draw."""

    exit_code = EXIT_BAD_INPUT


def chart_format(path: Path) -> str:
    """png or svg, from the file name."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in CHART_FORMATS:
        raise ChartFormatError(
            f"{path}: cannot tell the chart format from the name; allowed: a name ending "
            f"in {' or '.join('.' + s for s in CHART_FORMATS)}"
        )
    return suffix


def _matplotlib() -> Any:
    try:
        import matplotlib  # noqa: PLC0415  (the optional extra, only when drawing)
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise PlotExtraMissing() from None
    return matplotlib, Figure


def render_chart(
    analysis: LogAnalysis,
    path: str | Path,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Draw the chart into ``path`` (.png or .svg); return the path.

    Written through :func:`legrules.output.output`, as every file legrules writes: the
    log (and ``inputs``) cannot be drawn over, the file is complete or absent, and a
    failed write is an OutputWriteError (exit 1).
    """
    target = Path(path)
    fmt = chart_format(target)
    destination = output(target, "the chart", inputs=[analysis.log.source, *inputs])
    if not analysis.weekly_sets:
        raise ChartFormatError(
            f"{analysis.log.source}: nothing to draw: the log has no set of a leg lift "
            "legrules knows (legrules log summary lists what it found)"
        )
    matplotlib, figure_class = _matplotlib()
    unit = analysis.log.unit
    scale = 1 / LB_TO_KG if unit == "lb" else 1.0
    # Text stays text in SVG (searchable, and readable by screen readers); no creation
    # date, so the same log draws the same file.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "legrules"}):
        figure = figure_class(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
        top, bottom = figure.subplots(2, 1, sharex=True)
        lifts = sorted(
            (t for t in analysis.lifts if t.weeks),
            key=lambda t: (not t.compound, -len(t.weeks), t.lift),
        )[:_MAX_LIFTS]
        for trend in lifts:
            label = trend.lift + (" (stalled)" if trend.stalled else "")
            top.plot(
                [w.start for w in trend.weeks],
                [w.e1rm_kg * scale for w in trend.weeks],
                marker="o",
                markersize=3,
                linewidth=1.5,
                label=label,
            )
        top.set_ylabel(f"best e1RM of the week ({unit})")
        top.set_title("Estimated one-rep max per lift (Epley)")
        if lifts:
            top.legend(loc="best", fontsize="small")
        top.grid(alpha=0.3)
        weeks = [w.start for w in analysis.weekly_sets]
        for muscle in MUSCLES:
            bottom.plot(
                weeks,
                [getattr(w, muscle) for w in analysis.weekly_sets],
                drawstyle="steps-mid",
                linewidth=1.5,
                label=muscle,
            )
        if analysis.window is not None:
            bottom.axvspan(
                analysis.window.start,
                analysis.window.last_day,
                alpha=0.08,
                color="grey",
                label=f"last {analysis.window.weeks} weeks (habits)",
            )
        bottom.set_ylim(bottom=0)
        bottom.set_ylabel("hard sets a week")
        bottom.set_title("Hard sets per muscle group (secondary muscles count half)")
        bottom.legend(loc="best", fontsize="small")
        bottom.grid(alpha=0.3)
        figure.suptitle(
            f"{Path(analysis.log.source).name}: {analysis.log.first_date} to "
            f"{analysis.log.last_date}"
        )
        figure.autofmt_xdate()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        with destination.open(binary=True) as stream:
            figure.savefig(stream, format=fmt, metadata=metadata)
    return target
