"""Answers to existing questions, measured from a training log, each with its evidence.

The output is shaped to be merged with self-reported answers later (``assess --log``):
``DerivedFacts.values()`` is an answers document over the pack's own question ids, and
every value was checked against that question's allowed values. A question the log
cannot answer honestly is listed in ``not_derived`` with the reason, never guessed:
a log says nothing about how the lifter feels, and an old log says nothing about today.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legrules.pack.questionnaire import Question
from legrules.paths import pack_dir
from legrules.run.loader import load_questionnaire
from legrules.strict import StrictModel
from legrules.traininglog.analysis import (
    Evidence,
    LogAnalysis,
    Window,
    analyse,
    count,
    monday,
    show_set,
)
from legrules.traininglog.model import TrainingLog
from legrules.traininglog.packfiles import load_exercise_table, load_settings

AnswerValue = bool | int | str | list[str]


class DerivedAnswer(StrictModel):
    question: str
    value: AnswerValue
    evidence: Evidence


class NotDerived(StrictModel):
    question: str
    reason: str


class Measurement(StrictModel):
    """A measured fact no question asks for yet (for rules that may read it later)."""

    name: str
    value: float | bool | int
    evidence: Evidence


class DerivedFacts(StrictModel):
    """What the log says, as answers over the pack's question ids, with evidence."""

    source: str
    digest: str
    as_of: dt.date
    window: Window | None
    answers: tuple[DerivedAnswer, ...]
    not_derived: tuple[NotDerived, ...]
    measurements: tuple[Measurement, ...]

    def values(self) -> dict[str, AnswerValue]:
        """The answers alone, ready to merge with self-reported ones."""
        return {answer.question: answer.value for answer in self.answers}

    def get(self, question: str) -> DerivedAnswer | None:
        return next((a for a in self.answers if a.question == question), None)


# ------------------------------------------------------------------ the pack's questions


def _questions(pack: Any) -> dict[str, Question]:
    """The questions of ``pack``: a pack directory (or None for the default), or an
    object with ``questionnaire`` (a RulePack, an Engine) or ``questions`` (a
    Questionnaire). A directory is read by the loader, as every pack is, so a measured
    value is checked by the questionnaire's own :meth:`Question.check_value`."""
    if pack is None or isinstance(pack, str | os.PathLike):
        questions = load_questionnaire(pack_dir(None if pack is None else Path(pack))).questions
    else:
        holder = getattr(pack, "questionnaire", pack)
        questions = getattr(holder, "questions", [])
    return {q.id: q for q in questions}


def _pack_root(pack: Any) -> Path | None:
    if pack is None:
        return None
    if isinstance(pack, str | os.PathLike):
        return Path(pack)
    root = getattr(pack, "root", None) or getattr(getattr(pack, "pack", None), "root", None)
    return Path(root) if root is not None else None


# ------------------------------------------------------------------ each answer


@dataclass
class _Builder:
    analysis: LogAnalysis
    questions: dict[str, Question]
    answers: list[DerivedAnswer]
    missing: list[NotDerived]

    def add(self, question: str, value: AnswerValue, evidence: Evidence) -> None:
        spec = self.questions.get(question)
        if spec is None:
            self.missing.append(
                NotDerived(question=question, reason="the pack has no such question")
            )
            return
        problem = spec.check_value(value)
        if problem is not None:
            self.missing.append(
                NotDerived(
                    question=question,
                    reason=f"measured {value!r}, but {problem}; allowed: {spec.allowed_text()}",
                )
            )
            return
        self.answers.append(DerivedAnswer(question=question, value=value, evidence=evidence))

    def skip(self, question: str, reason: str) -> None:
        if question in self.questions:
            self.missing.append(NotDerived(question=question, reason=reason))


def _span(window: Window) -> str:
    return f"{window.start} to {window.last_day}"


def _tracks_progress(b: _Builder, window: Window) -> None:
    sessions = b.analysis.window_sessions()
    b.add(
        "tracks_progress",
        "yes",
        Evidence(
            sentence=f"{count(len(sessions), 'leg session')} logged with sets, reps and loads "
            f"in the {count(window.weeks, 'week')} {_span(window)}",
            dates=(sessions[0].date, sessions[-1].date),
            numbers={"sessions": len(sessions), "weeks": window.weeks},
        ),
    )


def _sessions_per_week(b: _Builder, window: Window) -> None:
    sessions = b.analysis.window_sessions()
    rate = len(sessions) / window.weeks
    b.add(
        "leg_sessions_per_week",
        int(rate + 0.5),
        Evidence(
            sentence=f"{count(len(sessions), 'leg session')} in {count(window.weeks, 'week')} "
            f"({_span(window)}): "
            f"{rate:.1f} a week",
            dates=tuple(s.date for s in sessions),
            numbers={"sessions": len(sessions), "weeks": window.weeks, "per_week": round(rate, 2)},
        ),
    )


