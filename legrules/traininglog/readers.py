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
import gc
import hashlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from legrules.errors import InputFileError, Problem, closest
from legrules.pack.yamlio import LineMap, parse_json, parse_yaml, read_bytes, too_large
from legrules.traininglog import fields as f
from legrules.traininglog.dates import DateFormatError, DateReader, slash_order
from legrules.traininglog.model import (
    FORMATS,
    LB_TO_KG,
    LogFormat,
    LoggedSet,
    SkippedRow,
    TrainingLog,
    TrainingLogError,
    Unit,
)

MAX_LOG_BYTES = 32 * 1024 * 1024
"""Larger than any real export (five years of daily training is about 5 MB), small
enough that a wrong file cannot exhaust memory."""
MAX_PROBLEMS = 20
NATIVE_COLUMNS = ("date", "exercise", "set", "weight", "unit", "reps", "rpe", "side")


def _error(source: str, location: str, message: str, **extra: str | None) -> TrainingLogError:
    """A one-problem error (for what stops the read at once: a header, a file)."""
    return TrainingLogError([Problem(location=location, message=message, **extra)], source)


def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').lower().split())


# ------------------------------------------------------------------ headers and formats


@dataclass
class _Columns:
    """A header: normalised name -> index, and the names as the file spells them."""

    index: dict[str, int]
    spelled: list[str]
    keys: bool = False
    """True for JSON, whose fields are keys rather than numbered columns."""

    @classmethod
    def of(cls, names: Sequence[str], keys: bool = False) -> _Columns:
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            index.setdefault(_norm(name), position)
        return cls(index=index, spelled=list(names), keys=keys)

    def label(self, column: f.Column) -> str:
        if isinstance(column, str):
            return column
        name = self.spelled[column].strip()
        return f"key {name!r}" if self.keys else f"column {name!r} ({column + 1})"


@dataclass
class _Weight:
    """Where a format keeps the load and its unit."""

    kg: int | None = None
    lb: int | None = None
    plain: int | None = None
    unit_column: int | None = None

    @classmethod
    def find(cls, columns: _Columns, kg: Sequence[str], lb: Sequence[str]) -> _Weight:
        at = columns.index
        found = cls(
            kg=next((at[n] for n in kg if n in at), None),
            lb=next((at[n] for n in lb if n in at), None),
            plain=at.get("weight"),
        )
        if found.plain is not None:
            found.unit_column = at.get("weight unit", at.get("unit"))
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
    date: str
    exercise: str
    kg: tuple[str, ...] = ()
    lb: tuple[str, ...] = ()


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "hevy",
        frozenset({"exercise_title", "start_time"}),
        ("start_time", "exercise_title", "set_type", "reps"),
        date="start_time",
        exercise="exercise_title",
        kg=("weight_kg",),
        lb=("weight_lbs", "weight_lb"),
    ),
    _Spec(
        "strong",
        frozenset({"exercise name", "set order"}),
        ("date", "exercise name", "set order", "reps"),
        date="date",
        exercise="exercise name",
        kg=("weight (kg)", "weight (kgs)"),
        lb=("weight (lbs)", "weight (lb)"),
    ),
    _Spec(
        "fitnotes",
        frozenset({"exercise", "category"}),
        ("date", "exercise", "reps"),
        date="date",
        exercise="exercise",
        kg=("weight (kgs)", "weight (kg)"),
        lb=("weight (lbs)", "weight (lb)"),
    ),
    _Spec(
        "legrules",
        frozenset({"date", "exercise", "reps"}),
        ("date", "exercise", "reps"),
        date="date",
        exercise="exercise",
    ),
)
_NATIVE = _SPECS[-1]


