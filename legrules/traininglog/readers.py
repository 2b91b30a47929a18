"""Read a training log exported by Strong, Hevy or FitNotes, or written in legrules' own
CSV/JSON format, into a :class:`TrainingLog`.

The format is recognised from the header, and columns are found by name, never by
position: the apps reorder and add columns between versions. Anything that cannot be
read (a date, a number, a set type) is an error naming the file, the line and the column,
with every such problem reported at once (up to :data:`MAX_PROBLEMS`). Rows that can be
read but must not count (a rest timer, a future date, a negative weight, a duplicate) are
skipped, counted and listed with their line numbers, never dropped silently. README
"Training logs" has the table of which case is which.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legrules.errors import InputFileError, Problem, closest
from legrules.traininglog.dates import ACCEPTED, DateFormatError, DateReader, slash_order
from legrules.traininglog.model import (
    FORMATS,
    LB_TO_KG,
    LogFormat,
    LoggedSet,
    SetKind,
    Side,
    SkippedRow,
    TrainingLog,
    TrainingLogError,
    Unit,
)
from legrules.yamlio import LineMap, parse_json, parse_yaml

MAX_LOG_BYTES = 32 * 1024 * 1024
"""Larger than any real export (five years of daily training is about 5 MB), small
enough that a wrong file cannot exhaust memory."""
MAX_PROBLEMS = 20
MAX_WEIGHT_KG = 1000.0
"""Heavier than any leg-press sled; a larger number is a typo or a wrong unit."""
MAX_REPS = 200
EARLIEST = dt.date(1980, 1, 1)
"""Before any fitness app; such a date is a placeholder, not a session."""

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_UNITS: dict[str, Unit] = {
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
}
_UNIT_ALLOWED = "kg or lb (also kgs, lbs)"
_NATIVE_COLUMNS = ("date", "exercise", "set", "weight", "unit", "reps", "rpe", "side")


def _error(source: str, location: str, message: str, **extra: str | None) -> TrainingLogError:
    """A one-problem error (for what stops the read at once: a header, a file)."""
    return TrainingLogError([Problem(location=location, message=message, **extra)], source)


def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').lower().split())


class _Bad(Exception):
    """An unreadable field: becomes a Problem naming the line and column."""

    def __init__(
        self, column: str, message: str, given: str | None = None, allowed: str | None = None
    ) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.given = given
        self.allowed = allowed


class _Skip(Exception):
    """A readable row that must not count: becomes a SkippedRow."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Fields:
    """What one row says, in the log's own units, before the plausibility checks."""

    when: dt.datetime
    session: str
    exercise: str
    kind: SetKind
    set_number: int | None
    weight: float | None
    unit: Unit | None
    reps: int | None
    rpe: float | None
    side: Side | None


@dataclass
class _Columns:
    """A header: normalised name -> index, and the names as the file spells them."""

    index: dict[str, int]
    spelled: list[str]
    keys: bool = False
    """True for JSON, whose fields are keys rather than numbered columns."""

    def get(self, name: str) -> int | None:
        return self.index.get(name)

    def label(self, position: int) -> str:
        name = self.spelled[position].strip()
        return f"key {name!r}" if self.keys else f"column {name!r} ({position + 1})"


# ------------------------------------------------------------------ field parsers


def _number(text: str, column: str, comma_decimal: bool) -> float | None:
    value = text.strip()
    if not value:
        return None
    if comma_decimal and "," in value and "." not in value:
        value = value.replace(",", ".")
    if not _NUMBER.match(value):
        raise _Bad(column, "not a number", repr(text), "a number such as 62.5")
    number = float(value)
    if not math.isfinite(number):  # pragma: no cover - the pattern admits only finite numbers
        raise _Bad(column, "not a finite number", repr(text))
    return number


def _whole(text: str, column: str, comma_decimal: bool) -> int | None:
    number = _number(text, column, comma_decimal)
    if number is None:
        return None
    if not number.is_integer():
        raise _Bad(column, "not a whole number", repr(text), "a whole number of reps")
    return int(number)


def _unit(text: str, column: str) -> Unit | None:
    value = text.strip().lower()
    if not value:
        return None
    unit = _UNITS.get(value)
    if unit is None:
        raise _Bad(column, "not a weight unit", repr(text), _UNIT_ALLOWED)
    return unit


