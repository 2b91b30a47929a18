"""Re-scoring in bulk without Spark: the engine-neutral core, the difference rows and the
impact summary, checked on a small rule change worked out by hand."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legrules.audit.impact import Impact, ImpactSummary, RuleDiff, diff_rows, rescore_local
from legrules.errors import InputFileError
from legrules.pack.model import RulePack
from legrules.run import rescore
from legrules.run.compact import expand, is_compact
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.rescore import PackRef, assess_rows, record_answers
from tests.rulekit import SHIPPED, make_rule


def changed_pack() -> RulePack:
    """The shipped pack plus two rules: quads-dominant squatters get leg extensions for a
    reason of their own, and anyone 90 or older is referred to a professional."""
    return SHIPPED.with_rules(
        [
            *SHIPPED.rules,
            make_rule(
                "impact-quads",
                {"all": [{"fact": "squat_felt_most", "eq": "quads"}]},
                {"recommend": [{"id": "leg_extension"}]},
                priority=700,
            ),
            make_rule(
                "impact-old-age",
                {"all": [{"fact": "age", "gte": 90}]},
                {"recommend": [{"id": "see_professional"}]},
                priority=20,
            ),
        ]
    )


@pytest.fixture(scope="module")
def packs() -> tuple[CompiledPack, CompiledPack]:
    return compile_pack(SHIPPED), compile_pack(changed_pack())


ROWS: list[dict[str, Any]] = [
    {"id": 1, "answers": {"squat_felt_most": "quads"}},
    {"id": 2, "answers": {"squat_felt_most": "glutes"}},
    {"id": 3, "answers": '{"age": 95, "squat_felt_most": "glutes"}'},
    {"id": 4, "answers": '{"squat_felt_mots": "glutes"}'},
    {"id": 5, "answers": "not json"},
    {"id": 6, "answers": b"\xff{}"},
]

OLD_BASELINE = [
    "squat_or_leg_press",
    "romanian_deadlift",
    "walking_lunge",
    "leg_extension",
    "leg_curl",
    "step_up_or_split_squat",
]


def test_every_row_gets_one_result_and_bad_rows_an_error(
    packs: tuple[CompiledPack, CompiledPack],
) -> None:
    old, _ = packs
    out = list(assess_rows(ROWS, PackRef.of(old)))
    assert [row["id"] for row in out] == ["1", "2", "3", "4", "5", "6"]
    assert all(row["fingerprint"] == old.fingerprint for row in out)
    assert [row["status"] for row in out] == ["ok", "ok", "ok", None, None, None]
    assert out[0]["recommendations"] == OLD_BASELINE
    assert out[0]["fired_rules"] == [
        "two-day-baseline",
        "day1-power-and-skill",
        "day2-structure-and-balance",
    ]
    record = json.loads(out[0]["record"])
    assert is_compact(record)
    assert expand(record, old.pack)["recommendations"][0]["id"] == "squat_or_leg_press"
    assert "did you mean 'squat_felt_most'" in out[3]["error"]
    assert "record 5" in out[4]["error"]
    assert "not valid JSON" in out[4]["error"]
    assert "not UTF-8" in out[5]["error"]
    assert all(row["record"] is None for row in out[3:])


def test_the_engine_is_built_once_per_process_and_pack(
    packs: tuple[CompiledPack, CompiledPack], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rescore, "_cache", rescore._Cache(os.getpid(), {}))
    ref = PackRef.of(packs[0])
    tags = {row["worker"] for _ in range(3) for row in assess_rows(ROWS[:2], ref)}
    assert len(tags) == 1
    # a copy of the reference (as a worker unpickles it per task) finds the same Engine
    again = PackRef(ref.fingerprint, ref.payload)
    assert {row["worker"] for row in assess_rows(ROWS[:1], again)} == tags
    # a forked child (another pid) starts without the parent's engines
    parents = rescore._cache.engines
    monkeypatch.setattr(rescore, "_cache", rescore._Cache(-1, parents))
    assert rescore.cached_engine(ref)[0] is not parents[ref.fingerprint][0]


def test_stored_record_shapes() -> None:
    exported = {
        "assessment_id": "abc",
        "redacted": ["age"],
        "assessment": {"answers": {"age": "sha256:x", "squat_felt_most": "glutes"}},
    }
    assert record_answers(exported, "line 1") == ("abc", {"age": None, "squat_felt_most": "glutes"})
    assert record_answers({"id": 7, "answers": {"a": 1}}, "line 1") == ("7", {"a": 1})
    assert record_answers({"squat_felt_most": "glutes"}, "line 1") == (
        None,
        {"squat_felt_most": "glutes"},
    )
    # a flat table's row: its id column is the id, not an answer
    assert record_answers({"id": "p", "squat_felt_most": "quads"}, "row 1") == (
        "p",
        {"squat_felt_most": "quads"},
    )


def test_difference_rows_of_a_hand_checked_rule_change(
    packs: tuple[CompiledPack, CompiledPack],
) -> None:
    old, new = packs
    rows = list(diff_rows(ROWS, PackRef.of(old), PackRef.of(new)))
    assert [(r["id"], r["changed"]) for r in rows] == [
        ("1", True),
        ("2", False),
        ("3", True),
        ("4", False),
        ("5", False),
        ("6", False),
    ]
    quads, _, old_age = rows[:3]
    # a new reason for a recommendation already made: a change, not a new decision
    assert (quads["gained"], quads["lost"]) == ([], [])
    assert {c["subject"]: c["caused_by"] for c in quads["changes"]}["leg_extension"] == [
        "impact-quads"
    ]
    assert (old_age["status_before"], old_age["status_after"]) == ("ok", "referral")
    assert old_age["gained"] == ["see_professional"]
    assert "squat_or_leg_press" in old_age["lost"]
    by_subject = {c["subject"]: c["caused_by"] for c in old_age["changes"]}
    assert by_subject["status"] == ["impact-old-age"]
    assert by_subject["see_professional"] == ["impact-old-age"]
    assert [r["error"] is not None for r in rows] == [False, False, False, True, True, True]

    summary = ImpactSummary.of(rows)
    data = summary.to_dict()
    assert (data["records"], data["errors"], data["changed"]) == (6, 3, 2)
    assert data["decisions_changed"] == 1
    assert data["status"] == {"ok -> referral": {"records": 1, "caused_by": {"impact-old-age": 1}}}
    assert data["gained"] == {
        "see_professional": {"records": 1, "caused_by": {"impact-old-age": 1}}
    }
    assert data["lost"]["leg_curl"] == {"records": 1, "caused_by": {"impact-old-age": 1}}
    # as in `audit replay`, a changed rule that recommends leg_extension is a candidate
    # cause of leg_extension's loss in record 3 too
    assert data["lost"]["leg_extension"]["caused_by"] == {"impact-old-age": 1, "impact-quads": 1}
    assert data["caused_by"] == {"impact-quads": 2, "impact-old-age": 1}
    assert data["unattributed"] == 0
    # summaries of parts add up to the summary of the whole
    merged = ImpactSummary.of(rows[:2])
    merged.merge(ImpactSummary.from_dict(ImpactSummary.of(rows[2:]).to_dict()))
    assert merged.to_dict() == data

    text = "\n".join(Impact(RuleDiff.of(old, new), summary).lines())
    assert "Decisions changed (status or recommendations): 1 record of 3 assessed" in text
    assert "ok -> referral: 1 record" in text
    assert "caused by impact-old-age [added, v1]: 1 record" in text


def test_local_batch_gives_the_same_differences(
    packs: tuple[CompiledPack, CompiledPack], tmp_path: Path
) -> None:
    old, new = packs
    expected = list(diff_rows(ROWS, PackRef.of(old), PackRef.of(new)))
    got = list(rescore_local(ROWS, old, new, workers=2, scratch_dir=str(tmp_path)))
    assert got == expected
    assert list(tmp_path.iterdir()) == []  # the working files are gone


# -- the command ------------------------------------------------------------------------

OLD_AGE_RULE = """
rules:
  - id: impact-old-age
    title: Ninety or older - see a professional first
    version: 1
    priority: 20
    provenance: inferred
    when:
      all:
        - {fact: age, gte: 90}
    then:
      recommend: [{id: see_professional}]
    because: A rule change for the rescore tests.
    sources: [{ref: WEEKLY}]
