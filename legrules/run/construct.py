"""Building an output model from data legrules made itself, without validating it again.

Every value of an Assessment is made by legrules from a validated pack and validated
answers, already shaped and typed as its models say; validating it again in strict mode
only confirms that, and was the largest single cost of an assessment (about a fifth of
it, and more than durable's C engine). So the output is built the way pydantic's
``model_construct`` builds a model, but planned once per model class (which fields hold
nested models) rather than re-deciding per field per object, which made
``model_construct`` slower than validating.

What stands in for the validation is tests/test_fast_output.py: on the persona goldens
and 400 varied documents the constructed Assessment serialises byte for byte as the
validated one does, and validating the constructed data accepts it unchanged. A field
another part of legrules adds to an output model is planned here by its annotation like
any other; a shape this module does not know (anything but a model, an optional model,
a list of models, or plain data) is validated with pydantic for that field alone.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

M = TypeVar("M", bound=BaseModel)
Convert = Callable[[Any], Any] | None
_set = object.__setattr__
_PLANS: dict[type[BaseModel], list[tuple[str, Convert, Any]]] = {}
_REQUIRED = object()


def construct(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` holding ``data`` (a mapping by field name, nested models as mappings or
    instances), with defaults filled in for fields ``data`` leaves out."""
    plan = _PLANS.get(model) or _plan(model)
    values: dict[str, Any] = {}
    for name, convert, default in plan:
        if name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
        elif default is _REQUIRED:
            raise KeyError(f"{model.__name__}.{name} is required")
        else:
            values[name] = default() if callable(default) else default
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", {name for name in values if name in data})
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def _plan(model: type[BaseModel]) -> list[tuple[str, Convert, Any]]:
    """Per field: how to turn its value into the field's type, and its default."""
    if model.__private_attributes__ or model.__pydantic_post_init__:  # pragma: no cover
        raise TypeError(f"{model.__name__} has private attributes or a post-init hook")
    plan: list[tuple[str, Convert, Any]] = []
    for name, field in model.model_fields.items():
        if field.is_required():
            default: Any = _REQUIRED
        elif field.default_factory is not None:
            default = field.default_factory
        else:
            default = field.default
            if callable(default):  # pragma: no cover - no output model has one
                raise TypeError(f"{model.__name__}.{name} has a callable default")
        plan.append((name, _converter(field.annotation), default))
    _PLANS[model] = plan
    return plan


def _converter(annotation: Any) -> Convert:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _nested(annotation)
    if origin in (typing.Union, types.UnionType):
        present = [arg for arg in args if arg is not type(None)]
        if len(present) == 1 and len(args) == 2:
            return _converter(present[0])  # None is passed through before converting
    if origin is list and len(args) == 1:
        item = _converter(args[0])
        if item is None:
            return None
        return lambda value: [item(v) for v in value]
    if _plain(annotation):
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return adapter.validate_python


def _nested(model: type[BaseModel]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return value if isinstance(value, model) else construct(model, value)

    return convert


def _plain(annotation: Any) -> bool:
    """Whether the type holds no model anywhere (str, int, literals, lists and dicts
    of those): such a value is kept as legrules made it."""
    if annotation in (str, int, bool, float, type(None), Any):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return True
    if origin is typing.Annotated:
        return _plain(args[0])
    if origin in (list, dict, tuple, typing.Union, types.UnionType):
        return all(_plain(arg) for arg in args if arg is not Ellipsis)
    return False