def _set_marker(text: str, column: str) -> tuple[SetKind, int | None]:
    """Strong's ``Set Order`` and legrules' ``set``: a number, or W / D / F."""
    value = text.strip().lower()
    if not value:
        return "working", None
    if value.isdigit():
        return "working", int(value)
    kind = {
        "w": "warmup",
        "warmup": "warmup",
        "warm-up": "warmup",
        "d": "drop",
        "drop": "drop",
        "f": "failure",
        "failure": "failure",
        "working": "working",
    }.get(value)
    if kind == "warmup":
        return "warmup", None
    if kind == "drop":
        return "drop", None
    if kind == "failure":
        return "failure", None
    if kind == "working":
        return "working", None
    if value in ("rest timer", "note", "notes"):
        raise _Skip(f"a {value}, not a set")
    raise _Bad(
        column,
        "not a set number or set type",
        repr(text),
        "a set number, or W (warm-up), D (drop set), F (to failure)",
    )


def _side(text: str, column: str) -> Side | None:
    value = text.strip().lower()
    if value in ("", "both"):
        return None
    if value in ("left", "l"):
        return "left"
    if value in ("right", "r"):
        return "right"
    raise _Bad(column, "not a side", repr(text), "left, right, or empty for both legs")


# ------------------------------------------------------------------ formats


@dataclass
class _Weight:
    """Where a format keeps the load and its unit."""

    kg: int | None = None
    lb: int | None = None
    plain: int | None = None
    unit_column: int | None = None

    @classmethod
    def find(cls, columns: _Columns, kg: Sequence[str], lb: Sequence[str]) -> _Weight:
        found = cls(
            kg=next((columns.index[n] for n in kg if n in columns.index), None),
            lb=next((columns.index[n] for n in lb if n in columns.index), None),
            plain=columns.get("weight"),
        )
        if found.plain is not None:
            found.unit_column = columns.get("weight unit")
            if found.unit_column is None:
                found.unit_column = columns.get("unit")
        return found

    @property
    def present(self) -> bool:
        return self.kg is not None or self.lb is not None or self.plain is not None

    @property
    def declared(self) -> Unit | None:
        """The unit fixed by the header, if the header fixes one."""
        if self.kg is not None and self.lb is None:
            return "kg"
        if self.lb is not None and self.kg is None:
            return "lb"
        return None


@dataclass(frozen=True)
class _Spec:
    name: LogFormat
    signature: frozenset[str]
    required: tuple[str, ...]
    kg: tuple[str, ...] = ()
    lb: tuple[str, ...] = ()


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "hevy",
        frozenset({"exercise_title", "start_time"}),
        ("start_time", "exercise_title", "set_type", "reps"),
        kg=("weight_kg",),
        lb=("weight_lbs", "weight_lb"),
    ),
    _Spec(
        "strong",
        frozenset({"exercise name", "set order"}),
        ("date", "exercise name", "set order", "reps"),
        kg=("weight (kg)", "weight (kgs)"),
        lb=("weight (lbs)", "weight (lb)"),
    ),
    _Spec(
        "fitnotes",
        frozenset({"exercise", "category"}),
        ("date", "exercise", "reps"),
        kg=("weight (kgs)", "weight (kg)"),
        lb=("weight (lbs)", "weight (lb)"),
    ),
    _Spec("legrules", frozenset({"date", "exercise", "reps"}), ("date", "exercise", "reps")),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}


@dataclass
class _Context:
    """Everything one read needs and collects."""

    source: str
    units: Unit | None
    today: dt.date
    comma_decimal: bool = False
    problems: list[Problem] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    sets: list[LoggedSet] = field(default_factory=list)
    units_seen: dict[Unit, int] = field(default_factory=dict)
    seen_keys: dict[tuple[Any, ...], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str, **extra: str | None) -> None:
        self.problems.append(Problem(location=where, message=message, **extra))
        if len(self.problems) >= MAX_PROBLEMS:
            raise self.error()

    def error(self) -> TrainingLogError:
        problems = list(self.problems)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                Problem(location=self.source, message=f"stopped after {MAX_PROBLEMS} problems")
            )
        return TrainingLogError(problems, self.source)


