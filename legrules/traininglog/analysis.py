"""Measure a training log: e1RM per lift per week and its trend, hard sets per muscle,
sessions and heavy sessions, left/right differences, and which names were not known.

Everything is computed from sets grouped by calendar (ISO) week, so the order of rows in
the file never matters, and every number keeps the sets it came from as evidence.

Formula: the estimated one-rep max (e1RM) is Epley's, weight x (1 + reps / 30), taken
only from non-warm-up sets of at most ``e1rm_max_reps`` reps; a single is its own 1RM.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from legrules.strict import StrictModel, empty_dict
from legrules.traininglog.model import LB_TO_KG, LoggedSet, Side, SkippedRow, TrainingLog, Unit
from legrules.traininglog.packfiles import (
    MUSCLES,
    ExerciseTable,
    Lift,
    LogSettings,
    load_exercise_table,
    load_settings,
)

EPLEY = "Epley: e1RM = weight x (1 + reps / 30), for 2-{max} reps; a single is its own 1RM"
Trend = Literal["rising", "flat", "falling", "not_enough_data", "not_current"]


class SetRef(StrictModel):
    """A set cited as evidence; ``line`` is where it is in the file."""

    date: dt.date
    exercise: str
    weight_kg: float | None
    reps: int
    side: Side | None = None
    line: int


class Evidence(StrictModel):
    """Why a measurement or answer is what it is: a sentence a lifter can check against
    their log, and the dates, sets and numbers it rests on."""

    sentence: str
    dates: tuple[dt.date, ...] = ()
    sets: tuple[SetRef, ...] = ()
    numbers: dict[str, float | int | str | None] = Field(default_factory=empty_dict)


class WeekBest(StrictModel):
    week: str
    start: dt.date
    e1rm_kg: float
    set: SetRef


class LiftTrend(StrictModel):
    lift: str
    kind: str | None
    compound: bool
    hamstrings: Literal["hinge", "curl"] | None
    weeks: tuple[WeekBest, ...]
    best: WeekBest | None
    recent_kg: float | None
    previous_kg: float | None
    change: float | None
    trend: Trend
    stalled: bool | None
    evidence: Evidence


class MuscleWeek(StrictModel):
    week: str
    start: dt.date
    quads: float
    hamstrings: float
    glutes: float


class SessionSummary(StrictModel):
    date: dt.date
    session: str
    hard_sets: int
    lifts: tuple[str, ...]
    heavy: bool
    heavy_set: SetRef | None = None
    heavy_because: str | None = None


class SideComparison(StrictModel):
    lift: str
    left_kg: float
    right_kg: float
    difference: float
    stronger: Side | None
    evidence: Evidence


class ExerciseUse(StrictModel):
    """How one exercise name in the log was understood."""

    name: str
    sets: int
    status: Literal["lift", "ignored", "unknown"]
    lift: str | None = None
    ignored_as: str | None = None
    suggestion: str | None = None
    lines: tuple[int, ...] = ()


class Window(StrictModel):
    """The calendar weeks habits are measured over: the last ``current_weeks`` weeks up
    to the week of the last leg session (fewer when the log is shorter)."""

    start: dt.date
    end: dt.date
    weeks: int

    @property
    def last_day(self) -> dt.date:
        """The Sunday that ends the window (``end`` is the Monday of its last week)."""
        return self.end + dt.timedelta(days=6)

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.last_day


class LogInfo(StrictModel):
    source: str
    format: str
    variant: str
    digest: str
    unit: Unit
    sets: int
    first_date: dt.date | None
    last_date: dt.date | None
    skipped: tuple[SkippedRow, ...]
    notes: tuple[str, ...]


class LogAnalysis(StrictModel):
    log: LogInfo
    settings: LogSettings
    formula: str
    as_of: dt.date
    current: bool
    window: Window | None
    lifts: tuple[LiftTrend, ...]
    weekly_sets: tuple[MuscleWeek, ...]
    sessions: tuple[SessionSummary, ...]
    sides: tuple[SideComparison, ...]
    exercises: tuple[ExerciseUse, ...]

    def window_sessions(self) -> tuple[SessionSummary, ...]:
        window = self.window
        if window is None:
            return ()
        return tuple(s for s in self.sessions if window.holds(s.date))

    def window_sets(self) -> dict[str, float]:
        """Average hard sets per week for each muscle group over the window."""
        window = self.window
        if window is None:
            return dict.fromkeys(MUSCLES, 0.0)
        weeks = [w for w in self.weekly_sets if window.start <= w.start <= window.end]
        return {
            muscle: round(sum(getattr(w, muscle) for w in weeks) / window.weeks, 1)
            for muscle in MUSCLES
        }


# ------------------------------------------------------------------ helpers


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_label(start: dt.date) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def e1rm(weight_kg: float, reps: int) -> float:
    """Epley's estimate (see the module docstring for when it is used)."""
    return weight_kg if reps == 1 else weight_kg * (1 + reps / 30)