"""

RECORDS = [
    json.dumps({"id": "a", "answers": {"age": 95, "squat_felt_most": "glutes"}}),
    json.dumps({"squat_felt_most": "quads"}),
    "",
    "{not json",
    json.dumps(
        {
            "assessment_id": "exported",
            "redacted": ["pain_type"],
            "assessment": {"answers": {"age": 91, "pain_type": "sha256:x"}},
        }
    ),
]


def rescore_input(tmp_path: Path) -> Path:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(RECORDS) + "\n", encoding="utf-8")
    return source


def check_rescore_output(summary: dict[str, Any], out: Path) -> None:
    """What the old-age rule does to RECORDS, worked out by hand."""
    assert [c["rule"] for c in summary["rule_changes"]] == ["impact-old-age"]
    assert (summary["records"], summary["errors"], summary["changed"]) == (4, 1, 2)
    assert summary["decisions_changed"] == 2
    assert summary["status"] == {
        "ok -> referral": {"records": 2, "caused_by": {"impact-old-age": 2}}
    }
    assert summary["gained"] == {
        "see_professional": {"records": 2, "caused_by": {"impact-old-age": 2}}
    }
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(row["id"] for row in rows) == ["4", "a", "exported"]
    bad = next(row for row in rows if row["id"] == "4")
    assert "not valid JSON" in bad["error"]


def test_cli_rescore_local(tmp_path: Path, pack_copy: Path, write_rules: Any) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    write_rules(OLD_AGE_RULE)
    out = tmp_path / "changes.jsonl"
    args = ["rescore", str(rescore_input(tmp_path)), "--rules", str(pack_copy), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--json", "--workers", "2"])
    assert result.exit_code == 2, result.output  # a record could not be assessed
    check_rescore_output(json.loads(result.stdout), out)
    assert "1 records could not be assessed" in result.stderr
    text = CliRunner().invoke(cli, args)
    assert "ok -> referral: 2 records" in text.stdout
    assert "caused by impact-old-age [added, v1]: 2 records" in text.stdout


def test_cli_rescore_refuses_options_of_the_other_engine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    args = ["rescore", str(rescore_input(tmp_path)), "--out", str(tmp_path / "o.jsonl")]
    result = CliRunner().invoke(cli, [*args, "--master", "local[1]"])
    assert result.exit_code == 2
    assert "--master only applies with --engine spark" in result.stderr
    result = CliRunner().invoke(cli, [*args, "--engine", "spark", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers only applies with --engine local" in result.stderr
    result = CliRunner().invoke(cli, [args[0], args[1], "--out", "-"])
    assert result.exit_code == 2
    assert "--out - would mix the differences with the summary" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_rescore_on_spark_without_the_extra_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    out = tmp_path / "o.jsonl"
    args = ["rescore", str(rescore_input(tmp_path)), "--out", str(out), "--engine", "spark"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "pip install 'legrules[spark]'" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_contract_documents_every_column() -> None:
    from legrules.audit.impact import DIFF_FIELDS
    from legrules.authoring.contract import DIFF_ROW_FIELDS, RESULT_ROW_FIELDS
    from legrules.run.rescore import RESULT_FIELDS

    assert tuple(name for name, _, _ in DIFF_ROW_FIELDS) == DIFF_FIELDS
    assert tuple(name for name, _, _ in RESULT_ROW_FIELDS) == RESULT_FIELDS


def test_cli_rescore_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    source = tmp_path / "in.parquet"
    source.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "legrules.spark.arrow", raising=False)
    result = CliRunner().invoke(cli, ["rescore", str(source), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "reading Parquet needs pyarrow" in result.stderr
    assert "pip install 'legrules[spark]'" in result.stderr


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_cli_rescore_missing_input(tmp_path: Path, engine: str) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    out = tmp_path / "o.jsonl"
    args = ["rescore", str(tmp_path / "absent.jsonl"), "--out", str(out), "--engine", engine]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "absent.jsonl: cannot read" in result.stderr
    assert not out.exists()


def test_only_the_new_rules_refusing_is_said_so(
    packs: tuple[CompiledPack, CompiledPack], monkeypatch: pytest.MonkeyPatch
) -> None:
    from legrules.audit import impact
    from legrules.run.rescore import assess_answers as real

    old, new = packs

    def refusing(engine: Any, answers: Any) -> Any:
        if engine.fingerprint == new.fingerprint:
            return None, "invalid answers: squat_felt_most: no such value"
        return real(engine, answers)

    monkeypatch.setattr(impact, "assess_answers", refusing)
    (row,) = diff_rows(ROWS[:1], PackRef.of(old), PackRef.of(new))
    assert row["error"] == "new rules: invalid answers: squat_felt_most: no such value"
    assert (row["status_before"], row["status_after"], row["changed"]) == ("ok", None, False)


@pytest.mark.parametrize(
    "data", [b"PAR1garbage", b"PAR1" + b"\0" * 64 + b"PAR1"], ids=["no-footer", "bad-footer"]
)
def test_cli_rescore_a_file_that_only_starts_like_parquet_is_bad_input(
    tmp_path: Path, data: bytes
) -> None:
    """Was exit 1, "internal error: ArrowInvalid"; the existing output is kept."""
    pytest.importorskip("pyarrow")
    from click.testing import CliRunner

    from legrules.cli import cli

    source = tmp_path / "in.parquet"
    source.write_bytes(data)
    out = tmp_path / "o.jsonl"
    out.write_text("kept\n", encoding="utf-8")
    args = ["rescore", str(source), "--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"{source}: not a readable Parquet file" in result.stderr
    assert "internal error" not in result.stderr
    assert out.read_text(encoding="utf-8") == "kept\n"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {"assessment": st.fixed_dictionaries({"answers": _JSON})},
        optional={"redacted": _JSON, "assessment_id": _JSON},
    )
    | _JSON
)
def test_any_record_shape_is_read_or_refused_naming_the_record(document: object) -> None:
    """An audit-export-like record with answers or redacted of another shape was an
    internal error (TypeError) that ended the whole rescore."""
    refused_at = None
    try:
        record_answers(document, "record 7")
    except InputFileError as error:
        refused_at = error.where
    assert refused_at in (None, "record 7")


@pytest.mark.parametrize(
    "line",
    [
        {"assessment": {"answers": [1, 2]}},
        {"assessment": {"answers": "abc"}},
        {"assessment": {"answers": {}}, "redacted": 5},
        {"assessment": {"answers": {}}, "redacted": [[1]]},
    ],
)
def test_cli_rescore_a_record_of_the_wrong_shape_is_its_error_row(
    tmp_path: Path, line: object
) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(line) + "\n" + json.dumps({"id": "ok", "answers": {}}) + "\n")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(cli, ["rescore", str(source), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.stderr
    rows = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["1"]
    assert "allowed:" in rows[0]["error"]


def test_spark_read_input_refuses_a_file_that_only_starts_like_parquet(tmp_path: Path) -> None:
    """Spark was handed it and failed in the JVM: exit 1 and a page of Java stack trace."""
    pytest.importorskip("pyspark")
    from legrules.spark.frames import read_input

    source = tmp_path / "in.parquet"
    source.write_bytes(b"PAR1garbage")
    with pytest.raises(InputFileError, match=r"in\.parquet: not a readable Parquet file"):
        read_input(object(), source)  # type: ignore[arg-type]  # refused before Spark is used
