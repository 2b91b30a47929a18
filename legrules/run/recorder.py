"""What an Engine needs from a decision log, and no more.

The engine (:mod:`legrules.run.engine`) records through this protocol instead of importing
the audit package, which sits above it: replaying a stored record runs an engine, so an
engine that imported the log would close an import cycle. :class:`~legrules.audit.AuditLog`
satisfies it; so can a test double or another store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from legrules.run.assessment import Assessment
    from legrules.run.compiler import CompiledPack


@runtime_checkable
class Recorder(Protocol):
    """Where an Engine built with ``audit_log=`` sends every assessment it makes."""

    def register_pack(self, compiled: CompiledPack) -> None:
        """Called once, when the engine is built: the pack's files are read (and checked
        against ``compiled``) while they are still the files that were compiled."""

    def record(
        self,
        assessment: Assessment,
        pack: CompiledPack,
        *,
        provided: Iterable[str] | None = None,
    ) -> object:
        """Store one assessment made by ``pack``; ``provided`` are the question ids the
        person answered. An exception here reaches the caller of ``Engine.assess``: an
        assessment that could not be recorded is not returned as if it had been."""

    def close(self) -> None:
        """Called by ``Engine.close``."""
