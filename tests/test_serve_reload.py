"""Hot reload (POST /v1/reload; SIGHUP does the same in a real server): only a clean pack
replaces the running one, a broken one is reported and the old pack keeps serving, and
a request in flight finishes on the pack it started with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from legrules.serve import PackState, ServeConfig, create_app


def _bump_version(pack: Path, version: str) -> None:
    meta = pack / "pack.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(re.sub(r"(?m)^version: .*$", f'version: "{version}"', text), encoding="utf-8")


@pytest.fixture
def served(pack_copy: Path) -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig(rules_dir=pack_copy))) as client:
        yield client


def test_a_clean_pack_replaces_the_running_one(served: TestClient, pack_copy: Path) -> None:
    before = served.get("/v1/status").json()["pack"]
    _bump_version(pack_copy, "0.2.0")
    response = served.post("/v1/reload")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    status = served.get("/v1/status").json()
    assert status["pack"]["version"] == "0.2.0"
    assert status["pack"]["fingerprint"] != before["fingerprint"]
    assert status["last_reload"]["ok"] is True
    assert served.post("/v1/assess", json={}).json()["ruleset"]["version"] == "0.2.0"


def test_a_broken_pack_is_reported_and_the_old_one_keeps_serving(
    served: TestClient, pack_copy: Path
) -> None:
    before = served.get("/v1/status").json()["pack"]
    (pack_copy / "rules" / "zz-broken.yaml").write_text("rules:\n  - id: [\n", encoding="utf-8")
    response = served.post("/v1/reload")
    assert response.status_code == 422
    result = response.json()
    assert result["ok"] is False
    assert any("zz-broken.yaml" in p["field"] for p in result["problems"])
    status = served.get("/v1/status").json()
    assert status["pack"] == before
    assert status["last_reload"]["ok"] is False
    assessed = served.post("/v1/assess", json={})
    assert assessed.status_code == 200
    assert assessed.json()["ruleset"]["fingerprint"] == before["fingerprint"]


def test_a_pack_whose_rule_tests_fail_is_refused(served: TestClient, pack_copy: Path) -> None:
    before = served.get("/v1/status").json()["pack"]
    tests = pack_copy / "tests"
    tests.mkdir()
    (tests / "wrong.yaml").write_text(
        "cases:\n  - name: expects a referral for nothing\n    answers: {}\n"
        "    expect: {status: referral}\n",
        encoding="utf-8",
    )
    _bump_version(pack_copy, "0.3.0")
    result = served.post("/v1/reload").json()
    assert result["ok"] is False
    assert "rule tests fail" in result["message"]
    assert "expected status 'referral'" in result["problems"][0]["message"]
    assert served.get("/v1/status").json()["pack"] == before


def test_a_request_in_flight_finishes_on_the_pack_it_started_with(pack_copy: Path) -> None:
    state = PackState(ServeConfig(rules_dir=pack_copy))
    with state.engine() as borrowed:
        _bump_version(pack_copy, "0.4.0")
        assert state.reload().ok
        assert state.current is not borrowed
        # the old engine is still open for the request that holds it
        assert borrowed.assess({}).ruleset.version == "0.1.0"
    # returned by its last user: closed now
    with pytest.raises(Exception, match="closed"):
        borrowed.assess({})
    with state.engine() as fresh:
        assert fresh.assess({}).ruleset.version == "0.4.0"
    state.close()