def _heavy_sessions(b: _Builder, window: Window) -> None:
    sessions = b.analysis.window_sessions()
    heavy = [s for s in sessions if s.heavy]
    value = "none" if not heavy else "every_session" if len(heavy) == len(sessions) else "some"
    settings = b.analysis.settings
    rule = (
        f"a session is heavy when a working set on a compound lift has {settings.heavy_max_reps} "
        f"reps or fewer, or is at least {settings.heavy_percent_e1rm:.0%} of the lift's current "
        "e1RM"
    )
    unit = b.analysis.log.unit
    examples = "; ".join(
        f"{show_set(s.heavy_set, unit)} ({s.heavy_because})"
        for s in heavy[-3:]
        if s.heavy_set is not None
    )
    sentence = (
        f"{len(heavy)} of {len(sessions)} leg sessions in {_span(window)} were heavy ({rule})"
    )
    b.add(
        "heavy_sessions",
        value,
        Evidence(
            sentence=sentence + (f"; latest: {examples}" if examples else ""),
            dates=tuple(s.date for s in heavy),
            sets=tuple(s.heavy_set for s in heavy if s.heavy_set is not None),
            numbers={"heavy": len(heavy), "sessions": len(sessions)},
        ),
    )


def _hamstring_work(b: _Builder, window: Window, lifts: Mapping[str, Any]) -> None:
    settings = b.analysis.settings
    leg_weeks: set[dt.date] = set()
    kinds: dict[str, set[dt.date]] = {"hinge": set(), "curl": set()}
    names: dict[str, set[str]] = {"hinge": set(), "curl": set()}
    for session in b.analysis.window_sessions():
        leg_weeks.add(monday(session.date))
        for name in session.lifts:
            pattern = lifts[name].hamstrings
            if pattern is not None:
                kinds[pattern].add(monday(session.date))
                names[pattern].add(name)
    worked = kinds["hinge"] | kinds["curl"]
    share = len(worked) / len(leg_weeks) if leg_weeks else 0.0
    if not worked:
        value = "none"
    elif share < settings.occasional_share:
        value = "only_if_time"
    elif kinds["hinge"] and kinds["curl"]:
        value = "both"
    else:
        value = "hinges_only" if kinds["hinge"] else "curls_only"
    listed = "; ".join(
        f"{pattern}s ({', '.join(sorted(names[pattern]))}) in {count(len(kinds[pattern]), 'week')}"
        for pattern in ("hinge", "curl")
        if kinds[pattern]
    )
    sentence = (
        f"direct hamstring work in {len(worked)} of the {count(len(leg_weeks), 'week')} with leg "
        f"training ({_span(window)})" + (f": {listed}" if listed else "")
    )
    b.add(
        "hamstring_work",
        value,
        Evidence(
            sentence=sentence,
            dates=tuple(sorted(worked)),
            numbers={
                "weeks_with_hamstring_work": len(worked),
                "weeks_with_leg_training": len(leg_weeks),
                "occasional_share": settings.occasional_share,
            },
        ),
    )


def _current_exercises(b: _Builder, window: Window, lifts: Mapping[str, Any]) -> None:
    weeks: dict[str, set[dt.date]] = {}
    for session in b.analysis.window_sessions():
        for name in session.lifts:
            kind = lifts[name].kind
            if kind is not None:
                weeks.setdefault(kind, set()).add(monday(session.date))
    needed = min(b.analysis.settings.regular_weeks, window.weeks)
    spec = b.questions.get("current_exercises")
    allowed = set(spec.values or ()) if spec is not None else set()
    regular = sorted(k for k, w in weeks.items() if len(w) >= needed and k in allowed)
    outside = sorted(k for k in weeks if k not in allowed)
    parts = [f"{kind} in {count(len(weeks[kind]), 'week')}" for kind in regular]
    occasional = sorted(k for k, w in weeks.items() if len(w) < needed)
    sentence = (
        f"done in at least {needed} of the {count(window.weeks, 'week')} {_span(window)}: "
        + (", ".join(parts) if parts else "nothing from the question's list")
    )
    if occasional:
        sentence += f"; only occasionally: {', '.join(occasional)}"
    if outside:
        sentence += f"; not values of this question: {', '.join(outside)}"
    b.add(
        "current_exercises",
        regular,
        Evidence(sentence=sentence, numbers={k: len(w) for k, w in sorted(weeks.items())}),
    )