# ------------------------------------------------------------------ row -> set


def _weight_of(row: Sequence[str], table: _Table) -> tuple[float | None, Unit | None]:
    columns, weight, ctx = table.columns, table.weight, table.ctx
    comma = ctx.comma_decimal
    if weight.kg is not None and weight.lb is not None:
        # FitNotes on iOS writes the load in both units; they must agree.
        in_kg = _number(row[weight.kg], columns.label(weight.kg), comma)
        in_lb = _number(row[weight.lb], columns.label(weight.lb), comma)
        if in_kg is not None and in_lb is not None:
            if abs(in_kg - in_lb * LB_TO_KG) > max(0.5, 0.01 * in_kg):
                raise _Bad(
                    f"{columns.label(weight.kg)} and {columns.label(weight.lb)}",
                    "the kg and lb columns disagree",
                    f"{row[weight.kg]} kg and {row[weight.lb]} lb",
                )
            return in_kg, "kg"
        if in_kg is not None:
            return in_kg, "kg"
        return in_lb, "lb" if in_lb is not None else None
    if weight.kg is not None:
        return _number(row[weight.kg], columns.label(weight.kg), comma), "kg"
    if weight.lb is not None:
        return _number(row[weight.lb], columns.label(weight.lb), comma), "lb"
    if weight.plain is None:
        return None, None
    value = _number(row[weight.plain], columns.label(weight.plain), comma)
    unit: Unit | None = None
    if weight.unit_column is not None:
        unit = _unit(row[weight.unit_column], columns.label(weight.unit_column))
        if unit is not None and ctx.units is not None and unit != ctx.units:
            raise _Bad(
                columns.label(weight.unit_column),
                f"the row says {unit} but units={ctx.units} was given",
                repr(row[weight.unit_column]),
                "leave units unset for a file that states its unit on every row",
            )
    if value is not None and unit is None:
        unit = ctx.units
        if unit is None:
            column = (
                columns.label(weight.unit_column)
                if weight.unit_column is not None
                else columns.label(weight.plain)
            )
            raise _Bad(
                column,
                "no weight unit: this export does not say whether weights are kg or lb",
                allowed="pass units='kg' or units='lb' (legrules log ... --units kg|lb)",
            )
    return value, unit


def _strong(row: Sequence[str], table: _Table) -> _Fields:
    columns, dates, ctx = table.columns, table.dates, table.ctx
    at = columns.index
    kind, number = _set_marker(row[at["set order"]], columns.label(at["set order"]))
    when = _date(row[at["date"]], columns.label(at["date"]), dates)
    workout = row[at["workout name"]].strip() if "workout name" in at else ""
    load, unit = _weight_of(row, table)
    rpe_at = at.get("rpe")
    return _Fields(
        when=when,
        session=f"{row[at['date']].strip()}|{workout}",
        exercise=row[at["exercise name"]],
        kind=kind,
        set_number=number,
        weight=load,
        unit=unit,
        reps=_whole(row[at["reps"]], columns.label(at["reps"]), ctx.comma_decimal),
        rpe=None if rpe_at is None else _number(row[rpe_at], columns.label(rpe_at), True),
        side=None,
    )


_HEVY_TYPES: dict[str, SetKind] = {
    "normal": "working",
    "warmup": "warmup",
    "warm_up": "warmup",
    "dropset": "drop",
    "drop": "drop",
    "failure": "failure",
}


def _hevy(row: Sequence[str], table: _Table) -> _Fields:
    columns, dates = table.columns, table.dates
    at = columns.index
    raw_type = row[at["set_type"]].strip().lower()
    kind = _HEVY_TYPES.get(raw_type)
    if kind is None:
        raise _Bad(
            columns.label(at["set_type"]),
            "not a Hevy set type",
            repr(row[at["set_type"]]),
            "normal, warmup, dropset, failure",
        )
    number: int | None = None
    if "set_index" in at:
        index = _whole(row[at["set_index"]], columns.label(at["set_index"]), False)
        number = None if index is None else index + 1
    load, unit = _weight_of(row, table)
    title = row[at["title"]].strip() if "title" in at else ""
    rpe_at = at.get("rpe")
    return _Fields(
        when=_date(row[at["start_time"]], columns.label(at["start_time"]), dates),
        session=f"{row[at['start_time']].strip()}|{title}",
        exercise=row[at["exercise_title"]],
        kind=kind,
        set_number=number,
        weight=load,
        unit=unit,
        reps=_whole(row[at["reps"]], columns.label(at["reps"]), False),
        rpe=None if rpe_at is None else _number(row[rpe_at], columns.label(rpe_at), False),
        side=None,
    )


