"""The ``legrules log summary`` report, as text for a lifter and as JSON for programs.

Text is built here rather than in the CLI so the library can show the same report; it
is returned, never printed (only legrules/cli does I/O).
"""

from __future__ import annotations

from typing import Any

from legrules.pack.values import show_value
from legrules.text import table, wrap
from legrules.traininglog.analysis import LogAnalysis, count, show_set, show_weight
from legrules.traininglog.derive import DerivedAnswer, DerivedFacts

SCHEMA_VERSION = 1
_SHOWN_SESSIONS = 8
_SHOWN_SKIPS = 20


def summary_json(analysis: LogAnalysis, derived: DerivedFacts) -> dict[str, Any]:
    """Everything measured, with evidence; weights in kg whatever the log's unit."""
    data = analysis.model_dump(mode="json")
    data["settings"] = {
        name: {"value": value, "source": analysis.settings.source(name)}
        for name, value in analysis.settings.model_dump(exclude={"sources"}).items()
    }
    data["derived"] = derived.model_dump(mode="json")
    return {"schema_version": SCHEMA_VERSION, **data}


def _head(analysis: LogAnalysis) -> list[str]:
    log = analysis.log
    skipped = len(log.skipped)
    span = f" from {log.first_date} to {log.last_date}" if log.sets else ""
    lines = [
        f"Training log: {log.source}",
        f"  read as {log.variant}",
        f"  {count(log.sets, 'set')}{span}"
        + (f"; {count(skipped, 'row')} skipped (listed below)" if skipped else "")
        + f"; as of {analysis.as_of}",
        f"  e1RM: {analysis.formula}",
    ]
    lines += [f"  note: {note}" for note in log.notes]
    if analysis.window is not None and not analysis.current:
        lines.append(
            f"  The last leg session is more than {analysis.settings.current_weeks} weeks "
            "old: habits below describe then, not now, and are not used as answers."
        )
    return lines


def _lifts(analysis: LogAnalysis, width: int) -> list[str]:
    unit = analysis.log.unit
    n = analysis.settings.stall_weeks
    lines = ["", f"Lifts (best e1RM a week; trend: the last {n} weeks against the {n} before)"]
    if not analysis.lifts:
        return [*lines, "  no leg lift legrules knows (see Exercises below)"]
    rows = []
    for trend in analysis.lifts:
        best = (
            f"best {show_weight(trend.best.e1rm_kg, unit)} in {trend.best.week}"
            if trend.best
            else "no e1RM (no loaded set of few enough reps)"
        )
        change = f"{trend.change:+.1%}" if trend.change is not None else ""
        label = trend.trend.replace("_", " ") + (" (stalled)" if trend.stalled else "")
        rows.append([trend.lift, label, change.rjust(7), best])
    lines += table(rows, indent="  ")
    stalled = [t for t in analysis.lifts if t.stalled]
    for trend in stalled:
        lines += wrap(f"stalled: {trend.evidence.sentence}", "  ", width)
    return lines


def _volume(analysis: LogAnalysis) -> list[str]:
    window = analysis.window
    if window is None:
        return []
    sets = analysis.window_sets()
    ratio = (
        f"; quads to hamstrings {sets['quads'] / sets['hamstrings']:.2f} to 1"
        if sets["hamstrings"]
        else "; no hamstring sets"
    )
    return [
        "",
        f"Hard sets a week ({count(window.weeks, 'week')}, {window.start} to {window.last_day}; "
        "warm-ups left out, a secondary muscle counts half)",
        "  " + "   ".join(f"{muscle} {count:g}" for muscle, count in sets.items()) + ratio,
    ]


