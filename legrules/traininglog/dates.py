"""Dates as fitness apps write them, which depends on the phone's language settings.

Hevy writes ``start_time`` the way the phone formats dates ("15 Jan 2024, 18:30" in the
UK, "Jan 15, 2024, 6:30 PM" in the US, ISO on some versions); Strong and FitNotes write
ISO. Month names are matched in English here rather than with ``strptime``'s ``%b``,
which follows the process locale and would read the same file differently on another
machine.

Numeric dates with slashes ("03/04/2024") are the one ambiguous case: the order of day
and month is decided once per file, from a date whose first or second number is above
12. A file where every such date could be read either way is an error, not a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Literal

SlashOrder = Literal["dmy", "mdy"]

ACCEPTED = (
    "2024-01-15, 2024-01-15 18:30[:00], 2024-01-15T18:30:00[Z], 15 Jan 2024, 18:30, "
    "Jan 15, 2024, 6:30 PM, 15.01.2024 18:30, 15/01/2024 18:30 or 01/15/2024 6:30 PM"
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_TIME = r"(?:,?\s+(?:at\s+)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([ap])?\.?(?:m\.?)?)?"
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?:z|utc|[+-]\d{2}:?\d{2})?$"
)
_DAY_NAME = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?,?\s+(\d{4})" + _TIME + "$")
_NAME_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME + "$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + "$")


class DateFormatError(ValueError):
    """Why a date could not be read (the reader adds the file, line and column)."""


def _clock(hour: str | None, minute: str | None, second: str | None, half: str | None) -> dt.time:
    if hour is None or minute is None:
        return dt.time()
    h = int(hour)
    if half is not None:
        if not 1 <= h <= 12:
            raise DateFormatError(f"hour {h} with AM/PM")
        h = h % 12 + (12 if half == "p" else 0)
    return dt.time(h, int(minute), int(second or 0))


def _build(year: int, month: int, day: int, time: dt.time) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date(year, month, day), time)
    except ValueError as error:
        raise DateFormatError(str(error)) from None


def slash_order(values: Iterable[str]) -> SlashOrder | None:
    """The day/month order of a file's slashed dates, None when it has none.

    Raises DateFormatError when the dates contradict each other or none can tell.
    """
    first_big = second_big = seen = False
    for value in values:
        match = _SLASHED.match(value.strip().lower())
        if not match:
            continue
        seen = True
        first_big = first_big or int(match.group(1)) > 12
        second_big = second_big or int(match.group(2)) > 12
    if not seen:
        return None
    if first_big and second_big:
        raise DateFormatError(
            "slashed dates are written both day-first and month-first in the same file"
        )
    if first_big:
        return "dmy"
    if second_big:
        return "mdy"
    raise DateFormatError(
        "slashed dates where no day is above 12, so day and month cannot be told apart; "
        "export with ISO dates (2024-01-15) or set the phone to another date format"
    )


class DateReader:
    """Parses one file's dates, remembering each distinct text (a session's sets share
    one timestamp, so a 50,000-set log has only a few hundred distinct dates)."""

    def __init__(self, order: SlashOrder | None = None) -> None:
        self._order = order
        self._seen: dict[str, dt.datetime] = {}

    def __call__(self, text: str) -> dt.datetime:
        cached = self._seen.get(text)
        if cached is None:
            cached = self._parse(text.strip().lower())
            self._seen[text] = cached
        return cached

    def _parse(self, text: str) -> dt.datetime:
        match = _ISO.match(text)
        if match:
            year, month, day, hour, minute, second = match.groups()
            time = _clock(hour, minute, second, None)
            return _build(int(year), int(month), int(day), time)
        match = _DAY_NAME.match(text)
        if match:
            day, name, year, *clock = match.groups()
            return _build(int(year), self._month(name), int(day), _clock(*clock))
        match = _NAME_DAY.match(text)
        if match:
            name, day, year, *clock = match.groups()
            return _build(int(year), self._month(name), int(day), _clock(*clock))
        match = _DOTTED.match(text)
        if match:
            day, month, year, *clock = match.groups()
            return _build(int(year), int(month), int(day), _clock(*clock))
        match = _SLASHED.match(text)
        if match and self._order is not None:
            first, second, year, *clock = match.groups()
            day, month = (first, second) if self._order == "dmy" else (second, first)
            return _build(int(year), int(month), int(day), _clock(*clock))
        raise DateFormatError("not a date legrules can read")

    @staticmethod
    def _month(name: str) -> int:
        number = _MONTHS.get(name)
        if number is None:
            raise DateFormatError(f"{name!r} is not an English month name")
        return number
