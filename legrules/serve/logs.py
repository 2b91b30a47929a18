"""Training logs sent to the service, read and measured as ``legrules assess --log`` does.

A log arrives as a part of a ``multipart/form-data`` body (an upload from the web page,
or a file an app sends with its answers). The body is read whole within the server's
body limit first (:func:`legrules.serve.body.read_body`), so an upload can never cost
more memory than any other request; only then are its parts split. Each log is read by
the library's own reader, named by its file name, from its exact bytes: the digest in
the audit record is the one the command line records for the same file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import zlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from legrules.api import Engine
from legrules.errors import InputFileError, Problem, clip
from legrules.serve.problems import HttpProblem
from legrules.traininglog.assessing import MeasuredLogs, measure_logs
from legrules.traininglog.model import TrainingLog, TrainingLogError
from legrules.traininglog.readers import decode, parse_log

#: the most parts one body may have (a page of the questionnaire sends one per answer)
MAX_PARTS = 1000


@dataclass(frozen=True)
class Part:
    """One part of a multipart body: its file name (None for a plain field) and bytes."""

    filename: str | None
    data: bytes

    def text(self, name: str) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpProblem(
                400, f"the {name} part is not UTF-8 text", [Problem(name, "not UTF-8 text")]
            ) from None


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


async def multipart_parts(headers: Headers, data: bytes) -> dict[str, list[Part]]:
    """The parts of a multipart body already read (within the limit), by part name;
    400 when it is not well-formed multipart."""
    parser = MultiPartParser(
        headers, _once(data), max_files=MAX_PARTS, max_fields=MAX_PARTS, max_part_size=len(data)
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        message = f"the multipart body cannot be read: {error.message}"
        raise HttpProblem(400, message, [Problem("(body)", error.message)]) from None
    parts: dict[str, list[Part]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            part = Part(value.filename or "", await value.read())
            await value.close()
            if not part.filename and not part.data:
                continue  # a file input left empty: browsers send it anyway
        else:
            part = Part(None, value.encode("utf-8"))
        parts.setdefault(name, []).append(part)
    return parts


def fields(parts: Mapping[str, Sequence[Part]]) -> dict[str, list[str]]:
    """The plain (not file) parts as text, as ``parse_qs`` gives a urlencoded form."""
    return {
        name: [part.text(name) for part in found if part.filename is None]
        for name, found in parts.items()
    }


def log_name(filename: str | None, number: int) -> str:
    """The name a log goes by in messages and the audit record: the file's own name
    (never a client's directory path), or "log N" when it came without one."""
    base = PurePosixPath((filename or "").replace("\\", "/")).name
    shown = "".join(c for c in base if c.isprintable()).strip()
    return clip(shown, 80) if shown else f"log {number}"


def units_value(given: str | None) -> str | None:
    """``units`` as the reader takes it: empty means "the file says"."""
    if given is None:
        return None
    return given.strip() or None


def as_of_date(given: str | None) -> dt.date | None:
    """``as_of`` (YYYY-MM-DD) as ``--as-of`` takes it; 422 when it is not a date."""
    if given is None or not given.strip():
        return None
    try:
        return dt.date.fromisoformat(given.strip())
    except ValueError:
        problem = Problem("as_of", "not a date", given=clip(given, 40), allowed="YYYY-MM-DD")
        raise HttpProblem(422, f"as_of is not a date: {clip(given, 40)!r}", [problem]) from None


def read_logs(
    logs: Sequence[Part], units: str | None = None, as_of: dt.date | None = None
) -> list[TrainingLog]:
    """Each uploaded log read from its exact bytes; TrainingLogError naming the file,
    line and column of the first unreadable one (text that is not UTF-8 included)."""
    read = []
    for number, part in enumerate(logs, 1):
        source = log_name(part.filename, number)
        try:
            text = decode(part.data, source)
        except InputFileError as error:
            raise TrainingLogError(error.problems, source) from None
        read.append(parse_log(text, source, units=units, today=as_of, raw=part.data))
    return read


def measure(
    engine: Engine, logs: Sequence[Part], units: str | None, as_of: dt.date | None
) -> MeasuredLogs:
    """What the uploaded logs measure for ``engine``'s questions (as ``assess --log``)."""
    return measure_logs(read_logs(logs, units, as_of), engine, today=as_of)


def carry(logs: Sequence[Part]) -> str:
    """The logs as one form field, so the next page can send them back (the server
    keeps no session): their names and exact bytes, compressed, so that a log which
    fitted the body limit once still fits it on every later page (base64 alone adds a
    third; a CSV export compresses to a tenth or less)."""
    return json.dumps(
        [
            {
                "name": part.filename,
                "data": base64.b64encode(zlib.compress(part.data, 6)).decode("ascii"),
            }
            for part in logs
        ]
    )


def _inflate(data: bytes, limit: int) -> bytes:
    """``data`` decompressed, refusing more than ``limit`` bytes (a forged field could
    otherwise expand a small body into gigabytes)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit + 1)  # a max_length of 0 means no limit at all
    if len(out) > limit or not inflater.eof:
        raise ValueError("the carried log is over the limit or cut short")
    return out


def carried(text: str, limit: int) -> list[Part]:
    """The logs an earlier page carried (at most ``limit`` bytes together, as the body
    they were uploaded in: a limit per log let a forged field of many small compressed
    items expand to the limit each, a gigabyte from one body); 400 when the field was
    damaged."""
    if not text.strip():
        return []
    try:
        parts = []
        left = limit
        for item in json.loads(text):
            data = _inflate(base64.b64decode(item["data"], validate=True), left)
            left -= len(data)
            parts.append(Part(str(item["name"]), data))
        return parts
    except (ValueError, TypeError, KeyError, binascii.Error, RecursionError, zlib.error):
        raise HttpProblem(
            400,
            "the form's training log is damaged",
            [Problem("logs", "not the logs this form carried", allowed="start again at /")],
        ) from None
