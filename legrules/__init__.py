"""legrules: explainable leg-training recommendations from a questionnaire.

The supported API is exactly ``__all__``; everything else may change between releases.
Names are imported on first use (PEP 562), so ``import legrules`` and ``legrules --help``
do not pay for pydantic models and the rule engine until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from legrules._version import __version__

if TYPE_CHECKING:
    from legrules.api import Engine, assess
    from legrules.audit import AuditLog
    from legrules.errors import (
        AnswersError,
        EngineError,
        InputFileError,
        LegrulesError,
        Problem,
        RuleLoopError,
        RulePackError,
    )
    from legrules.pack.schema import rule_file_json_schema
    from legrules.run.answers import Answers, load_answers_file, validate_answers
    from legrules.run.assessment import Assessment, Recommendation
    from legrules.run.loader import load_pack
    from legrules.traininglog import TrainingLog, read_log

_LAZY = {
    "Answers": "legrules.run.answers",
    "load_answers_file": "legrules.run.answers",
    "validate_answers": "legrules.run.answers",
    "Engine": "legrules.api",
    "assess": "legrules.api",
    "Assessment": "legrules.run.assessment",
    "Recommendation": "legrules.run.assessment",
    "AuditLog": "legrules.audit",
    "AnswersError": "legrules.errors",
    "EngineError": "legrules.errors",
    "InputFileError": "legrules.errors",
    "LegrulesError": "legrules.errors",
    "Problem": "legrules.errors",
    "RuleLoopError": "legrules.errors",
    "RulePackError": "legrules.errors",
    "load_pack": "legrules.run.loader",
    "rule_file_json_schema": "legrules.pack.schema",
    "TrainingLog": "legrules.traininglog",
    "read_log": "legrules.traininglog",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'legrules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Answers",
    "AnswersError",
    "Assessment",
    "AuditLog",
    "Engine",
    "EngineError",
    "InputFileError",
    "LegrulesError",
    "Problem",
    "Recommendation",
    "RuleLoopError",
    "RulePackError",
    "TrainingLog",
    "__version__",
    "assess",
    "load_answers_file",
    "load_pack",
    "read_log",
    "rule_file_json_schema",
    "validate_answers",
]
