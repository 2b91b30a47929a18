"""``legrules serve`` as a real process on a free local port: HTTP on the wire, one and
two workers, SIGHUP reload, a clean stop; and the listening socket keeps TCP_NODELAY."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the serve extra is not installed")

from legrules.audit import AuditLog
from tests.conftest import EXAMPLES
from tests.serving import DEADLINE, Server

pytestmark = pytest.mark.slow

_RELOADED = re.compile(r"legrules: reload: serving leg-training 0\.2\.0")


def _bump_version(pack: Path, version: str) -> None:
    meta = pack / "pack.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(re.sub(r"(?m)^version: .*$", f'version: "{version}"', text), encoding="utf-8")


def test_one_worker_serves_http_reloads_on_sighup_and_stops_cleanly(
    tmp_path: Path, pack_copy: Path
) -> None:
    log = tmp_path / "decisions.db"
    server = Server(tmp_path, "--rules", str(pack_copy), "--audit-log", str(log))
    try:
        answers = json.loads((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
        status, _, _ = server.request(
            "POST", "/v1/assess", headers={"content-type": "application/json"}
        )
        assert status == 400  # no body at all
        code, made = server.json("POST", "/v1/assess", answers)
        assert code == 200
        assert made["status"] == "ok"
        code, decision = server.json("GET", f"/v1/decisions/{made['decision_id']}")
        assert code == 200
        assert decision["record"]["assessment_id"] == made["assessment_id"]
        code, wrong = server.json("POST", "/v1/assess", {"age": 7})
        assert code == 422
        assert wrong["problems"][0]["field"] == "age"

        _bump_version(pack_copy, "0.2.0")
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for_log(_RELOADED)
        code, status_now = server.json("GET", "/v1/status")
        assert status_now["pack"]["version"] == "0.2.0"
        assert status_now["last_reload"]["ok"] is True
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.stderr()
    with AuditLog(log, readonly=True) as opened:
        assert opened.count() == 1
        assert opened.verify().ok


def test_two_workers_share_the_port_and_both_reload_on_sighup(
    tmp_path: Path, pack_copy: Path
) -> None:
    server = Server(tmp_path, "--rules", str(pack_copy), "--workers", "2")
    try:
        code, status = server.json("GET", "/v1/status")
        assert code == 200
        assert status["workers"] == 2
        assert status["pid"] != server.proc.pid  # answered by a worker, not the parent
        for _ in range(5):
            code, _ = server.json("POST", "/v1/assess", {})
            assert code == 200
        _bump_version(pack_copy, "0.2.0")
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for_log(_RELOADED, count=2)  # the parent told both workers
        # POST /v1/reload reloads the worker that answers, which has the parent tell all
        _bump_version(pack_copy, "0.3.0")
        code, result = server.json("POST", "/v1/reload")
        assert code == 200
        assert result["ok"] is True
        server.wait_for_log(re.compile(r"reload: serving leg-training 0\.3\.0"), count=2)
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.stderr()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_as_soon_as_it_says_serving_stops_it_cleanly(tmp_path: Path, workers: str) -> None:
    """A supervisor sends SIGTERM once it reads the "serving" line. With two workers, the
    workers were still building their engines with the parent's handler: they never
    stopped, and the parent waited on them for ever. (With one, the line came before its
    handlers: a narrow window this test does not reliably hit.)"""
    server = Server(tmp_path, "--workers", workers)
    workers_seen = _children(server.proc.pid)
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(timeout=DEADLINE)
    finally:
        for pid in {*workers_seen, *_children(server.proc.pid)}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stop()
    assert code == 0, server.stderr()
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_under_concurrent_requests_records_each_answered_one_whole(
    tmp_path: Path, workers: str
) -> None:
    """Every 200 has its audit record, nothing else is recorded, and the chain verifies:
    SIGTERM arrives while requests are in flight (after the 40th answer)."""
    log = tmp_path / "decisions.db"
    server = Server(tmp_path, "--audit-log", str(log), "--workers", workers)
    answered = threading.Semaphore(0)

    def one(number: int) -> str | None:
        try:
            code, made = server.json("POST", "/v1/assess", {"age": 20 + number % 60})
        except (OSError, ValueError, http.client.HTTPException):  # refused or cut off by
            return None  # the stop: never a record
        finally:
            answered.release()
        return str(made["decision_id"]) if code == 200 else None

    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(one, number) for number in range(160)]
            for _ in range(40):
                answered.acquire()
            server.proc.send_signal(signal.SIGTERM)
            ids = {found for future in futures if (found := future.result()) is not None}
        assert server.proc.wait(timeout=DEADLINE) == 0
    finally:
        server.stop()
    assert len(ids) >= 40
    with AuditLog(log, readonly=True) as opened:
        assert {record.assessment_id for record in opened.records()} == ids
        assert opened.verify().ok
    assert "Traceback" not in server.stderr()


def test_a_broken_pack_never_starts_a_server(tmp_path: Path, pack_copy: Path) -> None:
    (pack_copy / "rules" / "zz-broken.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"exited \(2\)[\s\S]*zz-broken\.yaml"):
        Server(tmp_path, "--rules", str(pack_copy))


def test_the_listening_socket_gives_connections_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on connections from a socket whose proto is TCP;
    uvicorn's --workers made its socket with proto 0 and lost it (uvicorn #3149)."""
    from legrules.serve.runner import listening_socket

    async def accepted_nodelay(sock: socket.socket) -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await seen
        writer.close()
        server.close()
        await server.wait_closed()
        return value

    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"
        assert asyncio.run(accepted_nodelay(sock)) != 0


def test_a_port_in_use_is_one_line_and_exit_code_1() -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"legrules: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.output
