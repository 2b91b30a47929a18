"""The options and steps of ``legrules assess --audit-log PATH [--redact FIELD]``.

Apart from ``legrules.cli.audit`` (the commands that read the log) so that ``assess``
does not import those commands, and what they import, on every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from legrules.cli._common import fail
from legrules.errors import EXIT_BAD_INPUT
from legrules.paths import ENV_AUDIT_LOG

if TYPE_CHECKING:
    from legrules.audit import AuditLog

redact_option = click.option(
    "--redact",
    "redact",
    multiple=True,
    metavar="FIELD",
    help="In the audit log, store a salted hash instead of this answer (repeatable).",
)


def assess_audit_log(path: Path | None, redact: tuple[str, ...]) -> AuditLog | None:
    """The log ``legrules assess`` writes to, or None; --redact needs --audit-log."""
    if path is None:
        if redact:
            fail(
                "--redact only applies to the audit log: add --audit-log PATH "
                f"(or set {ENV_AUDIT_LOG})",
                EXIT_BAD_INPUT,
            )
        return None
    from legrules.audit import AuditLog

    return AuditLog(path, redact=redact)


def note_recorded(log: AuditLog | None, assessment_id: str) -> None:
    """Close the log (so the WAL is checkpointed into the file now) and say on stderr
    where the record went; stdout stays the result."""
    if log is not None:
        log.close()
        click.echo(f"legrules: recorded assessment {assessment_id} in {log.path}", err=True)