def _fitnotes(row: Sequence[str], table: _Table) -> _Fields:
    columns, dates, ctx = table.columns, table.dates, table.ctx
    at = columns.index
    load, unit = _weight_of(row, table)
    return _Fields(
        when=_date(row[at["date"]], columns.label(at["date"]), dates),
        session=row[at["date"]].strip(),
        exercise=row[at["exercise"]],
        kind="working",
        set_number=None,
        weight=load,
        unit=unit,
        reps=_whole(row[at["reps"]], columns.label(at["reps"]), ctx.comma_decimal),
        rpe=None,
        side=None,
    )


def _native(row: Sequence[str], table: _Table) -> _Fields:
    columns, dates, ctx = table.columns, table.dates, table.ctx
    at = columns.index
    kind: SetKind = "working"
    number: int | None = None
    if "set" in at:
        kind, number = _set_marker(row[at["set"]], columns.label(at["set"]))
    load, unit = _weight_of(row, table)
    rpe_at = at.get("rpe")
    side_at = at.get("side")
    when = _date(row[at["date"]], columns.label(at["date"]), dates)
    return _Fields(
        when=when,
        session=row[at["date"]].strip(),
        exercise=row[at["exercise"]],
        kind=kind,
        set_number=number,
        weight=load,
        unit=unit,
        reps=_whole(row[at["reps"]], columns.label(at["reps"]), ctx.comma_decimal),
        rpe=None
        if rpe_at is None
        else _number(row[rpe_at], columns.label(rpe_at), ctx.comma_decimal),
        side=None if side_at is None else _side(row[side_at], columns.label(side_at)),
    )


_Parser = Callable[[Sequence[str], "_Table"], _Fields]
_PARSERS: dict[str, _Parser] = {
    "strong": _strong,
    "hevy": _hevy,
    "fitnotes": _fitnotes,
    "legrules": _native,
}


def _date(text: str, column: str, dates: DateReader) -> dt.datetime:
    try:
        return dates(text)
    except DateFormatError as error:
        raise _Bad(column, str(error), repr(text), ACCEPTED) from None


def _accept(fields: _Fields, line: int, ctx: _Context) -> LoggedSet:
    """The plausibility checks every format shares; raise _Skip for a row that must not
    count, so every format skips the same things for the same reasons."""
    exercise = " ".join(fields.exercise.split())
    if not exercise:
        raise _Bad("the exercise column", "no exercise name")
    if fields.reps is None or fields.reps == 0:
        raise _Skip("no reps (a timed, distance or unfinished set)")
    if fields.reps < 0:
        raise _Skip(f"negative reps ({fields.reps})")
    if fields.reps > MAX_REPS:
        raise _Skip(f"implausible reps ({fields.reps}, more than {MAX_REPS})")
    weight_kg: float | None = None
    if fields.weight is not None:
        if fields.weight < 0:
            raise _Skip(f"negative weight ({fields.weight:g})")
        weight_kg = fields.weight * LB_TO_KG if fields.unit == "lb" else fields.weight
        if weight_kg > MAX_WEIGHT_KG:
            raise _Skip(
                f"implausible weight ({fields.weight:g} {fields.unit}, more than "
                f"{MAX_WEIGHT_KG:g} kg)"
            )
        if fields.unit is not None:
            ctx.units_seen[fields.unit] = ctx.units_seen.get(fields.unit, 0) + 1
    if fields.rpe is not None and not 0 <= fields.rpe <= 10:
        raise _Skip(f"RPE {fields.rpe:g} is outside 0-10")
    day = fields.when.date()
    if day > ctx.today:
        raise _Skip(f"dated {day.isoformat()}, in the future (today is {ctx.today.isoformat()})")
    if day < EARLIEST:
        raise _Skip(f"dated {day.isoformat()}, before {EARLIEST.year}: a placeholder date")
    if fields.set_number is not None:
        key = (
            fields.session,
            exercise.casefold(),
            fields.kind,
            fields.set_number,
            weight_kg,
            fields.reps,
            fields.side,
        )
        first = ctx.seen_keys.setdefault(key, line)
        if first != line:
            raise _Skip(f"duplicate of line {first}")
    return LoggedSet.model_construct(
        date=day,
        session=fields.session,
        exercise=exercise,
        kind=fields.kind,
        set_number=fields.set_number,
        weight_kg=weight_kg,
        reps=fields.reps,
        rpe=fields.rpe,
        side=fields.side,
        line=line,
    )


