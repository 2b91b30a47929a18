"""Safe YAML and JSON reading with line numbers, for error messages that point at a line.

Two choices matter here:

* Only PyYAML's *safe* constructors are used, so a file cannot build Python objects
  (``!!python/object`` is an error, not code execution).
* Booleans follow YAML 1.2: only ``true``/``false``. PyYAML's YAML 1.1 default turns
  ``no``, ``yes``, ``on`` and ``off`` into booleans, which would silently change
  ``tracks_progress: no`` (an enum value) into ``False``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from legrules.errors import InputFileError

LinePath = tuple[str | int, ...]


# libyaml's parser (CSafeLoader) is about ten times faster than the pure-Python one and
# builds the same nodes; the pure-Python loader is the fallback where PyYAML was built
# without libyaml.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12SafeLoader(_SafeBase):  # type: ignore[valid-type, misc]
    """SafeLoader with YAML 1.2 core-schema booleans (true/false only)."""


_Yaml12SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Yaml12SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _walk(node: yaml.Node, path: LinePath, lines: dict[LinePath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            _walk(value_node, child, lines)
            # a mapping entry is reported at its key's line, not its value's
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child_index = (*path, index)
            _walk(item, child_index, lines)


class LineMap:
    """Maps a path inside a parsed document (as pydantic reports it) to a 1-based line."""

    def __init__(self, lines: dict[LinePath, int] | None = None) -> None:
        self._lines = lines or {}

    def line(self, path: LinePath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            if probe in self._lines:
                return self._lines[probe]
            if not probe:
                return None
            probe = probe[:-1]


def _describe_yaml_error(error: yaml.YAMLError) -> tuple[str, int | None]:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(error, "problem", None) or str(error)
    if isinstance(error, yaml.constructor.ConstructorError):
        problem = (
            f"{problem} (only plain YAML data is accepted: mappings, lists, strings, "
            "numbers, true/false and null)"
        )
    return problem, line


def parse_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse YAML text safely; return the data and a line map. Raise InputFileError."""
    try:
        loader = _Yaml12SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, LineMap()
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        problem, line = _describe_yaml_error(error)
        where = f"{source}:{line}" if line else source
        raise InputFileError(where, f"not valid YAML: {problem}") from None
    lines: dict[LinePath, int] = {}
    _walk(node, (), lines)
    return data, LineMap(lines)


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text; raise InputFileError naming the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{source}:{error.lineno}", f"not valid JSON: {error.msg} (column {error.colno})"
        ) from None
    except RecursionError:
        raise InputFileError(source, "not valid JSON: nested too deeply") from None


def read_text(path: Path) -> str:
    """Read a UTF-8 file exactly (no newline translation), with clear InputFileErrors.

    Exact, because the audit log stores pack files byte for byte to reproduce a
    fingerprint; YAML and JSON parsers accept any line ending.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a directory, expected a file") from None
    except PermissionError:
        raise InputFileError(str(path), "permission denied") from None
    except UnicodeDecodeError as error:
        raise InputFileError(str(path), f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise InputFileError(str(path), f"cannot read ({error.strerror})") from None


def parse_document(text: str, source: str) -> Any:
    """Parse an answers document: JSON if it looks like JSON, YAML otherwise.

    JSON is (nearly) a subset of YAML, but JSON's own parser gives better messages for
    JSON, so a document whose first character opens a JSON object or array goes there.
    """
    stripped = text.lstrip()
    if source.endswith(".json") or stripped.startswith(("{", "[")):
        return parse_json(text, source)
    data, _ = parse_yaml(text, source)
    return data
