"""Read answers documents and rule-pack files safely, with line numbers for messages.

Everything here treats its input as hostile, because an answers file or a rule pack
can come from anyone (README, "Security and limits"):

* Files are read only if they are regular files, checked with ``fstat`` on the opened
  descriptor (so nothing can swap the file between a check and the read) and opened
  non-blocking (so a FIFO cannot hang the open). Reads stop at a size limit, so
  ``/dev/zero`` or a huge file cannot fill memory. Every reader goes through
  :func:`open_regular`.
* YAML is built from the parser's events by :class:`_Builder`, never by PyYAML's
  constructors, so a file cannot build Python objects and every node is checked once:

  - anchors and aliases are refused: 500 bytes of nested aliases ("billion laughs")
    expand to millions of nodes, and ``&a [*a]`` is a cycle. No pack file needs them.
  - plain scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 default:
    only ``true``/``false`` are booleans (``no`` stays the enum value ``"no"``), and
    integers are decimal only (``045`` is 45; ``0x1F``, ``0o17``, ``1:05`` and ``3_4``
    stay text, so a number question rejects them instead of guessing), no timestamps.
  - explicit tags other than the core ones (``!!str !!int !!float !!bool !!null !!map
    !!seq``) are errors, and a core tag must fit its value (``!!int abc`` is an error).
  - a key given twice in one mapping is an error: last-wins would silently drop one.
  - integers have at most :data:`MAX_INT_DIGITS` digits, and nesting is bounded.
* JSON gets the same duplicate-key and integer checks.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from legrules.errors import InputFileError, clip, show

LinePath = tuple[str | int, ...]

KIB = 1024
MIB = 1024 * KIB
ANSWERS_LIMIT = 1 * MIB
"""Largest answers document read from a file or stdin (a full one is about 2 KiB)."""
PACK_FILE_LIMIT = 4 * MIB
"""Largest rule-pack file (the biggest shipped file is about 22 KiB)."""
MAX_INT_DIGITS = 100
"""Longest integer accepted (no question or rule needs more than a few digits, and
Python refuses to convert more than 4,300)."""
MAX_DEPTH = 256
"""Deepest nesting of mappings and lists in a YAML document."""

if TYPE_CHECKING:
    import yaml

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ = (
    _CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
_CORE_TAGS_TEXT = "!!str !!int !!float !!bool !!null !!map !!seq"
_PLAIN_DATA = (
    "only plain YAML data is accepted: mappings, lists, strings, numbers, true/false "
    f"and null; the only tags allowed are {_CORE_TAGS_TEXT}"
)

_INT_RE = re.compile(r"[-+]?[0-9]+")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INFINITIES = (".inf", ".Inf", ".INF")
_SPECIAL_FLOATS: dict[str, float] = {
    **dict.fromkeys(_INFINITIES, math.inf),
    **dict.fromkeys(["+" + text for text in _INFINITIES], math.inf),
    **dict.fromkeys(["-" + text for text in _INFINITIES], -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


# ---------------------------------------------------------------------------------------
# Reading files


def _limit_text(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


def too_large(source: str, limit: int) -> InputFileError:
    """The one wording for an input over its size limit, whatever reads it."""
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
                raise too_large(str(path), limit)
            data = handle.read(limit + 1)  # the file may have grown since fstat
    except OSError as error:
        raise InputFileError(str(path), f"cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise too_large(str(path), limit)
    return data


def decode_utf8(data: bytes, source: str, *, lines: bool = True) -> str:
    """``data`` as UTF-8 text, or an InputFileError naming ``source`` (with the line, for
    a whole document; a batch line or a record is its own ``source``, ``lines=False``)
    and the byte, counted from 1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        where = f"{source}:{line}" if lines else source
        raise InputFileError(
            where, f"not UTF-8 text ({error.reason} at byte {error.start + 1})"
        ) from None


