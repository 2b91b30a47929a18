"""Training logs through legrules serve: POST /v1/assess with multipart/form-data and the
web questionnaire's upload, read and measured as ``legrules assess --log`` does, an
unreadable log answered as the library's problems (422), the body limit holding for
uploads, and the audit record keeping the log's digest and evidence."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
pytest.importorskip("python_multipart", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from legrules.api import Engine
from legrules.serve import ServeConfig, create_app
from legrules.traininglog.readers import parse_log
from tests.logfactory import program, strong_csv

#: a Strong export of ten weeks ending this week, squats flat at 100 kg: recent enough
#: to be measured today (the web page judges the log as of today), and stalled
TODAY = dt.date.today()
LOG = strong_csv(
    program(10, start=TODAY - dt.timedelta(weeks=10), squat=[100] * 10), variant="units"
).encode("utf-8")
STRONG = ("strong.csv", LOG, "text/csv")
MEASURED = {"leg_sessions_per_week", "strength_stalled", "heavy_sessions", "tracks_progress"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig()), raise_server_exceptions=False) as test_client:
        yield test_client


def _problems(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "problems"}
    assert "Traceback" not in response.text
    problems: list[dict[str, Any]] = body["problems"]
    assert problems
    return problems


def _measured(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["question"]: item for item in data["training_log"]["measured"]}


# ------------------------------------------------------------------------ the JSON API


def test_assess_with_a_log_measures_it_and_notes_a_disagreement(client: TestClient) -> None:
    answers = json.dumps({"leg_sessions_per_week": 4, "goal": "overall_strength"})
    response = client.post("/v1/assess", data={"answers": answers}, files=[("log", STRONG)])
    assert response.status_code == 200, response.text
    data = response.json()
    measured = _measured(data)
    assert set(measured) >= MEASURED
    # the log's value is assessed; the person's own kept beside it with the clarify note
    sessions = measured["leg_sessions_per_week"]
    assert data["answers"]["leg_sessions_per_week"] == sessions["value"] == 2
    assert sessions["reported"] == 4
    assert sessions["agrees"] is False
    assert "your training log shows 2" in sessions["note"]
    assert data["answers"]["strength_stalled"] is True
    assert data["answers"]["goal"] == "overall_strength"
    (read,) = data["training_log"]["logs"]
    # named by its file name, digested from its exact bytes: what the CLI records
    assert read["source"] == "strong.csv"
    assert read["digest"] == parse_log(LOG.decode(), "strong.csv", raw=LOG).digest
    assert data["decision_id"] is None


def test_the_result_is_the_library_s(client: TestClient) -> None:
    """The service adds nothing of its own: Engine.assess with the same log agrees."""
    response = client.post("/v1/assess", files=[("log", STRONG)])
    assert response.status_code == 200, response.text
    with Engine() as engine:
        direct = engine.assess({}, log=parse_log(LOG.decode(), "strong.csv", raw=LOG))
    data = response.json()
    assert data["answers"] == direct.model_dump(mode="json")["answers"]
    assert [r["id"] for r in data["recommendations"]] == [r.id for r in direct.recommendations]
    assert (
        data["training_log"]["measured"]
        == direct.model_dump(mode="json")["training_log"]["measured"]
    )


def test_units_and_as_of_as_in_the_cli(client: TestClient) -> None:
    classic = strong_csv(program(6, start=dt.date(2024, 1, 1)), variant="classic").encode()
    unitless = client.post("/v1/assess", files=[("log", ("classic.csv", classic, "text/csv"))])
    problem = _problems(unitless, 422)[0]
    assert "kg" in (problem["allowed"] or "") + problem["message"]
    response = client.post(
        "/v1/assess",
        data={"units": "kg", "as_of": "2024-02-20"},
        files=[("log", ("classic.csv", classic, "text/csv"))],
    )
    assert response.status_code == 200, response.text
    assert response.json()["training_log"]["as_of"] == "2024-02-20"
    assert _measured(response.json())["leg_sessions_per_week"]["value"] == 2


def test_several_logs_and_explain_and_why_not(client: TestClient) -> None:
    older = strong_csv(program(4, start=TODAY - dt.timedelta(weeks=30))).encode()
    response = client.post(
        "/v1/assess?explain=true&why_not=leg_curl",
        data={"units": "kg"},
        files=[("log", STRONG), ("log", ("old.csv", older, "text/csv"))],
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert [log["source"] for log in data["training_log"]["logs"]] == ["strong.csv", "old.csv"]
    assert data["explanation"]
    assert data["why_not"][0]["recommendation"] == "leg_curl"


@pytest.mark.parametrize(
    ("log", "field", "words"),
    [
        # the wrong delimiter: one column only
        (LOG.replace(b",", b"|"), "wrong.csv:1", "separated by something other"),
        # no known format
        (b"when,what,how much\n2024-01-01,squat,100\n", "wrong.csv:1", "no known"),
        (b"Date,Exercise\n\xff\xfe\x00bad", "wrong.csv:2", "not UTF-8"),
        (b"", "wrong.csv", "empty"),
    ],
    ids=["delimiter", "unknown-format", "not-utf8", "empty"],
)
def test_an_unreadable_log_is_a_422_problem(
    client: TestClient, log: bytes, field: str, words: str
) -> None:
    response = client.post("/v1/assess", files=[("log", ("wrong.csv", log, "text/csv"))])
    problem = _problems(response, 422)[0]
    assert problem["field"] == field
    assert words in problem["message"]
    assert "unreadable training log in wrong.csv" in response.json()["error"]


def test_a_bad_log_value_names_line_and_column(client: TestClient) -> None:
    lines = LOG.decode().splitlines()
    cells = lines[3].split(",")
    cells[7] = "many"  # Reps
    lines[3] = ",".join(cells)
    bad = ("\n".join(lines) + "\n").encode()
    problems = _problems(
        client.post("/v1/assess", files=[("log", ("s.csv", bad, "text/csv"))]), 422
    )
    assert problems[0]["field"].startswith("s.csv:4")
    assert "Reps" in problems[0]["field"] + problems[0]["message"]
    assert problems[0]["given"] == "'many'"


@pytest.mark.parametrize(
    ("data", "files", "field", "suggestion"),
    [
        ({}, [("lgo", STRONG)], "lgo", "log"),
        ({"answers": "{}"}, [], "log", None),
        ({"as_of": "yesterday"}, [("log", STRONG)], "as_of", None),
        ({"units": "stone"}, [("log", STRONG)], "units", None),
        ({"answers": '{"goal": "fame"}'}, [("log", STRONG)], "goal", None),
    ],
    ids=["unknown-part", "no-log", "as-of", "units", "answers"],
)
def test_a_bad_multipart_request_is_a_422_problem(
    client: TestClient,
    data: dict[str, str],
    files: list[Any],
    field: str,
    suggestion: str | None,
) -> None:
    # httpx sends a multipart body only with a file: a dummy one where none is wanted
    sent = files or [("answers", ("answers.json", b"{}", "application/json"))]
    if not files:
        data = {}
    problem = _problems(client.post("/v1/assess", data=data, files=sent), 422)[0]
    assert problem["field"] == field
    assert problem["suggestion"] == suggestion


def test_a_malformed_multipart_body_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/assess",
        content=b"--x\r\nno headers at all",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    _problems(response, 400)


def test_the_body_limit_holds_for_uploads(tmp_path: Path) -> None:
    config = ServeConfig(body_limit=4096)
    with TestClient(create_app(config), raise_server_exceptions=False) as small:
        assert len(LOG) > 4096
        over = small.post("/v1/assess", files=[("log", STRONG)])
        assert _problems(over, 413)[0]["allowed"] == "at most 4096 bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b"--x\r\nContent-Disposition: form-data; name=log; filename=a.csv\r\n\r\n"
            for _ in range(10):
                yield b"a" * 1000

        headers = {"content-type": "multipart/form-data; boundary=x"}
        streamed = small.post("/v1/assess", content=chunks(), headers=headers)
        _problems(streamed, 413)
        page = small.post("/questionnaire", data={"given": "{}"}, files=[("log", STRONG)])
        assert page.status_code == 413


def test_the_audit_record_keeps_the_log_digest_and_evidence(tmp_path: Path) -> None:
    with TestClient(create_app(ServeConfig(audit_log=tmp_path / "d.db"))) as audited:
        response = audited.post("/v1/assess", files=[("log", STRONG)])
        assert response.status_code == 200, response.text
        data = response.json()
        record = audited.get(f"/v1/decisions/{data['decision_id']}").json()
    kept = record["record"]["assessment"]["training_log"]
    assert kept == data["training_log"]
    assert kept["logs"][0]["digest"].startswith("sha256:")
    assert all(item["evidence"]["sentence"] for item in kept["measured"])
    assert any("training log" in line.lower() for line in record["explanation"])


def test_the_openapi_schema_documents_the_log_body(client: TestClient) -> None:
    body = client.get("/v1/openapi.json").json()["paths"]["/v1/assess"]["post"]["requestBody"]
    content = body["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    schema = content["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {"log", "answers", "units", "as_of"}
    assert schema["required"] == ["log"]


def test_json_answers_alone_are_unchanged(client: TestClient) -> None:
    response = client.post("/v1/assess", json={"goal": "overall_strength"})
    assert response.status_code == 200
    assert response.json()["training_log"] is None


# ------------------------------------------------------------------ the web questionnaire


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no {name} field"
    return html.unescape(found.group(1))


def _shown(page: str) -> list[str]:
    return re.findall(r'name="shown" value="([^"]+)"', page)


def _finish(client: TestClient, page: str) -> tuple[str, set[str]]:
    """Continue with the defaults shown until the result; the result and every
    question asked on the way."""
    asked: set[str] = set()
    for _ in range(40):
        shown = _shown(page)
        if not shown:
            return page, asked
        asked |= set(shown)
        form = {"given": _hidden(page, "given"), "shown": shown}
        if 'name="logs"' in page:  # the log carried on, as a browser sends hidden fields
            form |= {"logs": _hidden(page, "logs"), "units": _hidden(page, "units")}
        response = client.post("/questionnaire", data=form)
        assert response.status_code == 200, response.text
        page = response.text
    raise AssertionError("the questionnaire did not end")


def test_the_first_page_offers_an_accessible_upload(client: TestClient) -> None:
    page = client.get("/").text
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="i-log">' in page
    assert re.search(r'<input type="file" id="i-log" name="log"[^>]* multiple>', page)
    assert "Your training log (optional)" in page


def test_the_first_page_asks_the_safety_questions_before_the_optional_upload(
    client: TestClient,
) -> None:
    """On a phone the first screen is the safety screening, not an optional file input."""
    page = client.get("/").text
    assert page.index('id="section"') < page.index('id="q-parq_heart_condition"')
    assert page.index('id="q-parq_heart_condition"') < page.index('id="q-log"')
    assert page.index('id="q-log"') < page.index('type="submit"')


def test_the_web_flow_with_a_log_skips_measured_questions(client: TestClient) -> None:
    first = client.get("/").text
    response = client.post(
        "/questionnaire",
        data={"given": "{}", "shown": _shown(first)},
        files=[("log", STRONG)],
    )
    assert response.status_code == 200, response.text
    assert "measured from your training log, so not asked" in response.text
    result, asked = _finish(client, response.text)
    assert not asked & MEASURED
    assert "Measured from your training log" in result
    assert "stalled" in html.unescape(result)


def test_the_web_result_shows_the_clarify_note(client: TestClient) -> None:
    """Answers carried from earlier pages that the log contradicts: the result says so."""
    first = client.get("/").text
    response = client.post(
        "/questionnaire",
        data={"given": json.dumps({"leg_sessions_per_week": 5}), "shown": _shown(first)},
        files=[("log", STRONG)],
    )
    assert response.status_code == 200, response.text
    result, _ = _finish(client, response.text)
    assert "You answered leg_sessions_per_week = 5, but your training log shows 2" in (
        html.unescape(result)
    )


def test_a_bad_log_on_the_web_is_a_clear_422_page(client: TestClient) -> None:
    first = client.get("/").text
    response = client.post(
        "/questionnaire",
        data={"given": "{}", "shown": _shown(first)},
        files=[("log", ("mine.csv", LOG.replace(b",", b"|"), "text/csv"))],
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "unreadable training log in mine.csv" in text
    assert "mine.csv:1: the header names no known training-log format" in text
    assert "Traceback" not in text


def test_a_damaged_carried_log_is_400(client: TestClient) -> None:
    response = client.post("/questionnaire", data={"given": "{}", "logs": "not json"})
    assert response.status_code == 400
    assert "training log is damaged" in response.text


def test_a_log_that_fitted_the_limit_once_fits_on_every_later_page() -> None:
    """The pages carry the log on: compressed, so a log near the body limit that was
    accepted on the first page is not refused (413) on the second."""
    limit = len(LOG) + 3000  # the log and the first page's fields, with a little room
    with TestClient(create_app(ServeConfig(body_limit=limit))) as small:
        first = small.get("/").text
        page = small.post(
            "/questionnaire", data={"given": "{}", "shown": _shown(first)}, files=[("log", STRONG)]
        )
        assert page.status_code == 200, page.text
        result, asked = _finish(small, page.text)
    assert "Measured from your training log" in result
    assert not asked & MEASURED


def test_a_forged_carried_log_cannot_expand_past_the_limit(client: TestClient) -> None:
    bomb = base64.b64encode(zlib.compress(b"0" * (2 * 1024 * 1024))).decode()
    forged = json.dumps([{"name": "bomb.csv", "data": bomb}])
    response = client.post("/questionnaire", data={"given": "{}", "logs": forged})
    assert response.status_code == 400
    assert "training log is damaged" in response.text


LIMIT = 64 * 1024


@pytest.mark.parametrize(
    "sizes",
    [(LIMIT // 2 + 1, LIMIT // 2 + 1), (LIMIT, 4 * LIMIT)],
    ids=["halves", "exact-then-more"],
)
def test_forged_carried_logs_cannot_expand_past_the_limit_together(
    sizes: tuple[int, int],
) -> None:
    """Each item was held to the limit, not all of them: a 1 MiB body of compressed
    items expanded to the limit each (hundreds of MiB). And none may follow items that
    used the limit up exactly (zlib reads a max_length of 0 as "no limit")."""
    limit = LIMIT
    forged = json.dumps(
        [
            {"name": f"{n}.csv", "data": base64.b64encode(zlib.compress(b"0" * size)).decode()}
            for n, size in enumerate(sizes)
        ]
    )
    with TestClient(create_app(ServeConfig(body_limit=limit))) as small:
        response = small.post("/questionnaire", data={"given": "{}", "logs": forged})
    assert response.status_code == 400
    assert "training log is damaged" in response.text


def test_a_log_too_old_to_measure_says_why_and_everything_is_asked(client: TestClient) -> None:
    old = strong_csv(program(6, start=dt.date(2020, 1, 6)), variant="units").encode()
    first = client.get("/").text
    page = client.post(
        "/questionnaire",
        data={"given": "{}", "shown": _shown(first)},
        files=[("log", ("old.csv", old, "text/csv"))],
    )
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Your training log was read but measured nothing" in text
    assert "more than 8 weeks before" in text
    _, asked = _finish(client, page.text)
    assert asked >= MEASURED
