"""Pydantic validation errors as :class:`~legrules.errors.Problem` lines that name the file,
the line and the field, for every YAML file a pack holds (rules, rule tests, log settings).

One translation, so every pack file reports a wrong key or value the same way: pydantic's
union tags are dropped from the path (they are not in the YAML), an unknown key gets a
did-you-mean from the keys the caller knows, and a union's repeated complaint about one
place (one message per union arm) is listed once: the first arm's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from legrules.errors import MAX_LISTED, Problem, clip, closest
from legrules.pack.yamlio import LineMap

Location = Sequence[str | int]


def follow(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """Map a pydantic error location onto the raw document.

    Pydantic inserts union tags (``fact``, ``all``...) into locations; those segments are
    skipped when the raw data has no such key, so the line lookup lands on real YAML.
    """
    path: list[str | int] = []
    node = data
    for segment in loc:
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
            path.append(segment)
        elif isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
            node = node[segment]
            path.append(segment)
    return path


def validation_problems(
    error: ValidationError,
    data: Any,
    source: str,
    lines: LineMap,
    *,
    at: Location = (),
    known_keys: Sequence[str] = (),
    context: Callable[[Location], str | None] | None = None,
) -> list[Problem]:
    """One Problem per place and message: ``source:line field: message``.

    ``data`` is what was validated, found at ``at`` in the file (``()``: the whole file).
    ``context`` may name what the place belongs to (the loader says which rule), and
    ``known_keys`` are offered as the did-you-mean for an unknown key.
    """
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in error.errors(include_url=False):
        path = [*at, *follow(data, err["loc"])]
        line = lines.line(tuple(path))
        where = f"{source}:{line}" if line else source
        owner = context(path) if context is not None else None
        if owner:
            where += f" ({owner})"
        field = ".".join(str(p) for p in path) or "(file)"
        suggestion = None
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            message = f"unknown key {clip(repr(key))}"
            # a did-you-mean only for the problems a message lists (difflib is slow)
            if known_keys and len(problems) < MAX_LISTED:
                suggestion = closest(key, known_keys)
            field = ".".join(str(p) for p in path[:-1]) or "(file)"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if (where, field) in seen:
            continue
        seen.add((where, field))
        problems.append(
            Problem(location=f"{where} {field}", message=message, suggestion=suggestion)
        )
    return problems
