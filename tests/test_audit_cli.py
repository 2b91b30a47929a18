"""``legrules assess --audit-log`` and ``legrules audit ...``: stdout, stderr and exit codes,
and bad log files (exit 2, a message, the file untouched)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from legrules.audit import AuditLog
from legrules.cli import cli
from legrules.pack.schema import facts_read
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.conftest import EXAMPLES
from tests.test_audit_log import NEVER, write_probe


@dataclass(frozen=True)
class Logged:
    pack: Path
    log: Path
    glutes: str
    referral: str
    defaults: str


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _assess(runner: CliRunner, pack: Path, log: Path, *extra: str) -> str:
    result = runner.invoke(
        cli, ["assess", "--rules", str(pack), "--audit-log", str(log), "--json", *extra]
    )
    assert result.exit_code == 0, result.stderr
    assessment_id = str(json.loads(result.stdout)["assessment_id"])
    # stderr may carry other messages (warnings about unanswered questions) before it.
    assert result.stderr.endswith(f"legrules: recorded assessment {assessment_id} in {log}\n")
    return assessment_id


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory, runner: CliRunner) -> Logged:
    """One log with three records, written through the CLI; tests only read it."""
    root = tmp_path_factory.mktemp("cli")
    pack = root / "pack"
    shutil.copytree(default_rules_dir(), pack, ignore=shutil.ignore_patterns("tests"))
    write_probe(pack)
    log = root / "decisions.db"
    glutes = _assess(runner, pack, log, "--answers", str(EXAMPLES / "glute-dominant.json"))
    referral = _assess(
        runner,
        pack,
        log,
        "--answers",
        str(EXAMPLES / "sharp-knee-pain.json"),
        "--redact",
        "pain_type",
        "--redact",
        "age",
    )
    defaults = _assess(runner, pack, log, "--defaults")
    # assess closes the log: everything is in the main file, so a copy of it is whole.
    wal = log.with_name(log.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return Logged(pack, log, glutes, referral, defaults)


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def audit(runner: CliRunner, log: Path | str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["audit", *args, "--audit-log", str(log)])
    return result.exit_code, result.stdout, result.stderr


# -- writing through assess -------------------------------------------------------------


def test_assess_output_is_the_same_with_a_log(runner: CliRunner, logged: Logged) -> None:
    plain = runner.invoke(cli, ["assess", "--rules", str(logged.pack), "--defaults", "--json"])
    assert plain.exit_code == 0
    assert "recorded" not in plain.stderr
    data = json.loads(plain.stdout)
    with AuditLog(logged.log, readonly=True) as log:
        record = log.get(logged.defaults)
    assert record.assessment["compact"] == 1  # stored without the pack's text
    stored = dict(record.full_assessment)
    for key in ("assessment_id", "created_at"):
        data.pop(key)
        stored.pop(key)
    assert data == stored


def test_the_log_path_can_come_from_the_environment(
    runner: CliRunner, logged: Logged, tmp_path: Path
) -> None:
    path = tmp_path / "env.db"
    result = runner.invoke(
        cli,
        ["assess", "--rules", str(logged.pack), "--defaults"],
        env={"LEGRULES_AUDIT_LOG": str(path)},
    )
    assert result.exit_code == 0, result.stderr
    assert "legrules: recorded assessment" in result.stderr
    with AuditLog(path, readonly=True) as log:
        assert log.count() == 1


def test_redact_needs_a_log(runner: CliRunner, logged: Logged) -> None:
    result = runner.invoke(cli, ["assess", "--defaults", "--redact", "age"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--redact only applies to the audit log" in result.stderr


def test_redact_of_an_unknown_question(runner: CliRunner, logged: Logged, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = runner.invoke(
        cli,
        [
            *("assess", "--rules", str(logged.pack), "--defaults"),
            *("--audit-log", str(path), "--redact", "pain_typo"),
        ],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "pain_typo" in result.stderr
    assert "did you mean 'pain_type'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not path.exists()


# -- reading ----------------------------------------------------------------------------


def test_list(runner: CliRunner, logged: Logged) -> None:
    code, out, err = audit(runner, logged.log, "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["SEQ", "ASSESSED", "(UTC)"]
    assert [line.split()[2] for line in lines[1:]] == [
        logged.glutes,
        logged.referral,
        logged.defaults,
    ]
    code, out, _ = audit(runner, logged.log, "list", "--status", "referral", "--json")
    assert code == 0
    (summary,) = [json.loads(line) for line in out.splitlines()]
    assert summary["assessment_id"] == logged.referral
    assert summary["redacted"] == ["age", "pain_type"]
    code, out, _ = audit(runner, logged.log, "list", "--rule", "glute-dominance", "--json")
    # Both example answer sets say the glutes take over in squats.
    assert [json.loads(line)["assessment_id"] for line in out.splitlines()] == [
        logged.glutes,
        logged.referral,
    ]
    code, out, _ = audit(runner, logged.log, "list", "--recommendation", "second_leg_day")
    assert logged.glutes in out
    assert logged.referral not in out  # the referral withheld it


def test_list_with_no_match_says_so_on_stderr(runner: CliRunner, logged: Logged) -> None:
    code, out, err = audit(runner, logged.log, "list", "--since", "2999-01-01")
    assert (code, out) == (0, "")
    assert err == "no records match\n"
    code, out, err = audit(runner, logged.log, "list", "--until", "yesterday-ish")
    assert code == 2
    assert out == ""
    assert "not an ISO 8601" in err


def test_show_text_has_the_reasoning(runner: CliRunner, logged: Logged) -> None:
    code, out, err = audit(runner, logged.log, "show", logged.glutes[:8])
    assert (code, err) == (0, "")
    assert out.startswith(f"Assessment {logged.glutes}\n")
    for part in (
        "Answers",
        "squat_felt_most: glutes",
        "because: rule glute-dominance v1",
        "rationale:",
        "source: Article section",
        "answers that mattered: squat_felt_most = glutes",
        "Plan",
        "Trace (every rule that fired, in order)",
    ):
        assert part in out, part


def test_show_of_a_redacted_record(runner: CliRunner, logged: Logged) -> None:
    code, out, _ = audit(runner, logged.log, "show", logged.referral)
    assert code == 0
    assert "redacted:   age, pain_type" in out
    assert "pain_type: [redacted]" in out
    assert "pain_type: sharp" not in out
    assert "status:     referral" in out


def test_show_json_is_the_stored_record(runner: CliRunner, logged: Logged) -> None:
    code, out, err = audit(runner, logged.log, "show", logged.glutes, "--json")
    assert (code, err) == (0, "")
    with AuditLog(logged.log, readonly=True) as log:
        assert json.loads(out) == log.get(logged.glutes).model_dump(mode="json")


def test_explain_is_legrules_explain_on_the_stored_rules(
    runner: CliRunner, logged: Logged, tmp_path: Path
) -> None:
    with AuditLog(logged.log, readonly=True) as log:
        record = log.get(logged.glutes)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(record.answers), encoding="utf-8")
    for rec in ("heel_elevated_squat", "leg_curl", "Leg curls", "see_professional"):
        direct = runner.invoke(
            cli,
            ["explain", "--rules", str(logged.pack), "--answers", str(answers), "--why-not", rec],
        )
        assert direct.exit_code == 0, direct.stderr
        code, out, err = audit(runner, logged.log, "explain", logged.glutes, "--why-not", rec)
        assert (code, err) == (0, "")
        assert out == direct.stdout
    code, out, _ = audit(
        runner, logged.log, "explain", logged.defaults, "--why-not", "heel_elevated_squat"
    )
    assert "was not recommended" in out.splitlines()[0]
    assert "- glute-dominance:" in out
    code, out, _ = audit(
        runner, logged.log, "explain", logged.glutes, "--why-not", "leg_curl", "--json"
    )
    data = json.loads(out)
    assert data["assessment_id"] == logged.glutes
    assert data["why_not"][0]["made"] is True
    code, out, err = audit(runner, logged.log, "explain", logged.glutes, "--why-not", "leg_crul")
    assert (code, out) == (2, "")
    assert "did you mean 'leg_curl'" in err


def test_explain_of_a_redacted_record_says_what_it_cannot_know(
    runner: CliRunner, logged: Logged
) -> None:
    code, out, err = audit(
        runner, logged.log, "explain", logged.defaults, "--why-not", "see_professional"
    )
    assert code == 0
    assert "redacted" not in out  # the defaults record redacted nothing
    code, out, err = audit(
        runner, logged.log, "explain", logged.referral, "--why-not", "see_professional"
    )
    assert (code, err) == (0, "")
    assert "was recommended" in out.splitlines()[0]
    assert "fired." in out


def test_replay_against_changed_rules(runner: CliRunner, logged: Logged, tmp_path: Path) -> None:
    today = tmp_path / "today"
    shutil.copytree(logged.pack, today)
    write_probe(today, version=2, when=NEVER)
    code, out, err = audit(runner, logged.log, "replay", logged.defaults, "--rules", str(today))
    assert (code, err) == (0, "")
    assert "answers: exactly as recorded" in out
    assert "audit-probe [changed, v1 -> v2]" in out
    assert "- second_leg_day is no longer recommended" in out
    code, out, _ = audit(
        runner, logged.log, "replay", logged.defaults, "--rules", str(today), "--json"
    )
    data = json.loads(out)
    assert data["rule_changes"] == [
        {"rule": "audit-probe", "change": "changed", "old_version": 1, "new_version": 2}
    ]


def test_replay_of_a_redacted_record(runner: CliRunner, logged: Logged) -> None:
    args = ["replay", logged.referral, "--rules", str(logged.pack)]
    code, out, _ = audit(runner, logged.log, *args)
    assert code == 0
    assert "NOT FAITHFUL" in out
    assert "age, pain_type" in out
    code, out, _ = audit(
        runner, logged.log, *args, "--value", "pain_type=sharp", "--value", "age=35"
    )
    assert code == 0
    assert "answers: exactly as recorded" in out
    code, out, err = audit(runner, logged.log, *args, "--value", "pain_type=dull_ache")
    assert code == 2
    assert out == ""
    assert "not the one that was recorded" in err
    code, _, err = audit(runner, logged.log, *args, "--value", "nonsense")
    assert code == 2
    assert "expected ID=VALUE" in err


def test_export(runner: CliRunner, logged: Logged, tmp_path: Path) -> None:
    code, out, err = audit(runner, logged.log, "export", "--format", "jsonl")
    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["seq"] for r in records] == [1, 2, 3]
    target = tmp_path / "out.jsonl"
    code, out, err = audit(runner, logged.log, "export", "--status", "referral", "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"legrules: exported 1 records to {target}\n"
    assert json.loads(target.read_text())["assessment_id"] == logged.referral


def test_verify_intact_and_edited(runner: CliRunner, logged: Logged, tmp_path: Path) -> None:
    code, out, err = audit(runner, logged.log, "verify")
    assert (code, err) == (0, "")
    assert out.startswith("ok: 3 records, hash chain intact\nhead: sha256:")
    copy = tmp_path / "edited.db"
    shutil.copy(logged.log, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE records SET content = replace(content, 'glutes', 'quads') WHERE seq = 1")
    conn.commit()
    conn.close()
    code, out, err = audit(runner, copy, "verify")
    assert code == 1
    assert err == ""
    assert out.startswith(f"FAILED: record 1 ({logged.glutes}) was edited")
    code, out, _ = audit(runner, copy, "verify", "--json")
    assert code == 1
    assert json.loads(out)["problems"][0]["kind"] == "edited"


def test_verify_names_the_records_after_the_expected_head(
    runner: CliRunner, logged: Logged, tmp_path: Path
) -> None:
    with AuditLog(logged.log, readonly=True) as log:
        second = next(r for r in log.records() if r.seq == 2).hash
    code, out, err = audit(runner, logged.log, "verify", "--expect-head", second)
    assert (code, err) == (0, "")
    assert out.startswith(
        "ok: 3 records, hash chain intact\n"
        "expected head: found; 1 record after the expected head, not covered by it"
    )
    code, out, _ = audit(runner, logged.log, "verify", "--expect-head", second, "--json")
    assert (code, json.loads(out)["after_expected_head"]) == (0, 1)


def test_read_commands_leave_the_log_unchanged(runner: CliRunner, logged: Logged) -> None:
    before = _state(logged.log)
    for args in _read_commands(logged.glutes, logged.pack):
        code, _, err = audit(runner, logged.log, *args)
        assert code == 0, (args, err)
    assert _state(logged.log) == before


def _read_only_dir(directory: Path, log: Path) -> None:
    directory.chmod(0o555)


def _read_only_copy(directory: Path, log: Path) -> None:
    log.chmod(0o444)


def _someone_elses(directory: Path, log: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(log, 65534, 65534)


@pytest.mark.parametrize(
    "place",
    [_read_only_dir, _read_only_copy, _someone_elses],
    ids=["read-only-dir", "read-only-copy", "someone-elses"],
)
def test_read_commands_create_nothing_beside_a_log_they_may_not_write(
    runner: CliRunner, logged: Logged, tmp_path: Path, place: Any
) -> None:
    # Checked by what appears in the directory, so it holds as root, whom chmod does not
    # stop: a read-only connection would leave -wal and -shm files there.
    directory = tmp_path / "shared"
    directory.mkdir()
    log = directory / "decisions.db"
    shutil.copy(logged.log, log)
    place(directory, log)
    try:
        before = (sorted(os.listdir(directory)), _state(log))
        for args in _read_commands(logged.glutes, logged.pack):
            code, _, err = audit(runner, log, *args)
            assert code == 0, (args, err)
            assert (sorted(os.listdir(directory)), _state(log)) == before, args
    finally:
        directory.chmod(0o755)


# -- bad input: exit 2, a message, the file untouched ----------------------------------


def _read_commands(record_id: str, pack: Path) -> list[list[str]]:
    return [
        ["list"],
        ["show", record_id],
        ["explain", record_id, "--why-not", "leg_curl"],
        ["replay", record_id, "--rules", str(pack)],
        ["export", "--format", "jsonl"],
        ["verify"],
    ]


def _corrupted(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    data = bytearray(target.read_bytes())
    for offset in range(8192, len(data), 64):  # everything after the first two pages
        data[offset : offset + 16] = b"\xde\xad\xbe\xef" * 4
    target.write_bytes(bytes(data))


def _newer(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def _not_sqlite(source: Path, target: Path) -> None:
    target.write_text("id,answer\n1,sharp\n" * 100)


BAD = {
    "corrupted": (_corrupted, "damaged"),
    "not-sqlite": (_not_sqlite, "not a legrules audit log"),
    "newer-schema": (_newer, "written by a newer legrules (log schema version 99"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize(
    "command", range(6), ids=["list", "show", "explain", "replay", "export", "verify"]
)
def test_bad_log_files(
    runner: CliRunner, logged: Logged, tmp_path: Path, kind: str, command: int
) -> None:
    make, message = BAD[kind]
    path = tmp_path / "bad.db"
    make(logged.log, path)
    before = _state(path)
    args = _read_commands(logged.glutes, logged.pack)[command]
    code, out, err = audit(runner, path, *args)
    assert code == 2, err
    assert out == ""
    assert err.startswith(f"legrules: {path}: ")
    assert message in err
    assert "Traceback" not in err
    assert _state(path) == before


@pytest.mark.parametrize(
    "command", range(6), ids=["list", "show", "explain", "replay", "export", "verify"]
)
def test_missing_log_is_not_created(
    runner: CliRunner, logged: Logged, tmp_path: Path, command: int
) -> None:
    path = tmp_path / "missing.db"
    code, out, err = audit(runner, path, *_read_commands(logged.glutes, logged.pack)[command])
    assert (code, out) == (2, "")
    assert "no audit log here" in err
    assert not path.exists()


def test_a_directory_is_not_a_log(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = audit(runner, tmp_path, "list")
    assert (code, out) == (2, "")
    assert "is a directory" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_log(runner: CliRunner, logged: Logged, tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    shutil.copy(logged.log, path)
    path.chmod(0)
    try:
        code, out, err = audit(runner, path, "list")
    finally:
        path.chmod(0o600)
    assert (code, out) == (2, "")
    assert "permission denied" in err


def test_a_path_through_a_file_is_unreadable(runner: CliRunner, logged: Logged) -> None:
    code, out, err = audit(runner, logged.log / "inner.db", "list")
    assert (code, out) == (2, "")
    assert "no audit log here" in err


@pytest.mark.parametrize("command", ["show", "explain", "replay"])
def test_missing_record_id(runner: CliRunner, logged: Logged, command: str) -> None:
    before = _state(logged.log)
    args = {
        "show": ["show", "00000000-no-such-record"],
        "explain": ["explain", "00000000-no-such-record", "--why-not", "leg_curl"],
        "replay": ["replay", "00000000-no-such-record", "--rules", str(logged.pack)],
    }[command]
    code, out, err = audit(runner, logged.log, *args)
    assert (code, out) == (2, "")
    assert "no record '00000000-no-such-record'" in err
    assert "the log holds 3 records" in err
    assert _state(logged.log) == before


def test_no_log_given(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audit", "list"], env={"LEGRULES_AUDIT_LOG": ""})
    assert result.exit_code == 2
    assert "no audit log given" in result.stderr


@pytest.mark.parametrize("kind", sorted(BAD))
def test_assess_refuses_a_bad_log_before_assessing(
    runner: CliRunner, logged: Logged, tmp_path: Path, kind: str
) -> None:
    make, message = BAD[kind]
    path = tmp_path / "bad.db"
    make(logged.log, path)
    before = _state(path)
    result = runner.invoke(
        cli,
        ["assess", "--rules", str(logged.pack), "--defaults", "--json", "--audit-log", str(path)],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert _state(path) == before


def test_explain_does_not_guess_through_a_redacted_answer(
    runner: CliRunner, logged: Logged, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text('{"pain_type": "none", "age": 30}', encoding="utf-8")
    log = tmp_path / "redacted.db"
    record_id = _assess(
        runner, logged.pack, log, "--answers", str(answers), "--redact", "pain_type"
    )
    pack = load_pack(logged.pack)
    reader = next(r for r in pack.rules if "pain_type" in facts_read(r.when))
    rec = reader.then.recommend[0].id
    code, out, err = audit(runner, log, "explain", record_id, "--why-not", rec)
    assert (code, err) == (0, "")
    block = next(b for b in out.split("\n\n") if b.startswith(f"- {reader.id}: "))
    assert " ".join(block.split("\n", 1)[1].split()) == (
        "did not fire (the recorded trace says so); its condition reads the redacted "
        "answer(s) pain_type, so the log cannot say which part of its condition failed."
    )
    code, out, err = audit(runner, log, "explain", record_id, "--why-not", rec, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    verdict = next(v for v in data["why_not"][0]["verdicts"] if v["rule"] == reader.id)
    assert verdict["redacted"] == ["pain_type"]
    assert data["uncertain"][0][reader.id] == ["pain_type"]