def read_text(path: Path, limit: int = PACK_FILE_LIMIT) -> str:
    """Read a UTF-8 regular file exactly (no newline translation), at most ``limit`` bytes.

    Exact, because the audit log stores pack files byte for byte to reproduce a
    fingerprint; YAML and JSON parsers accept any line ending.
    """
    return decode_utf8(read_bytes(path, limit), str(path))


def read_stream_bytes(stream: IO[bytes], source: str, limit: int) -> bytes:
    """The bytes of a binary stream (stdin), at most ``limit`` of them (else an error):
    a stream has no size to check first, so one byte more than allowed is read to tell
    "exactly the limit" from "over it"."""
    try:
        data = stream.read(limit + 1)
    except OSError as error:
        raise InputFileError(source, f"cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise too_large(source, limit)
    return data


def read_stream(stream: IO[bytes], source: str, limit: int = ANSWERS_LIMIT) -> str:
    """Read UTF-8 text from a binary stream (stdin), at most ``limit`` bytes."""
    return decode_utf8(read_stream_bytes(stream, source, limit), source)


# ---------------------------------------------------------------------------------------
# YAML


class LineMap:
    """Maps a path inside a parsed document (as pydantic reports it) to a 1-based line."""

    def __init__(self, lines: dict[LinePath, int] | None = None) -> None:
        self._lines = lines or {}

    def line(self, path: Iterable[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while True:
            if probe in self._lines:
                return self._lines[probe]
            if not probe:
                return None
            probe = probe[:-1]


class _Refused(Exception):
    """A node the builder does not accept; turned into an InputFileError with the line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _line(event: yaml.Event) -> int:
    return int(getattr(event.start_mark, "line", 0)) + 1


def _tag_text(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _refuse(event: yaml.Event, reason: str) -> NoReturn:
    raise _Refused(_line(event), reason)


def _int(text: str, event: yaml.Event) -> int:
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        _refuse(event, f"an integer of {digits} digits is too long (at most {MAX_INT_DIGITS})")
    return int(text)


def _plain(text: str, event: yaml.Event) -> object:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT_RE.fullmatch(text):
        return _int(text, event)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    return text


def _tagged(tag: str, text: str, event: yaml.Event) -> object:
    """A scalar with an explicit tag: a core tag whose value fits it, or an error."""
    if tag == _STR:
        return text
    if tag == _INT and _INT_RE.fullmatch(text):
        return _int(text, event)
    if tag == _FLOAT and _INT_RE.fullmatch(text):
        return float(_int(text, event))
    if tag == _FLOAT and _FLOAT_RE.fullmatch(text):
        return float(text)
    if tag == _FLOAT and text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if tag == _BOOL and text in _BOOLS:
        return _BOOLS[text]
    if tag == _NULL and text in _NULLS:
        return None
    expected = {
        _INT: "an integer (decimal digits)",
        _FLOAT: "a number",
        _BOOL: "true or false",
        _NULL: "null",
        _MAP: "a mapping",
        _SEQ: "a list",
    }
    if tag in expected:
        _refuse(event, f"{_tag_text(tag)} {show(text)} is not {expected[tag]}")
    _refuse(event, f"tag {clip(_tag_text(tag))} is not accepted ({_PLAIN_DATA})")


def _scalar(event: yaml.ScalarEvent) -> object:
    tag = event.tag
    if tag is None or tag == "!":
        # implicit[0]: a plain scalar without a tag; quoted text and "!" are strings
        return _plain(event.value, event) if tag is None and event.implicit[0] else event.value
    return _tagged(tag, event.value, event)


def _check_collection_tag(event: yaml.CollectionStartEvent, expected: str) -> None:
    tag = event.tag
    if tag is None or tag in ("!", expected):
        return
    if tag in (_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ):
        what = "a mapping" if expected == _MAP else "a list"
        _refuse(event, f"{_tag_text(tag)} does not fit {what}")
    _refuse(event, f"tag {clip(_tag_text(tag))} is not accepted ({_PLAIN_DATA})")


_NO_KEY = object()


@dataclass
class _Frame:
    """A mapping or list being filled, and (for a mapping) the key awaiting its value."""

    container: dict[Any, Any] | list[Any]
    path: LinePath
    key: Any = _NO_KEY
    key_line: int = 0
    key_lines: dict[Any, int] = field(default_factory=dict)


class _Builder:
    """Builds plain data and its line map from parser events, refusing what the module
    docstring lists. Iterative, so depth costs no Python stack."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.lines: dict[LinePath, int] = {}
        self.root: object = None
        self.documents = 0

    def feed(self, event: yaml.Event) -> None:
        import yaml  # noqa: PLC0415 - loaded by parse_yaml already; see there

        if isinstance(event, yaml.AliasEvent):
            _refuse(
                event,
                f"alias *{clip(str(event.anchor))}: anchors and aliases are not accepted "
                "(write the value out in full)",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            _refuse(
                event,
                f"anchor &{clip(str(anchor))}: anchors and aliases are not accepted "
                "(write the value out in full)",
            )
        if isinstance(event, yaml.ScalarEvent):
            self._add(_scalar(event), event)
        elif isinstance(event, yaml.MappingStartEvent):
            _check_collection_tag(event, _MAP)
            self._push({}, event)
        elif isinstance(event, yaml.SequenceStartEvent):
            _check_collection_tag(event, _SEQ)
            self._push([], event)
        elif isinstance(event, yaml.CollectionEndEvent):
            self.stack.pop()
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                _refuse(event, "expected a single document, found a second one ('---')")

    def _push(self, container: dict[Any, Any] | list[Any], event: yaml.Event) -> None:
        if len(self.stack) >= MAX_DEPTH:
            _refuse(event, f"nested more than {MAX_DEPTH} levels deep")
        path = self._add(container, event)
        self.stack.append(_Frame(container, path))

    def _add(self, value: object, event: yaml.Event) -> LinePath:
        """Place ``value`` in the innermost collection; return its path."""
        line = _line(event)
        if not self.stack:
            self.root = value
            self.lines[()] = line
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            path = (*top.path, len(top.container))
            top.container.append(value)
            self.lines[path] = line
            return path
        if top.key is _NO_KEY:
            self._key(top, value, event)
            return top.path
        path = (*top.path, top.key)
        top.container[top.key] = value
        # a mapping entry is reported at its key's line, not its value's
        self.lines[path] = top.key_line
        top.key = _NO_KEY
        return path

    @staticmethod
    def _key(top: _Frame, key: object, event: yaml.Event) -> None:
        if isinstance(key, dict | list):
            _refuse(event, "a mapping key must be a plain value, not a mapping or list")
        if key in top.key_lines:
            _refuse(
                event,
                f"duplicate key {show(key)} (first at line {top.key_lines[key]}); "
                "each key may appear once",
            )
        top.key = key
        top.key_line = top.key_lines[key] = _line(event)


def _describe_yaml_error(error: yaml.YAMLError) -> tuple[str, int | None]:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(error, "problem", None) or str(error)
    return clip(str(problem)), line


def parse_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse one YAML document of plain data; return it and a line map.

    Raises :class:`InputFileError` naming ``source:line`` for invalid YAML and for
    everything the module docstring lists as refused.
    """
    # Imported here, not at the top: reading a JSON answers file (the common case for
    # `assess --answers`, and every batch line) needs no YAML, and PyYAML was a tenth of
    # the command's start-up.
    import yaml  # noqa: PLC0415

    # libyaml's parser (CParser) is about ten times faster than the pure-Python one and
    # produces the same events; the pure-Python loader is the fallback where PyYAML was
    # built without libyaml.
    parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    builder = _Builder()
    try:
        for event in yaml.parse(text, Loader=parser):
            builder.feed(event)
    except _Refused as refused:
        raise InputFileError(f"{source}:{refused.line}", refused.reason) from None
    except yaml.YAMLError as error:
        problem, line = _describe_yaml_error(error)
        where = f"{source}:{line}" if line else source
        raise InputFileError(where, f"not valid YAML: {problem}") from None
    except UnicodeError:  # a lone surrogate in text handed to the library
        raise InputFileError(source, "not valid text (cannot be encoded as UTF-8)") from None
    return builder.root, LineMap(builder.lines)


# ---------------------------------------------------------------------------------------
# JSON


class _JsonRefused(Exception):
    """Raised from inside the JSON decoder's hooks; located afterwards (hooks get no
    positions)."""

    def __init__(self, reason: str, needle: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needle = needle


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JsonRefused(f"duplicate key {show(key)}; each key may appear once")
            seen.add(key)
    return result


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _JsonRefused(
            f"an integer of {digits} digits is too long (at most {MAX_INT_DIGITS})", text
        )
    return int(text)


# strings (a key when followed by a colon) and brackets: enough to find a duplicate key's
# line in text the decoder has already accepted
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(?:\s*:)?|[{}\[\]]')


def _duplicate_key(text: str) -> tuple[str, int] | None:
    """The first key repeated within one object, and its line (JSON already valid)."""
    frames: list[set[str] | None] = []
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            frames.append(set() if token == "{" else None)
        elif token in ("}", "]"):
            frames.pop()
        elif token.endswith(":") and frames and (keys := frames[-1]) is not None:
            key = json.loads(token[:-1].rstrip())
            if key in keys:
                return key, text.count("\n", 0, match.start()) + 1
            keys.add(key)
    return None


def _json_refusal(text: str, source: str, refused: _JsonRefused) -> InputFileError:
    line: int | None = None
    reason = refused.reason
    if refused.needle is not None:
        at = text.find(refused.needle)
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
    else:
        found = _duplicate_key(text)
        if found is not None:
            key, line = found
            reason = f"duplicate key {show(key)}; each key may appear once"
    return InputFileError(f"{source}:{line}" if line else source, reason)


_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _lone_surrogate(text: str) -> tuple[str, int] | None:
    """The first ``\\uD800``-style escape that is half of no pair, and its line.

    JSON's decoder accepts one and yields a string no UTF-8 encoder can write, so the
    error message, the audit record or the HTTP response naming it would fail instead.
    """
    pending: re.Match[str] | None = None
    for match in _SURROGATE_ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 0:  # an escaped backslash, then plain "u..."
            continue
        high = match.group(2)[1].lower() in "89ab"
        adjacent = pending is not None and match.start() == pending.end()
        if adjacent and not high and len(match.group(1)) == 1:
            pending = None
            continue
        if pending is not None or not high:
            lone = pending or match
            return lone.group(0)[-6:], text.count("\n", 0, lone.start()) + 1
        pending = match
    if pending is not None:
        return pending.group(0)[-6:], text.count("\n", 0, pending.start()) + 1
    return None


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text; raise InputFileError naming the line (and column)."""
    try:
        data = json.loads(text, object_pairs_hook=_json_pairs, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{source}:{error.lineno}",
            f"not valid JSON: {error.msg} (column {error.colno})",
        ) from None
    except _JsonRefused as refused:
        raise _json_refusal(text, source, refused) from None
    except RecursionError:
        raise InputFileError(source, "not valid JSON: nested too deeply") from None
    if "\\u" in text and (lone := _lone_surrogate(text)) is not None:
        escape, line = lone
        raise InputFileError(
            f"{source}:{line}",
            f"not valid JSON text: {escape} is half of a surrogate pair, not a character; "
            "allowed: a \\uD800-\\uDBFF escape followed by a \\uDC00-\\uDFFF one",
        )
    return data


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
