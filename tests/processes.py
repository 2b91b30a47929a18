"""What every test that signals a child process needs: the child's signals at default.

A process started with a signal ignored (a background job of a non-interactive shell
ignores SIGINT; ``nohup`` ignores SIGHUP; some CI runners ignore both) passes that on
through fork and exec. The child then never sees the signal the test sends: Python
installs no KeyboardInterrupt handler for an ignored SIGINT, and legrules, on purpose,
does not take over a SIGHUP or SIGTERM that its caller chose to ignore. A test that
sends one of these must therefore start its child with them at their default.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path

import pexpect

from tests.conftest import REPO

#: the questionnaire's prompt, and the line that ends it, on a terminal
PROMPT = r"> \[[^\]\r\n]*\] "
REVIEW = "Press Enter to see your result"

_SENT_BY_TESTS = ("SIGINT", "SIGHUP", "SIGTERM")


def default_signals() -> None:
    """A ``preexec_fn`` for pexpect (runs in the child between fork and exec)."""
    for name in _SENT_BY_TESTS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)


#: The same, as the first lines of a ``python -c`` child: subprocess's preexec_fn is not
#: safe in a process with threads, so a subprocess child resets them itself. Inside
#: Python the default for SIGINT is its KeyboardInterrupt handler, not SIG_DFL (which is
#: what Python finds at start-up when it installs that handler).
DEFAULT_SIGNALS_PRELUDE = (
    "import signal as _signal\n"
    f"for _name in {_SENT_BY_TESTS!r}:\n"
    "    _signal.signal(getattr(_signal, _name), _signal.SIG_DFL)\n"
    "_signal.signal(_signal.SIGINT, _signal.default_int_handler)\n"
)


def spawn(
    args: list[str], tmp_path: Path | None = None, *, color: bool = False, shell: str | None = None
) -> tuple[pexpect.spawn, io.StringIO]:
    """``python -m legrules ARGS`` on a pseudo-terminal (or ``shell`` run in ``tmp_path``),
    with the default signals, no colour unless asked, and a transcript of what it showed."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "LEGRULES_RULES", "LEGRULES_AUDIT_LOG")
    }
    env["TERM"] = "xterm"
    if not color:
        env["NO_COLOR"] = "1"
    transcript = io.StringIO()
    if shell is not None:
        child = pexpect.spawn(
            "/bin/sh",
            ["-c", shell],
            env=env,
            cwd=str(tmp_path or REPO),
            encoding="utf-8",
            timeout=60,
            preexec_fn=default_signals,
        )
    else:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "legrules", *args],
            env=env,
            cwd=str(REPO),
            encoding="utf-8",
            timeout=60,
            dimensions=(50, 120),
            preexec_fn=default_signals,
        )
    child.logfile_read = transcript
    return child, transcript
