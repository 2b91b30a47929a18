"""Cells to set fields, one distinct value at a time.

A five-year log has some 50,000 rows but only a few hundred distinct dates, loads and
rep counts, so every column is parsed per distinct value and the result looked up per
row. That keeps reading a whole log well under a second, and it means a bad value is
explained once per value rather than rediscovered on every row.

A parse either returns the value, raises :class:`Bad` (the cell cannot be read: the file
has a problem) or :class:`Skip` (it can be read but the set must not count: it is
skipped with the reason). README "Training logs" lists which case is which.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from legrules.traininglog.dates import ACCEPTED, DateFormatError, DateReader
from legrules.traininglog.model import LB_TO_KG, SetKind, Side, Unit

MAX_WEIGHT_KG = 1000.0
"""Heavier than any leg-press sled; a larger number is a typo or a wrong unit."""
MAX_REPS = 200
EARLIEST = dt.date(1980, 1, 1)
"""Before any fitness app; such a date is a placeholder, not a session."""

UNITS: dict[str, Unit] = {
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
}
UNIT_ALLOWED = "kg or lb (also kgs, lbs)"

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")

H = TypeVar("H", bound=Hashable)
T = TypeVar("T")
Column = int | str
"""A column's position (named from the header when reported) or a ready label."""


class Bad(Exception):
    """A cell that cannot be read: a problem naming the line and column."""

    def __init__(
        self, column: Column, message: str, given: str | None = None, allowed: str | None = None
    ) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.given = given
        self.allowed = allowed


class Skip(Exception):
    """A readable row that must not count: a reported skip."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Outcome = Any
"""A parsed value, or the Bad / Skip it raised (kept, to report per row)."""


def mapped(values: Sequence[H], parse: Callable[[H], T]) -> tuple[list[Outcome], set[int]]:
    """``parse`` applied to each distinct value; the per-row results and the rows whose
    value raised Bad or Skip."""
    table: dict[H, Outcome] = {}
    failed: set[H] = set()
    for value in set(values):
        try:
            table[value] = parse(value)
        except (Bad, Skip) as outcome:
            table[value] = outcome
            failed.add(value)
    rows = [table[value] for value in values]
    flagged = {i for i, value in enumerate(values) if value in failed} if failed else set()
    return rows, flagged


# ------------------------------------------------------------------ single values


def number(text: str, column: Column, comma_decimal: bool) -> float | None:
    value = text.strip()
    if not value:
        return None
    if comma_decimal and "," in value and "." not in value:
        value = value.replace(",", ".")
    if not _NUMBER.match(value):
        raise Bad(column, "not a number", repr(text), "a number such as 62.5")
    parsed = float(value)
    if not math.isfinite(parsed):  # pragma: no cover - the pattern admits only finite numbers
        raise Bad(column, "not a finite number", repr(text))
    return parsed


def reps(text: str, column: Column, comma_decimal: bool) -> int:
    value = number(text, column, comma_decimal)
    if value is None or value == 0:
        raise Skip("no reps (a timed, distance or unfinished set)")
    if not value.is_integer():
        raise Bad(column, "not a whole number", repr(text), "a whole number of reps")
    if value < 0:
        raise Skip(f"negative reps ({value:g})")
    if value > MAX_REPS:
        raise Skip(f"implausible reps ({value:g}, more than {MAX_REPS})")
    return int(value)


def rpe(text: str, column: Column, comma_decimal: bool) -> float | None:
    value = number(text, column, comma_decimal)
    if value is not None and not 0 <= value <= 10:
        raise Skip(f"RPE {value:g} is outside 0-10")
    return value


def unit(text: str, column: Column) -> Unit | None:
    value = text.strip().lower()
    if not value:
        return None
    found = UNITS.get(value)
    if found is None:
        raise Bad(column, "not a weight unit", repr(text), UNIT_ALLOWED)
    return found


def load(value: float | None, in_unit: Unit | None) -> tuple[float | None, Unit | None]:
    """A load in kilograms (and the unit it was logged in), or Skip when implausible."""
    if value is None:
        return None, in_unit
    if value < 0:
        raise Skip(f"negative weight ({value:g})")
    kg = value * LB_TO_KG if in_unit == "lb" else value
    if kg > MAX_WEIGHT_KG:
        raise Skip(f"implausible weight ({value:g} {in_unit}, more than {MAX_WEIGHT_KG:g} kg)")
    return kg, in_unit


_MARKERS: dict[str, SetKind] = {
    "w": "warmup",
    "warmup": "warmup",
    "warm-up": "warmup",
    "d": "drop",
    "drop": "drop",
    "f": "failure",
    "failure": "failure",
    "working": "working",
    "": "working",
}


def set_marker(text: str, column: Column) -> tuple[SetKind, int | None]:
    """Strong's ``Set Order`` and legrules' ``set``: a number, or W / D / F."""
    value = text.strip().lower()
    if value.isdigit():
        return "working", int(value)
    kind = _MARKERS.get(value)
    if kind is not None:
        return kind, None
    if value in ("rest timer", "note", "notes"):
        raise Skip(f"a {value}, not a set")
    raise Bad(
        column,
        "not a set number or set type",
        repr(text),
        "a set number, or W (warm-up), D (drop set), F (to failure)",
    )


HEVY_TYPES: dict[str, SetKind] = {
    "normal": "working",
    "warmup": "warmup",
    "warm_up": "warmup",
    "dropset": "drop",
    "drop": "drop",
    "failure": "failure",
}


def hevy_set(
    cells: tuple[str, str], type_column: Column, index_column: Column | None
) -> tuple[SetKind, int | None]:
    kind = HEVY_TYPES.get(cells[0].strip().lower())
    if kind is None:
        raise Bad(
            type_column, "not a Hevy set type", repr(cells[0]), "normal, warmup, dropset, failure"
        )
    if index_column is None or not cells[1].strip():
        return kind, None
    index = number(cells[1], index_column, False)
    if index is None or not index.is_integer() or index < 0:
        raise Bad(index_column, "not a set index", repr(cells[1]), "0, 1, 2, ...")
    return kind, int(index) + 1


def side(text: str, column: Column) -> Side | None:
    value = text.strip().lower()
    if value in ("", "both"):
        return None
    if value in ("left", "l"):
        return "left"
    if value in ("right", "r"):
        return "right"
    raise Bad(column, "not a side", repr(text), "left, right, or empty for both legs")


def exercise(text: str, column: Column) -> str:
    name = " ".join(text.split())
    if not name:
        raise Bad(column, "no exercise name")
    return name


@dataclass
class DateCheck:
    """Dates of one file: read (see legrules.traininglog.dates), then kept only when
    they are neither in the future nor placeholders."""

    reader: DateReader
    today: dt.date
    column: Column

    def __call__(self, text: str) -> dt.date:
        try:
            day = self.reader(text).date()
        except DateFormatError as error:
            raise Bad(self.column, str(error), repr(text), ACCEPTED) from None
        if day > self.today:
            raise Skip(f"dated {day}, in the future (today is {self.today})")
        if day < EARLIEST:
            raise Skip(f"dated {day}, before {EARLIEST.year}: a placeholder date")
        return day
