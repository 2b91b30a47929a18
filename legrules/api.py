"""The library entry point: load a pack once, assess any number of answer sets.

>>> from legrules import Engine
>>> engine = Engine()                      # the default pack
>>> result = engine.assess({"squat_felt_most": "glutes"})
>>> result.status, [r.id for r in result.recommendations][:1]  # doctest: +SKIP

The engine itself is :mod:`legrules.run.engine`; this module adds what needs the layers
above it (an audit log opened from a path) and the shared default engine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from legrules.pack.model import RulePack
from legrules.run import engine as runtime
from legrules.run.answers import Answers
from legrules.run.assessment import Assessment, TrainingLogUse
from legrules.run.compiler import CompiledPack
from legrules.run.recorder import Recorder

if TYPE_CHECKING:
    from legrules.traininglog.assessing import MeasuredLogs
    from legrules.traininglog.model import TrainingLog

    LogArgument = TrainingLog | Sequence[TrainingLog] | MeasuredLogs


class Engine(runtime.Engine):
    """One loaded rule pack, compiled once, assessing answers from any number of threads.

    ``rules`` is a pack directory (default: ``$LEGRULES_RULES`` or the shipped pack), a
    :class:`~legrules.pack.model.RulePack` already loaded with :func:`~legrules.load_pack`, or
    a :class:`~legrules.run.compiler.CompiledPack` (for example from
    :func:`legrules.run.packcache.compiled_pack`, which keeps compiled packs between runs).
    ``max_firings`` bounds one assessment's forward chain (default: the most activations
    a loop-free pack can produce, computed by the compiler); exceeding it raises
    :class:`~legrules.errors.RuleLoopError` naming the rules involved.
    ``audit_log`` (a path or an :class:`~legrules.audit.AuditLog`, or any
    :class:`~legrules.run.recorder.Recorder`) records every assessment in that decision log.

    Engines of one pack in one process share one native ruleset
    (:data:`legrules.run.durable.RULESETS`). An Engine pickles as its compiled pack (and its
    options): unpickled, in this process or another, it uses that process's ruleset for
    the pack, so it gives exactly the original's results (Spark, Dask, Ray and
    multiprocessing pickle what their workers use). An audit log goes as its absolute
    path, redacted fields and timeout, and is reopened where the engine is unpickled: the
    log file must be reachable there, and any number of processes may write to one log.
    """

    def __init__(
        self,
        rules: str | os.PathLike[str] | RulePack | CompiledPack | None = None,
        *,
        max_firings: int | None = None,
        audit_log: str | os.PathLike[str] | Recorder | None = None,
    ) -> None:
        if isinstance(audit_log, (str, os.PathLike)):
            # imported here: sqlite3 and the audit models cost start-up time for
            # everyone who does not keep a log
            from legrules.audit import AuditLog  # noqa: PLC0415

            audit_log = AuditLog(audit_log)
        super().__init__(rules, max_firings=max_firings, audit_log=audit_log)

    def assess(
        self,
        answers: Mapping[str, Any] | Answers,
        *,
        log: LogArgument | None = None,
        training_log: TrainingLogUse | None = None,
    ) -> Assessment:
        """Assess one answer set; with ``log`` (a :class:`~legrules.TrainingLog` from
        :func:`~legrules.read_log`, a list of them, or
        :func:`~legrules.traininglog.assessing.measure_logs`' result), measured from the
        lifter's training log too.

        The answers the log can measure replace the person's own (the result's
        ``training_log`` shows both, with a clarify note where they disagree, and the
        evidence for each). The engine below never reads a log: this layer measures it,
        merges the answers and hands the rest down as plain data.
        """
        if log is None:
            return super().assess(answers, training_log=training_log)
        if training_log is not None:
            raise TypeError("give log= or training_log=, not both")
        # imported here: reading logs costs start-up time for everyone who does not
        from legrules.traininglog.assessing import (  # noqa: PLC0415
            measure_logs,
            merge_answers,
            with_reported,
        )

        own = answers if isinstance(answers, Answers) else self.validate(answers)
        reported = {key: own[key] for key in own if key in own.provided}
        measured = measure_logs(log, self)
        merged = self.validate(
            merge_answers(reported, measured), "your answers and your training log"
        )
        use = with_reported(measured, reported, self.questionnaire.questions)
        return super().assess(merged, training_log=use)


_DEFAULT: Engine | None = None
_DEFAULT_LOCK = threading.Lock()


def _default_engine() -> Engine:
    """The shared engine for :func:`assess`, built once on first use.

    Built under a lock: threads that ask at the same moment wait for the one engine
    rather than each compiling the pack (and all but one leaking its engine). The
    engine itself is safe to share between threads.
    """
    global _DEFAULT  # noqa: PLW0603 - one engine per process, built lazily
    engine = _DEFAULT
    if engine is None:
        with _DEFAULT_LOCK:
            engine = _DEFAULT
            if engine is None:
                engine = _DEFAULT = Engine()
    return engine


def assess(
    answers: Mapping[str, Any] | Answers,
    rules: str | os.PathLike[str] | None = None,
    *,
    log: LogArgument | None = None,
) -> Assessment:
    """Assess with the default pack (engine built once and reused) or with ``rules``;
    ``log`` as for :meth:`Engine.assess`.

    Convenient for scripts; an application that assesses often should hold an
    :class:`Engine` itself.
    """
    if rules is not None:
        with Engine(rules) as engine:
            return engine.assess(answers, log=log)
    engine = _default_engine()
    # without a log, called as before: a subclass's assess need not know log=
    return engine.assess(answers) if log is None else engine.assess(answers, log=log)
