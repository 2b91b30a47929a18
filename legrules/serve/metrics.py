"""Prometheus counters for one server process, in the text exposition format.

Kept by hand rather than with a client library: four metric families do not justify a
dependency. Each worker process counts its own requests (label ``pid``), as Prometheus
expects from processes scraped one by one.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict

# seconds; an assessment takes a few milliseconds, a reload seconds
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{key}="{escape(value)}"' for key, value in labels.items()) + "}"


class Metrics:
    """Requests, errors, latency and assessments by status, safe to update from threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._errors: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, list[int]] = {}
        self._latency_sum: dict[str, float] = defaultdict(float)
        self._assessments: dict[str, int] = defaultdict(int)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        with self._lock:
            self._requests[key] += 1
            if status >= 400:
                self._errors[key] += 1
            counts = self._latency.setdefault(route, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            self._latency_sum[route] += seconds

    def assessed(self, status: str) -> None:
        with self._lock:
            self._assessments[status] += 1

    def render(self) -> str:
        pid = str(os.getpid())
        out: list[str] = []
        with self._lock:
            out += [
                "# HELP legrules_http_requests_total HTTP requests answered.",
                "# TYPE legrules_http_requests_total counter",
            ]
            for (method, route, status), count in sorted(self._requests.items()):
                labels = _labels(pid=pid, method=method, route=route, status=status)
                out.append(f"legrules_http_requests_total{labels} {count}")
            out += [
                "# HELP legrules_http_errors_total HTTP requests answered with 4xx or 5xx.",
                "# TYPE legrules_http_errors_total counter",
            ]
            for (method, route, status), count in sorted(self._errors.items()):
                labels = _labels(pid=pid, method=method, route=route, status=status)
                out.append(f"legrules_http_errors_total{labels} {count}")
            out += [
                "# HELP legrules_http_request_duration_seconds Time to answer a request.",
                "# TYPE legrules_http_request_duration_seconds histogram",
            ]
            for route, counts in sorted(self._latency.items()):
                name = "legrules_http_request_duration_seconds"
                running = 0
                for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts):
                    running += count
                    out.append(f"{name}_bucket{_labels(pid=pid, route=route, le=bound)} {running}")
                out.append(f"{name}_sum{_labels(pid=pid, route=route)} {self._latency_sum[route]}")
                out.append(f"{name}_count{_labels(pid=pid, route=route)} {running}")
            out += [
                "# HELP legrules_assessments_total Assessments made, by result status.",
                "# TYPE legrules_assessments_total counter",
            ]
            for status, count in sorted(self._assessments.items()):
                out.append(f"legrules_assessments_total{_labels(pid=pid, status=status)} {count}")
        return "\n".join(out) + "\n"
