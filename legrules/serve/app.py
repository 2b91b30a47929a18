"""The application: routes, error handling, metrics, built around one :class:`PackState`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legrules._version import __version__
from legrules.serve import api, problems, web
from legrules.serve.metrics import Metrics
from legrules.serve.state import PackState, ServeConfig


class _Measure:
    """Counts every HTTP request by route template (never the raw path: an unknown path
    is ``unmatched``, so a scan cannot grow the metrics without bound)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.request(scope["method"], name, status, time.perf_counter() - start)


class _Head:
    """HEAD answered as GET without the body (RFC 9110 9.3.2: every GET resource takes
    HEAD; FastAPI's routes list GET only, so a load balancer's ``HEAD /health`` got 405).
    A route without GET still answers 405, with its Allow header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_app(
    config: ServeConfig | None = None,
    *,
    state: PackState | None = None,
    reload_hook: Callable[[], Any] | None = None,
) -> FastAPI:
    """The legrules HTTP application for ``config`` (or an already loaded ``state``).

    Raises RulePackError when the pack cannot be loaded, so a server never starts on a
    broken pack. ``reload_hook`` runs after ``POST /v1/reload`` (the multi-process
    runner uses it to tell the other workers).
    """
    loaded = state if state is not None else PackState(config or ServeConfig())
    app = FastAPI(
        title="legrules",
        version=__version__,
        description="Explainable leg-training recommendations from a questionnaire. "
        "Errors are `{error, problems: [{field, given, allowed, message, suggestion}]}`.",
        # the interactive docs pages load their scripts from a CDN: only the schema is served
        docs_url=None,
        redoc_url=None,
        openapi_url="/v1/openapi.json",
    )
    metrics = Metrics()
    app.state.legrules = loaded
    app.state.metrics = metrics
    app.state.reload_hook = reload_hook
    problems.install(app)
    app.include_router(api.router)
    web.install(app)
    app.add_middleware(_Measure, metrics=metrics)
    # outermost: the metrics see the GET it is answered as, and its route
    app.add_middleware(_Head)
    # for a did-you-mean on an unknown path (FastAPI does not list included routes)
    app.state.paths = sorted(
        path
        for route in (*api.router.routes, *web.router.routes)
        if "{" not in (path := getattr(route, "path", "{"))
    )
    return app
