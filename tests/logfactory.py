"""Synthetic training logs, written out in every format legrules reads.

No real person's export is committed: fixtures are generated here (or hand-written and
tiny, under tests/data/logs/). One program of sets is rendered as Strong, Hevy,
FitNotes or legrules CSV/JSON, so tests can check that every format means the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

LB = 0.45359237


@dataclass(frozen=True)
class Synth:
    """One set of a synthetic program (weights in kg)."""

    day: dt.date
    exercise: str
    weight_kg: float
    reps: int
    kind: str = "working"  # working | warmup | drop | failure
    side: str | None = None
    hour: int = 18


def program(
    weeks: int,
    start: dt.date = dt.date(2024, 1, 1),
    squat: Sequence[float] | None = None,
    sessions_per_week: int = 2,
    extra: bool = True,
) -> list[Synth]:
    """A plain leg program: squats (rising by default 2.5 kg a week), RDLs, leg
    extensions and curls, plus a bench press that is not leg work."""
    loads = list(squat) if squat is not None else [100 + 2.5 * w for w in range(weeks)]
    sets: list[Synth] = []
    for week in range(weeks):
        for session in range(sessions_per_week):
            day = start + dt.timedelta(weeks=week, days=session * 3)
            load = loads[week]
            sets.append(Synth(day, "Squat (Barbell)", round(load * 0.5, 1), 5, "warmup"))
            sets += [Synth(day, "Squat (Barbell)", load, 5) for _ in range(3)]
            if extra:
                sets += [Synth(day, "Romanian Deadlift (Barbell)", 80, 8) for _ in range(2)]
                sets += [Synth(day, "Leg Extension (Machine)", 40, 12) for _ in range(2)]
                sets += [Synth(day, "Lying Leg Curl (Machine)", 30, 12) for _ in range(2)]
                sets += [Synth(day, "Bench Press (Barbell)", 70, 8) for _ in range(2)]
    return sets


def _weight(kg: float, unit: str) -> str:
    value = kg / LB if unit == "lb" else kg
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _set_numbers(sets: Sequence[Synth], every: bool = False) -> list[int]:
    """Set numbers per session and exercise: Hevy's index counts every set (``every``);
    Strong numbers only the sets without a W/D/F marker."""
    numbers: list[int] = []
    counter: dict[tuple[dt.date, str], int] = {}
    for item in sets:
        key = (item.day, item.exercise)
        if every or item.kind == "working":
            counter[key] = counter.get(key, 0) + 1
        numbers.append(counter.get(key, 0))
    return numbers


def native_csv(sets: Sequence[Synth], unit: str = "kg") -> str:
    marker = {"warmup": "W", "drop": "D", "failure": "F"}
    rows = [
        [
            s.day.isoformat(),
            s.exercise,
            marker.get(s.kind, str(n)),
            _weight(s.weight_kg, unit),
            unit,
            s.reps,
            "",
            s.side or "",
        ]
        for s, n in zip(sets, _set_numbers(sets))
    ]
    return _csv(["date", "exercise", "set", "weight", "unit", "reps", "rpe", "side"], rows)


def native_json(sets: Sequence[Synth], unit: str = "kg") -> str:
    marker = {"warmup": "W", "drop": "D", "failure": "F"}
    items = [
        {
            "date": s.day.isoformat(),
            "exercise": s.exercise,
            "set": marker.get(s.kind, n),
            "weight": float(_weight(s.weight_kg, unit)),
            "reps": s.reps,
            **({"side": s.side} if s.side else {}),
        }
        for s, n in zip(sets, _set_numbers(sets))
    ]
    return json.dumps(
        {"format": "legrules-log", "version": 1, "unit": unit, "sets": items}, indent=1
    )


STRONG_CLASSIC = [
    "Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
    "Distance", "Seconds", "Notes", "Workout Notes", "RPE",
]  # fmt: skip


def strong_csv(sets: Sequence[Synth], unit: str = "kg", variant: str = "classic") -> str:
    """variant: classic (no unit), units (Weight Unit column), android (semicolons,
    decimal commas), quoted (the newer export with 'Weight (kg)' or 'Weight (lbs)')."""
    marker = {"warmup": "W", "drop": "D", "failure": "F"}
    numbers = _set_numbers(sets)
    rows = []
    for s, n in zip(sets, numbers):
        when = f"{s.day.isoformat()} {s.hour:02d}:00:00"
        order = marker.get(s.kind, str(n))
        weight = _weight(s.weight_kg, unit)
        if variant == "classic":
            rows.append([when, "Legs", "1h", s.exercise, order, weight, s.reps, 0, 0, "", "", ""])
        elif variant == "units":
            rows.append(
                [
                    when,
                    "Legs",
                    "1h",
                    s.exercise,
                    order,
                    weight,
                    unit,
                    s.reps,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        elif variant == "android":
            rows.append(
                [
                    when,
                    "Legs",
                    s.exercise,
                    order,
                    weight.replace(".", ","),
                    unit,
                    s.reps,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "3600",
                ]
            )
        else:
            rows.append(
                [1, when, "Legs", 3600, s.exercise, order, weight, s.reps, "", "", "", "", ""]
            )
    if variant == "classic":
        return _csv(STRONG_CLASSIC, rows)
    if variant == "units":
        header = ["Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight",
                  "Weight Unit", "Reps", "RPE", "Distance", "Distance Unit", "Seconds", "Notes",
                  "Workout Notes"]  # fmt: skip
        return _csv(header, rows)
    if variant == "android":
        header = ["Date", "Workout Name", "Exercise Name", "Set Order", "Weight", "Weight Unit",
                  "Reps", "RPE", "Distance", "Distance Unit", "Seconds", "Notes",
                  "Workout Duration"]  # fmt: skip
        return _csv(header, rows, delimiter=";")
    label = "Weight (kg)" if unit == "kg" else "Weight (lbs)"
    header = ["Workout #", "Date", "Workout Name", "Duration (sec)", "Exercise Name",
              "Set Order", label, "Reps", "RPE", "Distance (meters)", "Seconds", "Notes",
              "Workout Notes"]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


HEVY_HEADER = [
    "title", "start_time", "end_time", "description", "exercise_title", "superset_id",
    "exercise_notes", "set_index", "set_type", "weight_kg", "reps", "distance_km",
    "duration_seconds", "rpe",
]  # fmt: skip


def hevy_time(day: dt.date, hour: int, style: str) -> str:
    if style == "uk":
        return f"{day.day} {day.strftime('%b')} {day.year}, {hour:02d}:00"
    if style == "us":
        twelve = hour % 12 or 12
        half = "PM" if hour >= 12 else "AM"
        return f"{day.strftime('%b')} {day.day}, {day.year}, {twelve}:00 {half}"
    return f"{day.isoformat()}T{hour:02d}:00:00"


def hevy_csv(sets: Sequence[Synth], unit: str = "kg", style: str = "uk") -> str:
    kinds = {"working": "normal", "warmup": "warmup", "drop": "dropset", "failure": "failure"}
    rows = [
        [
            "Leg day",
            hevy_time(s.day, s.hour, style),
            hevy_time(s.day, s.hour + 1, style),
            "",
            s.exercise,
            "",
            "",
            n - 1,
            kinds[s.kind],
            _weight(s.weight_kg, unit),
            s.reps,
            "",
            "",
            "",
        ]
        for s, n in zip(sets, _set_numbers(sets, every=True))
    ]
    header = list(HEVY_HEADER)
    if unit == "lb":
        header[header.index("weight_kg")] = "weight_lbs"
    return _csv(header, rows)


def fitnotes_csv(sets: Sequence[Synth], unit: str = "kg", variant: str = "android") -> str:
    """variant: android ('Weight (kgs)' or 'Weight (lbs)'), units ('Weight','Weight Unit'),
    ios (both 'Weight (kgs)' and 'Weight (lbs)')."""
    rows = []
    for s in sets:
        if s.kind == "warmup":
            continue  # FitNotes does not mark warm-ups
        base = [s.day.isoformat(), s.exercise, "Legs"]
        tail = ["", "", "", ""]
        if variant == "units":
            rows.append(
                [*base, _weight(s.weight_kg, unit), "kgs" if unit == "kg" else "lbs", s.reps, *tail]
            )
        elif variant == "ios":
            rows.append(
                [*base, _weight(s.weight_kg, "kg"), _weight(s.weight_kg, "lb"), s.reps, *tail]
            )
        else:
            rows.append([*base, _weight(s.weight_kg, unit), s.reps, *tail])
    tail_names = ["Distance", "Distance Unit", "Time", "Comment"]
    if variant == "units":
        header = ["Date", "Exercise", "Category", "Weight", "Weight Unit", "Reps", *tail_names]
    elif variant == "ios":
        header = [
            "Date",
            "Exercise",
            "Category",
            "Weight (kgs)",
            "Weight (lbs)",
            "Reps",
            *tail_names,
        ]
    else:
        label = "Weight (kgs)" if unit == "kg" else "Weight (lbs)"
        header = ["Date", "Exercise", "Category", label, "Reps", *tail_names]
    return _csv(header, rows)


def without_warmups(sets: Sequence[Synth]) -> list[Synth]:
    return [s for s in sets if s.kind != "warmup"]


def shifted(sets: Sequence[Synth], days: int) -> list[Synth]:
    return [replace(s, day=s.day + dt.timedelta(days=days)) for s in sets]


FIVE_YEAR_LIFTS = (
    "Squat (Barbell)",
    "Romanian Deadlift (Barbell)",
    "Leg Press (Machine)",
    "Leg Extension (Machine)",
    "Lying Leg Curl (Machine)",
    "Bulgarian Split Squat",
    "Bench Press (Barbell)",
    "Lat Pulldown (Cable)",
)


def five_years(start: dt.date = dt.date(2019, 1, 7)) -> list[Synth]:
    """Five years of four sessions a week, eight exercises of six sets each (one a
    warm-up): 49,920 sets, about what a lifter who logs everything has after five years."""
    sets: list[Synth] = []
    for week in range(260):
        for offset in (0, 1, 3, 4):
            day = start + dt.timedelta(weeks=week, days=offset)
            for i, name in enumerate(FIVE_YEAR_LIFTS):
                load = round(60 + week * 0.2 + i * 5, 1)
                sets.append(Synth(day, name, round(load * 0.5, 1), 8, "warmup"))
                sets += [Synth(day, name, load, 5 + k % 3) for k in range(5)]
    return sets
