"""A batch that cannot finish, in a real process: signals, a killed worker, a write limit.

Each test starts ``legrules assess --batch`` and, for the tests that break a running
batch, gates it: past the first chunks every worker blocks opening a FIFO nobody ever
writes, so the batch cannot finish before the test breaks it, however slow or busy the
machine (an ungated batch could finish between "progress seen" and the signal). The test
waits (polling, with a deadline) until the workers exist and the first chunk has reached
the output, then breaks the batch. Whatever breaks it, the command must exit with its
documented code and one plain line on stderr, leave no worker process behind and no
partial output or chunk file in the output's directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.processes import DEFAULT_SIGNALS_PRELUDE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc"),
]

LINES = 20_000
DEADLINE = 120.0  # seconds: a bound for a hang, never a wait for something to happen
# lines assessed before the gate closes: two chunks, so output appears and then stalls
GATED_AFTER = 100


def _gate(fifo: Path) -> str:
    """Code run in the batch's parent before the CLI: workers are forked from it, so they
    inherit a line assessor that blocks forever past line GATED_AFTER."""
    return (
        "import legrules.run.batch as _b\n"
        "_assess = _b._assess_line\n"
        "def _gated(engine, number, data, *form):\n"
        f"    if number > {GATED_AFTER}:\n"
        f"        open({str(fifo)!r}, 'rb').read()  # no writer ever comes\n"
        "    return _assess(engine, number, data, *form)\n"
        "_b._assess_line = _gated\n"
    )


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a live process (None if gone or a zombie): with the
    pid, it names one process even if the pid is reused later."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _children(pid: int) -> dict[int, str]:
    found: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids = task.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            continue
        for child in map(int, pids):
            start = _start_time(child)
            if start is not None:
                found[child] = start
    return found


class Batch:
    def __init__(self, tmp_path: Path, prelude: str = "", env: dict[str, str] | None = None):
        self.source = tmp_path / "in.jsonl"
        line = json.dumps({"squat_felt_most": "glutes"}) + "\n"
        self.source.write_text(line * LINES, encoding="utf-8")
        self.out_dir = tmp_path / "out"
        self.out_dir.mkdir()
        # the test sends SIGINT/SIGHUP/SIGTERM: a nohup'd or background test run must
        # not hand the batch an ignored one
        code = (
            f"{DEFAULT_SIGNALS_PRELUDE}{prelude}\nimport sys\nfrom legrules.cli import main\nmain()"
        )
        # stderr to a file, not a pipe: orphaned workers would hold a pipe open
        self.stderr = tmp_path / "stderr.txt"
        args = ["assess", "--batch", str(self.source), "--out", str(self.out_dir / "out.jsonl")]
        with self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code, *args, "--workers", "2"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, **(env or {})},
            )
        self.workers: dict[int, str] = {}

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not ready():
            if self.proc.poll() is not None:
                pytest.fail(f"batch exited ({self.proc.returncode}) before {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {DEADLINE} s")
            time.sleep(0.02)

    def _progressed(self) -> bool:
        for path in self.out_dir.glob(".out.jsonl.*"):
            try:
                if path.is_file() and path.stat().st_size > 0:
                    return True
            except FileNotFoundError:
                continue
        return False

    def wait_for_progress(self) -> None:
        """Until both workers run and the first chunk has been spliced into the output."""
        self.wait_until(lambda: len(_children(self.proc.pid)) == 2, "two workers")
        self.workers = _children(self.proc.pid)
        self.wait_until(self._progressed, "output")

    def finish(self) -> tuple[int, str]:
        returncode = self.proc.wait(timeout=DEADLINE)
        return returncode, self.stderr.read_text(encoding="utf-8", errors="replace")

    def survivors(self) -> list[int]:
        return [pid for pid, start in self.workers.items() if _start_time(pid) == start]

    def kill_all(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.survivors():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[Callable[..., Batch]]:
    started: list[Batch] = []

    def start(prelude: str = "", env: dict[str, str] | None = None) -> Batch:
        started.append(Batch(tmp_path, prelude, env))
        return started[-1]

    yield start
    for each in started:  # a failing run must not leave workers behind either
        each.kill_all()


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    return fifo


def _assert_stopped_cleanly(run: Batch, err: str) -> None:
    assert err.count("\n") == 1, err
    assert "internal error" not in err
    assert "Traceback" not in err
    assert run.survivors() == []
    assert list(run.out_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGTERM, 143, "legrules: terminated by SIGTERM: the batch was stopped"),
        (signal.SIGHUP, 129, "legrules: terminated by SIGHUP: the batch was stopped"),
        (signal.SIGINT, 130, "legrules: interrupted"),
    ],
)
def test_a_signal_mid_batch_stops_the_workers_and_removes_the_partial_output(
    batch: Callable[..., Batch], tmp_path: Path, signum: int, code: int, message: str
) -> None:
    # Regression: SIGTERM and SIGHUP killed the parent outright, leaving its workers
    # alive forever (blocked on their task queue) and the partial temp file behind.
    run = batch(_gate(_fifo(tmp_path)))
    run.wait_for_progress()
    run.proc.send_signal(signum)
    returncode, err = run.finish()
    assert returncode == code, err
    assert message in err
    _assert_stopped_cleanly(run, err.lstrip("\n"))


def test_a_killed_worker_stops_the_batch_with_a_plain_error(
    batch: Callable[..., Batch], tmp_path: Path
) -> None:
    # Regression: BrokenProcessPool surfaced as "internal error ... please report it".
    # The killed worker's chunk files (in a scratch directory beside the output) go too.
    run = batch(_gate(_fifo(tmp_path)))
    run.wait_for_progress()
    os.kill(min(run.workers), signal.SIGKILL)
    returncode, err = run.finish()
    assert returncode == 1, err
    assert "legrules: a batch worker process died" in err
    _assert_stopped_cleanly(run, err)


def test_a_write_limit_in_the_workers_stops_the_batch_with_a_plain_error(
    batch: Callable[..., Batch],
) -> None:
    # A file size limit makes the workers' chunk writes fail (EFBIG) the way a full disk
    # fails them (ENOSPC); the failure crossed the pool as an internal error.
    prelude = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))"
    )
    run = batch(prelude, {"LEGRULES_NO_CACHE": "1"})
    returncode, err = run.finish()
    assert returncode == 1, err
    assert "legrules: cannot write the batch's chunk files in" in err
    assert "(File too large); the batch was stopped" in err
    assert "internal error" not in err
    assert list(run.out_dir.iterdir()) == []
