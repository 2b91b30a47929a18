"""Training history from the lifter's own log: read Strong, Hevy, FitNotes or legrules
CSV/JSON exports, and measure what the questionnaire otherwise asks (stalls, volume per
muscle, heavy sessions, left/right differences), each answer with its evidence."""

from __future__ import annotations

from legrules.traininglog.model import LoggedSet, SkippedRow, TrainingLog, TrainingLogError
from legrules.traininglog.packfiles import (
    ExerciseTable,
    LogSettings,
    load_exercise_table,
    load_settings,
)
from legrules.traininglog.readers import parse_log, read_log

__all__ = [
    "ExerciseTable",
    "LogSettings",
    "LoggedSet",
    "SkippedRow",
    "TrainingLog",
    "TrainingLogError",
    "load_exercise_table",
    "load_settings",
    "parse_log",
    "read_log",
]
