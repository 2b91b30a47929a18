"""Properties of the log analysis that must hold for any log (hypothesis, bounded)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules.traininglog import (
    analyse,
    derive_answers,
    load_exercise_table,
    load_settings,
    parse_log,
)
from tests.logfactory import Synth, native_csv, strong_csv

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2024, 1, 1)
TABLE = load_exercise_table()
STALL = load_settings()
LIFTS = [
    "Squat (Barbell)",
    "Leg Press (Machine)",
    "Romanian Deadlift (Barbell)",
    "Bulgarian Split Squat",
    "Leg Extension (Machine)",
    "Lying Leg Curl (Machine)",
    "Bench Press (Barbell)",
]


def today(sets: list[Synth]) -> dt.date:
    return max(s.day for s in sets) + dt.timedelta(days=1)


@st.composite
def rising(draw: st.DrawFn) -> list[Synth]:
    """Each lift's best e1RM rises every week by more than the stall tolerance; other
    sets that week (lighter, more reps, warm-ups) are noise below the best."""
    weeks = draw(st.integers(2 * STALL.stall_weeks, 16))
    sets: list[Synth] = []
    for lift in draw(st.lists(st.sampled_from(LIFTS[:3]), min_size=1, max_size=3, unique=True)):
        best = draw(st.floats(40, 200))
        for w in range(weeks):
            best *= 1 + draw(st.floats(STALL.stall_tolerance + 0.001, 0.05))
            reps = draw(st.integers(1, 10))
            day = START + dt.timedelta(weeks=w, days=draw(st.integers(0, 6)))
            load = best / (1 + reps / 30) if reps > 1 else best
            sets.append(Synth(day, lift, round(load, 3), reps))
            sets.append(Synth(day, lift, round(load * 0.6, 3), reps, "warmup"))
            sets.append(Synth(day, lift, round(load * 0.8, 3), draw(st.integers(1, 12))))
    return sets


@SETTINGS
@given(rising())
def test_a_log_rising_every_week_is_never_stalled(sets: list[Synth]) -> None:
    log = parse_log(native_csv(sets), "rising.csv", today=today(sets))
    analysis = analyse(log, table=TABLE, settings=STALL, today=today(sets))
    assert all(t.stalled is not True for t in analysis.lifts), [
        t.evidence.sentence for t in analysis.lifts
    ]
    assert derive_answers(analysis).values().get("strength_stalled", False) is False


@st.composite
def any_log(draw: st.DrawFn) -> list[Synth]:
    sets: list[Synth] = []
    for w in range(draw(st.integers(1, 12))):
        for day in sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=3))):
            when = START + dt.timedelta(weeks=w, days=day)
            for lift in draw(st.lists(st.sampled_from(LIFTS), min_size=1, max_size=4, unique=True)):
                for _ in range(draw(st.integers(1, 4))):
                    sets.append(
                        Synth(
                            when,
                            lift,
                            draw(st.sampled_from([20, 40, 60, 62.5, 80, 100, 102.5, 140])),
                            draw(st.integers(1, 15)),
                            draw(st.sampled_from(["working", "working", "warmup", "drop"])),
                            draw(st.sampled_from([None, "left", "right"]))
                            if lift == "Bulgarian Split Squat"
                            else None,
                        )
                    )
    return sets


def without_positions(value: Any) -> Any:
    """A dump with file positions (and the file's digest) left out: they move when rows
    move, and nothing else may."""
    if isinstance(value, dict):
        return {
            k: without_positions(v)
            for k, v in value.items()
            if k not in ("line", "lines", "digest", "text")
        }
    if isinstance(value, list):
        return [without_positions(v) for v in value]
    return value


@SETTINGS
@given(any_log(), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(sets: list[Synth], rng: Any) -> None:
    text = native_csv(sets)
    header, *rows = text.splitlines()
    rng.shuffle(rows)
    shuffled = "\n".join([header, *rows]) + "\n"
    results = []
    for version in (text, shuffled):
        log = parse_log(version, "log.csv", today=today(sets))
        analysis = analyse(log, table=TABLE, settings=STALL, today=today(sets))
        facts = derive_answers(analysis)
        results.append(
            without_positions(
                {
                    "analysis": analysis.model_dump(mode="json"),
                    "facts": facts.model_dump(mode="json"),
                }
            )
        )
    assert results[0] == results[1]


def numbers(value: Any, path: str = "") -> dict[str, float]:
    """Every number in a dump, by path (to compare two dumps within a tolerance)."""
    found: dict[str, float] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            found |= numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found |= numbers(v, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found[path] = float(value)
    return found


@SETTINGS
@given(any_log(), st.sampled_from(["legrules", "strong"]))
def test_kg_and_lb_logs_measure_the_same(sets: list[Synth], app: str) -> None:
    """The same training written in kg and in lb gives the same answers and, within a
    gram, the same e1RMs (weights in the JSON are always kg)."""
    write = native_csv if app == "legrules" else lambda s, unit: strong_csv(s, unit, "units")
    dumps = []
    answers = []
    for unit in ("kg", "lb"):
        log = parse_log(write(sets, unit), "log.csv", today=today(sets))
        assert log.unit == unit
        analysis = analyse(log, table=TABLE, settings=STALL, today=today(sets))
        answers.append(derive_answers(analysis).values())
        lifts = analysis.model_dump(mode="json")["lifts"]
        dumps.append(numbers([[w["e1rm_kg"] for w in lift["weeks"]] for lift in lifts]))
    assert answers[0] == answers[1]
    assert dumps[0].keys() == dumps[1].keys()
    for key, kg in dumps[0].items():
        assert abs(kg - dumps[1][key]) < 0.01, key
