"""Running the service: the listening socket, one or N server processes, signals.

The socket is made here rather than by uvicorn. asyncio sets TCP_NODELAY only on
connections accepted from a socket whose ``proto`` is IPPROTO_TCP; uvicorn's own
multi-process mode makes its socket with proto 0, so every response waits on Nagle's
algorithm and delayed ACKs (~40 ms each: uvicorn issue #3149). Here the socket gets
IPPROTO_TCP explicitly and N processes forked from this one serve on it, each with its
own Engine built at start-up.

Signals: SIGHUP reloads the pack (the parent passes it on to every worker); SIGTERM and
SIGINT stop gracefully (in-flight requests finish). A worker that dies is replaced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from legrules.run.engine import freeze_heap
from legrules.serve.app import create_app
from legrules.serve.state import PackState, ServeConfig

LOG = logging.getLogger("legrules.serve")


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP socket listening on ``host:port`` (port 0: any free port), inheritable by
    worker processes, with proto IPPROTO_TCP so that accepted connections get
    TCP_NODELAY (see the module docstring). OSError when it cannot bind."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _server(
    state: PackState, access_log: bool, reload_hook: Callable[[], object] | None = None
) -> uvicorn.Server:
    app = create_app(state=state, reload_hook=reload_hook)
    freeze_heap()  # all of start-up is built: see freeze_heap
    config = uvicorn.Config(
        app,
        access_log=access_log,
        log_level="info" if access_log else "warning",
        lifespan="off",
        server_header=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def _reload_on_sighup(state: PackState) -> None:
    """SIGHUP reloads in a thread: the event loop keeps serving while the pack compiles."""

    def reload(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=_log_reload, args=(state,), daemon=True).start()

    signal.signal(signal.SIGHUP, reload)


def _log_reload(state: PackState) -> None:
    result = state.reload()
    (LOG.info if result.ok else LOG.error)("reload: %s", result.message)


_STOPS = (signal.SIGTERM, signal.SIGINT)
_FORK_BLOCKED = {signal.SIGHUP, *_STOPS}


class _Stopper:
    """SIGTERM and SIGINT stop the server gracefully from the moment this is made: the
    "serving" line (which a supervisor takes as ready) is written after it, and a
    worker makes it first, before the seconds its engine takes to build. A stop asked
    for before uvicorn runs (uvicorn catches the signals only while it runs, then
    re-raises them to this handler) makes it shut down at once, never serve on."""

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None
        for signum in _STOPS:
            signal.signal(signum, self._stop)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True

    def run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self.server = server
        server.should_exit = server.should_exit or self.requested
        server.run(sockets=[sock])


def serve_one(
    state: PackState,
    sock: socket.socket,
    *,
    access_log: bool = False,
    ready: Callable[[], object] = lambda: None,
) -> None:
    """Serve ``state`` in this process until SIGTERM or SIGINT; ``ready`` runs once a
    stop signal would stop it gracefully."""
    stopper = _Stopper()
    _reload_on_sighup(state)
    ready()
    try:
        stopper.run(_server(state, access_log), sock)
    finally:
        state.close()


def _worker(config: ServeConfig, sock: socket.socket, access_log: bool) -> None:
    """A forked worker's life: its own engine, its own server, then exit (never return
    into the parent's code). Forked with the stop signals blocked: unblocked once its
    own handlers replace the parent's."""
    code = 0
    try:
        stopper = _Stopper()
        # a reload asked for while the engine builds: it is built from the disk anyway
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORK_BLOCKED)
        state = PackState(config)
        _reload_on_sighup(state)
        parent = os.getppid()
        stopper.run(_server(state, access_log, lambda: os.kill(parent, signal.SIGHUP)), sock)
    except BaseException:
        LOG.exception("worker %d failed", os.getpid())
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve_many(
    config: ServeConfig,
    sock: socket.socket,
    workers: int,
    *,
    access_log: bool = False,
    ready: Callable[[], object] = lambda: None,
) -> None:
    """Fork ``workers`` processes serving on ``sock``; pass SIGHUP on to them, stop them
    on SIGTERM/SIGINT, and replace one that dies. ``ready`` runs once a stop signal
    would stop them all."""
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        # blocked across the fork: a signal lands after the child is in ``children``
        # (the parent) or after the child's own handlers are set (the child)
        signal.pthread_sigmask(signal.SIG_BLOCK, _FORK_BLOCKED)
        try:
            pid = os.fork()
            if pid == 0:
                _worker(config, sock, access_log)
            children.add(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORK_BLOCKED)

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # exited just now
                os.kill(pid, signal.SIGTERM if stopping else signal.SIGHUP)

    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    ready()
    for _ in range(workers):
        if stopping:  # stopped while starting: no worker is left without the signal
            break
        spawn()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            LOG.error("worker %d stopped (status %d); starting another", pid, status)
            time.sleep(0.5)  # not synchronisation: a crash loop must not spin the CPU
            spawn()
