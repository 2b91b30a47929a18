"""The JSON API (legrules serve) through FastAPI's test client: every endpoint, and every
kind of bad request answered with the library's problems, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from legrules.audit import AuditLog
from legrules.serve import ServeConfig, create_app
from legrules.serve.metrics import BUCKETS
from tests.conftest import EXAMPLES

JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig()), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    log = tmp_path / "decisions.db"
    with TestClient(create_app(ServeConfig(audit_log=log))) as test_client:
        yield test_client, log


def _example(name: str) -> object:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _assert_problems(body: dict[str, object]) -> list[dict[str, object]]:
    """The one error shape: a message and a list of problems with the five fields."""
    assert set(body) == {"error", "problems"}
    problems = body["problems"]
    assert isinstance(problems, list)
    assert problems
    for problem in problems:
        assert set(problem) == {"field", "given", "allowed", "message", "suggestion"}
    assert "Traceback" not in json.dumps(body)
    return problems


def test_assess_gives_the_contract_assessment_plus_a_decision_id(
    client: TestClient, engine: object
) -> None:
    response = client.post("/v1/assess", json=_example("glute-dominant.json"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    from legrules import Engine
    from legrules.run.assessment import Assessment

    assert isinstance(engine, Engine)
    direct = engine.assess(_example("glute-dominant.json"))  # type: ignore[arg-type]
    assert data.pop("decision_id") is None  # no audit log on this server
    served = Assessment.model_validate(data)
    assert served.recommendations == direct.recommendations
    assert served.plan == direct.plan
    assert served.status == "ok"


def test_referral_is_a_200_with_no_plan(client: TestClient) -> None:
    data = client.post("/v1/assess", json=_example("sharp-knee-pain.json")).json()
    assert data["status"] == "referral"
    assert data["plan"] is None


def test_explain_and_why_not_add_the_explanations(client: TestClient) -> None:
    response = client.post(
        "/v1/assess",
        params={"explain": "true", "why_not": ["leg curls", "hip_hinge"]},
        json=_example("glute-dominant.json"),
    )
    assert response.status_code == 200
    data = response.json()
    assert any("rule " in line for line in data["explanation"])
    assert [verdict["recommendation"] for verdict in data["why_not"]] == [
        "leg_curl",
        "hip_hinge",
    ]


def test_invalid_answers_are_422_with_every_problem(client: TestClient) -> None:
    response = client.post("/v1/assess", json={"squat_felt_most": "glutez", "age": "old"})
    assert response.status_code == 422
    problems = _assert_problems(response.json())
    by_field = {p["field"]: p for p in problems}
    assert by_field["squat_felt_most"]["suggestion"] == "glutes"
    assert "one of" in str(by_field["squat_felt_most"]["allowed"])
    assert "age" in by_field


@pytest.mark.parametrize(
    "body",
    [
        *(b"{", b"", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000),
        *(b'{"age": 1' + b"9" * 5000 + b"}", b'{"goal": "\\ud800"}'),
    ],
    ids=["truncated", "empty", "not-utf8", "deep", "long-int", "lone-surrogate"],
)
def test_a_body_that_is_not_json_is_400(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/assess", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    _assert_problems(response.json())


def test_a_lone_surrogate_in_a_batch_id_is_that_items_400(client: TestClient) -> None:
    """Echoed back, it made the whole response unencodable: a 500 for every item."""
    body = b'[{"id": "\\udc00", "answers": {}}]'
    response = client.post("/v1/assess/batch", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert "half of a surrogate pair" in str(_assert_problems(response.json())[0]["message"])


def test_a_json_document_that_is_not_answers_is_422(client: TestClient) -> None:
    response = client.post("/v1/assess", json=[1, 2])
    assert response.status_code == 422
    assert _assert_problems(response.json())[0]["field"] == "(document)"


def test_another_content_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/assess", content=b"age: 30", headers={"content-type": "text/yaml"})
    assert response.status_code == 415
    allowed = _assert_problems(response.json())[0]["allowed"]
    assert allowed == "application/json or multipart/form-data"


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    with TestClient(create_app(ServeConfig(body_limit=100))) as small:
        fits = small.post("/v1/assess", content=b" " * 98 + b"{}", headers=JSON_HEADERS)
        assert fits.status_code == 200
        over = small.post("/v1/assess", content=b" " * 99 + b"{}", headers=JSON_HEADERS)
        assert over.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b" " * 80
            yield b" " * 80 + b"{}"

        streamed = small.post("/v1/assess", content=chunks(), headers=JSON_HEADERS)
        assert streamed.status_code == 413
        _assert_problems(streamed.json())


def test_unknown_ids_are_404_with_a_did_you_mean(client: TestClient) -> None:
    rule = client.get("/v1/rules/glute-dominanc")
    assert rule.status_code == 404
    assert _assert_problems(rule.json())[0]["suggestion"] == "glute-dominance"
    why_not = client.post("/v1/assess", params={"why_not": "leg_curlz"}, json={})
    assert why_not.status_code == 404
    assert _assert_problems(why_not.json())[0]["suggestion"] == "leg_curl"
    path = client.get("/v1/rulez")
    assert path.status_code == 404
    assert _assert_problems(path.json())[0]["suggestion"] == "/v1/rules"


def test_a_bad_query_parameter_is_422_in_the_same_shape(client: TestClient) -> None:
    response = client.post("/v1/assess", params={"explain": "maybe"}, json={})
    assert response.status_code == 422
    assert _assert_problems(response.json())[0]["field"] == "query.explain"


def test_a_bug_is_a_500_with_one_line_and_no_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legrules.api import Engine

    def broken(self: Engine, answers: object) -> None:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(Engine, "assess", broken)
    response = client.post("/v1/assess", json={})
    assert response.status_code == 500
    body = response.json()
    _assert_problems(body)
    assert body["error"] == "internal error: ZeroDivisionError (the server log has the details)"
    assert "secret detail" not in response.text


def test_batch_answers_each_item_and_never_fails_the_whole(client: TestClient) -> None:
    items = [
        {"id": "a", "answers": _example("glute-dominant.json")},
        {"id": 2, "answers": {"age": "old"}},
        "not an item",
        {"id": "c", "answers": _example("sharp-knee-pain.json")},
    ]
    response = client.post("/v1/assess/batch", json=items)
    assert response.status_code == 200
    first, second, third, fourth = response.json()
    assert first["id"] == "a"
    assert first["assessment"]["status"] == "ok"
    assert second["id"] == 2
    assert second["status_code"] == 422
    assert second["problems"][0]["field"] == "age"
    assert third["id"] is None
    assert third["status_code"] == 422
    assert fourth["assessment"]["status"] == "referral"
    not_a_list = client.post("/v1/assess/batch", json={"id": 1})
    assert not_a_list.status_code == 422


def test_a_batch_over_the_item_limit_is_413_before_any_is_assessed(tmp_path: Path) -> None:
    """A 1 MiB body of 60,000 empty items held the event loop for over a minute and built
    a response of about 1 GB."""
    from legrules.serve.api import MAX_BATCH_ITEMS

    contract = (Path(__file__).parent.parent / "docs" / "CONTRACT.md").read_text("utf-8")
    assert f"more than {MAX_BATCH_ITEMS:,} items" in contract
    log = tmp_path / "decisions.db"
    with TestClient(create_app(ServeConfig(audit_log=log))) as audited:
        body = json.dumps([{"id": n, "answers": {}} for n in range(MAX_BATCH_ITEMS + 1)])
        response = audited.post("/v1/assess/batch", content=body, headers=JSON_HEADERS)
        assert response.status_code == 413
        problem = _assert_problems(response.json())[0]
        assert (
            problem["allowed"] == f"at most {MAX_BATCH_ITEMS} items (or `legrules assess --batch`)"
        )
    with AuditLog(log, readonly=True) as opened:
        assert opened.count() == 0


def test_questions_and_schemas(client: TestClient, engine: object) -> None:
    from legrules import Engine
    from legrules.pack.answerschema import answers_json_schema

    assert isinstance(engine, Engine)
    questions = client.get("/v1/questions").json()
    assert [q["id"] for q in questions["questions"]] == engine.questionnaire.ids()
    assert questions["groups"]["safety"] == "Safety screening"
    answers = client.get("/v1/schema/answers").json()
    assert answers == answers_json_schema(engine.questionnaire)
    assessment = client.get("/v1/schema/assessment").json()
    assert "recommendations" in assessment["properties"]


def test_rules_list_and_one_rule(client: TestClient, engine: object) -> None:
    from legrules import Engine

    assert isinstance(engine, Engine)
    listed = client.get("/v1/rules").json()
    assert [r["id"] for r in listed] == [r.id for r in engine.pack.rules]
    from click.testing import CliRunner

    from legrules.cli import cli

    assert listed == json.loads(CliRunner().invoke(cli, ["rules", "list", "--json"]).stdout)
    one = client.get("/v1/rules/glute-dominance").json()
    assert one["id"] == "glute-dominance"


def test_decisions_come_from_the_audit_log_with_their_explanation(
    audited: tuple[TestClient, Path],
) -> None:
    client, log = audited
    made = client.post("/v1/assess", json=_example("glute-dominant.json")).json()
    decision_id = made["decision_id"]
    assert decision_id == made["assessment_id"]
    found = client.get(f"/v1/decisions/{decision_id[:8]}")
    assert found.status_code == 200
    data = found.json()
    assert data["record"]["assessment_id"] == decision_id
    assert any("Recommendations" in line for line in data["explanation"])
    missing = client.get("/v1/decisions/00000000-0000")
    assert missing.status_code == 404
    _assert_problems(missing.json())
    with AuditLog(log, readonly=True) as opened:
        assert opened.verify().ok


def test_an_unknown_or_ambiguous_decision_tells_a_client_nothing_of_the_log(
    audited: tuple[TestClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 404 named the server's file and its record count, and an ambiguous prefix
    listed other people's decision ids."""
    client, log = audited
    ids = iter(["abcdef01-0000-4000-8000-000000000001", "abcdef02-0000-4000-8000-000000000002"])
    monkeypatch.setattr("legrules.run.engine.new_assessment_id", lambda: next(ids))
    for _ in range(2):
        assert client.post("/v1/assess", json={}).status_code == 200
    for asked in ("abcdef", "00000000-0000"):
        response = client.get(f"/v1/decisions/{asked}")
        assert response.status_code == 404
        problems = _assert_problems(response.json())
        text = response.text
        assert str(log.parent) not in text
        assert "abcdef01" not in text
        assert "records" not in text
        assert problems[0]["field"] == asked
        assert "6+ of its first characters" in str(problems[0]["allowed"])


