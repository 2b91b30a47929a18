"""The two rule-pack files the training-log reader uses: ``exercise-names.yaml`` (which
lift an app's exercise name is) and ``training-log.yaml`` (thresholds, each labelled
with where its number comes from).

They live in the pack rather than in code so a coach can add the spelling their app
uses, or change a threshold, without touching Python; and they are read here, apart
from the rule loader, because the engine does not need them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, StrictBool, ValidationError

from legrules.errors import InputFileError, Problem, RulePackError, closest
from legrules.pack.problems import validation_problems
from legrules.pack.yamlio import LineMap, parse_yaml, read_text
from legrules.paths import pack_dir
from legrules.strict import StrictModel, empty_dict, empty_list

NAMES_FILE = "exercise-names.yaml"
SETTINGS_FILE = "training-log.yaml"
OWN_CHOICE = "legrules' own choice: the article gives no number"

Muscle = Literal["quads", "hamstrings", "glutes"]
MUSCLES: tuple[Muscle, ...] = ("quads", "hamstrings", "glutes")
M = TypeVar("M", bound=BaseModel)


def normal_name(name: str) -> str:
    """How names are compared: case and runs of spaces do not matter, nothing else is
    forgiven (a near miss is reported, with a suggestion, never taken)."""
    return " ".join(name.split()).casefold()


class Lift(StrictModel):
    lift: str = Field(min_length=1)
    kind: str | None = Field(pattern=r"^[a-z][a-z0-9_]*$")
    primary: list[Muscle] = Field(min_length=1)
    secondary: list[Muscle] = Field(default_factory=empty_list)
    compound: StrictBool = False
    unilateral: StrictBool = False
    hamstrings: Literal["hinge", "curl"] | None = None
    names: list[str] = Field(default_factory=empty_list)


class _TableFile(StrictModel):
    lifts: list[Lift] = Field(min_length=1)
    ignored: dict[str, list[str]] = Field(default_factory=empty_dict)


class ExerciseTable:
    """Name -> lift, from the pack's exercise-names.yaml."""

    def __init__(self, lifts: list[Lift], ignored: Mapping[str, list[str]]) -> None:
        self.lifts = tuple(lifts)
        self._lifts = {normal_name(n): lift for lift in lifts for n in (lift.lift, *lift.names)}
        self._ignored = {normal_name(n): group for group, names in ignored.items() for n in names}

    def lift(self, name: str) -> Lift | None:
        return self._lifts.get(normal_name(name))

    def ignored(self, name: str) -> str | None:
        """Why a known name is not analysed (``not_leg``, ``calves``, ...), or None."""
        return self._ignored.get(normal_name(name))

    def suggestion(self, name: str) -> str | None:
        """The listed lift an unknown name most resembles, for the report only."""
        match = closest(normal_name(name), self._lifts, cutoff=0.75)
        return None if match is None else self._lifts[match].lift


class Setting(StrictModel):
    value: float | int
    source: str = Field(min_length=1)
    why: str | None = None


class LogSettings(StrictModel):
    """Thresholds of the log analysis. Each default is legrules' own choice (the article
    gives no numbers); ``sources`` says where each value in use comes from."""

    e1rm_max_reps: int = Field(default=10, ge=1, le=30)
    stall_weeks: int = Field(default=4, ge=1, le=52)
    stall_tolerance: float = Field(default=0.01, ge=0, le=0.5)
    heavy_max_reps: int = Field(default=5, ge=1, le=30)
    heavy_percent_e1rm: float = Field(default=0.85, gt=0, le=1)
    current_weeks: int = Field(default=8, ge=1, le=104)
    regular_weeks: int = Field(default=2, ge=1, le=104)
    occasional_share: float = Field(default=0.5, ge=0, le=1)
    side_difference: float = Field(default=0.10, ge=0, le=1)
    sources: dict[str, str] = Field(default_factory=empty_dict)

    def source(self, name: str) -> str:
        return self.sources.get(name, OWN_CHOICE)


def _read(path: Path) -> tuple[Any, LineMap]:
    try:
        return parse_yaml(read_text(path), str(path))
    except InputFileError as error:
        raise RulePackError([Problem(location=error.where, message=error.reason)]) from None


def _validate(model: type[M], data: Any, path: Path, lines: LineMap) -> M:
    if not isinstance(data, dict):
        raise RulePackError([Problem(location=str(path), message="expected a YAML mapping")])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RulePackError(validation_problems(error, data, str(path), lines)) from None


def load_exercise_table(pack: str | Path | None = None) -> ExerciseTable:
    """The pack's exercise-names.yaml (the default pack's when none is named)."""
    path = pack_dir(pack) / NAMES_FILE
    data, lines = _read(path)
    table = _validate(_TableFile, data, path, lines)
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for index, lift in enumerate(table.lifts):
        for name in (lift.lift, *lift.names):
            key = normal_name(name)
            if key in seen and seen[key] != lift.lift:
                line = lines.line(("lifts", index))
                problems.append(
                    Problem(
                        location=f"{path}:{line}",
                        message=f"{name!r} names two lifts: {seen[key]!r} and {lift.lift!r}",
                    )
                )
            seen[key] = lift.lift
    for group, names in table.ignored.items():
        for index, name in enumerate(names):
            if normal_name(name) in seen:
                line = lines.line(("ignored", group, index))
                problems.append(
                    Problem(
                        location=f"{path}:{line}",
                        message=f"{name!r} is both a lift and ignored ({group})",
                    )
                )
    if problems:
        raise RulePackError(problems)
    return ExerciseTable(table.lifts, table.ignored)


def load_settings(pack: str | Path | None = None) -> LogSettings:
    """The pack's training-log.yaml, or the labelled defaults when the pack has none."""
    path = pack_dir(pack) / SETTINGS_FILE
    if not path.is_file():
        return LogSettings()
    data, lines = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise RulePackError([Problem(location=str(path), message="expected 'settings:'")])
    known = set(LogSettings.model_fields) - {"sources"}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for name, entry in data["settings"].items():
        where = f"{path}:{lines.line(('settings', name))}"
        if name not in known:
            problems.append(
                Problem(
                    location=where,
                    message=f"unknown setting {name!r}",
                    allowed=", ".join(sorted(known)),
                    suggestion=closest(str(name), known),
                )
            )
            continue
        try:
            setting = Setting.model_validate(entry)
        except ValidationError as error:
            problems.extend(
                validation_problems(error, entry, str(path), lines, at=("settings", name))
            )
            continue
        values[name] = setting.value
        sources[name] = setting.source
    if problems:
        raise RulePackError(problems)
    try:
        return LogSettings(**values, sources=sources)
    except ValidationError as error:
        raise RulePackError(
            validation_problems(error, data["settings"], str(path), lines, at=("settings",))
        ) from None
