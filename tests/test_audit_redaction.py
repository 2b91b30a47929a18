"""Redaction leaves nothing in the stored record that gives the redacted answer away.

Generic over the questionnaire: for every question, pairs of its values that make the
same rules fire (so the rules' conclusions, which redaction keeps on purpose, are the
same) must leave identical rows once the per-record fields (ids, times, hashes) are set
aside and each salted hash is read as "a redacted value". Any other difference, in any
column, is a stored value that tells the two answers apart.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine
from legrules.audit import AuditLog, replay
from legrules.audit.model import REDACTED_PREFIX, redaction_closure
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

from .conftest import EXAMPLES

# Per record by construction, not by answer.
_ROW_VOLATILE = {"seq", "assessment_id", "timestamp", "prev_hash", "hash"}
_CONTENT_VOLATILE = {"seq", "assessment_id", "timestamp", "logged_at"}
_RESULT_VOLATILE = {"assessment_id", "created_at"}


# A rule that reads no answer: with it alone, no conclusion depends on any answer, so
# every value of every question can be compared.
_BLIND = """
rules:
  - id: reads-nothing
    title: Reads nothing - track progression
    version: 1
    priority: 800
    provenance: inferred
    when: {all: []}
    then:
      recommend: [{id: track_progression}]
    because: A rule that reads no answer.
    sources: [{ref: WEEKLY}]
"""


@pytest.fixture(scope="module", params=["default", "answer-blind"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The default pack, and the same questionnaire and catalogue with answer-blind rules."""
    root = tmp_path_factory.mktemp("redaction") / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests"))
    if request.param == "answer-blind":
        for rule_file in (root / "rules").glob("*.yaml"):
            rule_file.unlink()
        (root / "rules" / "blind.yaml").write_text(_BLIND, encoding="utf-8")
    with Engine(load_pack(root)) as built:
        yield built


def _bases() -> list[dict[str, Any]]:
    """Answer sets to vary one question in: all defaults, then every example persona."""
    examples = sorted(EXAMPLES.glob("*.json"))
    return [{}, *(json.loads(p.read_text(encoding="utf-8")) for p in examples)]


def _values(question: Question) -> list[AnswerValue]:
    if question.type == "bool":
        return [False, True]
    if question.type == "int":
        assert question.min is not None
        assert question.max is not None
        return [*sorted({question.min, (question.min + question.max) // 2, question.max})]
    assert question.values is not None
    if question.type == "enum":
        return list(question.values)
    singles: list[AnswerValue] = [[v] for v in question.values]
    return [[], *singles, list(question.values)]


def _same_conclusions(
    engine: Engine, question: Question
) -> tuple[dict[str, Any], list[AnswerValue]]:
    """Other answers and up to three values of ``question`` with which the same rules
    fire; fewer than two values when every value concludes differently in every base."""
    best: tuple[dict[str, Any], list[AnswerValue]] = ({}, [])
    for base in _bases():
        groups: dict[str, list[AnswerValue]] = {}
        for value in _values(question):
            result = engine.assess({**base, question.id: value})
            fired = json.dumps([(f.rule, f.branch) for f in result.trace])
            groups.setdefault(f"{result.status} {fired}", []).append(value)
        values = max(groups.values(), key=len)[:3]
        if len(values) > len(best[1]):
            best = (base, values)
        if len(best[1]) > 1:
            break
    return best


def _anonymous(data: Any) -> Any:
    """``data`` with every salted hash made the same string."""
    if isinstance(data, dict):
        return {k: _anonymous(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_anonymous(v) for v in data]
    if isinstance(data, str) and data.startswith(REDACTED_PREFIX):
        return REDACTED_PREFIX
    return data


def _stored_rows(path: Path) -> list[dict[str, Any]]:
    """Every records column of every row, as stored, without what differs by construction."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(row) for row in conn.execute("SELECT * FROM records ORDER BY seq")]
    finally:
        conn.close()
    out = []
    for row in rows:
        content = json.loads(row.pop("content"))
        for key in _CONTENT_VOLATILE:
            content.pop(key)
        for key in _RESULT_VOLATILE:
            content["assessment"].pop(key)
        kept = {k: v for k, v in row.items() if k not in _ROW_VOLATILE}
        out.append(_anonymous({**kept, "content": content}))
    return out


def _walk(data: Any, keys: set[str]) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k in keys:
                yield k, v
            yield from _walk(v, keys)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item, keys)


def test_a_redacted_answer_cannot_be_told_apart_in_the_stored_record(
    engine: Engine, tmp_path: Path
) -> None:
    questionnaire = engine.questionnaire
    compared: list[str] = []
    for question in questionnaire.questions:
        base, values = _same_conclusions(engine, question)
        hidden = redaction_closure([question.id], questionnaire)
        path = tmp_path / f"{question.id}.db"
        with AuditLog(path, redact=[question.id]) as log:
            for value in values:
                result = engine.assess({**base, question.id: value})
                log.record(result, engine.compiled, provided=[*base, question.id])
        rows = _stored_rows(path)
        for row in rows:
            assert row["content"]["redacted"] == sorted(hidden)
            assert row["content"]["provided"] is None
            assert row["content"]["assessment"]["given"] is None  # it mirrors provided
            for key, stored in _walk(row["content"], hidden):
                assert stored == REDACTED_PREFIX, f"{question.id}: {key} stored as {stored!r}"
        if len(values) > 1:
            compared.append(question.id)
            first, *others = rows
            for value, row in zip(values[1:], others, strict=True):
                assert row == first, (
                    f"redacting {question.id}: the records of {values[0]!r} and {value!r} differ"
                )
    # the leaks this test was written for are among the compared questions
    assert {"equipment", "training_location"} <= set(compared)
    if [r.id for r in engine.pack.rules] == ["reads-nothing"]:  # answer-blind: all of them
        assert compared == [q.id for q in questionnaire.questions]


def test_a_derived_default_is_redacted_with_its_source(engine: Engine) -> None:
    questionnaire = engine.questionnaire
    assert redaction_closure(["training_location"], questionnaire) == {
        "training_location",
        "equipment",
    }
    assert redaction_closure(["equipment"], questionnaire) == {"equipment"}


def test_replay_of_a_record_with_a_derived_default_is_faithful_once_supplied(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "log.db"
    with Engine(engine.compiled, audit_log=AuditLog(path, redact=["training_location"])) as eng:
        result = eng.assess({"training_location": "home_gym"})
    with AuditLog(path, readonly=True) as log:
        record = log.get(result.assessment_id)
        assert record.redacted == ["equipment", "training_location"]
        assert record.provided is None
        told = replay(
            log,
            result.assessment_id,
            engine,
            {"training_location": "home_gym", "equipment": None},
        )
        assert told.reproduced
