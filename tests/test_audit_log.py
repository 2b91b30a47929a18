"""The decision log as a library: what a record holds, explain and replay from stored rules,
redaction, the hash chain and what verify catches, filters, export, refusing bad files.

Every test works on a private copy of the default pack (``pack_copy``), plus rules the
test controls, so rule edits elsewhere in the checkout cannot change what is asserted.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine, RulePackError, __version__
from legrules.audit import (
    GENESIS,
    SCHEMA_VERSION,
    AuditError,
    AuditLog,
    AuditLogError,
    RecordNotFoundError,
    explain_record,
    replay,
)
from legrules.audit.model import REDACTED_PREFIX
from legrules.errors import UnknownIdError
from legrules.explain.whynot import why_not
from legrules.pack.model import RulePack
from legrules.pack.schema import facts_read
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

# A rule the tests own: always fires on the default answers, and is the only rule that
# makes its recommendation (checked, not assumed, in the tests that rely on it).
PROBE = """
rules:
  - id: audit-probe
    title: Audit probe - add a second leg day
    version: {version}
    priority: 800
    provenance: inferred
    when: {when}
    then:
      recommend: [{{id: second_leg_day}}]
    because: A rule the audit tests own.
    sources: [{{ref: WEEKLY}}]
"""
ALWAYS = "{all: []}"
NEVER = "{fact: age, gt: 100}"
EXTRA = """
rules:
  - id: audit-extra
    title: Audit extra - track progression
    version: 1
    priority: 810
    provenance: inferred
    when: {all: []}
    then:
      recommend: [{id: track_progression}]
    because: Another rule the audit tests own.
    sources: [{ref: WEEKLY}]
"""


def write_probe(pack: Path, version: int = 1, when: str = ALWAYS) -> None:
    text = PROBE.format(version=version, when=when)
    (pack / "rules" / "zz-audit-probe.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def probe_pack(pack_copy: Path) -> Path:
    """A pack copy with the probe rule, for tests that change rules on disk."""
    write_probe(pack_copy)
    return pack_copy


@pytest.fixture(scope="module")
def shared_pack(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    """The probe pack loaded once per module (loading is the slow part of an Engine)."""
    root = tmp_path_factory.mktemp("shared") / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests"))
    write_probe(root)
    return load_pack(root)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "decisions.db"


@pytest.fixture
def audited(shared_pack: RulePack, log_path: Path) -> Iterator[Engine]:
    with Engine(shared_pack, audit_log=log_path) as engine:
        yield engine


@pytest.fixture
def own_audited(probe_pack: Path, log_path: Path) -> Iterator[Engine]:
    """Like ``audited``, on a pack this test may change."""
    with Engine(probe_pack, audit_log=log_path) as engine:
        yield engine


def _walk(data: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in a JSON document."""
    found: list[Any] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                found.append(v)
            found.extend(_walk(v, key))
    elif isinstance(data, list):
        for item in data:
            found.extend(_walk(item, key))
    return found


