"""The seam between a training log and an assessment (``assess --log``, ``log=``).

The engine (:mod:`legrules.run`) sits below this package and never reads a log: here
the logs are measured, the measured answers replace the person's own, and what the log
contributed (the answers, where they disagree with the person's, and the evidence) is
handed down as plain data, :class:`~legrules.run.assessment.TrainingLogUse`, which the
engine carries into the result and so into the audit record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from legrules.errors import Problem
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.values import show_value
from legrules.run.assessment import (
    LogEvidence,
    LogFile,
    LogSet,
    MeasuredAnswer,
    NotMeasured,
    TrainingLogUse,
)
from legrules.traininglog.analysis import Evidence, SetRef
from legrules.traininglog.derive import DerivedFacts, derive_answers
from legrules.traininglog.model import TrainingLog, TrainingLogError

LogInput = TrainingLog | Sequence[TrainingLog]


@dataclass(frozen=True)
class MeasuredLogs:
    """What one or more logs measured, ready to merge with the person's own answers.

    Made by :func:`measure_logs`; ``facts`` is the combined logs' derivation (for a
    caller that wants it whole), ``use`` the same as the assessment carries it.
    """

    facts: DerivedFacts
    use: TrainingLogUse

    def values(self) -> dict[str, AnswerValue]:
        return dict(self.facts.values())


def combine(logs: Sequence[TrainingLog]) -> TrainingLog:
    """One log from several (an old app's export and the new app's, say).

    Two logs with sets on the same day are refused: the same session exported twice
    would count double in every weekly number, and which copy is right is not ours to
    guess.
    """
    if not logs:
        raise TrainingLogError([Problem(location="log", message="no training log given")])
    if len(logs) == 1:
        return logs[0]
    owner: dict[dt.date, int] = {}
    for index, log in enumerate(logs):
        for day in {s.date for s in log.sets}:
            other = owner.setdefault(day, index)
            if other != index:
                shared = sorted({s.date for s in log.sets} & {s.date for s in logs[other].sets})
                problem = Problem(
                    location=f"{logs[other].source} and {log.source}",
                    message=f"both logs have sets on {_days(shared)}: a session exported "
                    "twice would count double; give each session in one log only",
                )
                raise TrainingLogError([problem])
    sets = sorted(
        (
            s.model_copy(update={"session": f"{index}:{s.session}"})
            for index, log in enumerate(logs)
            for s in log.sets
        ),
        key=lambda s: s.date,
    )
    units = {log.unit for log in logs}
    digest = hashlib.sha256("\n".join(log.digest for log in logs).encode()).hexdigest()
    return TrainingLog(
        source=" + ".join(log.source for log in logs),
        format=logs[-1].format,
        variant=logs[-1].variant,
        digest=f"sha256:{digest}",
        unit=units.pop() if len(units) == 1 else "kg",
        sets=tuple(sets),
        skipped=(),
        notes=tuple(note for log in logs for note in log.notes),
    )


def _days(days: Sequence[dt.date]) -> str:
    shown = ", ".join(str(d) for d in days[:3])
    return shown + (f" and {len(days) - 3} more days" if len(days) > 3 else "")


def measure_logs(
    log: LogInput | MeasuredLogs, pack: Any = None, *, today: dt.date | None = None
) -> MeasuredLogs:
    """Measure ``log`` (a TrainingLog, several, or already measured) for ``pack``'s
    questions (see :func:`~legrules.traininglog.derive.derive_answers` for ``pack``)."""
    if isinstance(log, MeasuredLogs):
        return log
    logs = [log] if isinstance(log, TrainingLog) else list(log)
    facts = derive_answers(combine(logs), pack, today=today)
    day_log = {s.date: index for index, one in enumerate(logs) for s in one.sets}
    use = TrainingLogUse(
        logs=[_file(one) for one in logs],
        as_of=facts.as_of.isoformat(),
        window=None
        if facts.window is None
        else [facts.window.start.isoformat(), facts.window.last_day.isoformat()],
        measured=[
            MeasuredAnswer(
                question=answer.question,
                value=_copy(answer.value),
                evidence=_evidence(answer.evidence, day_log),
            )
            for answer in facts.answers
        ],
        not_measured=[NotMeasured(question=n.question, reason=n.reason) for n in facts.not_derived],
    )
    return MeasuredLogs(facts, use)


def _copy(value: Any) -> AnswerValue:
    return list(value) if isinstance(value, list | tuple) else value


def _file(log: TrainingLog) -> LogFile:
    return LogFile(
        source=log.source,
        digest=log.digest,
        format=log.format,
        variant=log.variant,
        sets=len(log.sets),
        skipped=len(log.skipped),
        first_date=None if log.first_date is None else log.first_date.isoformat(),
        last_date=None if log.last_date is None else log.last_date.isoformat(),
    )


def _evidence(evidence: Evidence, day_log: Mapping[dt.date, int]) -> LogEvidence:
    return LogEvidence(
        sentence=evidence.sentence,
        dates=[d.isoformat() for d in evidence.dates],
        sets=[_set(ref, day_log) for ref in evidence.sets],
        numbers=dict(evidence.numbers),
    )


def _set(ref: SetRef, day_log: Mapping[dt.date, int]) -> LogSet:
    return LogSet(
        log=day_log.get(ref.date, 0),
        line=ref.line,
        date=ref.date.isoformat(),
        exercise=ref.exercise,
        weight_kg=ref.weight_kg,
        reps=ref.reps,
        side=ref.side,
    )


def _same(a: AnswerValue, b: AnswerValue) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(a) == sorted(b)
    return a == b


def with_reported(
    measured: MeasuredLogs,
    reported: Mapping[str, AnswerValue],
    questions: Iterable[Question] = (),
) -> TrainingLogUse:
    """The log's contribution with the person's own answers beside the measured ones:
    each disagreement gets the clarify note the report shows near its top (the
    measured value is the one assessed)."""
    by_id = {q.id: q for q in questions}
    updated = []
    for item in measured.use.measured:
        said = reported.get(item.question)
        if said is None:
            updated.append(item)
            continue
        agrees = _same(said, item.value)
        question = by_id.get(item.question)
        note = None
        if not agrees:
            note = (
                f"You answered {item.question} = {show_value(said, question)}, but your "
                f"training log shows {show_value(item.value, question)}: "
                f"{item.evidence.sentence if item.evidence else 'see the log'}. "
                "The log's value was used; if the log is wrong or out of date, leave it out "
                "(or fix it) and assess again."
            )
        updated.append(
            item.model_copy(update={"reported": _copy(said), "agrees": agrees, "note": note})
        )
    return measured.use.model_copy(update={"measured": updated})


def merge_answers(
    reported: Mapping[str, AnswerValue], measured: MeasuredLogs
) -> dict[str, AnswerValue]:
    """The answers to assess: the person's own, with every measured one replacing
    theirs (a log that was read is better evidence than a recollection)."""
    return {**reported, **measured.values()}
