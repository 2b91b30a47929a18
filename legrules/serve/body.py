"""Reading a request body: its type, its size, its text, before anything parses it.

The limit is enforced while the body streams in (a client that sends no Content-Length,
or a false one, is cut off at the limit too), so a huge body costs the server at most
the limit in memory.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from legrules.errors import Problem
from legrules.pack.yamlio import parse_json
from legrules.serve.problems import HttpProblem

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _too_large(limit: int) -> HttpProblem:
    message = f"the request body is larger than the limit of {limit} bytes"
    return HttpProblem(
        413,
        message,
        [Problem(location="(body)", message=message, allowed=f"at most {limit} bytes")],
    )


def body_type(request: Request) -> str:
    """The body's media type, without parameters, lower case ("" when untyped)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int, media_type: str | tuple[str, ...]) -> bytes:
    """The body, if it is (one of) ``media_type`` and at most ``limit`` bytes (else 415 /
    413); :func:`body_type` tells which type it is."""
    types = (media_type,) if isinstance(media_type, str) else media_type
    given = body_type(request)
    if given not in types:
        allowed = " or ".join(types)
        message = f"the request body must be {allowed}, not {given or 'untyped'}"
        raise HttpProblem(
            415,
            message,
            [
                Problem(
                    location="Content-Type",
                    message=message,
                    given=given or None,
                    allowed=allowed,
                )
            ],
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def json_document(data: bytes, source: str = "the request body") -> Any:
    """The JSON document in ``data``; 400 (InputFileError) when it is not UTF-8 JSON."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpProblem(
            400,
            f"{source} is not UTF-8 text",
            [Problem(location=source, message=f"not UTF-8 text ({error.reason})")],
        ) from None
    if not text.strip():
        raise HttpProblem(
            400,
            f"{source} is empty",
            [Problem(location=source, message="empty", allowed="a JSON document")],
        )
    return parse_json(text, source)
