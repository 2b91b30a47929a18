"""legrules: explainable leg-training recommendations from a questionnaire.

The supported API is exactly ``__all__``; everything else may change between releases.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("legrules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree, not installed
    __version__ = "0.0.0+unknown"

from legrules.answers import Answers, load_answers_file, validate_answers
from legrules.api import Engine, assess
from legrules.assessment import Assessment, Recommendation
from legrules.errors import (
    AnswersError,
    EngineError,
    InputFileError,
    LegrulesError,
    Problem,
    RuleLoopError,
    RulePackError,
)
from legrules.loader import load_pack
from legrules.ruleschema import rule_file_json_schema

__all__ = [
    "Answers",
    "AnswersError",
    "Assessment",
    "Engine",
    "EngineError",
    "InputFileError",
    "LegrulesError",
    "Problem",
    "Recommendation",
    "RuleLoopError",
    "RulePackError",
    "__version__",
    "assess",
    "load_answers_file",
    "load_pack",
    "rule_file_json_schema",
    "validate_answers",
]