def _detect(first_line: str, wanted: str, source: str) -> tuple[_Spec, str, _Columns]:
    """The format and delimiter whose header this is; TrainingLogError otherwise."""
    candidates = [s for s in _SPECS if wanted in ("auto", s.name)]
    widest: tuple[str, _Columns] | None = None
    for delimiter in (",", ";", "\t"):
        columns = _Columns.of(next(csv.reader([first_line], delimiter=delimiter), []))
        for spec in candidates:
            if spec.signature <= columns.index.keys():
                return spec, delimiter, columns
        if widest is None or len(columns.index) > len(widest[1].index):
            widest = (delimiter, columns)
    assert widest is not None
    columns = widest[1]
    shown = ", ".join(repr(s) for s in columns.spelled[:14])
    if wanted != "auto":
        missing = sorted(candidates[0].signature - columns.index.keys())
        hints = [closest(m, columns.index) for m in missing]
        raise _error(
            source,
            f"{source}:1",
            f"not a {wanted} header: missing column(s) {', '.join(missing)}",
            given=shown,
            suggestion=next((h for h in hints if h), None),
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


# ------------------------------------------------------------------ the read itself


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
    notes: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str, **extra: str | None) -> None:
        self.problems.append(Problem(location=where, message=message, **extra))
        if len(self.problems) >= MAX_PROBLEMS:
            raise self.error()

    def error(self) -> TrainingLogError:
        """All problems so far, in file order (rows are checked a column at a time)."""
        problems = sorted(self.problems, key=lambda p: _line_of(p.location, self.source))
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                Problem(location=self.source, message=f"stopped after {MAX_PROBLEMS} problems")
            )
        return TrainingLogError(problems, self.source)


def _line_of(location: str, source: str) -> int:
    head = location.removeprefix(f"{source}:").split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


_Place = Callable[[int, f.Bad], tuple[str, str]]
"""Where an unreadable field of row i is, and the message: CSV names the line and the
column, JSON the line and the key path."""


@dataclass
class _Table:
    """The data rows of one file, column by column."""

    columns: _Columns
    data: list[Sequence[str]]
    size: int

    @classmethod
    def of(cls, columns: _Columns, rows: Sequence[Sequence[str]]) -> _Table:
        width = len(columns.spelled)
        data: list[Sequence[str]] = list(zip(*rows)) if rows else [() for _ in range(width)]
        return cls(columns=columns, data=data, size=len(rows))

    def cells(self, name: str) -> Sequence[str] | None:
        at = self.columns.index.get(name)
        return None if at is None else self.data[at]


@dataclass
class _Parsed:
    """Each field of every row: a value, or the Bad/Skip its cell raised."""

    day: list[f.Outcome]
    session: list[str]
    exercise: list[f.Outcome]
    marker: list[f.Outcome]
    load: list[f.Outcome]
    reps: list[f.Outcome]
    rpe: list[f.Outcome]
    side: list[f.Outcome]
    flagged: set[int]


def _constant(value: Any, size: int) -> list[Any]:
    return [value] * size


def _loads(table: _Table, weight: _Weight, ctx: _Context) -> tuple[list[f.Outcome], set[int]]:
    """Every row's (kg, unit logged in), from whichever columns the format has."""
    comma = ctx.comma_decimal
    labels = table.columns.label
    data = table.data
    if weight.kg is not None and weight.lb is not None:
        kg_at, lb_at = weight.kg, weight.lb

        def both(cells: tuple[str, str]) -> tuple[float | None, Unit | None]:
            # FitNotes on iOS writes the load in both units; they must agree.
            in_kg = f.number(cells[0], kg_at, comma)
            in_lb = f.number(cells[1], lb_at, comma)
            if in_kg is not None and in_lb is not None:
                if abs(in_kg - in_lb * LB_TO_KG) > max(0.5, 0.01 * in_kg):
                    raise f.Bad(
                        f"{labels(kg_at)} and {labels(lb_at)}",
                        "the kg and lb columns disagree",
                        f"{cells[0]} kg and {cells[1]} lb",
                    )
                return f.load(in_kg, "kg")
            return f.load(in_lb, "lb") if in_kg is None else f.load(in_kg, "kg")

        return f.mapped(list(zip(data[kg_at], data[lb_at])), both)
    fixed = weight.declared
    if fixed is not None:
        at = weight.kg if weight.kg is not None else weight.lb
        assert at is not None
        return f.mapped(data[at], lambda text: f.load(f.number(text, at, comma), fixed))
    if weight.plain is None:
        return _constant((None, None), table.size), set()
    plain = weight.plain
    if weight.unit_column is None:
        return f.mapped(data[plain], lambda text: f.load(f.number(text, plain, comma), ctx.units))
    unit_at = weight.unit_column

    def with_unit(cells: tuple[str, str]) -> tuple[float | None, Unit | None]:
        value = f.number(cells[0], plain, comma)
        logged = f.unit(cells[1], unit_at)
        if logged is not None and ctx.units is not None and logged != ctx.units:
            raise f.Bad(
                unit_at,
                f"the row says {logged} but units={ctx.units} was given",
                repr(cells[1]),
                "leave units unset for a file that states its unit on every row",
            )
        logged = logged or ctx.units
        if value is not None and logged is None:
            raise f.Bad(unit_at, "no weight unit on this row", allowed=f.UNIT_ALLOWED)
        return f.load(value, logged)

    return f.mapped(list(zip(data[plain], data[unit_at])), with_unit)