@dataclass
class _Table:
    """One file's layout and state, shared by every row parser."""

    columns: _Columns
    weight: _Weight
    dates: DateReader
    ctx: _Context
    parse: _Parser

    def take(self, row: Sequence[str], line: int, text: str, place: _Place) -> bool:
        """Add the row's set, or record why it is skipped or unreadable; False when it
        was unreadable."""
        try:
            self.ctx.sets.append(_accept(self.parse(row, self), line, self.ctx))
        except _Skip as skip:
            self.ctx.skipped.append(SkippedRow(line=line, reason=skip.reason, text=text[:160]))
        except _Bad as bad:
            location, message = place(bad)
            self.ctx.problem(location, message, given=bad.given, allowed=bad.allowed)
            return False
        return True


_Place = Callable[[_Bad], tuple[str, str]]
"""Where an unreadable field is, and the message: CSV names the line and column, JSON
the line and the key path."""


# ------------------------------------------------------------------ CSV


def _header_columns(fields: Sequence[str]) -> _Columns:
    index: dict[str, int] = {}
    for position, name in enumerate(fields):
        index.setdefault(_norm(name), position)
    return _Columns(index=index, spelled=list(fields))


def _detect(first_line: str, wanted: str, source: str) -> tuple[_Spec, str, _Columns]:
    """The format and delimiter whose header this is; TrainingLogError otherwise."""
    candidates = [s for s in _SPECS if wanted in ("auto", s.name)]
    best: tuple[_Spec, str, _Columns] | None = None
    for delimiter in (",", ";", "\t"):
        fields = next(csv.reader([first_line], delimiter=delimiter), [])
        columns = _header_columns(fields)
        for spec in candidates:
            if spec.signature <= columns.index.keys():
                return spec, delimiter, columns
        if best is None or len(columns.index) > len(best[2].index):
            best = (candidates[0], delimiter, columns)
    assert best is not None
    spec, delimiter, columns = best
    shown = ", ".join(repr(s) for s in columns.spelled[:14])
    if wanted != "auto":
        missing = sorted(spec.signature - columns.index.keys())
        hints = [closest(m, columns.index) for m in missing]
        suggestion = next((h for h in hints if h), None)
        raise _error(
            source,
            f"{source}:1",
            f"not a {wanted} header: missing column(s) {', '.join(missing)}",
            given=shown,
            suggestion=suggestion,
        )
    message = "the header names no known training-log format"
    if len(columns.index) <= 1:
        message += (
            " (one column only: is the file separated by something other than a comma, "
            "semicolon or tab?)"
        )
    raise _error(
        source,
        f"{source}:1",
        message,
        given=shown,
        allowed="an export from Strong, Hevy or FitNotes, or legrules CSV "
        "(date,exercise,set,weight,unit,reps,rpe,side) or JSON",
    )


def _check_columns(spec: _Spec, columns: _Columns, weight: _Weight, ctx: _Context) -> None:
    missing = [name for name in spec.required if name not in columns.index]
    if spec.name != "legrules" and not weight.present:
        names = spec.kg + spec.lb + ("weight",)
        missing.append(" or ".join(dict.fromkeys(names)))
    for name in missing:
        ctx.problem(
            f"{ctx.source}:1",
            f"a {spec.name} export needs the column {name!r}",
            suggestion=closest(name, columns.index),
        )
    if weight.plain is not None and weight.unit_column is None and ctx.units is None:
        ctx.problem(
            f"{ctx.source}:1",
            f"{columns.label(weight.plain)}: this {spec.name} export does not say whether "
            "weights are kg or lb",
            allowed="pass units='kg' or units='lb' (legrules log ... --units kg|lb)",
        )
    declared = weight.declared
    if declared is not None and ctx.units is not None and declared != ctx.units:
        ctx.problem(
            f"{ctx.source}:1",
            f"the header says weights are in {declared}, but units={ctx.units} was given",
            allowed="leave units unset for a file that names its unit",
        )
    if ctx.problems:
        raise ctx.error()


