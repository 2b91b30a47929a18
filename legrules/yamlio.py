"""Safe YAML and JSON reading with line numbers, for error messages that point at a line.

Files are read only if they are regular files, checked with ``fstat`` on the opened
descriptor (so nothing can swap the file between a check and the read) and opened
non-blocking (so a FIFO cannot hang the open). Reads stop at a size limit, so
``/dev/zero`` or a huge file cannot fill memory. Every reader goes through
:func:`open_regular`.

Two more choices matter here:

* Only PyYAML's *safe* constructors are used, so a file cannot build Python objects
  (``!!python/object`` is an error, not code execution).
* Booleans follow YAML 1.2: only ``true``/``false``. PyYAML's YAML 1.1 default turns
  ``no``, ``yes``, ``on`` and ``off`` into booleans, which would silently change
  ``tracks_progress: no`` (an enum value) into ``False``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml

from legrules.errors import InputFileError

LinePath = tuple[str | int, ...]

KIB = 1024
MIB = 1024 * KIB
ANSWERS_LIMIT = 1 * MIB
"""Largest answers document read from a file or stdin (a full one is about 2 KiB)."""
PACK_FILE_LIMIT = 4 * MIB
"""Largest rule-pack file (the biggest shipped file is about 22 KiB)."""


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


def _limit_text(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


def _too_large(source: str, limit: int) -> InputFileError:
    return InputFileError(source, f"too large: the limit is {_limit_text(limit)}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory, expected a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; use - to read from stdin"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO with no writer would block forever
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


@contextmanager
def open_regular(path: Path) -> Iterator[tuple[IO[bytes], os.stat_result]]:
    """Open ``path`` for reading if it is a regular file; yield the file and its stat.

    The check is on the opened descriptor, so the file read is the file checked. Raises
    :class:`InputFileError` for anything else (FIFO, device, directory, socket).
    """
    where = str(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise InputFileError(where, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(where, "is a directory, expected a file") from None
    except PermissionError:
        raise InputFileError(where, "permission denied") from None
    except OSError as error:
        raise InputFileError(where, f"cannot read ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(where, _kind(info.st_mode))
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, info


def read_bytes(path: Path, limit: int = PACK_FILE_LIMIT) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (else an error)."""
    try:
        with open_regular(path) as (handle, info):
            if info.st_size > limit:
                raise _too_large(str(path), limit)
            data = handle.read(limit + 1)  # the file may have grown since fstat
    except OSError as error:
        raise InputFileError(str(path), f"cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise _too_large(str(path), limit)
    return data


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputFileError(
            f"{source}:{line}", f"not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None


def read_text(path: Path, limit: int = PACK_FILE_LIMIT) -> str:
    """Read a UTF-8 regular file exactly (no newline translation), at most ``limit`` bytes.

    Exact, because the audit log stores pack files byte for byte to reproduce a
    fingerprint; YAML and JSON parsers accept any line ending.
    """
    return _decode(read_bytes(path, limit), str(path))


def read_stream(stream: IO[bytes], source: str, limit: int = ANSWERS_LIMIT) -> str:
    """Read UTF-8 text from a binary stream (stdin), at most ``limit`` bytes."""
    try:
        data = stream.read(limit + 1)
    except OSError as error:
        raise InputFileError(source, f"cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise _too_large(source, limit)
    return _decode(data, source)


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
