"""The library's promise (README, "Library API"): every public function that takes a
path takes it as ``str`` or ``os.PathLike``, and every error bad input can cause is a
``LegrulesError`` with ``.problems``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import legrules
from legrules import Engine, InputFileError, LegrulesError, Problem
from legrules.audit import AuditLog

# each public parameter that takes a path -> how to call its owner with a str path
Call = Callable[[str, Engine], object]

PATH_PARAMETERS: dict[str, Call] = {
    "load_answers_file.path": lambda path, engine: legrules.load_answers_file(
        path, engine.questionnaire
    ),
    "load_pack.root": lambda path, engine: legrules.load_pack(path),
    "Engine.rules": lambda path, engine: Engine(path),
    "Engine.audit_log": lambda path, engine: Engine(engine.compiled, audit_log=path),
    "assess.rules": lambda path, engine: legrules.assess({}, rules=path),
    "AuditLog.path": lambda path, engine: AuditLog(path, readonly=True),
    "read_log.path_or_text": lambda path, engine: legrules.read_log(path),
}


def _path_parameters() -> set[str]:
    """Every parameter of a public callable whose annotation mentions a path."""
    found: set[str] = set()
    for name in legrules.__all__:
        owner = getattr(legrules, name)
        if not callable(owner) or (isinstance(owner, type) and issubclass(owner, Exception)):
            continue
        for parameter in inspect.signature(owner).parameters.values():
            if "Path" in str(parameter.annotation):
                found.add(f"{name}.{parameter.name}")
    return found


def test_every_path_parameter_is_listed_here() -> None:
    """A new public path parameter must join PATH_PARAMETERS, so it is tested below."""
    assert _path_parameters() == set(PATH_PARAMETERS)


@pytest.mark.parametrize("qualified", sorted(PATH_PARAMETERS))
def test_path_parameters_accept_str_and_pathlike(qualified: str) -> None:
    owner_name, parameter = qualified.split(".")
    annotation = str(inspect.signature(getattr(legrules, owner_name)).parameters[parameter])
    assert "str" in annotation
    assert "os.PathLike[str]" in annotation


def _bad_paths(tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not text, not a pack, not SQLite")
    return {
        "missing": tmp_path / "no-such-file",
        "directory": directory,
        "garbage": garbage,
        "in-missing-directory": tmp_path / "no-such-dir" / "file",
    }


# a log that does not exist yet is created (a directory: the test after this one)
_CREATED = {("Engine.audit_log", "missing"), ("Engine.audit_log", "directory")}
BAD_CALLS = [
    (qualified, kind)
    for qualified in sorted(PATH_PARAMETERS)
    for kind in ("missing", "directory", "garbage", "in-missing-directory")
    if (qualified, kind) not in _CREATED
]


@pytest.mark.parametrize(("qualified", "kind"), BAD_CALLS)
def test_bad_str_paths_raise_legrules_errors_with_problems(
    qualified: str, kind: str, tmp_path: Path, engine: Engine
) -> None:
    path = str(_bad_paths(tmp_path)[kind])
    with pytest.raises(LegrulesError) as caught:
        PATH_PARAMETERS[qualified](path, engine)
    error = caught.value
    assert error.problems
    assert all(isinstance(problem, Problem) for problem in error.problems)
    assert any(path in problem.render() for problem in error.problems) or path in str(error)


def test_an_audit_log_that_is_a_directory_is_refused(tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(LegrulesError) as caught:
        Engine(engine.compiled, audit_log=str(tmp_path))
    assert caught.value.problems[0].location == str(tmp_path)


def test_load_answers_file_takes_a_str(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("age: 34\n", encoding="utf-8")
    assert legrules.load_answers_file(str(path), engine.questionnaire)["age"] == 34


def test_the_base_error_and_input_file_error_have_problems() -> None:
    assert LegrulesError("something broke").problems == (
        Problem(location="(general)", message="something broke"),
    )
    error = InputFileError("answers.yaml:3", "not valid YAML")
    assert error.problems == (Problem(location="answers.yaml:3", message="not valid YAML"),)
    assert str(error) == "answers.yaml:3: not valid YAML"


def _all_subclasses(cls: type[LegrulesError]) -> set[type[LegrulesError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_error_class_sets_problems_in_its_constructor() -> None:
    """No subclass may skip the base constructor (and so lose ``problems``): each is
    built with the arguments its own signature asks for."""

    samples: dict[str, Any] = {
        "problems": [Problem(location="x", message="bad")],
        "source": "file.yaml",
        "where": "file.yaml:1",
        "reason": "bad",
        "path": "log.db",
        "rules": ["a", "b"],
        "budget": 3,
        "kind": "rule",
        "given": "nope",
        "known": ["yes"],
        "message": "bad",
        "status": 400,
    }
    for cls in _all_subclasses(LegrulesError):
        parameters = inspect.signature(cls).parameters
        arguments = {
            name: samples[name]
            for name, parameter in parameters.items()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind
            not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        error = cls(**arguments)
        assert error.problems, cls.__name__
