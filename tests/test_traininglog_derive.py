"""Measurements and derived answers: each rule as documented, with its evidence."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from legrules import Engine, RulePackError
from legrules.paths import default_rules_dir
from legrules.traininglog import (
    DerivedFacts,
    LogAnalysis,
    analyse,
    derive_answers,
    load_exercise_table,
    load_settings,
    parse_log,
)
from legrules.traininglog.analysis import e1rm
from legrules.traininglog.derive import DerivedAnswer
from legrules.traininglog.packfiles import OWN_CHOICE, LogSettings
from tests.logfactory import Synth, native_csv, program

START = dt.date(2024, 1, 1)  # a Monday


def log_of(sets: Sequence[Synth]):  # type: ignore[no-untyped-def]
    return parse_log(native_csv(sets), "synthetic.csv", today=dt.date(2030, 1, 1))


def today_after(sets: Sequence[Synth]) -> dt.date:
    return max(s.day for s in sets) + dt.timedelta(days=3)


def measure(sets: Sequence[Synth], **settings: float) -> LogAnalysis:
    chosen = load_settings().model_copy(update=settings)
    return analyse(log_of(sets), settings=chosen, today=today_after(sets))


def derive(sets: Sequence[Synth], pack: object = None) -> DerivedFacts:
    return derive_answers(log_of(sets), pack, today=today_after(sets))


def week(n: int, day: int = 0) -> dt.date:
    return START + dt.timedelta(weeks=n, days=day)


# ------------------------------------------------------------------ e1RM


def test_epley_and_its_limits() -> None:
    assert e1rm(100, 1) == 100
    assert e1rm(100, 5) == pytest.approx(100 * (1 + 5 / 30))
    assert e1rm(100, 10) == pytest.approx(100 * (1 + 10 / 30))
    sets = [
        Synth(week(0), "Squat (Barbell)", 100, 12),  # more than 10 reps: no estimate
        Synth(week(0), "Squat (Barbell)", 120, 5, "warmup"),  # a warm-up: no estimate
        Synth(week(0), "Squat (Barbell)", 90, 10),
    ]
    (trend,) = measure(sets).lifts
    assert [w.e1rm_kg for w in trend.weeks] == [120.0]
    assert trend.weeks[0].set.reps == 10


# ------------------------------------------------------------------ stalls


def test_a_flat_lift_is_stalled_with_the_numbers_in_its_evidence() -> None:
    sets = program(10, squat=[120] * 10, extra=False)
    (squat,) = measure(sets).lifts
    assert squat.trend == "flat"
    assert squat.stalled is True
    assert squat.change == 0
    assert "140 kg over the last 4 weeks" in squat.evidence.sentence
    assert "within the 1% tolerance: stalled" in squat.evidence.sentence
    assert squat.evidence.numbers["stall_weeks"] == 4


def test_a_rising_lift_is_not_stalled_and_a_falling_one_is() -> None:
    rising = measure(program(10, extra=False)).lifts[0]
    assert (rising.trend, rising.stalled) == ("rising", False)
    falling = measure(program(10, squat=[150 - 3 * w for w in range(10)], extra=False)).lifts[0]
    assert (falling.trend, falling.stalled) == ("falling", True)


def test_stall_window_and_tolerance_are_settings() -> None:
    slow = [100 + 0.25 * w for w in range(12)]  # +1 kg a month: under 1%
    assert measure(program(12, squat=slow, extra=False)).lifts[0].stalled is True
    tolerant = measure(program(12, squat=slow, extra=False), stall_tolerance=0.005)
    assert tolerant.lifts[0].stalled is False
    longer = measure(program(12, squat=slow, extra=False), stall_weeks=6, stall_tolerance=0.005)
    assert longer.lifts[0].evidence.numbers["stall_weeks"] == 6


def test_too_little_history_is_not_judged() -> None:
    (squat,) = measure(program(3, extra=False)).lifts
    assert (squat.trend, squat.stalled) == ("not_enough_data", None)
    facts = derive(program(3, extra=False))
    assert facts.get("strength_stalled") is None
    assert any(n.question == "strength_stalled" for n in facts.not_derived)


def test_strength_stalled_needs_every_compound_lift_stalled() -> None:
    flat = program(10, squat=[120] * 10)  # squat and RDL both flat
    answer = derive(flat).get("strength_stalled")
    assert answer is not None
    assert answer.value is True
    assert "Squat (Barbell)" in answer.evidence.sentence
    rising_squat = program(10)  # RDL flat, squat rising
    assert derive(rising_squat).values()["strength_stalled"] is False


# ------------------------------------------------------------------ volume


def test_hard_sets_per_muscle_count_secondary_half_and_skip_warmups() -> None:
    day = week(0)
    sets = [
        Synth(day, "Squat (Barbell)", 60, 5, "warmup"),  # not counted
        Synth(day, "Squat (Barbell)", 100, 5),  # quads 1, glutes 0.5
        Synth(day, "Squat (Barbell)", 80, 8, "drop"),  # a drop set is a hard set
        Synth(day, "Romanian Deadlift (Barbell)", 80, 8),  # hamstrings 1, glutes 1
        Synth(day, "Lying Leg Curl (Machine)", 30, 12),  # hamstrings 1
        Synth(day, "Bench Press (Barbell)", 70, 8),  # not leg work
    ]
    (weekly,) = measure(sets).weekly_sets
    assert (weekly.quads, weekly.hamstrings, weekly.glutes) == (2.0, 2.0, 2.0)
    assert weekly.week == "2024-W01"


def test_weekly_series_has_the_weeks_without_training() -> None:
    sets = [Synth(week(0), "Leg Extension (Machine)", 40, 12)]
    sets += [Synth(week(3), "Leg Extension (Machine)", 40, 12)]
    analysis = measure(sets)
    assert [w.quads for w in analysis.weekly_sets] == [1.0, 0.0, 0.0, 1.0]
    assert analysis.window_sets()["quads"] == 0.5


# ------------------------------------------------------------------ sessions and heavy days


def session(day: dt.date, squat_reps: int, load: float = 100) -> list[Synth]:
    return [Synth(day, "Squat (Barbell)", load, squat_reps) for _ in range(3)]


def test_heavy_by_low_reps_on_a_compound() -> None:
    analysis = measure(session(week(0), 5) + session(week(0, 3), 8, load=70))
    assert [s.heavy for s in analysis.sessions] == [True, False]
    assert analysis.sessions[0].heavy_because == "5 reps, 5 or fewer"


def test_heavy_by_share_of_the_current_e1rm() -> None:
    # week 0: 100 x 5 sets the e1RM at 116.7; in week 1, 100 x 6 is 86% of it (heavy)
    # and 95 x 6 is 81% (not heavy). The reference is the weeks before the session's.
    sets = session(week(0), 5) + session(week(1), 6) + session(week(1, 3), 6, load=95)
    analysis = measure(sets)
    assert [s.heavy for s in analysis.sessions] == [True, True, False]
    because = analysis.sessions[1].heavy_because or ""
    assert because == "86% of the current e1RM 116.7 kg, at least 85%"


def test_isolation_and_warmups_never_make_a_session_heavy() -> None:
    sets = [
        Synth(week(0), "Leg Extension (Machine)", 90, 3),
        Synth(week(0), "Squat (Barbell)", 140, 3, "warmup"),
        Synth(week(0), "Squat (Barbell)", 60, 12),
    ]
    assert [s.heavy for s in measure(sets).sessions] == [False]


@pytest.mark.parametrize(
    ("reps", "expected"),
    [([5, 5, 5, 5], "every_session"), ([5, 12, 5, 12], "some"), ([12, 12, 12, 12], "none")],
)
def test_heavy_sessions_answer(reps: list[int], expected: str) -> None:
    sets = [s for i, r in enumerate(reps) for s in session(week(i), r, 60 if r > 10 else 100)]
    answer = derive(sets).get("heavy_sessions")
    assert answer is not None
    assert answer.value == expected
    heavy = sum(r <= 5 for r in reps)
    assert answer.evidence.sentence.startswith(f"{heavy} of 4 leg sessions")
    assert len(answer.evidence.dates) == heavy


def test_sessions_per_week_over_the_last_eight_weeks() -> None:
    sets = program(12, sessions_per_week=3)
    answer = derive(sets).get("leg_sessions_per_week")
    assert answer is not None
    assert answer.value == 3
    assert answer.evidence.numbers == {"sessions": 24, "weeks": 8, "per_week": 3.0}


# ------------------------------------------------------------------ hamstrings and exercises


def weeks_of(exercises: dict[str, list[int]], total: int = 8) -> list[Synth]:
    sets = [Synth(week(w), "Squat (Barbell)", 100, 8) for w in range(total)]
    for name, in_weeks in exercises.items():
        sets += [Synth(week(w), name, 50, 10) for w in in_weeks]
    return sets


@pytest.mark.parametrize(
    ("exercises", "expected"),
    [
        (
            {
                "Romanian Deadlift (Barbell)": list(range(8)),
                "Seated Leg Curl (Machine)": list(range(8)),
            },
            "both",
        ),
        ({"Romanian Deadlift (Barbell)": list(range(8))}, "hinges_only"),
        ({"Nordic Hamstring Curl": list(range(8))}, "curls_only"),
        ({}, "none"),
        ({"Seated Leg Curl (Machine)": [1, 5]}, "only_if_time"),
    ],
)
def test_hamstring_work(exercises: dict[str, list[int]], expected: str) -> None:
    answer = derive(weeks_of(exercises)).get("hamstring_work")
    assert answer is not None
    assert answer.value == expected


def test_current_exercises_are_the_regular_ones_and_unknown_names_are_not_guessed() -> None:
    sets = weeks_of(
        {
            "Leg Press": [0, 4],  # an app's spelling of Leg Press (Machine)
            "Leg Extension (Machine)": [6],  # once: not regular
            "Hip Thrust (Barbell)": list(range(8)),  # leg work with no question value
            "Squats (barbell)": [1, 2],  # not in the table: unknown, not guessed
        }
    )
    facts = derive(sets)
    answer = facts.get("current_exercises")
    assert answer is not None
    assert answer.value == ["leg_press", "squat"]
    assert "only occasionally: leg_extension" in answer.evidence.sentence
    unknown = [e for e in measure(sets).exercises if e.status == "unknown"]
    assert [(e.name, e.sets, e.suggestion) for e in unknown] == [
        ("Squats (barbell)", 2, "Squat (Barbell)")
    ]


def test_names_match_ignoring_case_and_spaces_only() -> None:
    table = load_exercise_table()
    assert table.lift("  leg   EXTENSION (machine) ") is not None
    assert table.lift("Leg-Extension (Machine)") is None
    assert table.ignored("Bench Press (Barbell)") == "not_leg"


# ------------------------------------------------------------------ left and right


def test_dominant_leg_from_the_sides_fixture() -> None:
    log = parse_log(
        (Path(__file__).parent / "data" / "logs" / "legrules-sides.csv").read_text("utf-8"),
        "sides.csv",
        today=dt.date(2024, 1, 30),
    )
    facts = derive_answers(log, today=dt.date(2024, 1, 30))
    answer = facts.get("dominant_leg")
    assert answer is not None
    assert answer.value == "right"
    assert "Single Leg Press (Machine): best e1RM left" in answer.evidence.sentence
    assert {s.side for s in answer.evidence.sets} == {"left", "right"}


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [(100, 100, "none"), (100, 109, "none"), (100, 112, "right"), (120, 100, "left")],
)
def test_dominant_leg_threshold(left: float, right: float, expected: str) -> None:
    sets = [
        Synth(week(0), "Bulgarian Split Squat", left, 8, side="left"),
        Synth(week(0), "Bulgarian Split Squat", right, 8, side="right"),
    ]
    assert derive(sets).values()["dominant_leg"] == expected


def test_sides_that_disagree_between_lifts_are_not_sure() -> None:
    sets = [
        Synth(week(0), "Bulgarian Split Squat", 120, 8, side="left"),
        Synth(week(0), "Bulgarian Split Squat", 100, 8, side="right"),
        Synth(week(0), "Single Leg Press (Machine)", 80, 8, side="left"),
        Synth(week(0), "Single Leg Press (Machine)", 100, 8, side="right"),
    ]
    assert derive(sets).values()["dominant_leg"] == "not_sure"


def test_no_sides_no_dominant_leg_answer() -> None:
    facts = derive(program(10))
    assert "dominant_leg" not in facts.values()
    (reason,) = [n.reason for n in facts.not_derived if n.question == "dominant_leg"]
    assert "records left and right" in reason


# ------------------------------------------------------------------ currency and the pack


def test_an_old_log_answers_nothing_about_now() -> None:
    sets = program(10)
    facts = derive_answers(log_of(sets), today=today_after(sets) + dt.timedelta(weeks=9))
    assert facts.answers == ()
    assert {n.question for n in facts.not_derived} >= {"heavy_sessions", "tracks_progress"}
    assert all("not now" in n.reason for n in facts.not_derived)


def test_a_log_of_unknown_exercises_answers_nothing() -> None:
    facts = derive([Synth(week(0), "Zercher Squat", 100, 5)])
    assert facts.answers == ()
    assert facts.window is None


def test_derived_values_are_valid_answers_for_the_engine(engine: Engine) -> None:
    """Ready to merge: the engine accepts the derived answers as they are."""
    facts = derive(program(10))
    validated = engine.validate(facts.values())
    assert validated["heavy_sessions"] == "every_session"
    assert validated.provided == frozenset(facts.values())
    assert set(facts.values()) == {
        "tracks_progress",
        "leg_sessions_per_week",
        "heavy_sessions",
        "hamstring_work",
        "current_exercises",
        "strength_stalled",
    }


def test_the_pack_can_be_a_directory_a_rule_pack_or_a_questionnaire(engine: Engine) -> None:
    sets = program(10)
    expected = derive(sets).values()
    assert derive(sets, default_rules_dir()).values() == expected
    assert derive(sets, str(default_rules_dir())).values() == expected
    assert derive(sets, engine.pack).values() == expected
    assert derive(sets, engine.questionnaire).values() == expected


def test_a_pack_without_a_question_or_value_gets_no_such_answer(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), pack, ignore=shutil.ignore_patterns("tests"))
    questionnaire = pack / "questionnaire.yaml"
    text = questionnaire.read_text(encoding="utf-8")
    text = text.replace("  - id: tracks_progress\n", "  - id: tracks_progress_renamed\n")
    text = text.replace("values: [none, some, every_session]", "values: [none, some, all]")
    questionnaire.write_text(text, encoding="utf-8")
    facts = derive(program(10), pack)
    assert "tracks_progress" not in facts.values()
    assert "heavy_sessions" not in facts.values()
    (reason,) = [n.reason for n in facts.not_derived if n.question == "heavy_sessions"]
    assert reason == (
        "measured 'every_session', but not an allowed value; allowed: one of: none, some, all"
    )


def _pack_with_questionnaire(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the default pack whose questionnaire has ``old`` (from the first
    ``- id: current_exercises``) replaced by ``new``."""
    pack = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), pack, ignore=shutil.ignore_patterns("tests"))
    questionnaire = pack / "questionnaire.yaml"
    text = questionnaire.read_text(encoding="utf-8")
    at = text.index("  - id: current_exercises\n")
    assert old in text[at:]
    text = text[:at] + text[at:].replace(old, new, 1)
    questionnaire.write_text(text, encoding="utf-8")
    return pack