def _strength_stalled(b: _Builder) -> None:
    judged = [
        t
        for t in b.analysis.lifts
        if t.compound and t.stalled is not None and t.trend in ("rising", "flat", "falling")
    ]
    if not judged:
        b.skip(
            "strength_stalled",
            f"no compound leg lift has loaded sets of {b.analysis.settings.e1rm_max_reps} reps "
            f"or fewer in both of the last two {b.analysis.settings.stall_weeks}-week periods",
        )
        return
    stalled = [t for t in judged if t.stalled]
    value = len(stalled) == len(judged)
    summary = (
        "every compound leg lift with enough data has stalled"
        if value
        else f"{len(judged) - len(stalled)} of {len(judged)} compound leg lifts still improve"
    )
    b.add(
        "strength_stalled",
        value,
        Evidence(
            sentence=f"{summary}: " + "; ".join(t.evidence.sentence for t in judged),
            dates=tuple(d for t in judged for d in t.evidence.dates),
            sets=tuple(s for t in judged for s in t.evidence.sets),
            numbers={t.lift: t.change for t in judged},
        ),
    )


def _dominant_leg(b: _Builder) -> None:
    sides = b.analysis.sides
    if not sides:
        b.skip(
            "dominant_leg",
            "no one-leg lift with both sides logged in the window (only legrules' own log "
            "format records left and right)",
        )
        return
    # A lift within the threshold does not contradict one that shows a side; lifts that
    # show opposite sides do.
    stronger = {s.stronger for s in sides if s.stronger is not None}
    value = "none" if not stronger else "not_sure" if len(stronger) > 1 else stronger.pop()
    b.add(
        "dominant_leg",
        value,
        Evidence(
            sentence="; ".join(s.evidence.sentence for s in sides),
            dates=tuple(d for s in sides for d in s.evidence.dates),
            sets=tuple(r for s in sides for r in s.evidence.sets),
            numbers={s.lift: s.difference for s in sides},
        ),
    )


def _measurements(analysis: LogAnalysis) -> tuple[Measurement, ...]:
    window = analysis.window
    if window is None:
        return ()
    weekly = analysis.window_sets()
    span = _span(window)
    found = [
        Measurement(
            name=f"weekly_hard_sets_{muscle}",
            value=count,
            evidence=Evidence(
                sentence=f"{count:g} hard sets a week for the {muscle} on average over "
                f"{span} (warm-ups left out; a secondary muscle counts half)",
                numbers={"weeks": window.weeks},
            ),
        )
        for muscle, count in weekly.items()
    ]
    sessions = analysis.window_sessions()
    if sessions:
        every = all(s.heavy for s in sessions)
        found.append(
            Measurement(
                name="all_sessions_heavy",
                value=every,
                evidence=Evidence(
                    sentence=f"{sum(s.heavy for s in sessions)} of {len(sessions)} leg sessions "
                    f"in {span} were heavy",
                ),
            )
        )
    return tuple(found)


def derive_answers(
    log: TrainingLog | LogAnalysis,
    pack: Any = None,
    *,
    today: dt.date | None = None,
) -> DerivedFacts:
    """Answers measured from ``log`` for the questions of ``pack`` (a pack directory,
    None for the default pack, or an object with ``questionnaire`` or ``questions``).

    Habits (sessions a week, heavy sessions, exercises, hamstring work, tracking,
    stalls) are only derived from a current log, one whose last leg session is within
    ``current_weeks`` weeks of ``today``.
    """
    root = _pack_root(pack)
    if isinstance(log, TrainingLog):
        analysis = analyse(
            log,
            table=load_exercise_table(root),
            settings=load_settings(root),
            today=today,
        )
    else:
        analysis = log
    lifts = {trend.lift: trend for trend in analysis.lifts}
    b = _Builder(analysis, _questions(pack), [], [])
    window = analysis.window
    habits = (
        "tracks_progress",
        "leg_sessions_per_week",
        "heavy_sessions",
        "hamstring_work",
        "current_exercises",
        "strength_stalled",
        "dominant_leg",
    )
    if window is None:
        for question in habits:
            b.skip(question, "the log has no leg exercise legrules knows")
    elif not analysis.current:
        last = window.last_day
        for question in habits:
            b.skip(
                question,
                f"the log's last leg session is in the week ending {last}, more than "
                f"{analysis.settings.current_weeks} weeks before {analysis.as_of}: it shows "
                "what you did then, not now",
            )
    else:
        _tracks_progress(b, window)
        _sessions_per_week(b, window)
        _heavy_sessions(b, window)
        _hamstring_work(b, window, lifts)
        _current_exercises(b, window, lifts)
        _strength_stalled(b)
        _dominant_leg(b)
    return DerivedFacts(
        source=analysis.log.source,
        digest=analysis.log.digest,
        as_of=analysis.as_of,
        window=window,
        answers=tuple(b.answers),
        not_derived=tuple(b.missing),
        measurements=_measurements(analysis),
    )