@pytest.mark.parametrize("path", ["/health", "/health/ready", "/v1/status", "/v1/rules", "/"])
def test_head_answers_as_get_without_a_body(client: TestClient, path: str) -> None:
    """Was 405 for every route (FastAPI lists GET only): a load balancer's HEAD /health
    failed."""
    got = client.get(path)
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == got.headers["content-type"]


def test_head_or_options_of_a_post_route_is_405_naming_the_allowed_method(
    client: TestClient,
) -> None:
    for method in ("HEAD", "OPTIONS", "GET", "PUT"):
        response = client.request(method, "/v1/assess")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        if method != "HEAD":
            _assert_problems(response.json())


def test_decisions_without_an_audit_log_are_404(client: TestClient) -> None:
    response = client.get("/v1/decisions/abcdef")
    assert response.status_code == 404
    assert "--audit-log" in response.json()["error"]


def test_health_status_and_openapi(client: TestClient, engine: object) -> None:
    from legrules import Engine, __version__

    assert isinstance(engine, Engine)
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/health/ready").json()["fingerprint"] == engine.fingerprint
    status = client.get("/v1/status").json()
    assert status["legrules_version"] == __version__
    assert status["pack"]["fingerprint"] == engine.fingerprint
    assert status["uptime_seconds"] >= 0
    schema = client.get("/v1/openapi.json").json()
    for path in ("/v1/assess", "/v1/assess/batch", "/v1/rules/{rule_id}", "/v1/reload"):
        assert path in schema["paths"]
    assert "AssessOut" in json.dumps(schema["components"])
    # the interactive docs would load scripts from a CDN: not served
    assert client.get("/docs").status_code == 404


