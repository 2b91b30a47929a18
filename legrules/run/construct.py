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

import itertools
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

M = TypeVar("M", bound=BaseModel)
Builder = Callable[[Mapping[str, Any]], Any]
_BUILDERS: dict[type[BaseModel], Builder] = {}
_MAKERS: dict[type[BaseModel], Callable[..., Any]] = {}


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    """The setter of one of BaseModel's slots, called directly: through
    ``object.__setattr__`` each set looked the slot up on the model's classes first,
    about 12% of building an object (0.98 instead of 1.12 us for a Reason, ``timeit``)."""
    descriptor = BaseModel.__dict__[name]
    setter: Callable[[Any, Any], None] = descriptor.__set__
    return setter


#: What every builder sets besides the fields, as ``model_construct`` leaves a model.
_SLOT_SETTERS = {
    "set_dict": _slot_setter("__dict__"),
    "set_fields_set": _slot_setter("__pydantic_fields_set__"),
    "set_extra": _slot_setter("__pydantic_extra__"),
    "set_private": _slot_setter("__pydantic_private__"),
}


def construct(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` holding ``data`` (a mapping by field name, nested models as mappings or
    instances), with defaults filled in for fields ``data`` leaves out. A required
    field missing from ``data`` is a KeyError: a bug in legrules, not in its input."""
    built: M = (_BUILDERS.get(model) or builder(model))(data)
    return built


def builder(model: type[BaseModel]) -> Builder:
    """The generated builder of ``model`` (made on first use, then kept).

    Nested values are converted by expressions written into the builder itself rather
    than by a function per field and per list item: an assessment converts about ninety
    values, and the calls were a tenth of building it."""
    found = _BUILDERS.get(model)
    if found is not None:
        return found
    if model.__private_attributes__ or model.__pydantic_post_init__:  # pragma: no cover
        raise TypeError(f"{model.__name__} has private attributes or a post-init hook")
    namespace: dict[str, Any] = {}
    names = (f"_{index}" for index in itertools.count())
    entries = []
    for index, (name, field) in enumerate(model.model_fields.items()):
        value = _expression(field.annotation, f"d[{name!r}]", namespace, names)
        if not field.is_required():
            if field.default_factory is not None:
                namespace[f"f{index}"] = field.default_factory
                fallback = f"f{index}()"
            else:
                namespace[f"f{index}"] = field.default
                fallback = f"f{index}"
            value = f"({value} if {name!r} in d else {fallback})"
        entries.append(f"{name!r}: {value}")
    made: Builder = _generated(model, "d", ", ".join(entries), "set(d)", namespace)
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
    entries = ", ".join(f"{n!r}: {p}" for n, p in zip(names, params))
    made: Callable[..., M] = _generated(
        model, ", ".join(params), entries, "ALL", {"ALL": set(names)}
    )
    _MAKERS[model] = made
    return made


def _generated(
    model: type[BaseModel],
    parameters: str,
    entries: str,
    fields_set: str,
    namespace: dict[str, Any],
) -> Callable[..., Any]:
    """Compile a function of ``parameters`` that leaves a new ``model`` as
    ``model_construct`` would: ``entries`` (source of the ``__dict__``'s items) and
    ``fields_set`` (source of its fields-set), with ``namespace`` holding what they name.
    The source is made from the model's own field names and names of the caller's own
    making (``_0``, ``a0``, ``ALL``, ...), and nothing else."""
    source = (
        f"def make({parameters}):\n"
        "    m = new(M)\n"
        f"    set_dict(m, {{{entries}}})\n"
        f"    set_fields_set(m, {fields_set})\n"
        "    set_extra(m, None)\n"
        "    set_private(m, None)\n"
        "    return m\n"
    )
    namespace.update({"new": object.__new__, "M": model, **_SLOT_SETTERS})
    exec(source, namespace)
    made: Callable[..., Any] = namespace["make"]
    return made


def _expression(
    annotation: Any, value: str, namespace: dict[str, Any], names: Iterator[str]
) -> str:
    """Source of an expression turning ``value`` (source too) into the field's type:
    ``value`` itself where it is kept as made; objects it needs are put in
    ``namespace`` under names taken from ``names``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        cls, build, item = next(names), next(names), next(names)
        namespace[cls] = annotation
        namespace[build] = builder(annotation)
        # a model instance is kept; a mapping is built (evaluated once, through item)
        return f"({item} if ({item} := {value}).__class__ is {cls} else {build}({item}))"
    if origin in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
        item = next(names)
        inner_type = next(arg for arg in args if arg is not type(None))
        inner = _expression(inner_type, item, namespace, names)
        if inner == item:
            return value
        return f"(None if ({item} := {value}) is None else {inner})"
    if origin is list and len(args) == 1:
        item = next(names)
        inner = _expression(args[0], item, namespace, names)
        if inner == item:
            return value
        return f"[{inner} for {item} in {value}]"
    if _plain(annotation):
        return value
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    validate = next(names)
    namespace[validate] = adapter.validate_python
    return f"{validate}({value})"


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
