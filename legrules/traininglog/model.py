"""What a training log is once read: sets in kilograms, with where each came from.

Every set is validated once, as it is built (with pydantic's validator directly: the
readers build 50,000 of them for a five-year log). The models are frozen so a log, once
read, can be shared and digested without anyone changing it under the analysis.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from legrules.errors import ProblemsError
from legrules.strict import StrictModel

LB_TO_KG = 0.45359237
"""The international avoirdupois pound, exactly (1959 agreement)."""

SetKind = Literal["working", "warmup", "drop", "failure"]
Side = Literal["left", "right"]
Unit = Literal["kg", "lb"]
LogFormat = Literal["strong", "hevy", "fitnotes", "legrules"]
FORMATS: tuple[str, ...] = ("strong", "hevy", "fitnotes", "legrules")


class TrainingLogError(ProblemsError):
    """A training log that cannot be read: every problem names the file, the line and
    the column, so the lifter can fix the export (or tell us which app wrote it)."""

    headline = "unreadable training log"


class LoggedSet(StrictModel):
    """One set as logged. ``weight_kg`` is None for a set without load (body weight);
    ``session`` groups the sets of one workout; ``line`` is where the set starts in the
    file (for JSON: the 1-based index of the set in its list)."""

    date: dt.date
    session: str
    exercise: str
    kind: SetKind
    set_number: int | None
    weight_kg: float | None
    reps: int
    rpe: float | None
    side: Side | None
    line: int


class SkippedRow(StrictModel):
    """A row deliberately left out, counted and reported (never silently dropped)."""

    line: int
    reason: str
    text: str


class TrainingLog(StrictModel):
    """A whole log: its sets sorted by date (then file order), and what was skipped.

    ``unit`` is the unit the log was kept in (weights are stored in kg either way; it is
    what reports show); ``digest`` is the SHA-256 of the file's bytes, so an assessment
    made from it can name exactly which log it read.
    """

    source: str
    format: LogFormat
    variant: str
    digest: str
    unit: Unit
    sets: tuple[LoggedSet, ...]
    skipped: tuple[SkippedRow, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def first_date(self) -> dt.date | None:
        return self.sets[0].date if self.sets else None

    @property
    def last_date(self) -> dt.date | None:
        return self.sets[-1].date if self.sets else None
