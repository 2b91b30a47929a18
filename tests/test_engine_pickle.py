"""A pickled Engine is its compiled pack: unpickled anywhere, it runs that pack's rules.

Spark, Dask, Ray and multiprocessing pickle what their workers use. Durable's handles
are plain ints naming native state in one process; pickled as they were, an engine
failed in a fresh process (durable error 111) and, in a process that had built another
engine, silently ran THAT engine's rules.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from legrules import Engine, EngineError
from legrules.audit import AuditLog
from legrules.paths import default_rules_dir
from legrules.run.durable import RULESETS, DurableRuleset, native_ruleset_count

from .conftest import EXAMPLES

pytestmark = pytest.mark.slow

# argv: pack dir, pickle path. Builds the engine as the first thing this process does
# (so its handles are the first ones any process hands out), pickles it, and prints what
# it gives for each example.
ORIGINAL = r"""
import json, pickle, sys
from pathlib import Path
from legrules import Engine

examples = [json.loads(p.read_text()) for p in sorted(Path(sys.argv[3]).glob("*.json"))]
engine = Engine(sys.argv[1])
Path(sys.argv[2]).write_bytes(pickle.dumps(engine))


def comparable(engine, answers):
    data = json.loads(engine.assess(answers).to_json())
    del data["assessment_id"], data["created_at"]
    return data


print(json.dumps([comparable(engine, answers) for answers in examples]))
"""

# argv: pickle path, examples dir, another pack dir or "". Builds the other engine
# first (when given), then unpickles, then assesses with both.
RESTORED = r"""
import json, pickle, sys
from pathlib import Path
from legrules import Engine

examples = [json.loads(p.read_text()) for p in sorted(Path(sys.argv[2]).glob("*.json"))]


def comparable(engine, answers):
    data = json.loads(engine.assess(answers).to_json())
    del data["assessment_id"], data["created_at"]
    return data


other = Engine(sys.argv[3]) if sys.argv[3] else None
out = {}
if other is not None:
    out["other_before"] = [comparable(other, answers) for answers in examples]
engine = pickle.loads(Path(sys.argv[1]).read_bytes())
out["restored"] = [comparable(engine, answers) for answers in examples]
if other is not None:
    out["other_after"] = [comparable(other, answers) for answers in examples]
print(json.dumps(out))
"""


def _python(script: str, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _comparable(engine: Engine, answers: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(engine.assess(answers).to_json())
    del data["assessment_id"], data["created_at"]
    return data


def _examples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]


@pytest.fixture
def other_pack(pack_copy: Path) -> Path:
    """The default pack with one rule changed: glute-dominance reads `quads` instead."""
    path = pack_copy / "rules" / "compensation.yaml"
    text = path.read_text(encoding="utf-8")
    changed = text.replace(
        "{fact: squat_felt_most, eq: glutes}", "{fact: squat_felt_most, eq: quads}", 1
    )
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    return pack_copy


def test_unpickled_in_a_fresh_process_gives_the_original_results(tmp_path: Path) -> None:
    pickled = tmp_path / "engine.pickle"
    original = _python(ORIGINAL, str(default_rules_dir()), str(pickled), str(EXAMPLES))
    restored = _python(RESTORED, str(pickled), str(EXAMPLES), "")["restored"]
    assert len(restored) == len(_examples()) > 5
    assert restored == original


def test_unpickled_next_to_another_engine_runs_its_own_rules(
    tmp_path: Path, other_pack: Path
) -> None:
    pickled = tmp_path / "engine.pickle"
    original = _python(ORIGINAL, str(default_rules_dir()), str(pickled), str(EXAMPLES))
    out = _python(RESTORED, str(pickled), str(EXAMPLES), str(other_pack))
    assert out["other_before"] != original, "the other pack must decide differently"
    assert out["restored"] == original
    assert out["other_after"] == out["other_before"]


def test_unpickled_in_this_process_shares_the_packs_ruleset(
    engine: Engine, other_pack: Path
) -> None:
    with Engine(other_pack) as other:
        restored = pickle.loads(pickle.dumps(engine))
        copied = copy.copy(engine)
        assert restored._ruleset is engine._ruleset
        assert copied._ruleset is engine._ruleset
        assert other._ruleset is not engine._ruleset
        assert {engine.fingerprint, other.fingerprint} <= set(RULESETS.fingerprints())
        for answers in _examples():
            expected = _comparable(engine, answers)
            assert _comparable(restored, answers) == expected
            assert _comparable(copied, answers) == expected
        restored.close()
        # closing one engine leaves the others of the pack working
        assert _comparable(engine, {}) == _comparable(copied, {})


def test_the_last_engine_of_a_pack_frees_its_ruleset(other_pack: Path) -> None:
    before = native_ruleset_count()
    first = Engine(other_pack)
    second = pickle.loads(pickle.dumps(first))
    assert native_ruleset_count() == before + len(first.compiled.shards)
    first.close()
    assert native_ruleset_count() > before
    second.close()
    assert native_ruleset_count() == before
    assert first.fingerprint not in RULESETS.fingerprints()


def test_a_ruleset_refuses_to_be_pickled_or_copied() -> None:
    ruleset = DurableRuleset({"r": {"all": [{"a": {"_t": "answers"}}]}})
    try:
        with pytest.raises(TypeError, match="pickle the Engine"):
            pickle.dumps(ruleset)
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            copy.copy(ruleset)
    finally:
        ruleset.close()


def test_a_closed_engine_refuses_to_be_pickled() -> None:
    closed = Engine()
    closed.close()
    with pytest.raises(EngineError, match="closed"):
        pickle.dumps(closed)


# argv: pickle path. Records one assessment through the unpickled engine.
RECORD = r"""
import pickle, sys
from pathlib import Path

engine = pickle.loads(Path(sys.argv[1]).read_bytes())
print(engine.assess({"age": 40}).assessment_id)
engine.close()
"""


def test_an_audit_log_is_reopened_by_path_where_the_engine_is_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    log = AuditLog("decisions.db", redact=["age"], timeout=7.5)  # relative on purpose
    with Engine(audit_log=log) as original:
        first = original.assess({"age": 30}).assessment_id
        pickled = tmp_path / "engine.pickle"
        pickled.write_bytes(pickle.dumps(original))
        restored = pickle.loads(pickled.read_bytes())
        assert restored._audit is not log
        assert restored._audit.path == tmp_path / "decisions.db"
        assert (restored._audit.redact, restored._audit.timeout) == (("age",), 7.5)
        restored.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", RECORD, str(pickled)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=elsewhere,
    )
    assert done.returncode == 0, done.stderr
    second = done.stdout.strip()
    assert not list(elsewhere.iterdir())
    with AuditLog(tmp_path / "decisions.db", readonly=True) as reader:
        assert reader.verify().ok
        records = {r.assessment_id: r for r in reader.records()}
    assert set(records) == {first, second}
    assert records[second].redacted == ["age"]
