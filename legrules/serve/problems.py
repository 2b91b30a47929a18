"""What goes wrong in a request, as HTTP: the library's problems as JSON, never a traceback.

Every error response has one shape, ``{"error": message, "problems": [{field, given,
allowed, message, suggestion}]}``, whatever raised it (the library, the body reader,
FastAPI's own parameter checks, an unknown path), so a client in any language handles
them one way. The status says whose fault it is: 400 a body that is not a JSON document,
422 a document with invalid answers or an unreadable training log (file:line:column),
404 an unknown id (with a did-you-mean), 413 a body
over the limit, 415 a body of another type, 500 a bug (a one-line message; the details
go to the server's log only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from legrules.audit import AuditWriteError, RecordNotFoundError
from legrules.errors import (
    AnswersError,
    EngineError,
    LegrulesError,
    Problem,
    UnknownIdError,
    clip,
    closest,
    show,
)
from legrules.traininglog.model import TrainingLogError

LOG = logging.getLogger("legrules.serve")


class HttpProblem(LegrulesError):
    """A request refused before the library saw it (size, type, shape), with its status."""

    def __init__(self, status: int, message: str, problems: Iterable[Problem] = ()) -> None:
        listed = tuple(problems)
        super().__init__(message, problems=listed or None)
        self.status = status


def problem_dict(problem: Problem) -> dict[str, Any]:
    """One problem in the JSON every error response lists (``field`` is its location)."""
    return {
        "field": problem.location,
        "given": problem.given,
        "allowed": problem.allowed,
        "message": problem.message,
        "suggestion": problem.suggestion,
    }


def error_response(status: int, message: str, problems: Iterable[Problem]) -> JSONResponse:
    return JSONResponse(
        {"error": message, "problems": [problem_dict(p) for p in problems]}, status_code=status
    )


def status_for(error: LegrulesError) -> int:
    """The HTTP status of a library error: whose fault, in HTTP's words."""

    if isinstance(error, HttpProblem):
        return error.status
    if isinstance(error, (AnswersError, TrainingLogError)):
        return 422
    if isinstance(error, (UnknownIdError, RecordNotFoundError)):
        return 404
    if isinstance(error, (EngineError, AuditWriteError)):
        return 500
    return 400


def headline(error: LegrulesError) -> str:
    """The error's first line: the problems list the rest."""
    return str(error).split("\n", 1)[0]


async def _legrules_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LegrulesError)
    status = status_for(error)
    if status >= 500:
        LOG.error("%s %s: %s", request.method, request.url.path, error)
    return error_response(status, headline(error), error.problems)


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own checks (query parameters): the same problems shape as the library's."""
    assert isinstance(error, RequestValidationError)
    problems = [
        Problem(
            location=".".join(str(part) for part in item.get("loc", ())),
            message=str(item.get("msg", "invalid")),
            given=show(item.get("input")) if "input" in item else None,
        )
        for item in error.errors()
    ]
    return error_response(422, "invalid request", problems)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's errors (no such path, method not allowed) in the common shape; an
    unknown path gets the closest known one."""
    assert isinstance(error, HTTPException)
    path = request.url.path
    message = f"{error.detail}: {request.method} {clip(path)}"
    suggestion = None
    if error.status_code == 404:
        suggestion = closest(path, request.app.state.paths)
    problem = Problem(location=clip(path), message=str(error.detail), suggestion=suggestion)
    return JSONResponse(
        {"error": message, "problems": [problem_dict(problem)]},
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


async def _bug(request: Request, error: Exception) -> JSONResponse:
    """A bug: one line for the client, the traceback in the server's log only."""
    LOG.exception("internal error in %s %s", request.method, request.url.path)
    message = f"internal error: {type(error).__name__} (the server log has the details)"
    return error_response(500, message, [Problem(location="(server)", message=message)])


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through the handlers above."""
    app.add_exception_handler(LegrulesError, _legrules_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _bug)