def _genesis_by_hand(path: Path) -> str:
    """What record 1 links to, computed from the meta table with json and hashlib only."""
    conn = sqlite3.connect(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    fixed = {k: v for k, v in meta.items() if k not in ("head_seq", "head_hash")}
    fixed["schema_version"] = version
    text = json.dumps(fixed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(f"{GENESIS}\n{text}".encode()).hexdigest()


# -- what a record holds ---------------------------------------------------------------


def test_record_holds_everything_needed_later(audited: Engine, log_path: Path) -> None:
    result = audited.assess({"squat_felt_most": "glutes", "age": 34})
    with AuditLog(log_path, readonly=True) as log:
        record = log.get(result.assessment_id)
        assert log.count() == 1
    assert record.seq == 1
    assert record.prev_hash == _genesis_by_hand(log_path)
    assert record.timestamp.endswith("Z")
    assert record.timestamp[:19] == result.created_at[:19]
    assert record.legrules_version == __version__
    assert (record.engine.name, record.engine.version) == (
        result.engine.name,
        result.engine.version,
    )
    assert record.ruleset == result.ruleset
    assert [(r.id, r.version) for r in record.rules] == [
        (r.id, r.version) for r in audited.pack.rules
    ]
    assert record.answers == result.answers
    assert record.provided == ["age", "squat_felt_most"]
    assert record.redacted == []
    # The full result: recommendations with because, plan, status, trace.
    assert record.result() == result
    assert record.status == result.status
    assert record.fired_rules() == [f.rule for f in result.trace]


def test_pack_is_stored_once_per_fingerprint(
    probe_pack: Path, own_audited: Engine, log_path: Path
) -> None:
    for _ in range(3):
        own_audited.assess({})
    write_probe(probe_pack, version=2, when=NEVER)
    with Engine(probe_pack, audit_log=log_path) as changed:
        changed.assess({})
        new_fingerprint = changed.fingerprint
    conn = sqlite3.connect(log_path)
    try:
        packs = conn.execute("SELECT fingerprint FROM packs").fetchall()
    finally:
        conn.close()
    assert sorted(p[0] for p in packs) == sorted([own_audited.fingerprint, new_fingerprint])
    with AuditLog(log_path, readonly=True) as log:
        snapshot = log.snapshot(own_audited.fingerprint)
    assert "version: 1" in snapshot.files["rules/zz-audit-probe.yaml"]
    assert {"pack.yaml", "questionnaire.yaml", "catalogue.yaml"} <= set(snapshot.files)


def test_changed_rule_files_are_refused_not_stored(probe_pack: Path, log_path: Path) -> None:
    pack = load_pack(probe_pack)
    write_probe(probe_pack, version=2)  # the files change after the pack was loaded
    with pytest.raises(AuditError, match="changed after they were loaded"):
        Engine(pack, audit_log=log_path)


def test_the_same_assessment_is_not_recorded_twice(audited: Engine, log_path: Path) -> None:
    result = audited.assess({})
    with AuditLog(log_path) as log, pytest.raises(AuditError, match="already recorded"):
        log.record(result, audited.compiled)
    with AuditLog(log_path, readonly=True) as log:
        assert log.count() == 1
        assert log.verify().ok


def test_a_record_written_is_not_expanded_again(
    engine: Engine, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record returned holds the result it was compacted from: expanding it back
    was a millisecond of every recorded assessment (and was done inside the transaction,
    holding every writer of the file). Read back, the log expands it to the same."""
    import legrules.audit.model

    result = engine.assess({"squat_felt_most": "glutes"})
    with AuditLog(log_path) as log:
        with monkeypatch.context() as patched:
            patched.setattr(legrules.audit.model, "expand", _not_called)
            written = log.record(result, engine.compiled)
        (read,) = log.records()
    assert written.full_assessment == json.loads(result.to_json())
    assert read.full_assessment == written.full_assessment
    assert read.assessment == written.assessment


def _not_called(*args: object) -> None:
    raise AssertionError("expanded")


def test_record_refuses_an_assessment_from_other_rules(
    audited: Engine, engine: Engine, log_path: Path
) -> None:
    result = engine.assess({})  # the session's default engine, another fingerprint
    with AuditLog(log_path) as log, pytest.raises(AuditError, match="made by rules"):
        log.record(result, audited.compiled)


def test_a_readonly_log_cannot_record(audited: Engine, log_path: Path) -> None:
    result = audited.assess({})
    with AuditLog(log_path, readonly=True) as log, pytest.raises(AuditError, match="read-only"):
        log.record(result.model_copy(update={"assessment_id": "x"}), audited.compiled)


# -- explain and replay from the stored rules ------------------------------------------


def test_explain_uses_the_stored_rules_after_they_changed(
    probe_pack: Path, own_audited: Engine, log_path: Path
) -> None:
    answers = own_audited.validate({"squat_felt_most": "quads"})
    result = own_audited.assess(answers)
    expected = why_not(own_audited.pack, answers, "second_leg_day", result).lines()
    (probe_pack / "rules" / "zz-audit-probe.yaml").unlink()  # the rule is gone today
    with AuditLog(log_path, readonly=True) as log:
        answer = explain_record(log, result.assessment_id, "second_leg_day")
    assert answer.lines() == expected
    assert answer.lines()[0].endswith("(second_leg_day) was recommended, by audit-probe.")
    assert "- audit-probe: Audit probe - add a second leg day" in answer.lines()


def test_explain_unknown_recommendation_suggests(audited: Engine, log_path: Path) -> None:
    result = audited.assess({})
    with (
        AuditLog(log_path, readonly=True) as log,
        pytest.raises(UnknownIdError, match="did you mean 'leg_curl'") as caught,
    ):
        explain_record(log, result.assessment_id, "leg_curls")
    assert caught.value.exit_code == 2


def test_the_deprecated_methods_warn_and_give_what_the_functions_give(
    audited: Engine, log_path: Path
) -> None:
    result = audited.assess({"squat_felt_most": "glutes"})
    with AuditLog(log_path, readonly=True) as log:
        with pytest.deprecated_call(match="explain_record"):
            old = log.explain(result.assessment_id, "leg_curl")
        assert old == explain_record(log, result.assessment_id, "leg_curl")
        with pytest.deprecated_call(match=r"legrules\.audit\.replay"):
            replayed = log.replay(result.assessment_id, audited)
        now = replay(log, result.assessment_id, audited)
    assert replayed.lines() == now.lines()
    assert (replayed.record, replayed.reproduced) == (now.record, True)


def test_replay_names_the_rule_changes_that_changed_the_result(
    probe_pack: Path, own_audited: Engine, log_path: Path
) -> None:
    result = own_audited.assess({})
    assert [r.rule for r in result.recommendation("second_leg_day").because] == [  # type: ignore[union-attr]
        "audit-probe"
    ]
    assert result.recommendation("track_progression") is None
    write_probe(probe_pack, version=2, when=NEVER)
    (probe_pack / "rules" / "zz-audit-extra.yaml").write_text(EXTRA, encoding="utf-8")
    with AuditLog(log_path, readonly=True) as log, Engine(probe_pack) as today:
        replayed = replay(log, result.assessment_id, today)
    assert replayed.faithful
    assert replayed.reproduced
    changes = {(c.rule, c.change, c.old_version, c.new_version) for c in replayed.rule_changes}
    assert changes == {("audit-probe", "changed", 1, 2), ("audit-extra", "added", None, 1)}
    by_subject = {c.subject: c for c in replayed.changes}
    assert by_subject["second_leg_day"].summary.startswith("- second_leg_day is no longer")
    assert by_subject["second_leg_day"].caused_by == ["audit-probe"]
    assert by_subject["track_progression"].summary.startswith("+ track_progression is now")
    assert by_subject["track_progression"].caused_by == ["audit-extra"]
    assert replayed.fired_now == ["audit-extra"]
    assert replayed.fired_no_longer == ["audit-probe"]
    text = "\n".join(replayed.lines())
    assert "audit-probe [changed, v1 -> v2]" in text
    assert "audit-extra [added, v1]" in text
    assert replayed.after.recommendation("track_progression") is not None


def test_replay_with_unchanged_rules_reports_no_change(audited: Engine, log_path: Path) -> None:
    result = audited.assess({"squat_felt_most": "glutes"})
    with AuditLog(log_path, readonly=True) as log:
        replayed = replay(log, result.assessment_id, audited)
    assert replayed.reproduced
    assert replayed.faithful
    assert replayed.rule_changes == []
    assert replayed.changes == []
    assert "nothing; today's rules give the same result" in "\n".join(replayed.lines())


def test_replay_of_a_removed_rule(probe_pack: Path, own_audited: Engine, log_path: Path) -> None:
    result = own_audited.assess({})
    (probe_pack / "rules" / "zz-audit-probe.yaml").unlink()
    with AuditLog(log_path, readonly=True) as log, Engine(probe_pack) as today:
        replayed = replay(log, result.assessment_id, today)
    assert [(c.rule, c.change) for c in replayed.rule_changes] == [("audit-probe", "removed")]
    change = next(c for c in replayed.changes if c.subject == "second_leg_day")
    assert change.caused_by == ["audit-probe"]


# -- redaction -------------------------------------------------------------------------


def test_redacted_answers_are_hashed_everywhere_and_listed(
    shared_pack: RulePack, log_path: Path
) -> None:
    answers = {"pain_type": "sharp", "pain_score": 7, "age": 41, "squat_felt_most": "glutes"}
    with Engine(shared_pack, audit_log=AuditLog(log_path, redact=["pain_type", "age"])) as eng:
        result = eng.assess(answers)
    assert result.answers["pain_type"] == "sharp"  # the caller's result is not redacted
    with AuditLog(log_path, readonly=True) as log:
        record = log.get(result.assessment_id)
        assert record.redacted == ["age", "pain_type"]
        for field in ("pain_type", "age"):
            stored = _walk(record.assessment, field)
            assert stored, f"{field} should still be listed where it mattered"
            assert all(str(v).startswith(REDACTED_PREFIX) for v in stored)
        assert log.check_value(result.assessment_id, "pain_type", "sharp")
        assert not log.check_value(result.assessment_id, "pain_type", "dull_ache")
        assert log.check_value(result.assessment_id, "age", 41)
        assert log.verify().ok
        # HOW is intact: the same rules fired, with the same reasons.
        assert record.fired_rules() == [f.rule for f in result.trace]
    content = log_path.read_bytes()
    assert b'"age":41' not in content
    assert b'"pain_type":"sharp"' not in content


def test_redacted_record_replay_is_marked_and_values_can_be_supplied(
    shared_pack: RulePack, log_path: Path
) -> None:
    with Engine(shared_pack, audit_log=AuditLog(log_path, redact=["pain_type"])) as eng:
        result = eng.assess({"pain_type": "sharp"})
        assert result.status == "referral"
        with AuditLog(log_path, readonly=True) as log:
            blind = replay(log, result.assessment_id, eng)
            assert not blind.faithful
            assert blind.unknown == ["pain_type"]
            assert "NOT FAITHFUL" in "\n".join(blind.lines())
            # pain_type took its default in both runs: no referral, and no rule change.
            assert blind.before.answers["pain_type"] != "sharp"
            assert not blind.reproduced
            assert blind.changes == []

            told = replay(log, result.assessment_id, eng, {"pain_type": "sharp"})
            assert told.faithful
            assert told.supplied == ["pain_type"]
            assert told.reproduced
            assert told.after.status == "referral"

            with pytest.raises(AuditError, match="not the one that was recorded"):
                replay(log, result.assessment_id, eng, {"pain_type": "dull_ache"})
            with pytest.raises(AuditError, match="only redacted answers"):
                replay(log, result.assessment_id, eng, {"age": 30})


def test_explain_of_a_redacted_record_uses_the_trace(shared_pack: RulePack, log_path: Path) -> None:
    with Engine(shared_pack, audit_log=AuditLog(log_path, redact=["pain_type"])) as eng:
        result = eng.assess({"pain_type": "sharp"})
        referring = [
            r.rule for rec in result.recommendations if rec.kind == "safety" for r in rec.because
        ]
    with AuditLog(log_path, readonly=True) as log:
        answer = explain_record(log, result.assessment_id, result.recommendations[0].id)
    text = " ".join(answer.text().split())
    assert f"was recommended, by {', '.join(referring)}." in text
    assert "    fired." in answer.lines()


def test_unknown_redact_field_is_refused_before_anything_is_written(
    shared_pack: RulePack, log_path: Path
) -> None:
    with pytest.raises(RulePackError, match="did you mean 'pain_type'"):
        Engine(shared_pack, audit_log=AuditLog(log_path, redact=["pain_typ"]))
    assert not log_path.exists()


# -- the hash chain and verify ---------------------------------------------------------


@pytest.fixture
def five(audited: Engine, log_path: Path) -> list[str]:
    ids = [audited.assess({"age": 20 + i}).assessment_id for i in range(5)]
    audited.close()
    return ids


def _sql(path: Path, statement: str, *params: Any) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def _verify(path: Path, expect_head: str | None = None) -> Any:
    with AuditLog(path, readonly=True) as log:
        return log.verify(expect_head)


def test_intact_chain_verifies(five: list[str], log_path: Path) -> None:
    report = _verify(log_path)
    assert report.ok
    assert report.records == 5
    assert report.head_hash.startswith("sha256:")
    assert _verify(log_path, expect_head=report.head_hash).ok


def test_verify_catches_an_edited_row(five: list[str], log_path: Path) -> None:
    _sql(
        log_path,
        "UPDATE records SET content = replace(content, '\"age\":22', '\"age\":99') WHERE seq = 3",
    )
    report = _verify(log_path)
    assert not report.ok
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("edited", 3)
    assert five[2] in report.first.message


def test_verify_catches_an_edit_whose_hash_was_recomputed(five: list[str], log_path: Path) -> None:
    conn = sqlite3.connect(log_path)
    try:
        prev, content = conn.execute(
            "SELECT prev_hash, content FROM records WHERE seq = 2"
        ).fetchone()
        forged = content.replace('"age":21', '"age":77')
        digest = "sha256:" + hashlib.sha256(f"{prev}\n{forged}".encode()).hexdigest()
        conn.execute("UPDATE records SET content = ?, hash = ? WHERE seq = 2", (forged, digest))
        conn.commit()
    finally:
        conn.close()
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("edited", 2)


def test_verify_catches_a_deleted_row(five: list[str], log_path: Path) -> None:
    _sql(log_path, "DELETE FROM records WHERE seq = 2")
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("deleted", 2)
    assert "record 2 deleted" in report.first.message


def test_verify_catches_deleted_last_rows(five: list[str], log_path: Path) -> None:
    _sql(log_path, "DELETE FROM records WHERE seq >= 4")
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("deleted", 4)
    assert "records 4 to 5 deleted from the end" in report.first.message


def test_verify_catches_reordered_rows(five: list[str], log_path: Path) -> None:
    _sql(log_path, "UPDATE records SET seq = 100 WHERE seq = 2")
    _sql(log_path, "UPDATE records SET seq = 2 WHERE seq = 4")
    _sql(log_path, "UPDATE records SET seq = 4 WHERE seq = 100")
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("reordered", 2)


def test_verify_catches_an_edited_index_column(five: list[str], log_path: Path) -> None:
    _sql(log_path, "UPDATE records SET status = 'referral' WHERE seq = 5")
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("edited", 5)
    assert "status column" in report.first.message


def test_verify_catches_an_edited_stored_pack(five: list[str], log_path: Path) -> None:
    _sql(log_path, "UPDATE packs SET files = replace(files, 'second leg day', 'third leg day')")
    report = _verify(log_path)
    assert report.first is not None
    assert (report.first.kind, report.first.seq) == ("pack", 1)


def test_verify_anchors_on_an_earlier_head(
    audited: Engine, five: list[str], log_path: Path, shared_pack: RulePack
) -> None:
    head = _verify(log_path).head_hash
    with Engine(shared_pack, audit_log=log_path) as again:
        again.assess({})
    assert _verify(log_path, expect_head=head).ok  # appending keeps the old head in the chain
    assert not _verify(log_path, expect_head="sha256:" + "1" * 64).ok


def _columns(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()


def _tamper(path: Path, table: str, column: str, where: str) -> None:
    """Change one stored value, keeping its type (as an editor would)."""
    _sql(
        path,
        f"UPDATE {table} SET {column} = CASE typeof({column}) WHEN 'integer' THEN "
        f"{column} + 100 ELSE {column} || '0' END WHERE {where}",
    )


def _detected(path: Path, expect_head: str | None = None) -> bool:
    """verify reports a problem, or the file is refused as not (or no longer) a log."""
    try:
        return not _verify(path, expect_head).ok
    except AuditLogError:
        return True


def test_every_records_column_is_covered_by_the_chain(
    five: list[str], log_path: Path, tmp_path: Path
) -> None:
    head = _verify(log_path).head_hash
    columns = _columns(log_path, "records")
    assert "timestamp" in columns
    for column in columns:
        copy = tmp_path / f"{column}.db"
        shutil.copy(log_path, copy)
        _tamper(copy, "records", column, "seq = 3")
        report = _verify(copy, expect_head=head)
        assert report.first is not None, f"an edited {column} column went unnoticed"
        assert report.first.seq == 3 or column in ("prev_hash", "hash"), report.first


def test_an_edited_timestamp_is_named(five: list[str], log_path: Path) -> None:
    head = _verify(log_path).head_hash
    _sql(log_path, "UPDATE records SET timestamp = '2001-01-01T00:00:00Z' WHERE seq = 2")
    with AuditLog(log_path, readonly=True) as log:
        # the column is what --since queries use, so the record drops out of them...
        assert five[1] not in [r.assessment_id for r in log.records(since="2020-01-01")]
    # ... and verify says so, with or without the kept head
    for expected in (None, head):
        report = _verify(log_path, expected)
        assert report.first is not None
        assert (report.first.kind, report.first.seq) == ("edited", 2)
        assert "timestamp column says '2001-01-01T00:00:00Z'" in report.first.message


@pytest.mark.parametrize("table", ["meta", "packs"])
def test_every_meta_and_pack_column_is_covered(
    five: list[str], log_path: Path, tmp_path: Path, table: str
) -> None:
    head = _verify(log_path).head_hash
    rows = ["key = " + repr(k) for k in ("format", "created_at", "salt", "head_seq", "head_hash")]
    wheres = rows if table == "meta" else ["1"]
    for column in _columns(log_path, table):
        for where in wheres:
            copy = tmp_path / "copy.db"
            shutil.copy(log_path, copy)
            _tamper(copy, table, column, where)
            assert _detected(copy, head), f"{table}.{column} edited where {where}: unnoticed"


def test_a_changed_salt_is_detected(five: list[str], log_path: Path) -> None:
    _sql(log_path, "UPDATE meta SET value = ? WHERE key = 'salt'", "ab" * 32)
    report = _verify(log_path)
    assert report.first is not None
    assert report.first.kind == "meta"
    assert "redaction salt" in report.first.message


def test_an_empty_logs_head_commits_to_its_salt(
    shared_pack: RulePack, log_path: Path, tmp_path: Path
) -> None:
    Engine(shared_pack, audit_log=log_path).close()
    report = _verify(log_path)
    assert (report.ok, report.records, report.head_hash) == (True, 0, report.genesis)
    assert report.genesis == _genesis_by_hand(log_path)
    _sql(log_path, "UPDATE meta SET value = ? WHERE key = 'salt'", "cd" * 32)
    changed = _verify(log_path)
    assert changed.first is not None
    assert changed.first.kind == "meta"
    # and a salt rewritten together with the head no longer matches the kept head
    _sql(log_path, "UPDATE meta SET value = ? WHERE key = 'head_hash'", changed.genesis)
    assert _verify(log_path).ok
    assert not _verify(log_path, expect_head=report.head_hash).ok


def test_a_lowered_schema_version_is_detected(five: list[str], log_path: Path) -> None:
    # version 1 logs start from GENESIS: claiming to be one does not skip the salt check
    _sql(log_path, "PRAGMA user_version = 1")
    report = _verify(log_path)
    assert report.first is not None
    assert report.first.kind == "meta"


def test_an_added_meta_entry_is_detected(five: list[str], log_path: Path) -> None:
    _sql(log_path, "INSERT INTO meta (key, value) VALUES ('note', 'harmless?')")
    report = _verify(log_path)
    assert report.first is not None
    assert report.first.kind == "meta"


def _append(path: Path, *, hash_ok: bool, link_ok: bool, move_head: bool) -> None:
    """Append a copy of the last record as a new one, forging as much as asked."""
    conn = sqlite3.connect(path)
    try:
        seq, content, last_hash = conn.execute(
            "SELECT seq, content, hash FROM records ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        data = json.loads(content)
        data["seq"] = seq + 1
        data["assessment_id"] = "forged-0000"
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = last_hash if link_ok else GENESIS
        digest = "sha256:" + hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
        if not hash_ok:
            digest = "sha256:" + "2" * 64
        conn.execute(
            "INSERT INTO records (seq, assessment_id, timestamp, status, fingerprint, content, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq + 1,
                "forged-0000",
                data["timestamp"],
                data["assessment"]["status"],
                data["ruleset"]["fingerprint"],
                text,
                prev,
                digest,
            ),
        )
        if move_head:
            conn.execute(
                "UPDATE meta SET value = CASE key WHEN 'head_seq' THEN ? ELSE ? END "
                "WHERE key IN ('head_seq', 'head_hash')",
                (str(seq + 1), digest),
            )
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("forgery", "kind"),
    [
        ({"hash_ok": False, "link_ok": True, "move_head": True}, "edited"),  # hash not its own
        ({"hash_ok": True, "link_ok": False, "move_head": True}, "edited"),  # links elsewhere
        ({"hash_ok": True, "link_ok": True, "move_head": False}, "head"),  # head not moved
    ],
)
def test_an_appended_forged_record_is_caught(
    five: list[str], log_path: Path, forgery: dict[str, bool], kind: str
) -> None:
    head = _verify(log_path).head_hash
    _append(log_path, **forgery)
    for expected in (None, head):
        report = _verify(log_path, expected)
        assert report.first is not None
        assert report.first.kind == kind


def test_records_after_the_expected_head_are_reported(five: list[str], log_path: Path) -> None:
    head = _verify(log_path).head_hash
    assert _verify(log_path, head).after_expected_head == 0
    # A record appended with a correctly computed chain is indistinguishable from a real
    # one (no secret key): verify cannot reject it, but it says it is not covered.
    _append(log_path, hash_ok=True, link_ok=True, move_head=True)
    report = _verify(log_path, head)
    assert report.ok
    assert report.after_expected_head == 1
    assert "1 record after the expected head" in "\n".join(report.lines())
    assert report.to_dict()["after_expected_head"] == 1
    assert _verify(log_path).after_expected_head is None


def _as_version_1(path: Path) -> None:
    """Rewrite a log the way schema version 1 wrote it: the chain starts from GENESIS."""
    conn = sqlite3.connect(path)
    try:
        prev = GENESIS
        for seq, content in conn.execute(
            "SELECT seq, content FROM records ORDER BY seq"
        ).fetchall():
            digest = "sha256:" + hashlib.sha256(f"{prev}\n{content}".encode()).hexdigest()
            conn.execute(
                "UPDATE records SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq)
            )
            prev = digest
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))
        for column in ("name", "version", "stored_at"):
            conn.execute(f"ALTER TABLE packs ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    finally:
        conn.close()


def test_a_version_1_log_is_read_and_verified_but_not_appended_to(
    five: list[str], log_path: Path, shared_pack: RulePack
) -> None:
    _as_version_1(log_path)
    with AuditLog(log_path, readonly=True) as log:
        assert [r.assessment_id for r in log.records()] == five
        report = log.verify()
    assert report.ok
    assert report.genesis == GENESIS
    assert "schema version 1" in "\n".join(report.lines())
    _sql(log_path, "UPDATE records SET timestamp = '2001-01-01T00:00:00Z' WHERE seq = 2")
    assert not _verify(log_path).ok
    before = log_path.read_bytes()
    with pytest.raises(AuditLogError, match=r"schema version 1.*Start a new log"):
        Engine(shared_pack, audit_log=log_path)
    assert log_path.read_bytes() == before


def test_export_lets_anyone_recheck_the_chain(five: list[str], log_path: Path) -> None:
    out = io.StringIO()
    with AuditLog(log_path, readonly=True) as log:
        assert log.export_jsonl(out) == 5
    prev = _genesis_by_hand(log_path)
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        digest, linked = record.pop("hash"), record.pop("prev_hash")
        content = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert linked == prev
        assert digest == "sha256:" + hashlib.sha256(f"{prev}\n{content}".encode()).hexdigest()
        prev = digest


# -- queries ---------------------------------------------------------------------------


def test_filters(audited: Engine, log_path: Path) -> None:
    glutes = audited.assess({"squat_felt_most": "glutes"})
    referral = audited.assess({"pain_type": "sharp"})
    plain = audited.assess({})
    with AuditLog(log_path, readonly=True) as log:

        def ids(**filters: Any) -> list[str]:
            return [r.assessment_id for r in log.records(**filters)]

        assert ids() == [glutes.assessment_id, referral.assessment_id, plain.assessment_id]
        assert ids(status="referral") == [referral.assessment_id]
        assert ids(rule="glute-dominance") == [glutes.assessment_id]
        assert ids(recommendation="heel_elevated_squat") == [glutes.assessment_id]
        assert ids(limit=2) == ids()[:2]
        stamp = log.get(glutes.assessment_id).timestamp
        assert ids(since=stamp, until=stamp) == [
            r.assessment_id for r in log.records() if r.timestamp == stamp
        ]
        assert ids(since="2999-01-01") == []
        assert len(ids(until="2999-01-01T00:00:00+02:00")) == 3
        with pytest.raises(AuditError, match="not an ISO 8601"):
            ids(since="last tuesday")


def test_get_by_prefix_and_missing_ids(audited: Engine, log_path: Path) -> None:
    result = audited.assess({})
    with AuditLog(log_path, readonly=True) as log:
        assert log.get(result.assessment_id[:8]).assessment_id == result.assessment_id
        with pytest.raises(RecordNotFoundError, match="no record 'nope-nope'"):
            log.get("nope-nope")
        with pytest.raises(RecordNotFoundError):
            log.get(result.assessment_id[:3])  # too short to be a prefix


# -- files that are not (usable) logs --------------------------------------------------


def test_a_read_never_creates_a_log(log_path: Path) -> None:
    with pytest.raises(AuditLogError, match="no audit log here"):
        AuditLog(log_path, readonly=True)
    assert not log_path.exists()


def test_newer_schema_is_refused_and_left_alone(audited: Engine, log_path: Path) -> None:
    audited.assess({})
    audited.close()
    _sql(log_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = log_path.read_bytes()
    for readonly in (True, False):
        with pytest.raises(AuditLogError, match="newer legrules"):
            AuditLog(log_path, readonly=readonly).count()
    assert log_path.read_bytes() == before


def test_foreign_sqlite_file_is_refused_and_left_alone(
    tmp_path: Path, shared_pack: RulePack
) -> None:
    path = tmp_path / "other.db"
    _sql(path, "CREATE TABLE people (name TEXT)")
    before = path.read_bytes()
    with pytest.raises(AuditLogError, match="other tables: people"):
        Engine(shared_pack, audit_log=path)
    with pytest.raises(AuditLogError, match="other tables: people"):
        AuditLog(path, readonly=True)
    assert path.read_bytes() == before


def test_non_sqlite_file_is_refused(tmp_path: Path, shared_pack: RulePack) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the records you are looking for\n" * 20)
    before = path.read_bytes()
    with pytest.raises(AuditLogError, match="not a legrules audit log"):
        AuditLog(path, readonly=True)
    with pytest.raises(AuditLogError, match="not a legrules audit log"):
        Engine(shared_pack, audit_log=path)
    assert path.read_bytes() == before


def test_explain_does_not_guess_a_failed_condition_on_a_redacted_answer(
    shared_pack: RulePack, log_path: Path
) -> None:
    reader = next(r for r in shared_pack.rules if "pain_type" in facts_read(r.when))
    recommendation = reader.then.recommend[0].id
    with Engine(shared_pack, audit_log=AuditLog(log_path, redact=["pain_type"])) as eng:
        result = eng.assess({"pain_type": "none"})
    assert reader.id not in [f.rule for f in result.trace]
    with AuditLog(log_path, readonly=True) as log:
        answer = explain_record(log, result.assessment_id, recommendation)
    verdict = next(v for v in answer.verdicts if v.rule == reader.id)
    assert verdict.redacted == ["pain_type"]
    text = " ".join(answer.text().split())
    assert (
        f"- {reader.id}: {reader.title} did not fire (the recorded trace says so); its "
        "condition reads the redacted answer(s) pain_type, so the log cannot say which part "
        "of its condition failed."
    ) in text
