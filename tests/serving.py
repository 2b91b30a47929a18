"""A real ``legrules serve`` process on a free 127.0.0.1 port, for the tests and the
load benchmark: started, read (its stderr is a file), talked to and stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.processes import DEFAULT_SIGNALS_PRELUDE

DEADLINE = 120.0  # seconds: a bound for a hang, never a wait for something to happen
_SERVING = re.compile(r"serving .* on (http://127\.0\.0\.1:\d+/)")


class Server:
    """``legrules serve --port 0 ARGS`` in a child process; ``url`` once it listens."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = tmp_path / "serve-stderr.txt"
        code = f"{DEFAULT_SIGNALS_PRELUDE}\nfrom legrules.cli import main\nmain()"
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", "0", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, **(env or {})},
            )
        found = self.wait_for_log(_SERVING)
        self.url = found.group(1)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, pattern: re.Pattern[str], count: int = 1) -> re.Match[str]:
        """Until the server has written ``pattern`` ``count`` times on stderr."""
        deadline = time.monotonic() + DEADLINE
        while True:
            found = list(pattern.finditer(self.stderr()))
            if len(found) >= count:
                return found[count - 1]
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"legrules serve exited ({self.proc.returncode}):\n{self.stderr()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern.pattern!r} within {DEADLINE} s")
            time.sleep(0.02)

    def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        sent = {"content-type": "application/json"} if data is not None else {}
        sent.update(headers or {})
        request = urllib.request.Request(self.url + path.lstrip("/"), data, sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        status, _, data = self.request(method, path, body)
        return status, json.loads(data)

    def stop(self) -> int:
        """SIGTERM, then its exit status (killed if it does not stop)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode
