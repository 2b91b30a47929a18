"""The pack a server runs on, and replacing it while requests are in flight.

One :class:`PackState` per process. Requests borrow the current engine for their whole
duration (:meth:`PackState.engine`), so a reload in the middle of a request cannot change
the pack that request started with; the old engine is closed when its last borrower
returns it. A reload builds and checks the new pack completely (loader checks, compile,
the pack's own rule tests) before it is swapped in, so a broken pack on disk is only
reported and the running one keeps serving.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from legrules.api import Engine
from legrules.authoring.ruletests import run_all
from legrules.errors import LegrulesError, Problem, RulePackError
from legrules.paths import default_cache_dir, pack_dir
from legrules.run.engine import freeze_heap
from legrules.run.packcache import compiled_pack
from legrules.serve.problems import problem_dict


@dataclass(frozen=True)
class ServeConfig:
    """What ``legrules serve`` was started with; every worker process builds from it."""

    rules_dir: Path | None = None
    audit_log: Path | None = None
    body_limit: int = 1024 * 1024
    workers: int = 1


@dataclass(frozen=True)
class ReloadResult:
    """The outcome of one (re)load, as ``/v1/status`` and ``POST /v1/reload`` report it."""

    ok: bool
    at: str
    message: str
    fingerprint: str | None = None
    problems: tuple[Problem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "at": self.at,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "problems": [problem_dict(p) for p in self.problems],
        }


@dataclass
class _Generation:
    engine: Engine
    users: int = 0
    retired: bool = False


@dataclass
class PackState:
    """The current engine of this process, its history of reloads, and its uptime."""

    config: ServeConfig
    started: float = field(default_factory=time.monotonic)
    last_reload: ReloadResult | None = None
    _current: _Generation = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # a broken pack at start-up is the caller's error to report (exit code 2)
        self._current = _Generation(build_engine(self.config))

    @property
    def current(self) -> Engine:
        """The engine new requests get (for a quick look: status, schemas)."""
        return self._current.engine

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """Borrow the current engine for one request; it stays open until returned."""
        with self._lock:
            generation = self._current
            generation.users += 1
        try:
            yield generation.engine
        finally:
            with self._lock:
                generation.users -= 1
                done = generation.retired and generation.users == 0
            if done:
                generation.engine.close()

    def reload(self) -> ReloadResult:
        """Build the pack on disk again; swap it in only if it is clean.

        Reloads run one at a time (a SIGHUP during a POST /v1/reload waits for it).
        """
        with self._reload_lock:
            try:
                engine = build_engine(self.config)
            except LegrulesError as error:
                result = ReloadResult(
                    ok=False,
                    at=_now(),
                    message=f"the pack on disk was refused; still serving "
                    f"{self.current.fingerprint}: {error}",
                    fingerprint=self.current.fingerprint,
                    problems=error.problems,
                )
            else:
                with self._lock:
                    old, self._current = self._current, _Generation(engine)
                    old.retired = True
                    idle = old.users == 0
                if idle:
                    old.engine.close()
                del old
                if gc.get_freeze_count():
                    freeze_heap()  # the replaced pack is collected, the new one frozen
                result = ReloadResult(
                    ok=True,
                    at=_now(),
                    message=f"serving {engine.pack.meta.name} {engine.pack.meta.version}",
                    fingerprint=engine.fingerprint,
                )
            self.last_reload = result
            return result

    def close(self) -> None:
        with self._lock:
            self._current.retired = True
            idle = self._current.users == 0
        if idle:
            self._current.engine.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def build_engine(config: ServeConfig) -> Engine:
    """Load, check, compile and rule-test the pack, then open the serving engine.

    The rule tests run on an engine without the audit log: test cases are not decisions
    and must not be recorded as such. RulePackError when anything fails.
    """

    root = pack_dir(config.rules_dir)
    compiled = compiled_pack(root, default_cache_dir())
    tests = compiled.pack.root / "tests"
    if tests.is_dir():
        with Engine(compiled) as checker:
            results, _ = run_all(checker, tests)
        failed = [
            Problem(location=f"{tests / r.file}: {r.name}", message="; ".join(r.failures))
            for r in results
            if not r.passed
        ]
        if failed:
            raise RulePackError(failed, f"{root} (its rule tests fail)")
    return Engine(compiled, audit_log=config.audit_log)