def count(n: int, noun: str) -> str:
    """``1 week``, ``3 weeks``: evidence is read by people."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def show_weight(kg: float | None, unit: Unit) -> str:
    """A load in the unit the log was kept in, as a lifter writes it."""
    if kg is None:
        return "body weight"
    value = kg / LB_TO_KG if unit == "lb" else kg
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def show_set(ref: SetRef, unit: Unit, dated: bool = True) -> str:
    side = f" ({ref.side} leg)" if ref.side else ""
    when = f" on {ref.date}" if dated else ""
    return f"{ref.exercise} {show_weight(ref.weight_kg, unit)} x {ref.reps}{side}{when}"


def _ref(item: LoggedSet) -> SetRef:
    return SetRef.model_construct(
        date=item.date,
        exercise=item.exercise,
        weight_kg=item.weight_kg,
        reps=item.reps,
        side=item.side,
        line=item.line,
    )


def _better(candidate: tuple[float, LoggedSet], current: tuple[float, LoggedSet] | None) -> bool:
    """Ties are broken by the set's own values, not by file order, so shuffled rows give
    the same evidence."""
    if current is None or candidate[0] > current[0]:
        return True
    if candidate[0] < current[0]:
        return False
    a, b = candidate[1], current[1]
    return (a.weight_kg or 0.0, -a.reps, a.date, a.side or "") > (
        b.weight_kg or 0.0,
        -b.reps,
        b.date,
        b.side or "",
    )


# ------------------------------------------------------------------ the pass over the sets


@dataclass
class _Collected:
    """What one pass over the sets gathers, per lift, week, session and name."""

    best: dict[str, dict[dt.date, tuple[float, LoggedSet]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    muscles: dict[dt.date, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(MUSCLES, 0.0))
    )
    sessions: dict[str, list[tuple[LoggedSet, Lift]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    names: dict[str, list[LoggedSet]] = field(default_factory=lambda: defaultdict(list))
    lifts: dict[str, Lift] = field(default_factory=dict)


def _collect(sets: Iterable[LoggedSet], table: ExerciseTable, settings: LogSettings) -> _Collected:
    got = _Collected()
    lookup: dict[str, Lift | None] = {}
    weeks: dict[dt.date, dt.date] = {}
    max_reps = settings.e1rm_max_reps
    for item in sets:
        got.names[item.exercise].append(item)
        if item.exercise not in lookup:
            lookup[item.exercise] = table.lift(item.exercise)
        lift = lookup[item.exercise]
        if lift is None:
            continue
        got.lifts[lift.lift] = lift
        got.sessions[item.session].append((item, lift))
        if item.kind == "warmup":
            continue
        week = weeks.get(item.date)
        if week is None:
            week = weeks[item.date] = monday(item.date)
        counts = got.muscles[week]
        for muscle in lift.primary:
            counts[muscle] += 1.0
        for muscle in lift.secondary:
            counts[muscle] += 0.5
        if item.weight_kg and item.reps <= max_reps:
            candidate = (e1rm(item.weight_kg, item.reps), item)
            per_week = got.best[lift.lift]
            if _better(candidate, per_week.get(week)):
                per_week[week] = candidate
    return got


# ------------------------------------------------------------------ trends and stalls


@dataclass(frozen=True)
class _Verdict:
    trend: Trend
    evidence: Evidence
    recent_kg: float | None = None
    previous_kg: float | None = None
    change: float | None = None
    stalled: bool | None = None


def _trend(
    lift: Lift,
    weekly: dict[dt.date, tuple[float, LoggedSet]],
    end: dt.date | None,
    settings: LogSettings,
    unit: Unit,
) -> LiftTrend:
    weeks = tuple(
        WeekBest.model_construct(
            week=week_label(start), start=start, e1rm_kg=round(value, 2), set=_ref(item)
        )
        for start, (value, item) in sorted(weekly.items())
    )
    verdict = _judge(lift.lift, weeks, end, settings, unit)
    return LiftTrend(
        lift=lift.lift,
        kind=lift.kind,
        compound=lift.compound,
        hamstrings=lift.hamstrings,
        weeks=weeks,
        best=max(weeks, key=lambda w: (w.e1rm_kg, w.start), default=None),
        recent_kg=verdict.recent_kg,
        previous_kg=verdict.previous_kg,
        change=verdict.change,
        trend=verdict.trend,
        stalled=verdict.stalled,
        evidence=verdict.evidence,
    )


def _judge(
    lift: str, weeks: tuple[WeekBest, ...], end: dt.date | None, settings: LogSettings, unit: Unit
) -> _Verdict:
    """Stalled: the best e1RM of the last N weeks is no more than the tolerance above the
    best of the N weeks before (N = stall_weeks, both counted back from the log's last
    leg week)."""
    n = settings.stall_weeks
    tolerance = settings.stall_tolerance
    if end is None or not weeks:
        return _Verdict(
            "not_enough_data",
            Evidence(
                sentence=f"{lift}: no set of {settings.e1rm_max_reps} reps or fewer with a load"
            ),
        )
    recent_start = end - dt.timedelta(weeks=n - 1)
    previous_start = end - dt.timedelta(weeks=2 * n - 1)
    recent = [w for w in weeks if recent_start <= w.start <= end]
    previous = [w for w in weeks if previous_start <= w.start < recent_start]
    if not recent:
        sentence = (
            f"{lift} was last logged in {weeks[-1].week}, not in the last "
            f"{count(n, 'week')} of the log"
        )
        return _Verdict("not_current", Evidence(sentence=sentence, dates=(weeks[-1].set.date,)))
    top = max(recent, key=lambda w: w.e1rm_kg)
    low = min(recent, key=lambda w: w.e1rm_kg)
    span = f"{recent_start} to {end + dt.timedelta(days=6)}"
    if not previous:
        sentence = (
            f"best {lift} e1RM {show_weight(top.e1rm_kg, unit)} in the last {n} weeks "
            f"({span}), with nothing logged in the {count(n, 'week')} before to compare"
        )
        evidence = Evidence(
            sentence=sentence,
            dates=(top.set.date,),
            sets=(top.set,),
            numbers={"recent_e1rm_kg": top.e1rm_kg},
        )
        return _Verdict("not_enough_data", evidence, recent_kg=top.e1rm_kg)
    before = max(previous, key=lambda w: w.e1rm_kg)
    change = top.e1rm_kg / before.e1rm_kg - 1
    trend: Trend = "rising" if change > tolerance else "falling" if change < -tolerance else "flat"
    stalled = change <= tolerance
    if not stalled:
        judged = "improving"
    elif trend == "flat":
        judged = f"within the {tolerance:.0%} tolerance: stalled"
    else:
        judged = "lower: stalled"
    spread = show_weight(top.e1rm_kg, unit)
    if low.e1rm_kg != top.e1rm_kg:
        spread = f"{show_weight(low.e1rm_kg, unit).split()[0]}-{spread}"
    weeks_n = count(n, "week")
    sentence = (
        f"your best {lift} e1RM was {spread} over the last {weeks_n} ({span}), against "
        f"{show_weight(before.e1rm_kg, unit)} in the {weeks_n} before: {change:+.1%}, {judged}"
    )
    evidence = Evidence(
        sentence=sentence,
        dates=(before.set.date, top.set.date),
        sets=(before.set, top.set),
        numbers={
            "recent_e1rm_kg": top.e1rm_kg,
            "previous_e1rm_kg": before.e1rm_kg,
            "change": round(change, 4),
            "stall_weeks": n,
            "stall_tolerance": tolerance,
        },
    )
    return _Verdict(
        trend,
        evidence,
        recent_kg=top.e1rm_kg,
        previous_kg=before.e1rm_kg,
        change=round(change, 4),
        stalled=stalled,
    )


# ------------------------------------------------------------------ sessions


def _current_e1rm(
    best: dict[str, dict[dt.date, tuple[float, LoggedSet]]], weeks: int
) -> dict[tuple[str, dt.date], float]:
    """Each lift's best e1RM over the ``weeks`` weeks before each week it was trained
    (not counting that week: a set must not be measured against itself)."""
    current: dict[tuple[str, dt.date], float] = {}
    span = dt.timedelta(weeks=weeks)
    for lift, weekly in best.items():
        starts = sorted(weekly)
        values = [weekly[start][0] for start in starts]
        first = 0
        for i, start in enumerate(starts):
            while starts[first] < start - span:
                first += 1
            if first < i:
                current[(lift, start)] = max(values[first:i])
    return current


def _sessions(got: _Collected, settings: LogSettings, unit: Unit) -> tuple[SessionSummary, ...]:
    current = _current_e1rm(got.best, settings.current_weeks)
    summaries = []
    for key, items in got.sessions.items():
        hard = [(s, lift) for s, lift in items if s.kind != "warmup"]
        heavy: tuple[LoggedSet, str] | None = None
        # the heaviest set that qualifies, chosen by its values alone (never by file order)
        by_load = sorted(
            hard, key=lambda p: (-(p[0].weight_kg or 0.0), p[0].reps, p[1].lift, p[0].side or "")
        )
        for item, lift in by_load:
            if not lift.compound or not item.weight_kg:
                continue
            if item.reps <= settings.heavy_max_reps:
                heavy = (item, f"{item.reps} reps, {settings.heavy_max_reps} or fewer")
                break
            reference = current.get((lift.lift, monday(item.date)))
            if reference and item.weight_kg >= settings.heavy_percent_e1rm * reference:
                share = item.weight_kg / reference
                heavy = (
                    item,
                    f"{share:.0%} of the current e1RM {show_weight(reference, unit)}, "
                    f"at least {settings.heavy_percent_e1rm:.0%}",
                )
                break
        day = min(s.date for s, _ in items)
        summaries.append(
            SessionSummary(
                date=day,
                session=key,
                hard_sets=len(hard),
                lifts=tuple(sorted({lift.lift for _, lift in items})),
                heavy=heavy is not None,
                heavy_set=None if heavy is None else _ref(heavy[0]),
                heavy_because=None if heavy is None else heavy[1],
            )
        )
    return tuple(sorted(summaries, key=lambda s: (s.date, s.session)))


# ------------------------------------------------------------------ left and right


def _sides(
    got: _Collected, window: Window | None, settings: LogSettings, unit: Unit
) -> tuple[SideComparison, ...]:
    if window is None:
        return ()
    per_side: dict[str, dict[Side, tuple[float, LoggedSet]]] = defaultdict(dict)
    for items in got.sessions.values():
        for item, lift in items:
            if (
                item.side is None
                or item.kind == "warmup"
                or not item.weight_kg
                or item.reps > settings.e1rm_max_reps
                or not window.holds(item.date)
            ):
                continue
            candidate = (e1rm(item.weight_kg, item.reps), item)
            if _better(candidate, per_side[lift.lift].get(item.side)):
                per_side[lift.lift][item.side] = candidate
    comparisons = []
    for name, sides in sorted(per_side.items()):
        if "left" not in sides or "right" not in sides:
            continue
        (left, left_set), (right, right_set) = sides["left"], sides["right"]
        difference = abs(left - right) / max(left, right)
        stronger: Side | None = None
        if difference > settings.side_difference:
            stronger = "left" if left > right else "right"
        verdict = (
            f"the {stronger} leg is stronger by more than {settings.side_difference:.0%}"
            if stronger
            else f"within {settings.side_difference:.0%}"
        )
        comparisons.append(
            SideComparison(
                lift=name,
                left_kg=round(left, 2),
                right_kg=round(right, 2),
                difference=round(difference, 4),
                stronger=stronger,
                evidence=Evidence(
                    sentence=f"{name}: best e1RM left {show_weight(left, unit)}, right "
                    f"{show_weight(right, unit)} ({difference:.0%} apart): {verdict}",
                    dates=(left_set.date, right_set.date),
                    sets=(_ref(left_set), _ref(right_set)),
                    numbers={"left_e1rm_kg": round(left, 2), "right_e1rm_kg": round(right, 2)},
                ),
            )
        )
    return tuple(comparisons)


# ------------------------------------------------------------------ names


def _exercises(names: dict[str, list[LoggedSet]], table: ExerciseTable) -> tuple[ExerciseUse, ...]:
    uses = []
    for name, items in names.items():
        lines = tuple(sorted(s.line for s in items)[:5])
        lift = table.lift(name)
        if lift is not None:
            uses.append(ExerciseUse(name=name, sets=len(items), status="lift", lift=lift.lift))
            continue
        group = table.ignored(name)
        if group is not None:
            uses.append(
                ExerciseUse(
                    name=name, sets=len(items), status="ignored", ignored_as=group, lines=lines
                )
            )
            continue
        uses.append(
            ExerciseUse(
                name=name,
                sets=len(items),
                status="unknown",
                suggestion=table.suggestion(name),
                lines=lines,
            )
        )
    order = {"lift": 0, "unknown": 1, "ignored": 2}
    return tuple(sorted(uses, key=lambda u: (order[u.status], -u.sets, u.name)))


# ------------------------------------------------------------------ entry point


def _window(starts: Sequence[dt.date], weeks: int) -> Window | None:
    if not starts:
        return None
    end = max(starts)
    start = max(min(starts), end - dt.timedelta(weeks=weeks - 1))
    return Window(start=start, end=end, weeks=(end - start).days // 7 + 1)


def _weekly_sets(muscles: dict[dt.date, dict[str, float]]) -> tuple[MuscleWeek, ...]:
    if not muscles:
        return ()
    first, last = min(muscles), max(muscles)
    out = []
    start = first
    empty: dict[str, float] = dict.fromkeys(MUSCLES, 0.0)
    while start <= last:
        counts = muscles.get(start, empty)
        out.append(
            MuscleWeek.model_construct(
                week=week_label(start),
                start=start,
                quads=counts["quads"],
                hamstrings=counts["hamstrings"],
                glutes=counts["glutes"],
            )
        )
        start += dt.timedelta(weeks=1)
    return tuple(out)


def analyse(
    log: TrainingLog,
    *,
    table: ExerciseTable | None = None,
    settings: LogSettings | None = None,
    today: dt.date | None = None,
) -> LogAnalysis:
    """Measure ``log`` with the default pack's exercise names and settings unless given.

    ``today`` (default: the real date) decides whether the log is current: habits are
    only taken from a log whose last leg session is within ``current_weeks`` weeks.
    """
    table = table or load_exercise_table()
    settings = settings or load_settings()
    as_of = today or dt.date.today()
    got = _collect(log.sets, table, settings)
    sessions = _sessions(got, settings, log.unit)
    window = _window([monday(s.date) for s in sessions], settings.current_weeks)
    end = None if window is None else window.end
    trends = tuple(
        _trend(lift, got.best.get(name, {}), end, settings, log.unit)
        for name, lift in sorted(got.lifts.items())
    )
    last_leg = max((s.date for s in sessions), default=None)
    current = last_leg is not None and (as_of - last_leg).days < 7 * settings.current_weeks
    return LogAnalysis(
        log=LogInfo(
            source=log.source,
            format=log.format,
            variant=log.variant,
            digest=log.digest,
            unit=log.unit,
            sets=len(log.sets),
            first_date=log.first_date,
            last_date=log.last_date,
            skipped=log.skipped,
            notes=log.notes,
        ),
        settings=settings,
        formula=EPLEY.format(max=settings.e1rm_max_reps),
        as_of=as_of,
        current=current,
        window=window,
        lifts=trends,
        weekly_sets=_weekly_sets(got.muscles),
        sessions=sessions,
        sides=_sides(got, window, settings, log.unit),
        exercises=_exercises(got.names, table),
    )