def _records(text: str, delimiter: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a quoted note can span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _error(source, f"{source}:{reader.line_num}", f"not valid CSV: {error}") from None
        yield start, row
        start = reader.line_num + 1


def _variant(spec: _Spec, weight: _Weight, delimiter: str) -> str:
    parts = []
    if delimiter == ";":
        parts.append("semicolon-separated")
    elif delimiter == "\t":
        parts.append("tab-separated")
    if weight.kg is not None and weight.lb is not None:
        parts.append("weights in kg and lb columns")
    elif weight.declared is not None:
        parts.append(f"weights in {weight.declared} (from the header)")
    elif weight.unit_column is not None:
        parts.append("a unit on every row")
    elif weight.plain is not None:
        parts.append("no unit column")
    return f"{spec.name} CSV" + (f" ({', '.join(parts)})" if parts else "")


def _read_csv(text: str, wanted: str, ctx: _Context) -> tuple[LogFormat, str]:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    spec, delimiter, columns = _detect(first_line, wanted, ctx.source)
    ctx.comma_decimal = delimiter == ";"
    weight = _Weight.find(columns, spec.kg, spec.lb)
    _check_columns(spec, columns, weight, ctx)
    width = len(columns.spelled)
    header = [_norm(name) for name in columns.spelled]
    date_column = columns.index.get("start_time" if spec.name == "hevy" else "date", 0)
    rows = _data_rows(text, delimiter, ctx)
    try:
        order = slash_order(r[date_column] for _, r in rows if len(r) > date_column)
    except DateFormatError as error:
        raise _error(ctx.source, ctx.source, f"{columns.label(date_column)}: {error}") from None
    table = _Table(columns, weight, DateReader(order), ctx, _PARSERS[spec.name])
    for line, cells in rows:
        where = f"{ctx.source}:{line}"
        row = cells
        if len(row) > width and not any(cell.strip() for cell in row[width:]):
            row = row[:width]  # trailing separators
        if [_norm(cell) for cell in row[:2]] == header[:2] and [_norm(c) for c in row] == header:
            ctx.skipped.append(
                SkippedRow(line=line, reason="the header again (files joined?)", text="")
            )
        elif len(row) != width:
            ctx.problem(
                where, f"expected {width} fields separated by {delimiter!r}, found {len(row)}"
            )
        else:
            table.take(row, line, delimiter.join(row), _csv_place(where))
    if not rows:
        ctx.problem(f"{ctx.source}:1", "the file has a header but no sets")
    return spec.name, _variant(spec, weight, delimiter)


def _csv_place(where: str) -> _Place:
    return lambda bad: (where, f"{bad.column}: {bad.message}")


def _data_rows(text: str, delimiter: str, ctx: _Context) -> list[tuple[int, list[str]]]:
    """Every record after the header, blank lines left out."""
    return [
        (line, row)
        for line, row in _records(text, delimiter, ctx.source)
        if line != 1 and row and not (len(row) == 1 and not row[0].strip())
    ]


# ------------------------------------------------------------------ JSON


def _json_rows(data: Any, ctx: _Context) -> tuple[list[Any], tuple[str | int, ...], Unit | None]:
    """The list of sets in a legrules JSON log, its path, and a log-wide unit."""
    if isinstance(data, list):
        return data, (), None
    if not isinstance(data, dict):
        raise _error(
            ctx.source,
            ctx.source,
            "a legrules JSON log is a list of sets or an object with 'sets'",
        )
    allowed = {"format", "version", "unit", "sets"}
    for key in data:
        if key not in allowed:
            ctx.problem(
                ctx.source,
                f"unknown key {key!r}",
                allowed=", ".join(sorted(allowed)),
                suggestion=closest(str(key), allowed),
            )
    if data.get("version", 1) != 1:
        ctx.problem(ctx.source, "unsupported version", given=repr(data["version"]), allowed="1")
    unit: Unit | None = None
    if "unit" in data:
        unit = _UNITS.get(str(data["unit"]).lower())
        if unit is None:
            ctx.problem(ctx.source, "unit: not a weight unit", given=repr(data["unit"]))
    sets = data.get("sets")
    if not isinstance(sets, list):
        ctx.problem(ctx.source, "'sets' must be a list of sets")
    if ctx.problems:
        raise ctx.error()
    assert isinstance(sets, list)
    return sets, ("sets",), unit


def _json_cell(value: Any) -> str | None:
    """A JSON value as the CSV text it stands for, or None for a value of the wrong type
    (true/false, lists and objects are not numbers or names)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        return str(value)
    return None


class _JsonPlaces:
    """``file:line path`` for a set or one of its keys. The line comes from re-reading
    the document as YAML, only when there is a problem to report."""

    def __init__(self, text: str, source: str, prefix: tuple[str | int, ...]) -> None:
        self._text = text
        self._source = source
        self._prefix = prefix
        self._lines: LineMap | None = None

    def of_field(self, index: int) -> _Place:
        def place(bad: _Bad) -> tuple[str, str]:
            key = bad.column.split("'")[1] if "'" in bad.column else None
            return self(index, key), bad.message

        return place

    def __call__(self, index: int, key: str | None = None) -> str:
        if self._lines is None:
            try:
                self._lines = parse_yaml(self._text, self._source)[1]
            except InputFileError:
                self._lines = LineMap()
        path = (*self._prefix, index, *((key,) if key else ()))
        line = self._lines.line(path)
        place = f"{self._source}:{line}" if line else self._source
        return f"{place} {'.'.join(str(p) for p in path)}"


def _json_row(item: Any, index: int, places: _JsonPlaces, ctx: _Context) -> list[str] | None:
    """One set object as a row of native columns, or None after reporting why not."""
    if not isinstance(item, dict):
        ctx.problem(places(index), "a set must be an object with date, exercise, reps, ...")
        return None
    row: list[str] = []
    ok = True
    for key in item:
        if key not in _NATIVE_COLUMNS:
            ctx.problem(
                places(index, str(key)),
                f"unknown key {key!r}",
                allowed=", ".join(_NATIVE_COLUMNS),
                suggestion=closest(str(key), _NATIVE_COLUMNS),
            )
            ok = False
    for key in _NATIVE_COLUMNS:
        cell = _json_cell(item.get(key))
        if cell is None:
            ctx.problem(
                places(index, key), "expected a number, a string or null", given=repr(item[key])
            )
            ok = False
        row.append(cell or "")
    for key in ("date", "exercise", "reps"):
        if key not in item:
            ctx.problem(places(index), f"missing {key!r}")
            ok = False
    return row if ok else None


def _read_json(text: str, ctx: _Context) -> tuple[LogFormat, str]:
    items, prefix, unit = _json_rows(parse_json(text, ctx.source), ctx)
    if unit is not None and ctx.units is not None and unit != ctx.units:
        problem = Problem(location=ctx.source, message=f"the log says {unit}, units={ctx.units}")
        raise TrainingLogError([problem], ctx.source)
    ctx.units = unit or ctx.units
    columns = _Columns(
        index={name: i for i, name in enumerate(_NATIVE_COLUMNS)},
        spelled=list(_NATIVE_COLUMNS),
        keys=True,
    )
    probe = [i["date"] for i in items if isinstance(i, dict) and isinstance(i.get("date"), str)]
    try:
        dates = DateReader(slash_order(probe))
    except DateFormatError as error:
        raise _error(ctx.source, ctx.source, str(error)) from None
    table = _Table(columns, _Weight.find(columns, (), ()), dates, ctx, _native)
    places = _JsonPlaces(text, ctx.source, prefix)
    for index, item in enumerate(items):
        row = _json_row(item, index, places, ctx)
        if row is not None:
            table.take(row, index + 1, str(item), places.of_field(index))
    if not items:
        ctx.problem(ctx.source, "the log has no sets")
    return "legrules", "legrules JSON"


# ------------------------------------------------------------------ entry points


def _load(path_or_text: str | os.PathLike[str]) -> tuple[str, str, bytes]:
    """The text, its name for messages, and its bytes (for the digest)."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        raw = path_or_text.encode("utf-8")
        if len(raw) > MAX_LOG_BYTES:
            raise InputFileError("<text>", f"larger than {MAX_LOG_BYTES // 2**20} MiB")
        return path_or_text, "<text>", raw
    path = Path(path_or_text)
    source = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(source, "no such file") from None
    except OSError as error:
        raise InputFileError(source, f"cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(source, "not a regular file (a training log must be a file)")
    if info.st_size > MAX_LOG_BYTES:
        raise InputFileError(source, f"larger than {MAX_LOG_BYTES // 2**20} MiB")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_LOG_BYTES + 1)
    except OSError as error:
        raise InputFileError(source, f"cannot read ({error.strerror})") from None
    if len(raw) > MAX_LOG_BYTES:
        raise InputFileError(source, f"larger than {MAX_LOG_BYTES // 2**20} MiB")
    return _decode(raw, source), source, raw


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(source, "not valid UTF-16 text") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputFileError(
            f"{source}:{line}",
            f"not UTF-8 text (byte 0x{raw[error.start]:02x}); export the log again as "
            "UTF-8, or save it as UTF-8 CSV",
        ) from None


def read_log(
    path_or_text: str | os.PathLike[str],
    format: str = "auto",
    units: str | None = None,
    *,
    today: dt.date | None = None,
) -> TrainingLog:
    """Read a training log from a file (a path) or from text (a ``str`` with a newline).

    ``format`` is ``auto`` (recognised from the header) or one of ``strong``, ``hevy``,
    ``fitnotes``, ``legrules``; ``units`` (``kg``/``lb``) is needed only for an export
    that does not say which (Strong's classic CSV). ``today`` bounds dates (later ones
    are skipped as future dates). Raises :class:`TrainingLogError` naming the line and
    column of anything unreadable, InputFileError for a file that cannot be read.
    """
    text, source, raw = _load(path_or_text)
    return parse_log(text, source, format=format, units=units, today=today, raw=raw)


def parse_log(
    text: str,
    source: str,
    *,
    format: str = "auto",
    units: str | None = None,
    today: dt.date | None = None,
    raw: bytes | None = None,
) -> TrainingLog:
    """Read a log from text (e.g. stdin); ``source`` names it in messages."""
    if format not in ("auto", *FORMATS):
        raise _error(
            source,
            "format",
            "unknown log format",
            given=repr(format),
            allowed=", ".join(("auto", *FORMATS)),
        )
    unit: Unit | None = None
    if units is not None:
        unit = _UNITS.get(units.strip().lower())
        if unit is None:
            raise _error(
                source,
                "units",
                "not a weight unit",
                given=repr(units),
                allowed=_UNIT_ALLOWED,
            )
    text = text.lstrip("\ufeff")
    ctx = _Context(source=source, units=unit, today=today or dt.date.today())
    if not text.strip():
        raise _error(source, source, "the file is empty")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) and format in ("auto", "legrules"):
        name, variant = _read_json(text, ctx)
    else:
        name, variant = _read_csv(text, format, ctx)
    if ctx.problems:
        raise ctx.error()
    if not ctx.sets and not ctx.skipped:
        raise _error(source, source, "the log has no sets")
    ctx.sets.sort(key=lambda s: (s.date, s.line))
    digest = hashlib.sha256(raw if raw is not None else text.encode("utf-8")).hexdigest()
    return TrainingLog.model_construct(
        source=source,
        format=name,
        variant=variant,
        digest=f"sha256:{digest}",
        unit=_display_unit(ctx, unit),
        sets=tuple(ctx.sets),
        skipped=tuple(sorted(ctx.skipped, key=lambda s: s.line)),
        notes=tuple(ctx.notes),
    )


def _display_unit(ctx: _Context, given: Unit | None) -> Unit:
    if given is not None:
        return given
    seen = ctx.units_seen
    if len(seen) > 1:
        ctx.notes.append(
            "weights were logged in both units ("
            + ", ".join(f"{count} sets in {unit}" for unit, count in sorted(seen.items()))
            + "); each was converted by the unit on its row, and reports use kg"
        )
        return "kg"
    return next(iter(seen), "kg")