def test_metrics_count_requests_errors_latency_and_assessments() -> None:
    with TestClient(create_app(ServeConfig())) as fresh:
        fresh.post("/v1/assess", json=_example("glute-dominant.json"))
        fresh.post("/v1/assess", json=_example("sharp-knee-pain.json"))
        fresh.post("/v1/assess", json={"age": "x"})
        fresh.get("/no/such/path")
        text = fresh.get("/metrics").text
    lines = text.splitlines()

    def value(prefix: str) -> float:
        found = [line for line in lines if line.startswith(prefix)]
        assert len(found) == 1, (prefix, found)
        return float(found[0].rsplit(" ", 1)[1])

    # prometheus_client writes the labels sorted by name
    pid = f'pid="{__import__("os").getpid()}"'
    assert (
        value(
            f'legrules_http_requests_total{{method="POST",{pid},route="/v1/assess",status="200"}}'
        )
        == 2
    )
    assert (
        value(f'legrules_http_errors_total{{method="POST",{pid},route="/v1/assess",status="422"}}')
        == 1
    )
    assert (
        value(f'legrules_http_errors_total{{method="GET",{pid},route="unmatched",status="404"}}')
        == 1
    )
    assert value(f'legrules_http_request_duration_seconds_count{{{pid},route="/v1/assess"}}') == 3
    assert value(f'legrules_assessments_total{{{pid},status="ok"}}') == 1
    assert value(f'legrules_assessments_total{{{pid},status="referral"}}') == 1


