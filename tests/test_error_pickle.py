"""Every LegrulesError survives pickling, so one raised in a worker process reaches the
caller as itself (not as a BrokenProcessPool): multiprocessing, ProcessPoolExecutor, Dask
and Ray pickle what a worker raises."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import legrules
from legrules import Engine
from legrules.errors import AnswersError, LegrulesError, Problem

PROBLEM = Problem(location="age", message="not a number", given='"x"', allowed="0 to 120")

# the class that defines an __init__ -> how to build it (or any subclass that keeps it)
Factory = Callable[[Any], LegrulesError]  # Any: each takes its own class's arguments
FACTORIES: dict[str, Factory] = {
    "legrules.errors.LegrulesError": lambda cls: cls("something went wrong", location="here"),
    "legrules.errors.ProblemsError": lambda cls: cls([PROBLEM], source="answers.json"),
    "legrules.errors.UnknownIdError": lambda cls: cls(
        "rule", "kne-pain", ["knee-pain", "hip"], "legrules rules list"
    ),
    "legrules.errors.InputFileError": lambda cls: cls("answers.json:3", "not JSON"),
    "legrules.errors.RuleLoopError": lambda cls: cls(["a", "b"], 40),
    "legrules.output.OutputError": lambda cls: cls("out.txt", "is the input"),
    "legrules.audit.model.AuditLogError": lambda cls: cls("audit.jsonl", "line 3 is not JSON"),
    "legrules.traininglog.chart.PlotExtraMissing": lambda cls: cls(),
    "legrules.spark.frames.SparkExtraMissing": lambda cls: cls("reading Parquet needs pyarrow"),
    "legrules.serve.problems.HttpProblem": lambda cls: cls(413, "too large", [PROBLEM]),
}


def _subclasses(cls: type[LegrulesError]) -> Iterator[type[LegrulesError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _every_error_class() -> list[type[LegrulesError]]:
    """LegrulesError and every subclass anywhere in the package (all modules imported)."""
    for module in pkgutil.walk_packages(legrules.__path__, "legrules."):
        importlib.import_module(module.name)
    found: set[type[LegrulesError]] = {LegrulesError, *_subclasses(LegrulesError)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _build(cls: type[LegrulesError]) -> LegrulesError:
    owner = next(base for base in cls.__mro__ if "__init__" in base.__dict__)
    name = f"{owner.__module__}.{owner.__qualname__}"
    assert name in FACTORIES, f"add a factory for {name} (its own __init__) to this test"
    return FACTORIES[name](cls)


@pytest.mark.parametrize("cls", _every_error_class(), ids=lambda cls: cls.__qualname__)
def test_every_error_round_trips_through_pickle(cls: type[LegrulesError]) -> None:
    error = _build(cls)
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is cls
    assert str(restored) == str(error)
    assert restored.problems == error.problems
    assert restored.exit_code == error.exit_code
    assert vars(restored) == vars(error)


def test_the_walk_finds_the_errors_with_their_own_init() -> None:
    names = {cls.__qualname__ for cls in _every_error_class()}
    assert {"AnswersError", "InputFileError", "AuditLogError", "TrainingLogError"} <= names


@pytest.mark.slow
def test_an_error_in_a_worker_process_reaches_the_parent_as_itself(engine: Engine) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(engine.assess, {"age": "x"})
        with pytest.raises(AnswersError) as caught:
            future.result()
    assert any(problem.location == "age" for problem in caught.value.problems)
