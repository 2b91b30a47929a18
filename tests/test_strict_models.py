"""Every pydantic model legrules reads or writes is a StrictModel: closed, strict, frozen.

The models are found by walking the package, so a model added later with its own,
more lenient base is caught here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel, ValidationError

import legrules
from legrules.api import Engine
from legrules.run.answers import answers_model
from legrules.strict import StrictModel

# The audit record models read what older legrules versions stored: they forbid extra
# keys and are frozen, but validate leniently on purpose (audit.model owns that choice).
LENIENT_MODULES = {"legrules.audit.model"}


def _all_models() -> list[type[BaseModel]]:
    for info in pkgutil.walk_packages(legrules.__path__, "legrules."):
        if info.name != "legrules.__main__":
            importlib.import_module(info.name)
    found: list[type[BaseModel]] = []
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("legrules.") and model is not StrictModel:
            found.append(model)
    return found


MODELS = _all_models()


def test_the_walk_finds_the_models() -> None:
    names = {model.__name__ for model in MODELS}
    assert {"Question", "Rule", "FactLeaf", "Catalogue", "Assessment", "CaseFile"} <= names
    assert "Coverage" in names  # the answers model is built per questionnaire: below


@pytest.mark.parametrize(
    "model",
    [m for m in MODELS if m.__module__ not in LENIENT_MODULES],
    ids=lambda m: f"{m.__module__}.{m.__name__}",
)
def test_every_model_is_a_strict_model(model: type[BaseModel]) -> None:
    assert issubclass(model, StrictModel)
    config = model.model_config
    assert (config.get("extra"), config.get("strict"), config.get("frozen")) == (
        "forbid",
        True,
        True,
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_no_default_factory_is_a_builtin(model: type[BaseModel]) -> None:
    """pydantic reads each default factory's signature when it builds a validator or
    serializer; a builtin's (``list``, ``dict``) costs ~0.3 ms to parse, 3 ms of the
    first ``to_json()`` of a one-shot command: ``legrules.strict.empty_list`` and
    ``empty_dict`` make the same empty values."""
    builtins = {
        name: field.default_factory
        for name, field in model.model_fields.items()
        if isinstance(field.default_factory, type) or inspect.isbuiltin(field.default_factory)
    }
    assert builtins == {}


class _Probe(StrictModel):
    count: int
    name: str = "x"


def test_a_misspelt_key_is_an_error() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _Probe.model_validate({"count": 1, "nmae": "y"})


def test_a_number_in_a_string_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match="valid integer"):
        _Probe.model_validate({"count": "1"})


def test_a_loaded_model_cannot_be_changed() -> None:
    probe = _Probe(count=1)
    with pytest.raises(ValidationError, match="frozen"):
        probe.count = 2


def test_the_answers_document_model_is_strict_too(engine: Engine) -> None:
    model = answers_model(engine.questionnaire)
    assert issubclass(model, StrictModel)
    with pytest.raises(ValidationError):
        model.model_validate({"age": "34"})
