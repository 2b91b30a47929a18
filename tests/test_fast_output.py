"""The Assessment is built without validating legrules' own output again
(:mod:`legrules.run.construct`); these tests are what stands in for that validation.

* Byte identity with the code before the change: each output on 400 varied documents
  (the shipped examples and seeded random ones, the benchmarks' documents) hashes as
  the reference in tests/data/fast_output_reference.json, made by the validating code;
  the persona goldens match byte for byte.
* Validity: validating each constructed output's JSON accepts it and gives the same
  JSON back, so what is built is exactly what the strict models admit.

A change of output that is meant (new rules, a new field) regenerates the reference
with ``python -m pytest tests/test_fast_output.py --update-goldens``, like the goldens.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, ValidationError

from benchmarks.documents import varied_documents
from legrules import Engine, load_answers_file
from legrules.run.assessment import Assessment, Firing, Plan, TraceAsserted, TraceMatch
from legrules.run.construct import construct, maker
from legrules.strict import StrictModel
from tests.conftest import EXAMPLES

REFERENCE = Path(__file__).parent / "data" / "fast_output_reference.json"
BLANK = {"assessment_id": "<varies>", "created_at": "<varies>"}


def _blanked(result: Assessment) -> str:
    return result.model_copy(update=BLANK).to_json()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _schema() -> str:
    schema = json.dumps(Assessment.model_json_schema(), sort_keys=True)
    return _digest(schema)


@pytest.fixture(scope="module")
def outputs(engine: Engine) -> list[Assessment]:
    return [engine.assess(document) for document in varied_documents(engine.pack, 400)]


def test_outputs_are_the_reference_byte_for_byte(
    engine: Engine, outputs: list[Assessment], update_goldens: bool
) -> None:
    digests = [_digest(_blanked(result)) for result in outputs]
    if update_goldens:
        reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
        reference.update(fingerprint=engine.fingerprint, schema=_schema(), digests=digests)
        REFERENCE.write_text(json.dumps(reference, indent=1) + "\n", encoding="utf-8")
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    made_for = (reference["fingerprint"], reference["schema"])
    assert made_for == (engine.fingerprint, _schema()), (
        "the rules or the Assessment model changed since the reference was made: "
        "regenerate it with --update-goldens if the new output is intended"
    )
    differ = [i for i, (a, b) in enumerate(zip(digests, reference["digests"])) if a != b]
    assert len(digests) == len(reference["digests"]) == 400
    assert not differ, f"documents {differ[:10]} give other output than the reference"


PERSONAS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".json", ".yaml"})


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.name)
def test_personas_byte_for_byte(engine: Engine, path: Path) -> None:
    result = engine.assess(load_answers_file(path, engine.questionnaire))
    golden = (EXAMPLES / "expected" / f"{path.stem}.json").read_text(encoding="utf-8")
    assert _blanked(result) + "\n" == golden


def test_constructed_output_is_what_validation_gives(outputs: list[Assessment]) -> None:
    for result in outputs:
        text = result.to_json()
        assert Assessment.model_validate_json(text).to_json() == text
        assert Assessment.model_validate(result.model_dump()) == result


def test_construct_fills_defaults_and_refuses_missing_fields() -> None:
    data: dict[str, Any] = {"days": [{"id": "d", "title": "t", "focus": "f", "items": []}]}
    plan = construct(Plan, data)
    assert plan == Plan.model_validate(data)
    assert plan.days[0].notes == []
    assert plan.notes == []
    assert plan.schedule is None
    with pytest.raises(KeyError, match="days"):
        construct(Plan, {})


class _Leaf(StrictModel):
    name: str


class _Shapes(StrictModel):
    maybe: _Leaf | None = None
    leaves: list[_Leaf] = Field(default_factory=list)
    optional_leaves: list[_Leaf | None] = Field(default_factory=list)
    nested: list[list[_Leaf]] = Field(default_factory=list)
    # a shape the builder does not know: validated
    by_name: dict[str, _Leaf] = Field(default_factory=dict)


def test_construct_builds_every_nesting_of_models_as_validation_does() -> None:
    """Each shape the generated builders convert in line (an optional model, lists of
    models, of optional models, of lists of models), an instance kept as it is, and the
    validated fallback, against pydantic's own validation of the same data."""
    kept = _Leaf(name="kept")
    data: dict[str, Any] = {
        "maybe": {"name": "m"},
        "leaves": [{"name": "a"}, kept],
        "optional_leaves": [None, {"name": "b"}],
        "nested": [[{"name": "c"}], []],
        "by_name": {"x": {"name": "d"}},
    }
    built = construct(_Shapes, data)
    assert built == _Shapes.model_validate(data)
    assert built.leaves[1] is kept
    assert isinstance(built.by_name["x"], _Leaf)
    assert construct(_Shapes, {"maybe": None}) == _Shapes()


def test_maker_gives_what_validation_gives() -> None:
    """The trace's models are made positionally (one call per firing): the same
    instance, fields set and empty extra/private slots as validating the data."""
    data: dict[str, Any] = {
        "seq": 3,
        "rule": "r",
        "version": 2,
        "branch": "r#1",
        "matched": {"answers": {"age": 50, "equipment": ["bands"]}, "findings": ["f"]},
        "asserted": {"recommend": ["leg_curl"], "derive": [], "suppress": ["x"]},
    }
    made = maker(Firing)(
        3,
        "r",
        2,
        "r#1",
        maker(TraceMatch)({"age": 50, "equipment": ["bands"]}, ["f"]),
        maker(TraceAsserted)(["leg_curl"], [], ["x"]),
    )
    validated = Firing.model_validate(data)
    assert made == validated
    assert made.model_dump_json() == validated.model_dump_json()
    for ours, theirs in ((made, validated), (made.asserted, validated.asserted)):
        assert ours.model_fields_set == theirs.model_fields_set
        assert (ours.model_extra, ours.__pydantic_private__) == (None, None)
    assert maker(Firing) is maker(Firing)


def test_made_models_share_a_fields_set_nothing_changes() -> None:
    """The instances a maker makes share one fields-set; copying one with an update (the
    only way to change a frozen model's fields) leaves the others' alone, and assigning
    a field is refused."""
    make = maker(TraceAsserted)
    first, second = make(["a"], [], []), make(["b"], [], [])
    assert first.model_fields_set is second.model_fields_set
    everything = {"recommend", "derive", "suppress"}
    copied = first.model_copy(update={"suppress": ["c"]})
    assert copied.model_fields_set == everything
    assert copied.model_fields_set is not first.model_fields_set
    with pytest.raises(ValidationError):
        first.recommend = ["z"]
    assert second.model_fields_set == everything