def _parse(
    spec: _Spec, table: _Table, weight: _Weight, dates: DateReader, ctx: _Context
) -> _Parsed:
    """Every field of every row, the format's columns read the format's way."""
    at = table.columns.index
    data = table.data
    comma = ctx.comma_decimal
    size = table.size
    flagged: set[int] = set()

    def column(name: str, parse: Callable[[str], Any], default: Any) -> list[f.Outcome]:
        if name not in at:
            return _constant(default, size)
        rows, bad = f.mapped(data[at[name]], parse)
        flagged.update(bad)
        return rows

    day = column(spec.date, f.DateCheck(dates, ctx.today, at[spec.date]), None)
    exercise = column(spec.exercise, partial(f.exercise, column=at[spec.exercise]), None)
    reps = column("reps", partial(f.reps, column=at["reps"], comma_decimal=comma), None)
    rpe = column("rpe", partial(f.rpe, column=at.get("rpe", 0), comma_decimal=comma), None)
    side = column("side", partial(f.side, column=at.get("side", 0)), None)
    marker: list[f.Outcome]
    if spec.name == "hevy":
        index_at = at.get("set_index")
        pairs = list(
            zip(data[at["set_type"]], data[index_at] if index_at is not None else [""] * size)
        )
        marker, bad = f.mapped(
            pairs, partial(f.hevy_set, type_column=at["set_type"], index_column=index_at)
        )
        flagged.update(bad)
    elif spec.name == "fitnotes":
        marker = _constant(("working", None), size)
    else:
        name = "set order" if spec.name == "strong" else "set"
        marker = column(name, partial(f.set_marker, column=at.get(name, 0)), ("working", None))
    load, bad = _loads(table, weight, ctx)
    flagged.update(bad)
    dates_text = data[at[spec.date]]
    if spec.name in ("strong", "hevy"):
        title = table.cells("workout name" if spec.name == "strong" else "title")
        titles = title if title is not None else [""] * size
        session = [f"{d.strip()}|{t.strip()}" for d, t in zip(dates_text, titles)]
    else:
        session = [d.strip() for d in dates_text]
    return _Parsed(day, session, exercise, marker, load, reps, rpe, side, flagged)


def _assemble(
    parsed: _Parsed, lines: Sequence[int], texts: Callable[[int], str], place: _Place, ctx: _Context
) -> None:
    """Sets from the parsed fields: a flagged row becomes problems or one skip; a set
    with a set number that repeats an earlier one in the same session is a duplicate."""
    seen: dict[tuple[Any, ...], int] = {}
    units_seen = ctx.units_seen
    append = ctx.sets.append
    # The validator itself, without BaseModel.__init__'s Python wrapper: one set per
    # row, fully validated, at about half the cost.
    build = LoggedSet.__pydantic_validator__.validate_python
    order = (
        parsed.day,
        parsed.exercise,
        parsed.marker,
        parsed.load,
        parsed.reps,
        parsed.rpe,
        parsed.side,
    )
    flagged = parsed.flagged
    rows = zip(
        range(len(lines)),
        lines,
        parsed.day,
        parsed.session,
        parsed.exercise,
        parsed.marker,
        parsed.load,
        parsed.reps,
        parsed.rpe,
        parsed.side,
    )
    for i, line, day, session, exercise, marker, load, reps, rpe, side in rows:
        if i in flagged:
            _report((i, line), [column[i] for column in order], texts, place, ctx)
            continue
        kind, number = marker
        weight_kg, unit = load
        if number is not None:
            first = seen.setdefault((session, exercise, kind, number, weight_kg, reps, side), line)
            if first != line:
                reason = f"duplicate of line {first}"
                ctx.skipped.append(SkippedRow(line=line, reason=reason, text=texts(i)[:160]))
                continue
        if weight_kg is not None and unit is not None:
            units_seen[unit] = units_seen.get(unit, 0) + 1
        append(
            build(
                {
                    "date": day,
                    "session": session,
                    "exercise": exercise,
                    "kind": kind,
                    "set_number": number,
                    "weight_kg": weight_kg,
                    "reps": reps,
                    "rpe": rpe,
                    "side": side,
                    "line": line,
                }
            )
        )


