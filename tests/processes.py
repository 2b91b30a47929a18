"""What every test that signals a child process needs: the child's signals at default.

A process started with a signal ignored (a background job of a non-interactive shell
ignores SIGINT; ``nohup`` ignores SIGHUP; some CI runners ignore both) passes that on
through fork and exec. The child then never sees the signal the test sends: Python
installs no KeyboardInterrupt handler for an ignored SIGINT, and legrules, on purpose,
does not take over a SIGHUP or SIGTERM that its caller chose to ignore. A test that
sends one of these must therefore start its child with them at their default.
"""

from __future__ import annotations

import signal

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
