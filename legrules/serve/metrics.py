"""Prometheus metrics for one server process, kept and written by ``prometheus_client``.

Each :class:`Metrics` has its own registry rather than the library's global one, so two
apps in one process (tests, an embedding program) never share counters. Each worker
process counts its own requests (label ``pid``: the workers share the port, so a scrape
reaches one of them and its series must not be mistaken for another's). The client's
multi-process mode would sum the workers instead, but needs an environment variable set
before import and a shared directory cleaned up as workers die; ``/metrics`` documents
per-worker series.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

__all__ = ["BUCKETS", "CONTENT_TYPE_LATEST", "Metrics"]

# seconds; an assessment takes a few milliseconds, a reload seconds
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Requests, errors, latency and assessments by status, safe to update from threads."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        by_request = ("pid", "method", "route", "status")
        self._requests = Counter(
            "legrules_http_requests_total",
            "HTTP requests answered.",
            by_request,
            registry=self.registry,
        )
        self._errors = Counter(
            "legrules_http_errors_total",
            "HTTP requests answered with 4xx or 5xx.",
            by_request,
            registry=self.registry,
        )
        self._latency = Histogram(
            "legrules_http_request_duration_seconds",
            "Time to answer a request.",
            ("pid", "route"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._assessments = Counter(
            "legrules_assessments_total",
            "Assessments made, by result status.",
            ("pid", "status"),
            registry=self.registry,
        )

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        # the pid of the process answering: a Metrics made before a fork counts apart
        pid = str(os.getpid())
        self._requests.labels(pid, method, route, status).inc()
        if status >= 400:
            self._errors.labels(pid, method, route, status).inc()
        self._latency.labels(pid, route).observe(seconds)

    def assessed(self, status: str) -> None:
        self._assessments.labels(str(os.getpid()), status).inc()

    def render(self) -> bytes:
        """The text exposition format (serve it as ``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)