def _report(
    row: tuple[int, int],
    outcomes: list[f.Outcome],
    texts: Callable[[int], str],
    place: _Place,
    ctx: _Context,
) -> None:
    """A flagged row (index, line): every unreadable field is a problem; else its first
    skip reason."""
    i, line = row
    bad = [o for o in outcomes if isinstance(o, f.Bad)]
    for item in bad:
        location, message = place(i, item)
        ctx.problem(location, message, given=item.given, allowed=item.allowed)
    if not bad:
        skip = next(o for o in outcomes if isinstance(o, f.Skip))
        ctx.skipped.append(SkippedRow(line=line, reason=skip.reason, text=texts(i)[:160]))


# ------------------------------------------------------------------ CSV


def _check_columns(spec: _Spec, columns: _Columns, weight: _Weight, ctx: _Context) -> None:
    missing = [name for name in spec.required if name not in columns.index]
    if spec.name != "legrules" and not weight.present:
        missing.append(" or ".join(dict.fromkeys((*spec.kg, *spec.lb, "weight"))))
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
        parts.append(f"weights in {weight.declared}")
    elif weight.unit_column is not None:
        parts.append("a unit on every row")
    elif weight.plain is not None:
        parts.append("no unit column")
    return f"{spec.name} CSV" + (f" ({', '.join(parts)})" if parts else "")


def _csv_rows(
    text: str, delimiter: str, columns: _Columns, ctx: _Context
) -> tuple[list[int], list[list[str]]]:
    """The data records and their lines: blank lines and a repeated header left out,
    a record of the wrong width reported."""
    width = len(columns.spelled)
    header = columns.spelled
    lines: list[int] = []
    rows: list[list[str]] = []
    for line, row in _records(text, delimiter, ctx.source):
        if len(row) == width:
            if row == header:
                if line != 1:
                    ctx.skipped.append(
                        SkippedRow(line=line, reason="the header again (files joined?)", text="")
                    )
                continue
            lines.append(line)
            rows.append(row)
        elif not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line
        elif len(row) > width and not any(cell.strip() for cell in row[width:]):
            lines.append(line)  # trailing separators
            rows.append(row[:width])
        else:
            ctx.problem(
                f"{ctx.source}:{line}",
                f"expected {width} fields separated by {delimiter!r}, found {len(row)}",
            )
    return lines, rows


def _read_csv(text: str, wanted: str, ctx: _Context) -> tuple[LogFormat, str]:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    spec, delimiter, columns = _detect(first_line, wanted, ctx.source)
    ctx.comma_decimal = delimiter == ";"
    weight = _Weight.find(columns, spec.kg, spec.lb)
    _check_columns(spec, columns, weight, ctx)
    lines, rows = _csv_rows(text, delimiter, columns, ctx)
    if not rows and not ctx.skipped and not ctx.problems:
        ctx.problem(f"{ctx.source}:1", "the file has a header but no sets")
    table = _Table.of(columns, rows)
    date_at = columns.index[spec.date]
    dates = _date_reader(table.data[date_at], ctx, columns.label(date_at))

    def place(i: int, bad: f.Bad) -> tuple[str, str]:
        return f"{ctx.source}:{lines[i]}", f"{columns.label(bad.column)}: {bad.message}"

    parsed = _parse(spec, table, weight, dates, ctx)
    _assemble(parsed, lines, lambda i: delimiter.join(rows[i]), place, ctx)
    return spec.name, _variant(spec, weight, delimiter)


