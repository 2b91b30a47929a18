"""A process's first ``Assessment.to_json()`` is written from the plain data, without
building pydantic's serializer (legrules.run.construct.to_json); it must be the text the
serializer writes, byte for byte, on every kind of output legrules makes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.documents import varied_documents
from legrules import Engine, load_answers_file, read_log
from legrules.run.assessment import Assessment, Plan, TrainingLogUse
from legrules.run.construct import _dumpable, construct, plain_json
from tests.conftest import EXAMPLES

PERSONAS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".json", ".yaml"})


def _same(result: Assessment) -> None:
    assert plain_json(result, indent=2) == result.model_dump_json(indent=2)
    assert plain_json(result, indent=None) == result.model_dump_json()


def test_varied_documents(engine: Engine) -> None:
    for document in varied_documents(engine.pack, 400):
        _same(engine.assess(document))


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.name)
def test_personas(engine: Engine, path: Path) -> None:
    _same(engine.assess(load_answers_file(path, engine.questionnaire)))


def test_with_a_training_log(engine: Engine) -> None:
    """The log's evidence holds weights (``float``): a whole number is written 100.0."""
    result = engine.assess(
        {"squat_felt_most": "glutes"}, log=read_log(EXAMPLES / "logs" / "stalled-squat.csv")
    )
    assert result.training_log is not None
    _same(result)
    evidence = result.model_copy(update={"training_log": _with_int_weight(result.training_log)})
    assert '"weight_kg": 100.0' in plain_json(evidence, indent=2)
    assert '"e1rm": 100,' in plain_json(evidence, indent=2)  # float | int keeps an int
    _same(evidence)


def _with_int_weight(use: TrainingLogUse) -> TrainingLogUse:
    """The log's data with evidence citing a set whose weight is a whole number, an int
    in a float field (as legrules could make it)."""
    data = use.model_dump()
    data["measured"] = [
        {
            "question": "squat_felt_most",
            "value": "glutes",
            "evidence": {
                "sentence": "a set",
                "sets": [
                    {
                        "log": 0,
                        "line": 2,
                        "date": "2024-03-17",
                        "exercise": "Squat",
                        "weight_kg": 100,
                        "reps": 5,
                    },
                    {
                        "log": 0,
                        "line": 3,
                        "date": "2024-03-17",
                        "exercise": "Squat",
                        "weight_kg": 102.5,
                        "reps": 5,
                        "side": "left",
                    },
                    {
                        "log": 0,
                        "line": 4,
                        "date": "2024-03-17",
                        "exercise": "Squat",
                        "weight_kg": None,
                        "reps": 5,
                    },
                ],
                "numbers": {"e1rm": 100, "ratio": 0.5, "note": "x", "none": None},
            },
        }
    ]
    return construct(TrainingLogUse, data)


def test_a_model_the_plain_dump_cannot_reproduce_uses_the_serializer() -> None:
    from pydantic import field_serializer

    from legrules.strict import StrictModel

    class Shown(StrictModel):
        weight: float

        @field_serializer("weight")
        def _rounded(self, value: float) -> str:
            return f"{value:.1f} kg"

    class Bare(StrictModel):
        weights: list[float]

    assert _dumpable(Assessment)
    assert _dumpable(Plan)
    assert not _dumpable(Shown)
    assert not _dumpable(Bare)  # an int in a list of floats would be written as 1


def test_a_one_shot_process_does_not_build_the_serializer() -> None:
    """The first to_json of a process writes the same text as the serializer, which is
    built only for the second."""
    script = (
        "import json\nfrom legrules import Engine\n"
        "from legrules.run.assessment import Assessment\n"
        f"answers = json.load(open({str(EXAMPLES / 'glute-dominant.json')!r}))\n"
        "result = Engine().assess(answers)\n"
        "first = result.to_json()\n"
        "print(Assessment.__pydantic_complete__)\n"
        "second = result.to_json()\n"
        "print(Assessment.__pydantic_complete__, first == second)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]