def test_a_measured_list_is_no_answer_to_a_one_choice_question(tmp_path: Path) -> None:
    """The questionnaire's own check decides (an enum takes one value, not a list)."""
    pack = _pack_with_questionnaire(tmp_path, "    type: multi\n", "    type: enum\n")
    text = (pack / "questionnaire.yaml").read_text(encoding="utf-8")
    at = text.index("  - id: current_exercises\n")
    text = text[:at] + text[at:].replace("    default: []\n", "    default: squat\n", 1)
    (pack / "questionnaire.yaml").write_text(text, encoding="utf-8")
    facts = derive(program(10), pack)
    assert "current_exercises" not in facts.values()
    (reason,) = [n.reason for n in facts.not_derived if n.question == "current_exercises"]
    assert "expected one of the listed values" in reason


def test_a_questionnaire_the_loader_refuses_is_a_pack_error(tmp_path: Path) -> None:
    pack = _pack_with_questionnaire(tmp_path, "    type: multi\n", "    type: several\n")
    with pytest.raises(RulePackError, match=r"questionnaire\.yaml"):
        derive(program(10), pack)


def test_measurements_for_rules_to_come() -> None:
    facts = derive(program(10))
    values = {m.name: m.value for m in facts.measurements}
    assert values == {
        "weekly_hard_sets_quads": 10.0,
        "weekly_hard_sets_hamstrings": 8.0,
        "weekly_hard_sets_glutes": 7.0,
        "all_sessions_heavy": True,
    }


