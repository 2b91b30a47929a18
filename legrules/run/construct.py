"""Building an output model from data legrules made itself, without validating it again.

Every value of an Assessment is made by legrules from a validated pack and validated
answers, already shaped and typed as its models say; validating it again in strict mode
only confirms that, at about 1.4 µs per object, some seventy objects per assessment.
pydantic's ``model_construct`` skips the checks but is slower still (it re-decides per
field per object what to do), so each model class gets a builder generated once from
its fields: one function that makes the instance, its ``__dict__`` in field order,
nested models built by their own builders, defaults filled in, as ``model_construct``
would leave it.

What stands in for the validation is tests/test_fast_output.py: on the persona goldens
and 400 varied documents the constructed Assessment serialises byte for byte as the
validated one did, and validating its JSON accepts it unchanged. A field another part of
legrules adds to an output model is planned here by its annotation like any other; a
shape this module does not know (anything but a model, an optional model, a list of
models, or plain data) is validated with pydantic for that field alone.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

M = TypeVar("M", bound=BaseModel)
Builder = Callable[[Mapping[str, Any]], Any]
_BUILDERS: dict[type[BaseModel], Builder] = {}
_MAKERS: dict[type[BaseModel], Callable[..., Any]] = {}


def construct(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` holding ``data`` (a mapping by field name, nested models as mappings or
    instances), with defaults filled in for fields ``data`` leaves out. A required
    field missing from ``data`` is a KeyError: a bug in legrules, not in its input."""
    built: M = (_BUILDERS.get(model) or builder(model))(data)
    return built


def builder(model: type[BaseModel]) -> Builder:
    """The generated builder of ``model`` (made on first use, then kept)."""
    found = _BUILDERS.get(model)
    if found is not None:
        return found
    if model.__private_attributes__ or model.__pydantic_post_init__:  # pragma: no cover
        raise TypeError(f"{model.__name__} has private attributes or a post-init hook")
    namespace: dict[str, Any] = {"new": object.__new__, "M": model, **_setters(model)}
    entries = []
    for index, (name, field) in enumerate(model.model_fields.items()):
        value = f"d[{name!r}]"
        convert = _converter(field.annotation, namespace, f"c{index}")
        if convert is not None:
            value = f"{convert}({value})"
        if not field.is_required():
            if field.default_factory is not None:
                namespace[f"f{index}"] = field.default_factory
                fallback = f"f{index}()"
            else:
                namespace[f"f{index}"] = field.default
                fallback = f"f{index}"
            value = f"({value} if {name!r} in d else {fallback})"
        entries.append(f"{name!r}: {value}")
    source = (
        "def build(d):\n"
        "    m = new(M)\n"
        f"    put_dict(m, {{{', '.join(entries)}}})\n"
        "    put_fields_set(m, set(d))\n"
        "    put_extra(m, None)\n"
        "    put_private(m, None)\n"
        "    return m\n"
    )
    # the source is made above from the model's own field names and nothing else
    exec(source, namespace)
    made: Builder = namespace["build"]
    _BUILDERS[model] = made
    return made


def maker(model: type[M]) -> Callable[..., M]:
    """A function making ``model`` from all its field values, given positionally in
    field order and already of their fields' types (nested models built), as the
    builder would leave it with every field given.

    For what an assessment makes per rule firing (a thousand and more at 4,000 rules):
    a builder reads a mapping someone first had to assemble, looks up each key in it and
    checks each nested value's class; here the caller hands over the values it has.

    Every instance a maker makes shares one fields-set (all the fields): the models are
    frozen, and pydantic changes a fields-set in place only when a field is assigned,
    which a frozen model refuses (``model_copy`` copies it before adding to it). A set
    per instance, four per firing, was a tenth of a large pack's assessment beyond
    matching, most of it the garbage collector walking them (tests/test_fast_output.py
    holds a model copy to leaving the shared set alone).
    """
    found = _MAKERS.get(model)
    if found is not None:
        return found
    if not model.model_config.get("frozen"):  # pragma: no cover - every output model is
        raise TypeError(f"{model.__name__} is not frozen: its fields-set cannot be shared")
    builder(model)  # the same checks, and the nested models' builders planned
    names = list(model.model_fields)
    params = [f"a{index}" for index in range(len(names))]
    source = (
        f"def make({', '.join(params)}):\n"
        "    m = new(M)\n"
        f"    put_dict(m, {{{', '.join(f'{n!r}: {p}' for n, p in zip(names, params))}}})\n"
        "    put_fields_set(m, ALL)\n"
        "    put_extra(m, None)\n"
        "    put_private(m, None)\n"
        "    return m\n"
    )
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "M": model,
        "ALL": set(names),
        **_setters(model),
    }
    # as in builder: the source is made from the model's own field names only
    exec(source, namespace)
    made: Callable[..., M] = namespace["make"]
    _MAKERS[model] = made
    return made


def _setters(model: type[BaseModel]) -> dict[str, Callable[[Any, Any], None]]:
    """The setters of a model instance's four slots, each its descriptor's ``__set__``,
    named as the generated functions call them. ``object.__setattr__`` looks the
    descriptor up on every call, which was a third of making a small model (0.77 ->
    0.55 us for a TraceAsserted, timeit); pydantic's own ``__setattr__`` would refuse
    (the models are frozen)."""

    def setter(slot: str) -> Callable[[Any, Any], None]:
        owner = next(klass for klass in model.__mro__ if slot in vars(klass))
        found: Callable[[Any, Any], None] = vars(owner)[slot].__set__
        return found

    return {
        "put_dict": setter("__dict__"),
        "put_fields_set": setter("__pydantic_fields_set__"),
        "put_extra": setter("__pydantic_extra__"),
        "put_private": setter("__pydantic_private__"),
    }


def _converter(annotation: Any, namespace: dict[str, Any], name: str) -> str | None:
    """The name of a function (put in ``namespace``) turning a value into the field's
    type, or None when the value is kept as made."""
    function = _convert(annotation)
    if function is None:
        return None
    namespace[name] = function
    return name


def _convert(annotation: Any) -> Callable[[Any], Any] | None:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _nested(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
        inner = _convert(next(arg for arg in args if arg is not type(None)))
        if inner is None:
            return None
        return lambda value: None if value is None else inner(value)
    if origin is list and len(args) == 1:
        of = args[0]
        if isinstance(of, type) and issubclass(of, BaseModel):
            return _nested_list(of)
        item = _convert(of)
        if item is None:
            return None
        return lambda value: [item(v) for v in value]
    if _plain(annotation):
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return adapter.validate_python


def _nested(model: type[BaseModel]) -> Callable[[Any], Any]:
    build = builder(model)

    def convert(value: Any) -> Any:
        return value if value.__class__ is model else build(value)

    return convert


def _nested_list(model: type[BaseModel]) -> Callable[[Any], Any]:
    """A list of ``model``: :func:`_nested` per item, in line (a large pack's trace and
    reasons are lists of over a thousand models, most made already)."""
    build = builder(model)

    def convert(value: Any) -> Any:
        return [v if v.__class__ is model else build(v) for v in value]

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
