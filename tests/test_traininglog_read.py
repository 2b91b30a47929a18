"""Reading training logs: every format and variant, and every kind of bad input.

Fixtures under tests/data/logs/ are synthetic (tests/logfactory.py wrote them, a few
details were added by hand: notes with commas and line breaks, a rest timer, RPE); no
real person's export is committed.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from pathlib import Path

import pytest

from legrules import InputFileError, LegrulesError, TrainingLog, read_log
from legrules.traininglog import TrainingLogError, parse_log, readers
from tests.logfactory import Synth, hevy_csv, native_csv, program, strong_csv

LOGS = Path(__file__).parent / "data" / "logs"
TODAY = dt.date(2024, 6, 1)

FIXTURES = {
    "strong-classic.csv": ("strong", "strong CSV (no unit column)"),
    "strong-units.csv": ("strong", "strong CSV (a unit on every row)"),
    "strong-android.csv": ("strong", "strong CSV (semicolon-separated, a unit on every row)"),
    "strong-quoted.csv": ("strong", "strong CSV (weights in kg)"),
    "hevy-uk.csv": ("hevy", "hevy CSV (weights in kg)"),
    "hevy-us-lbs.csv": ("hevy", "hevy CSV (weights in lb)"),
    "hevy-iso.csv": ("hevy", "hevy CSV (weights in kg)"),
    "fitnotes.csv": ("fitnotes", "fitnotes CSV (weights in kg)"),
    "fitnotes-units.csv": ("fitnotes", "fitnotes CSV (a unit on every row)"),
    "fitnotes-ios.csv": ("fitnotes", "fitnotes CSV (weights in kg and lb columns)"),
    "legrules.csv": ("legrules", "legrules CSV (a unit on every row)"),
    "legrules.json": ("legrules", "legrules JSON"),
}


def read(name: str, **kwargs: object) -> TrainingLog:
    units = "kg" if name == "strong-classic.csv" else None
    return read_log(LOGS / name, units=units, today=TODAY, **kwargs)  # type: ignore[arg-type]


def signature(log: TrainingLog, with_kind: bool = True) -> Counter[tuple[object, ...]]:
    """The sets as a multiset, loads rounded to 10 g (lb files are converted)."""
    return Counter(
        (
            s.date,
            s.exercise,
            s.kind if with_kind else None,
            round(s.weight_kg or 0.0, 2),
            s.reps,
        )
        for s in log.sets
    )


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_reads_as_its_format(name: str) -> None:
    log = read(name)
    assert (log.format, log.variant) == FIXTURES[name]
    assert log.digest.startswith("sha256:")
    assert log.first_date == dt.date(2024, 1, 15)
    assert log.last_date == dt.date(2024, 1, 18)


@pytest.mark.parametrize("name", sorted(n for n in FIXTURES if not n.startswith("fitnotes")))
def test_every_format_means_the_same_sets(name: str) -> None:
    assert signature(read(name)) == signature(read("legrules.csv"))


@pytest.mark.parametrize("name", sorted(n for n in FIXTURES if n.startswith("fitnotes")))
def test_fitnotes_has_no_set_types_so_its_sets_are_the_working_ones(name: str) -> None:
    """FitNotes marks neither warm-ups nor drop sets; the fixture leaves warm-ups out, and
    every set it has counts as a working set."""
    expected = Counter(
        {k: v for k, v in signature(read("legrules.csv"), False).items() if k[3] != 60}
    )
    assert signature(read(name), False) == expected
    assert {s.kind for s in read(name).sets} == {"working"}


def test_set_order_markers_and_notes() -> None:
    log = read("strong-classic.csv")
    kinds = Counter(s.kind for s in log.sets)
    assert kinds == {"working": 12, "warmup": 2, "drop": 2, "failure": 2}
    # the quoted note spans two lines; the rest timer after it starts on line 5
    assert [(r.line, r.reason) for r in log.skipped] == [(5, "a rest timer, not a set")]
    assert [s.rpe for s in log.sets if s.rpe is not None] == [8.0]


def test_hevy_set_types_and_index() -> None:
    log = read("hevy-uk.csv")
    squats = [s for s in log.sets if s.exercise == "Squat (Barbell)" and s.date.day == 15]
    assert [(s.kind, s.set_number) for s in squats] == [
        ("warmup", 1),
        ("working", 2),
        ("working", 3),
        ("drop", 4),
    ]
    assert [s.rpe for s in log.sets if s.rpe is not None] == [8.5]


def test_lb_files_are_converted_to_kg_and_reported_in_lb() -> None:
    log = read("hevy-us-lbs.csv")
    assert log.unit == "lb"
    top = max(s.weight_kg or 0 for s in log.sets)
    assert top == pytest.approx(102.5, abs=1e-3)


def test_columns_are_found_by_name_not_position() -> None:
    text = (LOGS / "legrules.csv").read_text(encoding="utf-8")
    rows = [line.split(",") for line in text.splitlines()]
    order = [5, 0, 7, 3, 1, 6, 2, 4]
    shuffled = "\n".join(",".join(row[i] for i in order) for row in rows) + "\n"
    assert signature(parse_log(shuffled, "x", today=TODAY)) == signature(read("legrules.csv"))


def test_text_and_path_give_the_same_log(tmp_path: Path) -> None:
    text = (LOGS / "legrules.csv").read_text(encoding="utf-8")
    from_text = read_log(text, today=TODAY)
    assert from_text.source == "<text>"
    assert from_text.sets == read("legrules.csv").sets
    assert from_text.digest == read("legrules.csv").digest


def test_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    text = (LOGS / "strong-units.csv").read_text(encoding="utf-8")
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert signature(read_log(path, today=TODAY)) == signature(read("strong-units.csv"))


def test_utf16_export(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_text((LOGS / "fitnotes.csv").read_text(encoding="utf-8"), encoding="utf-16")
    assert signature(read_log(path, today=TODAY)) == signature(read("fitnotes.csv"))


def test_dates_out_of_order_are_sorted() -> None:
    text = (LOGS / "legrules.csv").read_text(encoding="utf-8").splitlines()
    reversed_text = "\n".join([text[0], *reversed(text[1:])]) + "\n"
    log = parse_log(reversed_text, "x", today=TODAY)
    assert [s.date for s in log.sets] == sorted(s.date for s in log.sets)
    assert signature(log) == signature(read("legrules.csv"))


@pytest.mark.parametrize(
    ("style", "first"),
    [("uk", "15 Jan 2024, 18:00"), ("us", "Jan 15, 2024, 6:00 PM"), ("iso", "2024-01-15T18:00:00")],
)
def test_hevy_dates_in_the_phone_locales(style: str, first: str) -> None:
    text = hevy_csv(program(2, start=dt.date(2024, 1, 15)), style=style)
    assert first in text.splitlines()[1]
    log = parse_log(text, "hevy.csv", today=TODAY)
    assert log.first_date == dt.date(2024, 1, 15)


@pytest.mark.parametrize(
    "written",
    [
        "2024-01-15",
        "2024-01-15 18:30",
        "2024-01-15T18:30:00Z",
        "2024-01-15T18:30:00+01:00",
        "15 January 2024 18:30",
        "Jan 15, 2024 6:30 pm",
        "January 15 2024",
        "15.01.2024, 18:30",
        "15/01/2024 18:30",
    ],
)
def test_date_spellings(written: str) -> None:
    text = f'date,exercise,reps,weight,unit\n"{written}",Squat,5,100,kg\n'
    assert parse_log(text, "x", today=TODAY).first_date == dt.date(2024, 1, 15)


def test_slashed_dates_take_their_order_from_the_file() -> None:
    header = "date,exercise,reps,weight,unit\n"
    month_first = header + "01/02/2024,Squat,5,100,kg\n01/20/2024,Squat,5,100,kg\n"
    assert parse_log(month_first, "x", today=TODAY).first_date == dt.date(2024, 1, 2)
    day_first = header + "01/02/2024,Squat,5,100,kg\n20/01/2024,Squat,5,100,kg\n"
    assert parse_log(day_first, "x", today=TODAY).first_date == dt.date(2024, 1, 20)


def test_ambiguous_slashed_dates_are_an_error_not_a_guess() -> None:
    text = "date,exercise,reps,weight,unit\n01/02/2024,Squat,5,100,kg\n"
    with pytest.raises(TrainingLogError) as caught:
        parse_log(text, "x.csv", today=TODAY)
    assert "day and month cannot be told apart" in str(caught.value)
    assert "column 'date' (1)" in str(caught.value)


def test_unreadable_date_names_file_line_and_column() -> None:
    text = hevy_csv(program(1)).replace("1 Jan 2024, 18:00", "1 Foo 2024, 18:00", 1)
    with pytest.raises(TrainingLogError) as caught:
        parse_log(text, "hevy.csv", today=TODAY)
    problem = caught.value.problems[0]
    assert problem.location == "hevy.csv:2"
    assert problem.message.startswith("column 'start_time' (2): 'foo' is not an English month")
    assert "15 Jan 2024, 18:30" in (problem.allowed or "")


# ------------------------------------------------------------------ units


def test_strong_classic_needs_units() -> None:
    with pytest.raises(TrainingLogError) as caught:
        read_log(LOGS / "strong-classic.csv", today=TODAY)
    (problem,) = caught.value.problems
    assert problem.location.endswith("strong-classic.csv:1")
    assert "column 'Weight' (6)" in problem.message
    assert "--units kg|lb" in (problem.allowed or "")
    kg = read_log(LOGS / "strong-classic.csv", units="kg", today=TODAY)
    lb = read_log(LOGS / "strong-classic.csv", units="lb", today=TODAY)
    assert lb.unit == "lb"
    assert lb.sets[1].weight_kg == pytest.approx(kg.sets[1].weight_kg * 0.45359237)  # type: ignore[operator]


def test_units_that_contradict_the_header_are_an_error() -> None:
    with pytest.raises(TrainingLogError, match="the header says weights are in lb"):
        read_log(LOGS / "hevy-us-lbs.csv", units="kg", today=TODAY)
    with pytest.raises(TrainingLogError, match="the row says lb but units=kg"):
        read_log(LOGS / "strong-units.csv", units="kg", today=TODAY)


def test_mixed_units_on_rows_are_converted_and_noted() -> None:
    text = "date,exercise,reps,weight,unit\n2024-01-15,Squat,5,100,kg\n2024-01-16,Squat,5,225,lbs\n"
    log = parse_log(text, "x", today=TODAY)
    assert [round(s.weight_kg or 0, 3) for s in log.sets] == [100, 102.058]
    assert log.unit == "kg"
    assert "both units" in log.notes[0]


def test_fitnotes_ios_columns_that_disagree_are_an_error() -> None:
    text = (LOGS / "fitnotes-ios.csv").read_text(encoding="utf-8")
    broken = text.replace(",100,220.4623,", ",100,200,", 1)
    assert broken != text
    with pytest.raises(TrainingLogError) as caught:
        parse_log(broken, "ios.csv", today=TODAY)
    assert "the kg and lb columns disagree" in caught.value.problems[0].message


def test_semicolon_files_accept_decimal_commas() -> None:
    text = (LOGS / "strong-android.csv").read_text(encoding="utf-8")
    assert ";102,5;" in text
    assert max(s.weight_kg or 0 for s in parse_log(text, "x", today=TODAY).sets) == 102.5


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("   \n\n", "the file is empty"),
        ("date,exercise,set,weight,unit,reps,rpe,side\n", "the file has a header but no sets"),
        ("date|exercise|reps\n2024-01-01|Squat|5\n", "one column only"),
        ("when,what,how many\n2024-01-01,Squat,5\n", "no known training-log format"),
        ('{"sets": 3}', "'sets' must be a list"),
        ("[]", "the log has no sets"),
    ],
)
def test_empty_or_unrecognised_files(text: str, message: str) -> None:
    with pytest.raises(TrainingLogError, match=message):
        parse_log(text, "x", today=TODAY)


def test_rows_of_the_wrong_width_name_their_line() -> None:
    text = "date,exercise,reps,weight,unit\n2024-01-15,Squat,5,100,kg\n2024-01-15;Squat;5;100;kg\n"
    with pytest.raises(TrainingLogError) as caught:
        parse_log(text, "x.csv", today=TODAY)
    (problem,) = caught.value.problems
    assert problem.location == "x.csv:3"
    assert problem.message == "expected 5 fields separated by ',', found 1"


def test_every_unreadable_cell_is_reported_at_once_in_file_order() -> None:
    text = (
        "date,exercise,set,weight,unit,reps,rpe,side\n"
        "2024-01-15,Squat,X,abc,stone,5.5,,middle\n"
        "2024-01-15,Squat,1,100,kg,5\n"
        "2024-01-15,,1,100,kg,5,,\n"
    )
    with pytest.raises(TrainingLogError) as caught:
        parse_log(text, "x.csv", today=TODAY)
    assert [(p.location, p.message) for p in caught.value.problems] == [
        ("x.csv:2", "column 'set' (3): not a set number or set type"),
        ("x.csv:2", "column 'weight' (4): not a number"),
        ("x.csv:2", "column 'reps' (6): not a whole number"),
        ("x.csv:2", "column 'side' (8): not a side"),
        ("x.csv:3", "expected 8 fields separated by ',', found 6"),
        ("x.csv:4", "column 'exercise' (2): no exercise name"),
    ]
    assert caught.value.exit_code == 2


def test_problems_are_capped() -> None:
    rows = "".join(f"2024-01-15,Squat,{i},abc,kg,5,,\n" for i in range(1, 40))
    with pytest.raises(TrainingLogError) as caught:
        parse_log("date,exercise,set,weight,unit,reps,rpe,side\n" + rows, "x", today=TODAY)
    assert len(caught.value.problems) == readers.MAX_PROBLEMS + 1
    assert caught.value.problems[-1].message == f"stopped after {readers.MAX_PROBLEMS} problems"


def test_rows_that_must_not_count_are_skipped_with_their_line_and_reason() -> None:
    text = (
        "date,exercise,set,weight,unit,reps,rpe,side\n"
        "2024-01-15,Squat,1,100,kg,5,,\n"  # 2 kept
        "2024-01-15,Squat,1,100,kg,5,,\n"  # 3 duplicate of 2
        "2024-01-15,Squat,2,-5,kg,5,,\n"  # 4 negative weight
        "2024-01-15,Squat,3,1500,kg,5,,\n"  # 5 implausible weight
        "2024-01-15,Squat,4,100,kg,0,,\n"  # 6 no reps
        "2024-01-15,Squat,5,100,kg,-3,,\n"  # 7 negative reps
        "2024-01-15,Squat,6,100,kg,500,,\n"  # 8 implausible reps
        "2024-01-15,Squat,7,100,kg,5,11,\n"  # 9 RPE out of range
        "2024-07-01,Squat,1,100,kg,5,,\n"  # 10 future
        "1970-01-01,Squat,1,100,kg,5,,\n"  # 11 placeholder
        "date,exercise,set,weight,unit,reps,rpe,side\n"  # 12 the header again
        "2024-01-15,Squat,W,60,kg,5,,\n"  # 13 kept (warm-ups are not numbered)
        "2024-01-15,Squat,W,60,kg,5,,\n"  # 14 kept: two equal warm-ups are two sets
    )
    log = parse_log(text, "x.csv", today=TODAY)
    assert [s.line for s in log.sets] == [2, 13, 14]
    assert [(r.line, r.reason) for r in log.skipped] == [
        (3, "duplicate of line 2"),
        (4, "negative weight (-5)"),
        (5, "implausible weight (1500 kg, more than 1000 kg)"),
        (6, "no reps (a timed, distance or unfinished set)"),
        (7, "negative reps (-3)"),
        (8, "implausible reps (500, more than 200)"),
        (9, "RPE 11 is outside 0-10"),
        (10, "dated 2024-07-01, in the future (today is 2024-06-01)"),
        (11, "dated 1970-01-01, before 1980: a placeholder date"),
        (12, "the header again (files joined?)"),
    ]
    assert log.skipped[0].text == "2024-01-15,Squat,1,100,kg,5,,"


def test_fitnotes_repeated_sets_are_not_duplicates() -> None:
    """FitNotes has no set numbers: two equal rows on one day are two equal sets."""
    log = read("fitnotes.csv")
    assert (
        Counter((s.date, s.exercise) for s in log.sets)[
            (dt.date(2024, 1, 15), "Romanian Deadlift (Barbell)")
        ]
        == 2
    )
    assert log.skipped == ()


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"date,exercise,reps,weight,unit\n2024-01-15,Kniebeuge \xfc,5,100,kg\n")
    with pytest.raises(InputFileError) as caught:
        read_log(path, today=TODAY)
    assert caught.value.where == f"{path}:2"
    assert "not UTF-8" in caught.value.reason


def test_missing_directory_and_fifo_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_log(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a directory"):
        read_log(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_log(fifo)  # would block forever if it were opened


def test_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LOG_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text(native_csv(program(2)), encoding="utf-8")
    with pytest.raises(InputFileError, match="too large"):
        read_log(path)


def test_log_text_over_the_limit_names_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LOG_BYTES", 100)
    with pytest.raises(InputFileError, match="<text>: too large: the limit is 100 bytes"):
        read_log(native_csv(program(2)))


def test_unknown_format_and_units_arguments() -> None:
    text = native_csv(program(1))
    with pytest.raises(TrainingLogError, match="unknown log format"):
        parse_log(text, "x", format="excel")
    with pytest.raises(TrainingLogError, match="not a weight unit"):
        parse_log(text, "x", units="stone")


def test_an_explicit_format_must_match_the_header() -> None:
    with pytest.raises(TrainingLogError) as caught:
        parse_log(native_csv(program(1)), "x.csv", format="hevy")
    assert "not a hevy header: missing column(s) exercise_title, start_time" in str(caught.value)
    log = parse_log(strong_csv(program(1), variant="units"), "x", format="strong", today=TODAY)
    assert log.format == "strong"


def test_json_problems_name_line_and_key() -> None:
    text = (
        '{"unit": "kg", "sets": [\n'
        '  {"date": "2024-01-15", "exercise": "Squat", "reps": 5, "weight": 100},\n'
        '  {"date": "2024-01-15", "exercise": "Squat", "reps": 5, "weight": true, "sidee": "l"},\n'
        '  {"date": "2024-01-15", "exercise": "Squat", "reps": "five"}\n'
        "]}\n"
    )
    with pytest.raises(TrainingLogError) as caught:
        parse_log(text, "log.json", today=TODAY)
    rendered = [p.render() for p in caught.value.problems]
    assert rendered == [
        "log.json:3 sets.1.sidee: unknown key 'sidee'; allowed: date, exercise, set, weight, "
        "unit, reps, rpe, side (did you mean 'side'?)",
        "log.json:3 sets.1.weight: expected a number, a string or null; got True",
        "log.json:4 sets.2.reps: not a number; got 'five'; allowed: a number such as 62.5",
    ]


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InputFileError) as caught:
        parse_log('{"sets": [\n  {"date": "2024-01-15",}\n]}', "log.json")
    assert caught.value.where == "log.json:2"


def test_json_list_of_sets_and_unit_per_set() -> None:
    text = '[{"date": "2024-01-15", "exercise": "Squat", "reps": 5, "weight": 225, "unit": "lb"}]'
    log = parse_log(text, "x.json", today=TODAY)
    assert log.sets[0].weight_kg == pytest.approx(102.058, abs=1e-3)
    assert log.unit == "lb"


def test_body_weight_sets_have_no_load() -> None:
    text = "date,exercise,reps,weight,unit\n2024-01-15,Walking Lunge,20,,\n"
    (only,) = parse_log(text, "x", today=TODAY).sets
    assert only.weight_kg is None


def test_every_error_is_a_legrules_error() -> None:
    assert issubclass(TrainingLogError, LegrulesError)


def test_a_log_is_frozen() -> None:
    log = read("legrules.csv")
    with pytest.raises(ValueError, match="frozen"):
        log.sets[0].reps = 3
    assert isinstance(log.sets, tuple)


def test_sides_are_read() -> None:
    log = read_log(LOGS / "legrules-sides.csv", today=TODAY)
    assert Counter(s.side for s in log.sets) == {"left": 5, "right": 5}


def test_a_synth_helper_round_trip() -> None:
    """The factory itself: what it writes is what was meant (guards the other tests)."""
    sets = [Synth(dt.date(2024, 1, 15), "Squat (Barbell)", 100, 5)]
    log = parse_log(strong_csv(sets, "lb", "quoted"), "x", today=TODAY)
    assert log.sets[0].weight_kg == pytest.approx(100)


def test_a_one_line_json_string_is_text_not_a_path() -> None:
    text = '[{"date": "2024-01-15", "exercise": "Squat", "reps": 5, "weight": 100, "unit": "kg"}]'
    assert read_log(text, today=TODAY).source == "<text>"


@pytest.mark.parametrize("enabled", [True, False])
def test_parsing_leaves_the_cycle_collector_as_it_found_it(enabled: bool) -> None:
    """Parsing pauses the collector (half the time of a big log went to it); with a log
    read or refused, the caller's setting is back."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        parse_log("date,exercise,set,weight,unit,reps\n2024-01-01,Squat,1,100,kg,5\n", "x.csv")
        assert gc.isenabled() is enabled
        with pytest.raises(TrainingLogError):
            parse_log("\n", "x.csv")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