def test_metrics_parse_as_prometheus_text_with_their_own_registry() -> None:
    """Read back by prometheus_client's own parser, so a malformed line fails here; a
    second app in the process counts apart (a registry per app, not the global one)."""
    from prometheus_client import CONTENT_TYPE_LATEST
    from prometheus_client.parser import text_string_to_metric_families

    with TestClient(create_app(ServeConfig())) as fresh, TestClient(create_app()) as other:
        other.get("/health")
        for _ in range(3):
            fresh.post("/v1/assess", json=_example("glute-dominant.json"))
        fresh.post("/v1/assess", json={"age": "x"})
        fresh.get("/health")
        response = fresh.get("/metrics")
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    pid = str(__import__("os").getpid())

    def samples(family: str, suffix: str = "") -> dict[tuple[tuple[str, str], ...], float]:
        found = {}
        for sample in families[family].samples:
            if sample.name == family + suffix:
                assert sample.labels.pop("pid") == pid
                found[tuple(sorted(sample.labels.items()))] = sample.value
        return found

    assert families["legrules_http_requests"].type == "counter"
    assert samples("legrules_http_requests", "_total") == {
        (("method", "POST"), ("route", "/v1/assess"), ("status", "200")): 3,
        (("method", "POST"), ("route", "/v1/assess"), ("status", "422")): 1,
        (("method", "GET"), ("route", "/health"), ("status", "200")): 1,
    }
    assert samples("legrules_http_errors", "_total") == {
        (("method", "POST"), ("route", "/v1/assess"), ("status", "422")): 1,
    }
    assert samples("legrules_assessments", "_total") == {(("status", "ok"),): 3}
    latency = families["legrules_http_request_duration_seconds"]
    assert latency.type == "histogram"
    assert samples(latency.name, "_count") == {
        (("route", "/v1/assess"),): 4,
        (("route", "/health"),): 1,
    }
    buckets = samples(latency.name, "_bucket")
    bounds = [dict(labels)["le"] for labels in buckets if ("route", "/health") in labels]
    assert bounds == [*map(str, BUCKETS), "+Inf"]
    assert buckets[(("le", "+Inf"), ("route", "/v1/assess"))] == 4


def test_without_the_serve_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from click.testing import CliRunner

    from legrules.cli import cli

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "legrules.serve.runner", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "pip install 'legrules[serve]'" in result.stderr
    assert "uvicorn is missing" in result.stderr


def test_the_contract_lists_exactly_the_served_endpoints(client: TestClient) -> None:
    from legrules.authoring.contract import HTTP_STATUSES, http_section
    from legrules.serve.api import ERRORS

    text = "\n".join(http_section())
    documented = set(re.findall(r"`(/[a-z0-9/{}_.]*)`", text)) - {"/v1"}
    served = set(client.get("/v1/openapi.json").json()["paths"]) | {"/v1/openapi.json"}
    assert documented == served
    assert {int(code) for code, _ in HTTP_STATUSES} == set(ERRORS) | {500}


_ANY_TEXT = st.text(  # every code point, lone surrogates often
    st.characters(exclude_categories=()) | st.characters(categories=["Cs"]), max_size=6
)
_KEYS = st.sampled_from(["age", "goal", "pain_locations", "equipment", "x"]) | _ANY_TEXT
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_KEYS, _VALUES, max_size=5) | _VALUES,
    st.sampled_from(["/v1/assess", "/v1/assess?explain=true", "/v1/assess/batch"]),
)
def test_any_json_body_is_answered_with_a_client_error_never_a_500(
    client: TestClient, document: object, path: str
) -> None:
    """A guard: whatever the JSON, a client error, never a 500 (as a lone surrogate
    escape in an answer was, echoed in the problem)."""
    body = json.dumps([{"id": 1, "answers": document}] if path.endswith("batch") else document)
    response = client.post(path, content=body.encode(), headers=JSON_HEADERS)
    assert response.status_code in (200, 400, 404, 422), response.text
    if response.status_code != 200:
        _assert_problems(response.json())
    elif path.endswith("batch"):
        assert response.json()[0].get("status_code") in (None, 400, 404, 422)
