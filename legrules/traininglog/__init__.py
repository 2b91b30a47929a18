"""Training history from the lifter's own log: read Strong, Hevy, FitNotes or legrules
CSV/JSON exports, and measure what the questionnaire otherwise asks (stalls, volume per
muscle, heavy sessions, left/right differences), each answer with its evidence.

Typical use::

    log = read_log("strong-export.csv")
    facts = derive_answers(log)          # answers over the default pack's question ids
    facts.values()                       # {"heavy_sessions": "every_session", ...}
    facts.get("strength_stalled").evidence.sentence
"""

from __future__ import annotations

from legrules.traininglog.analysis import Evidence, LogAnalysis, analyse
from legrules.traininglog.derive import DerivedAnswer, DerivedFacts, NotDerived, derive_answers
from legrules.traininglog.model import LoggedSet, SkippedRow, TrainingLog, TrainingLogError
from legrules.traininglog.packfiles import (
    ExerciseTable,
    LogSettings,
    load_exercise_table,
    load_settings,
)
from legrules.traininglog.readers import parse_log, read_log

__all__ = [
    "DerivedAnswer",
    "DerivedFacts",
    "Evidence",
    "ExerciseTable",
    "LogAnalysis",
    "LogSettings",
    "LoggedSet",
    "NotDerived",
    "SkippedRow",
    "TrainingLog",
    "TrainingLogError",
    "analyse",
    "derive_answers",
    "load_exercise_table",
    "load_settings",
    "parse_log",
    "read_log",
]
