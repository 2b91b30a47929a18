"""``assess --log`` and ``Engine.assess(answers, log=...)``: from a training log's CSV to
the recommendation, with the evidence in the report, the JSON and the audit record.

The logs are synthetic (tests/logfactory.py) and dated relative to today, because a log
only answers habit questions while it is current.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from legrules import Engine, read_log
from legrules.audit import AuditLog, replay
from legrules.audit.model import REDACTED_PREFIX
from legrules.cli import cli
from legrules.errors import LegrulesError
from legrules.interview.skips import default_for, next_prompt, walk
from legrules.traininglog.assessing import measure_logs
from tests.logfactory import hevy_csv, program, strong_csv
from tests.test_audit_redaction import _anonymous

WEEKS = 12
STALLED = [120.0] * WEEKS  # the same squat every week: stalled
OWN = {"squat_felt_most": "glutes"}


def _start(weeks_ago: int) -> dt.date:
    today = dt.date.today()
    return today - dt.timedelta(weeks=weeks_ago, days=today.weekday())


def _write(path: Path, squat: list[float] | None = STALLED, weeks_ago: int = WEEKS) -> Path:
    sets = program(WEEKS, start=_start(weeks_ago), squat=squat)
    path.write_text(strong_csv(sets, "kg", "units"), encoding="utf-8")
    return path


@pytest.fixture
def stalled(tmp_path: Path) -> Path:
    return _write(tmp_path / "strong-export.csv")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _ids(result: Any) -> set[str]:
    return {rec.id for rec in result.recommendations}


# ------------------------------------------------------------------ the library


def test_library_from_csv_to_the_recommendation(engine: Engine, stalled: Path) -> None:
    without = engine.assess(OWN)
    result = engine.assess(OWN, log=read_log(stalled))
    assert without.training_log is None
    # the log measured a stall and heavy sessions the person never mentioned
    assert result.answers["strength_stalled"] is True
    assert result.answers["heavy_sessions"] == "every_session"
    assert "split_power_and_structure" in _ids(result) - _ids(without)
    # a lifter whose log is the input logs their training: never told to start a log
    assert result.answers["tracks_progress"] == "yes"
    assert "track_progression" not in _ids(result)
    use = result.training_log
    assert use is not None
    assert use.logs[0].digest == "sha256:" + hashlib.sha256(stalled.read_bytes()).hexdigest()
    stall = use.get("strength_stalled")
    assert stall is not None
    assert stall.evidence is not None
    assert "your best Squat (Barbell) e1RM was 140 kg" in stall.evidence.sentence
    assert stall.reported is None
    assert stall.agrees is None
    assert stall.note is None
    assert stall.evidence.sets
    assert all(s.log == 0 for s in stall.evidence.sets)


def test_library_disagreement_uses_the_measured_value_and_keeps_both(
    engine: Engine, stalled: Path
) -> None:
    answers = engine.validate({**OWN, "strength_stalled": False, "leg_sessions_per_week": 2})
    result = engine.assess(answers, log=read_log(stalled))
    assert result.answers["strength_stalled"] is True
    use = result.training_log
    assert use is not None
    stall, sessions = use.get("strength_stalled"), use.get("leg_sessions_per_week")
    assert stall is not None
    assert sessions is not None
    assert (stall.reported, stall.agrees) == (False, False)
    assert stall.note is not None
    assert stall.note.startswith(
        "You answered strength_stalled = No, but your training log shows Yes"
    )
    assert (sessions.reported, sessions.agrees, sessions.note) == (2, True, None)


def test_library_two_logs_are_measured_together(engine: Engine, tmp_path: Path) -> None:
    """An old app's export and the new app's: the weeks of both count."""
    old = _write(tmp_path / "old.csv", weeks_ago=2 * WEEKS)
    sets = program(WEEKS, start=_start(WEEKS), squat=STALLED)
    new = tmp_path / "hevy.csv"
    new.write_text(hevy_csv(sets), encoding="utf-8")
    result = engine.assess(OWN, log=[read_log(old), read_log(new)])
    use = result.training_log
    assert use is not None
    assert [f.format for f in use.logs] == ["strong", "hevy"]
    stall = use.get("strength_stalled")
    assert stall is not None
    assert stall.evidence is not None
    # the evidence names which file each set is in
    assert {s.log for s in stall.evidence.sets} == {1}


def test_two_logs_with_the_same_days_are_refused(engine: Engine, stalled: Path) -> None:
    log = read_log(stalled)
    with pytest.raises(LegrulesError, match="both logs have sets on"):
        engine.assess(OWN, log=[log, log])


def test_a_log_measured_once_is_reused(engine: Engine, stalled: Path) -> None:
    measured = measure_logs(read_log(stalled), engine)
    result = engine.assess(OWN, log=measured)
    assert result.training_log == measured.use


# ------------------------------------------------------------------ the command line


def test_cli_from_csv_to_the_recommendation(runner: CliRunner, stalled: Path) -> None:
    result = runner.invoke(
        cli, ["assess", "--log", str(stalled), "--answer", "squat_felt_most=glutes", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert "split_power_and_structure" in [rec["id"] for rec in data["recommendations"]]
    assert data["answers"]["strength_stalled"] is True
    measured = {m["question"]: m for m in data["training_log"]["measured"]}
    assert "e1RM" in measured["strength_stalled"]["evidence"]["sentence"]
    assert "measured from the log: tracks_progress" in result.stderr


def test_cli_disagreement_note_near_the_top_and_evidence_in_the_explanation(
    runner: CliRunner, stalled: Path
) -> None:
    args = ["assess", "--log", str(stalled), "--answer", "strength_stalled=false"]
    result = runner.invoke(cli, [*args, "--explain"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    note = text.index("Please check: You answered strength_stalled = No, but your training")
    assert text.index("Safety first") < note < text.index("What we found")
    # the answer the rules matched says where it came from; its evidence is listed under
    # it in the log's section
    explained = " ".join(text[text.index("How each recommendation was reached") :].split())
    assert "matched: strength_stalled = true (measured from your training log)" in explained
    measured = " ".join(text[text.index("Measured from your training log") :].split())
    stalled_answer = measured.index("stalled for weeks even though you train consistently? Yes")
    assert measured.index("- every compound leg lift with enough data has", stalled_answer) > 0
    data = json.loads(runner.invoke(cli, [*args, "--json"]).stdout)
    stall = next(m for m in data["training_log"]["measured"] if m["question"] == "strength_stalled")
    assert (stall["value"], stall["reported"], stall["agrees"]) == (True, False, False)
    assert stall["note"].startswith("You answered strength_stalled = No")


def test_cli_log_alone_without_a_terminal_takes_defaults_for_the_rest(
    runner: CliRunner, stalled: Path
) -> None:
    result = runner.invoke(cli, ["assess", "--log", str(stalled), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["answers"]["heavy_sessions"] == "every_session"


def test_cli_bad_log_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Something\n2024-01-01,x\n", encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--log", str(bad), "--defaults", "--json"])
    assert result.exit_code == 2
    assert "bad.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_units_without_a_log_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--defaults", "--units", "kg"])
    assert result.exit_code == 2
    assert "--units and --as-of only apply with --log" in result.stderr


def test_cli_interactive_does_not_ask_what_the_log_measured(
    runner: CliRunner, stalled: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("legrules.cli._common.stdin_is_tty", lambda: True)
    measured = measure_logs(read_log(stalled), engine).values()
    result = runner.invoke(cli, ["assess", "--log", str(stalled), "--json"], input="\n" * 200)
    assert result.exit_code == 0, result.stderr
    assert f"{len(measured)} answers measured from your training log; not asked" in result.stderr
    # the questionnaire's own walk (a checklist is one prompt), starting from what the
    # log measured: no prompt holds a measured question, and the terminal shows each one
    given = dict(measured)
    prompts = []
    while batch := next_prompt(steps := walk(engine.pack, given)):
        prompts.append([step.question.id for step in batch])
        for step in batch:
            given[step.question.id] = default_for(step.question, steps)
    assert prompts
    assert not {q for prompt in prompts for q in prompt} & measured.keys()
    without = runner.invoke(cli, ["assess", "--json"], input="\n" * 200)
    asked = result.stderr.count("> [")
    assert asked == len(prompts)
    assert asked < without.stderr.count("> [")
    assert json.loads(result.stdout)["answers"]["strength_stalled"] is True


# ------------------------------------------------------------------ the audit log


def _record(path: Path, args: list[str], runner: CliRunner) -> str:
    result = runner.invoke(cli, ["assess", *args, "--audit-log", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["assessment_id"])


def test_audit_record_keeps_the_log_digest_and_evidence_and_verifies(
    runner: CliRunner, stalled: Path, tmp_path: Path
) -> None:
    db = tmp_path / "decisions.db"
    args = ["--log", str(stalled), "--answer", "strength_stalled=false"]
    assessment_id = _record(db, args, runner)
    digest = "sha256:" + hashlib.sha256(stalled.read_bytes()).hexdigest()
    with AuditLog(db, readonly=True) as log:
        stored = log.get(assessment_id).result().training_log
        assert log.verify().ok
        assert replay(log, assessment_id).reproduced
    assert stored is not None
    assert stored.logs[0].digest == digest
    stall = stored.get("strength_stalled")
    assert stall is not None
    assert stall.evidence is not None
    assert "e1RM" in stall.evidence.sentence
    explained = runner.invoke(
        cli,
        [
            "audit",
            "explain",
            assessment_id,
            "--why-not",
            "split_power_and_structure",
            "--audit-log",
            str(db),
        ],
    )
    assert explained.exit_code == 0, explained.stderr
    assert digest in explained.stdout
    assert "measured strength_stalled = true (they answered false" in explained.stdout
    assert "evidence: every compound leg lift with enough data has stalled" in explained.stdout
    # the record's hash covers the evidence: editing it is caught
    conn = sqlite3.connect(db)
    with conn:
        content = conn.execute("SELECT content FROM records").fetchone()[0]
        conn.execute("UPDATE records SET content = ?", (content.replace("e1RM", "e1rm"),))
    conn.close()
    with AuditLog(db, readonly=True) as log:
        assert not log.verify().ok


def _stored_log_part(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        content = json.loads(conn.execute("SELECT content FROM records").fetchone()[0])
    finally:
        conn.close()
    use = dict(content["assessment"]["training_log"])
    use.pop("logs")  # which file was read: differs by construction, and says no value
    return {"content": json.dumps(content), "measured": use}


def test_a_redacted_measured_answer_does_not_leak_through_the_evidence(
    runner: CliRunner, tmp_path: Path
) -> None:
    rising = _write(tmp_path / "rising.csv", squat=None)
    stalled = _write(tmp_path / "stalled.csv")
    parts = []
    for name, log in (("rising", rising), ("stalled", stalled)):
        db = tmp_path / f"{name}.db"
        args = ["--log", str(log), "--answer", "strength_stalled=false"]
        assessment_id = _record(db, [*args, "--redact", "strength_stalled"], runner)
        with AuditLog(db, readonly=True) as audit:
            assert audit.verify().ok
            assert audit.check_value(assessment_id, "strength_stalled", name == "stalled")
        shown = runner.invoke(cli, ["audit", "show", assessment_id, "--audit-log", str(db)])
        assert "withheld: the record redacts an answer" in shown.stdout
        parts.append(_stored_log_part(db))
    for part in parts:
        assert "e1RM" not in part["content"]  # no lift trend, in any field
        assert "You answered" not in part["content"]
        stall = next(m for m in part["measured"]["measured"] if m["question"] == "strength_stalled")
        assert stall["value"].startswith(REDACTED_PREFIX)
        assert stall["reported"] is None  # nor whether it agreed: that tells a yes from a no
        assert stall["agrees"] is None
        assert all(m["evidence"] is None for m in part["measured"]["measured"])
    # a stalled and a rising squat: told apart only by the salted hash
    first, second = (_anonymous(part["measured"]) for part in parts)
    assert first == second


def test_redacting_an_unrelated_answer_keeps_the_evidence(
    runner: CliRunner, stalled: Path, tmp_path: Path
) -> None:
    db = tmp_path / "decisions.db"
    _record(db, ["--log", str(stalled), "--answer", "age=30", "--redact", "age"], runner)
    part = _stored_log_part(db)
    assert "e1RM" in part["content"]


def test_cli_the_readme_worked_example(runner: CliRunner) -> None:
    """The README's example: the committed synthetic Strong export, judged as of a fixed
    date, turns a "not stalled" answer into the plateau advice."""
    example = Path(__file__).parent.parent / "examples" / "logs" / "stalled-squat.csv"
    args = ["assess", "--log", str(example), "--as-of", "2024-03-20"]
    args += ["--answer", "strength_stalled=false", "--answer", "squat_felt_most=quads"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    fired = [firing["rule"] for firing in data["trace"]]
    assert {"plateau-structure-not-effort", "heavy-every-session"} <= set(fired)
    assert "compound-only-routine-add-isolation" in fired
    ids = [rec["id"] for rec in data["recommendations"]]
    assert ids[0] == "split_power_and_structure"
    assert "track_progression" not in ids  # the log shows they log every session
    assert data["training_log"]["as_of"] == "2024-03-20"
    without = runner.invoke(cli, ["assess", *args[5:], "--json"])  # the answers alone
    assert without.exit_code == 0, without.stderr
    assert "split_power_and_structure" not in without.stdout


def test_cli_save_keeps_only_your_own_answers(
    runner: CliRunner, stalled: Path, tmp_path: Path
) -> None:
    """A saved answers file is what the person said: a measured value saved there would
    come back next time as a recollection, long after the log moved on."""
    saved = tmp_path / "mine.json"
    args = ["assess", "--log", str(stalled), "--answer", "strength_stalled=false"]
    result = runner.invoke(cli, [*args, "--answer", "age=30", "--save", str(saved), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(saved.read_text(encoding="utf-8")) == {
        "strength_stalled": False,
        "age": 30,
    }


def test_skipped_rows_say_why_when_the_log_is_read(tmp_path: Path) -> None:
    """A log dated after --as-of read as "0 sets, 1 rows skipped", nothing on why."""
    path = tmp_path / "future.csv"
    path.write_text(
        "date,exercise,set,weight,unit,reps,rpe,side\n2030-01-07,squat,1,100,kg,5,,\n",
        encoding="utf-8",
    )
    args = ["assess", "--log", str(path), "--as-of", "2030-01-01", "--no-input"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        f"read {path}: 0 sets, 1 row skipped (line 2: dated 2030-01-07, in the future "
        f"(today is 2030-01-01); `legrules log summary {path}` lists them)"
    ) in result.stderr.replace("\n", " ")