# ------------------------------------------------------------------ the pack files


def test_shipped_settings_equal_the_labelled_defaults() -> None:
    shipped = load_settings()
    defaults = LogSettings()
    assert shipped.model_dump(exclude={"sources"}) == defaults.model_dump(exclude={"sources"})
    assert set(shipped.sources) == set(defaults.model_dump(exclude={"sources"}))
    assert all(source.startswith("legrules' own choice") for source in shipped.sources.values())
    assert defaults.source("stall_weeks") == OWN_CHOICE


def test_settings_file_overrides_and_is_checked(tmp_path: Path) -> None:
    (tmp_path / "training-log.yaml").write_text(
        "settings:\n  stall_weeks: {value: 6, source: my coach}\n", encoding="utf-8"
    )
    settings = load_settings(tmp_path)
    assert (settings.stall_weeks, settings.source("stall_weeks")) == (6, "my coach")
    assert settings.stall_tolerance == LogSettings().stall_tolerance
    (tmp_path / "training-log.yaml").write_text(
        "settings:\n  stal_weeks: {value: 6, source: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulePackError) as caught:
        load_settings(tmp_path)
    (problem,) = caught.value.problems
    assert problem.location.endswith("training-log.yaml:2")
    assert problem.suggestion == "stall_weeks"


def test_every_lift_kind_is_a_current_exercises_value(engine: Engine) -> None:
    allowed = set(engine.pack.questions()["current_exercises"].values or [])
    kinds = {lift.kind for lift in load_exercise_table().lifts} - {None}
    assert kinds == allowed


def test_a_name_on_two_lifts_is_a_pack_error(tmp_path: Path) -> None:
    (tmp_path / "exercise-names.yaml").write_text(
        "lifts:\n"
        "  - {lift: Squat, kind: squat, primary: [quads]}\n"
        "  - {lift: Hack Squat, kind: squat, primary: [quads], names: [squat]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulePackError) as caught:
        load_exercise_table(tmp_path)
    assert caught.value.problems[0].location.endswith("exercise-names.yaml:3")
    assert "names two lifts" in caught.value.problems[0].message


def test_a_pack_without_the_names_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="no such file"):
        load_exercise_table(tmp_path)


def test_the_set_that_makes_a_session_heavy_does_not_depend_on_row_order() -> None:
    squat = Synth(week(0), "Squat (Barbell)", 100, 5)
    press = Synth(week(0), "Leg Press (Machine)", 100, 5)
    chosen = {
        measure(order).sessions[0].heavy_set.exercise  # type: ignore[union-attr]
        for order in ([squat, press], [press, squat])
    }
    assert chosen == {"Leg Press (Machine)"}


def test_the_summary_shows_zero_and_false_as_values_and_only_nothing_as_none() -> None:
    from legrules.traininglog.report import summary_text

    sets = program(6)
    analysis = measure(sets)
    derived = derive(sets)
    evidence = derived.answers[0].evidence
    shown = derived.model_copy(
        update={
            "answers": (
                DerivedAnswer(question="sessions", value=0, evidence=evidence),
                DerivedAnswer(question="stalled", value=False, evidence=evidence),
                DerivedAnswer(question="exercises", value=[], evidence=evidence),
                DerivedAnswer(question="lifts", value=["squat", "rdl"], evidence=evidence),
            )
        }
    )
    lines = summary_text(analysis, shown).splitlines()
    assert "  sessions = 0" in lines
    assert "  stalled = false" in lines
    assert "  exercises = (none)" in lines
    assert "  lifts = [squat, rdl]" in lines