def _sessions(analysis: LogAnalysis) -> list[str]:
    sessions = analysis.window_sessions()
    if not sessions or analysis.window is None:
        return []
    heavy = sum(s.heavy for s in sessions)
    weeks = analysis.window.weeks
    unit = analysis.log.unit
    lines = [
        "",
        f"Leg sessions: {len(sessions)} in {count(weeks, 'week')} "
        f"({len(sessions) / weeks:.1f} a week), {heavy} heavy",
    ]
    rows = []
    for session in sessions[-_SHOWN_SESSIONS:]:
        why = (
            f"heavy: {show_set(session.heavy_set, unit, dated=False)} ({session.heavy_because})"
            if session.heavy_set is not None
            else "not heavy"
        )
        rows.append([str(session.date), f"{session.hard_sets:>3} hard sets", why])
    lines += table(rows, indent="  ")
    if len(sessions) > _SHOWN_SESSIONS:
        lines.append(f"  ... and {len(sessions) - _SHOWN_SESSIONS} earlier (--json lists all)")
    return lines


def _sides(analysis: LogAnalysis, width: int) -> list[str]:
    if not analysis.sides:
        return []
    lines = ["", "Left and right"]
    for side in analysis.sides:
        lines += wrap(side.evidence.sentence, "  ", width)
    return lines


def _shown(answer: DerivedAnswer) -> str:
    """The value as an answers file spells it (the one formatter), "(none)" only when
    nothing was found: 0 and false are measurements, not absences."""
    if answer.value is None or answer.value == []:
        return "(none)"
    return show_value(answer.value, form="ids")


def _answers(derived: DerivedFacts, width: int) -> list[str]:
    lines = ["", "Answers measured from the log (they can stand in for these questions)"]
    if not derived.answers:
        lines.append("  none")
    for answer in derived.answers:
        lines.append(f"  {answer.question} = {_shown(answer)}")
        lines += wrap(answer.evidence.sentence, " " * 6, width)
    if derived.not_derived:
        lines += ["", "Not measured"]
        for missing in derived.not_derived:
            lines += wrap(f"{missing.question}: {missing.reason}", "  ", width)
    return lines


def _exercises(analysis: LogAnalysis, width: int) -> list[str]:
    unknown = [e for e in analysis.exercises if e.status == "unknown"]
    ignored = [e for e in analysis.exercises if e.status == "ignored"]
    if not unknown and not ignored:
        return []
    lines = ["", "Exercises"]
    for use in unknown:
        hint = f"; did you mean {use.suggestion!r}?" if use.suggestion else ""
        where = ", ".join(map(str, use.lines))
        lines += wrap(
            f"unknown, not analysed: {use.name!r}, {count(use.sets, 'set')} (line {where}){hint}"
            if use.sets == 1
            else f"unknown, not analysed: {use.name!r}, {use.sets} sets (lines {where}){hint}",
            "  ",
            width,
        )
    if unknown:
        lines += wrap(
            "Add a name to the right lift in the rule pack's exercise-names.yaml to count it.",
            "  ",
            width,
        )
    groups: dict[str, list[str]] = {}
    for use in ignored:
        groups.setdefault(use.ignored_as or "", []).append(f"{use.name} ({use.sets})")
    for group, names in sorted(groups.items()):
        lines += wrap(f"ignored, {group.replace('_', ' ')}: {', '.join(names)}", "  ", width)
    return lines


def _skipped(analysis: LogAnalysis, width: int) -> list[str]:
    skipped = analysis.log.skipped
    if not skipped:
        return []
    lines = ["", f"Skipped rows ({len(skipped)})"]
    for row in skipped[:_SHOWN_SKIPS]:
        lines += wrap(f"line {row.line}: {row.reason}", "  ", width)
    if len(skipped) > _SHOWN_SKIPS:
        lines.append(f"  ... and {len(skipped) - _SHOWN_SKIPS} more (--json lists all)")
    return lines


def summary_text(analysis: LogAnalysis, derived: DerivedFacts, width: int = 88) -> str:
    lines = [
        *_head(analysis),
        *_lifts(analysis, width),
        *_volume(analysis),
        *_sessions(analysis),
        *_sides(analysis, width),
        *_answers(derived, width),
        *_exercises(analysis, width),
        *_skipped(analysis, width),
    ]
    return "\n".join(lines) + "\n"