def _date_reader(values: Sequence[str], ctx: _Context, label: str) -> DateReader:
    try:
        return DateReader(slash_order(v for v in set(values) if "/" in v))
    except DateFormatError as error:
        raise _error(ctx.source, ctx.source, f"{label}: {error}") from None


# ------------------------------------------------------------------ JSON


def _json_sets(data: Any, ctx: _Context) -> tuple[list[Any], tuple[str | int, ...]]:
    """The list of sets in a legrules JSON log and its path; a log-wide ``unit`` becomes
    the read's unit."""
    if isinstance(data, list):
        return data, ()
    if not isinstance(data, dict):
        raise _error(
            ctx.source, ctx.source, "a legrules JSON log is a list of sets or an object with 'sets'"
        )
    allowed = ("format", "version", "unit", "sets")
    for key in data:
        if key not in allowed:
            ctx.problem(
                ctx.source,
                f"unknown key {key!r}",
                allowed=", ".join(allowed),
                suggestion=closest(str(key), allowed),
            )
    if data.get("version", 1) != 1:
        ctx.problem(ctx.source, "unsupported version", given=repr(data["version"]), allowed="1")
    if "unit" in data:
        unit = f.UNITS.get(str(data["unit"]).lower())
        if unit is None:
            ctx.problem(
                ctx.source,
                "unit: not a weight unit",
                given=repr(data["unit"]),
                allowed=f.UNIT_ALLOWED,
            )
        elif ctx.units is not None and unit != ctx.units:
            ctx.problem(ctx.source, f"the log says {unit}, but units={ctx.units} was given")
        else:
            ctx.units = unit
    sets = data.get("sets")
    if not isinstance(sets, list):
        ctx.problem(ctx.source, "'sets' must be a list of sets")
    if ctx.problems:
        raise ctx.error()
    assert isinstance(sets, list)
    return sets, ("sets",)


class _JsonPlaces:
    """``file:line path`` for a set or one of its keys. The line comes from re-reading
    the document as YAML, only when there is a problem to report."""

    def __init__(self, text: str, source: str, prefix: tuple[str | int, ...]) -> None:
        self._text = text
        self._source = source
        self._prefix = prefix
        self._lines: LineMap | None = None

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


