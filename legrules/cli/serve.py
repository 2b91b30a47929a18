"""``legrules serve``: the JSON API and the web questionnaire over HTTP."""

from __future__ import annotations

import errno
import logging
import re
import socket
import sys
from pathlib import Path

import click

from legrules.cli._common import audit_log_option, fail, handle_errors, rules_option
from legrules.errors import EXIT_CHECK_FAILED, show

DEFAULT_PORT = 8080
MIB = 1024 * 1024
HOSTS_ALLOWED = (
    "an IP address of this machine (127.0.0.1: this machine only; 0.0.0.0 or ::, every "
    "interface) or a host name that resolves to one"
)
_ADDRESS_LIKE = re.compile(r"[0-9.]+|.*:.*")
# why the port cannot be used, for the errors a user can act on (all exit 1: the machine's
# state, not the options, is in the way)
LISTEN_HINTS = {
    errno.EADDRINUSE: "another program listens there: stop it, or choose another --port "
    "(0 takes any free one)",
    errno.EADDRNOTAVAIL: "not an address of this machine, or its interface is not up",
}


def listen_host(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """The ``--host`` callback: resolved before the pack loads (seconds), so a mistyped
    address or name fails at once as the invalid option it is (exit 2), not as a failure
    to listen. A value of digits and dots, or with a colon, is meant as an address (no
    host name is all digits or has a colon: RFC 3696 section 2) and is parsed without
    asking DNS, so 999.1.1.1 never waits on a resolver. A resolver that cannot answer now
    (EAI_AGAIN, EAI_FAIL) is the environment: the value goes on, and listening reports
    it (exit 1)."""
    flags = socket.AI_PASSIVE
    if _ADDRESS_LIKE.fullmatch(value):
        flags |= socket.AI_NUMERICHOST
    try:
        socket.getaddrinfo(value, None, type=socket.SOCK_STREAM, flags=flags)
    except socket.gaierror as error:
        if error.errno in (socket.EAI_AGAIN, socket.EAI_FAIL):
            return value
    except ValueError:  # idna: a part over 63 characters or an empty one; a NUL
        pass
    else:
        return value
    raise click.BadParameter(
        f"{show(value)} is not an IP address or a host name that resolves; allowed: "
        + HOSTS_ALLOWED
    )


@click.command(short_help="Serve a JSON API for apps and a questionnaire for browsers.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=listen_host,
    help="Address to listen on: an IP address of this machine or a host name that resolves "
    "to one. Only this machine can connect unless you give another (0.0.0.0: every "
    "interface; put a TLS proxy in front).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port; the one chosen is printed).",
)
@rules_option
@audit_log_option(
    "Record every assessment in the audit log at PATH (SQLite, created if missing); "
    "GET /v1/decisions/ID reads it back."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes sharing the port, each with its own engine (durable-rules "
    "holds the GIL: one process uses one core).",
)
@click.option(
    "--body-limit",
    type=click.IntRange(min=1),
    default=MIB,
    show_default=True,
    metavar="BYTES",
    help="Largest request body accepted; a larger one gets 413.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also write a line per request on stderr.")
@handle_errors
def serve(
    *,
    host: str,
    port: int,
    rules_dir: Path | None,
    log_path: Path | None,
    workers: int,
    body_limit: int,
    verbose: bool,
) -> None:
    """Serve the engine over HTTP: a JSON API for apps, a questionnaire for browsers.

    \b
    Examples:
      legrules serve                                  # http://127.0.0.1:8080/
      legrules serve --port 9000 --audit-log decisions.db --workers 2

    \b
    From any language, e.g. curl:
      curl -s -H 'content-type: application/json' -d '{"squat_felt_most": "glutes"}' \\
           http://127.0.0.1:8080/v1/assess
      curl -s -F log=@strong-export.csv -F answers=@my-answers.json \\
           http://127.0.0.1:8080/v1/assess              # with the training log

    \b
    Endpoints:
      GET  /                      the questionnaire for a person (HTML, no JavaScript
                                  needed); the first page takes their training log
      POST /v1/assess             an answers document (JSON) -> the Assessment of
                                  docs/CONTRACT.md section 3 plus decision_id;
                                  ?explain=true adds how each recommendation was reached,
                                  ?why_not=ID (repeatable) why one was or was not made;
                                  multipart/form-data with parts log (1+ files),
                                  answers, units (kg|lb), as_of (YYYY-MM-DD): assessed
                                  with the training log, as assess --log
      POST /v1/assess/batch       [{"id": ..., "answers": {...}}, ...] -> a result or an
                                  error per item, in order (at most 1,000 items)
      GET  /v1/questions          the questions, groups, defaults and why we ask
      GET  /v1/schema/answers     JSON Schema of an answers document
      GET  /v1/schema/assessment  JSON Schema of the Assessment
      GET  /v1/rules              the rules; GET /v1/rules/ID one rule explained
      GET  /v1/decisions/ID       an audit log record with its explanation (--audit-log)
      POST /v1/reload             reload the pack from disk (as SIGHUP does)
      GET  /v1/status             versions, the pack served, uptime, the last reload
      GET  /v1/openapi.json       the OpenAPI schema of all of the above
      GET  /health                live; GET /health/ready: a pack is loaded
      GET  /metrics               Prometheus text: requests, errors, latency, assessments
                                  by status (per worker process: label pid)

    Errors are JSON, {"error": ..., "problems": [{"field", "given", "allowed",
    "message", "suggestion"}]}: 400 a body that is not JSON, 422 invalid answers or
    an unreadable training log (by file:line and column), 404 an unknown id or path
    (with a did-you-mean), 413 a body (uploads included) over --body-limit, 415 a body
    that is not application/json (or multipart/form-data); never a traceback.

    Reload: SIGHUP or POST /v1/reload loads, checks, compiles and rule-tests the pack
    on disk; only a clean pack replaces the running one (requests in flight finish on
    the old one). A broken pack is reported in /v1/status and the old one keeps
    serving. SIGTERM or Ctrl-C stops after the requests in flight.

    Needs the serve extra: pip install 'legrules[serve]'.

    Exit codes: 0 stopped by SIGTERM or Ctrl-C; 1 the port cannot be used (in use, not
    an address of this machine, no permission, the host name cannot be resolved now) or
    the serve extra is missing; 2 an invalid option (a --host that is not an IP address
    or a host name that resolves, --port outside 0-65535, --workers below 1), invalid
    rules or audit log.
    """
    try:
        from legrules.serve import PackState, ServeConfig
        from legrules.serve.runner import listening_socket, serve_many, serve_one
    except ImportError as error:
        fail(
            f"legrules serve needs the serve extra ({error.name} is missing): "
            "pip install 'legrules[serve]'",
            EXIT_CHECK_FAILED,
        )
    _log_to_stderr()
    config = ServeConfig(
        rules_dir=rules_dir, audit_log=log_path, body_limit=body_limit, workers=workers
    )
    # checked before the port is taken: a broken pack never serves
    state = PackState(config)
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        state.close()
        hint = LISTEN_HINTS.get(error.errno or 0)
        fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
            + (f" ({hint})" if hint else ""),
            EXIT_CHECK_FAILED,
        )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    engine = state.current

    def announce() -> None:
        # only once SIGTERM stops it gracefully: a supervisor takes this line as ready
        click.echo(
            f"legrules: serving {engine.pack.meta.name} {engine.pack.meta.version} on "
            f"http://{shown}:{bound_port}/ with {workers} worker{'s' * (workers != 1)} "
            "(SIGHUP reloads the pack; Ctrl-C stops)",
            err=True,
        )
        sys.stderr.flush()

    with sock:
        if workers == 1:
            serve_one(state, sock, access_log=verbose, ready=announce)
        else:
            state.close()
            serve_many(config, sock, workers, access_log=verbose, ready=announce)


def _log_to_stderr() -> None:
    """The service's own messages (reloads, a worker replaced) on stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("legrules: %(message)s"))
    logger = logging.getLogger("legrules.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