def _json_cell(value: Any) -> str | None:
    """A JSON value as the CSV text it stands for, or None for a value of the wrong type
    (true/false, lists and objects are not numbers or names)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    return str(value)


def _json_row(item: Any, index: int, places: _JsonPlaces, ctx: _Context) -> list[str] | None:
    """One set object as a row of native columns, or None after reporting why not."""
    if not isinstance(item, dict):
        ctx.problem(places(index), "a set must be an object with date, exercise, reps, ...")
        return None
    ok = True
    for key in item:
        if key not in NATIVE_COLUMNS:
            ctx.problem(
                places(index, str(key)),
                f"unknown key {key!r}",
                allowed=", ".join(NATIVE_COLUMNS),
                suggestion=closest(str(key), NATIVE_COLUMNS),
            )
            ok = False
    for key in ("date", "exercise", "reps"):
        if key not in item:
            ctx.problem(places(index), f"missing {key!r}")
            ok = False
    row = []
    for key in NATIVE_COLUMNS:
        cell = _json_cell(item.get(key))
        if cell is None:
            ctx.problem(
                places(index, key), "expected a number, a string or null", given=repr(item[key])
            )
            ok = False
        row.append(cell or "")
    return row if ok else None


def _read_json(text: str, ctx: _Context) -> tuple[LogFormat, str]:
    items, prefix = _json_sets(parse_json(text, ctx.source), ctx)
    places = _JsonPlaces(text, ctx.source, prefix)
    columns = _Columns.of(NATIVE_COLUMNS, keys=True)
    indexes: list[int] = []
    rows: list[list[str]] = []
    for index, item in enumerate(items):
        row = _json_row(item, index, places, ctx)
        if row is not None:
            indexes.append(index)
            rows.append(row)
    if not items:
        ctx.problem(ctx.source, "the log has no sets")
    table = _Table.of(columns, rows)
    dates = _date_reader(table.data[0], ctx, "key 'date'")

    def place(i: int, bad: f.Bad) -> tuple[str, str]:
        key = NATIVE_COLUMNS[bad.column] if isinstance(bad.column, int) else None
        return places(indexes[i], key), bad.message

    parsed = _parse(_NATIVE, table, _Weight.find(columns, (), ()), dates, ctx)
    lines = [index + 1 for index in indexes]
    _assemble(parsed, lines, lambda i: str(items[indexes[i]]), place, ctx)
    return "legrules", "legrules JSON"


# ------------------------------------------------------------------ entry points


def _load(path_or_text: str | os.PathLike[str]) -> tuple[str, str, bytes]:
    """The text, its name for messages, and its bytes (for the digest)."""
    if isinstance(path_or_text, str) and (
        "\n" in path_or_text or path_or_text.lstrip().startswith(("{", "["))
    ):
        raw = path_or_text.encode("utf-8")
        if len(raw) > MAX_LOG_BYTES:
            raise too_large("<text>", MAX_LOG_BYTES)
        return path_or_text, "<text>", raw
    path = Path(path_or_text)
    source = str(path)
    # the one bounded, regular-files-only reader every input goes through
    raw = read_bytes(path, MAX_LOG_BYTES)
    return decode(raw, source), source, raw


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16 with one; nothing guessed."""
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
            f"not UTF-8 text (byte 0x{raw[error.start]:02x}); export the log again, or save "
            "it as UTF-8 CSV",
        ) from None


def read_log(
    path_or_text: str | os.PathLike[str],
    format: str = "auto",
    units: str | None = None,
    *,
    today: dt.date | None = None,
) -> TrainingLog:
    """Read a training log from a file (a path) or from text (a ``str`` with a newline,
    or one that starts a JSON document; any other ``str`` is a path).

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
    with _collector_paused():
        return _parse_log(text, source, format=format, units=units, today=today, raw=raw)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a log is parsed, back on (if it was) after.

    Parsing builds hundreds of thousands of small objects that all live on (a five-year
    log is 50,000 sets): each allocation burst triggers collections that scan the young
    objects, and the older generations again and again, finding nothing to free (sets
    hold no cycles). Measured on the five-year benchmark log: 446 ms of CPU with the
    collector, 242 ms without. Reference counting still frees everything as usual; the
    collector catches up on its next run. Other threads lose only collector runs for
    these milliseconds, never correctness.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_log(
    text: str,
    source: str,
    *,
    format: str,
    units: str | None,
    today: dt.date | None,
    raw: bytes | None,
) -> TrainingLog:
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
        unit = f.UNITS.get(units.strip().lower())
        if unit is None:
            raise _error(
                source, "units", "not a weight unit", given=repr(units), allowed=f.UNIT_ALLOWED
            )
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise _error(source, source, "the file is empty")
    ctx = _Context(source=source, units=unit, today=today or dt.date.today())
    if text.lstrip().startswith(("{", "[")) and format in ("auto", "legrules"):
        name, variant = _read_json(text, ctx)
    else:
        name, variant = _read_csv(text, format, ctx)
    if ctx.problems:
        raise ctx.error()
    ctx.sets.sort(key=lambda s: (s.date, s.line))
    digest = hashlib.sha256(raw if raw is not None else text.encode("utf-8")).hexdigest()
    return TrainingLog(
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
    """The unit reports use: the one asked for, else the one the log was kept in; a log
    kept in both is reported in kg, with a note."""
    if given is not None:
        return given
    seen = ctx.units_seen
    if len(seen) > 1:
        counts = ", ".join(f"{count} sets in {unit}" for unit, count in sorted(seen.items()))
        ctx.notes.append(
            f"weights were logged in both units ({counts}); each was converted by the unit on "
            "its row, and reports use kg"
        )
        return "kg"
    return next(iter(seen), "kg")
