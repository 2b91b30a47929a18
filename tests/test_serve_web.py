"""The web questionnaire (GET /) without a browser: the same questions, groups, defaults
and "why we ask" as the terminal, adaptive skips, and the result page; plain HTML forms
that work without JavaScript. The browser test (test_serve_browser.py) drives it in
Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from legrules import Engine
from legrules.interview.skips import walk
from legrules.pack.questionnaire import AnswerValue
from legrules.serve import ServeConfig, create_app
from tests.conftest import EXAMPLES

FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}


class _Form(HTMLParser):
    """The form's fields as a browser would send them untouched: (name, value) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if found.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(found[key])
        if tag != "input" or "name" not in found:
            return
        kind = found.get("type", "text")
        if kind in ("radio", "checkbox") and "checked" not in found:
            return
        self.fields.append((found["name"], found.get("value", "")))


def _parse(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def _shown(html: str) -> list[str]:
    return [value for name, value in _parse(html).fields if name == "shown"]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServeConfig())) as test_client:
        yield test_client


def _answer_page(client: TestClient, html: str, answers: dict[str, object]) -> str:
    """Submit one page: ``answers`` for the questions on it, the defaults shown for
    the rest (what a person pressing Continue sends)."""
    shown = _shown(html)
    fields = [(n, v) for n, v in _parse(html).fields if n not in answers or n not in shown]
    for question_id in shown:
        if question_id in answers:
            value = answers[question_id]
            if isinstance(value, list):
                fields += [(question_id, item) for item in value]
            elif isinstance(value, bool):
                fields.append((question_id, "true" if value else "false"))
            else:
                fields.append((question_id, str(value)))
    response = client.post("/questionnaire", content=dict_pairs(fields), headers=FORM_HEADERS)
    assert response.status_code == 200, response.text
    return response.text


def dict_pairs(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def _fill(client: TestClient, answers: dict[str, object]) -> tuple[str, list[list[str]]]:
    """Answer page after page until the result; the result page and the pages' questions."""
    html = client.get("/").text
    pages = []
    while 'action="/questionnaire"' in html:
        pages.append(_shown(html))
        html = _answer_page(client, html, answers)
        assert len(pages) < 60
    return html, pages


def _downloaded(html: str, name: str) -> object:
    found = re.search(
        rf'href="data:application/json;charset=utf-8,([^"]+)" download="{name}"', html
    )
    assert found, name
    return json.loads(unquote(found.group(1)))


def test_the_pages_ask_every_question_the_terminal_asks_in_its_order(
    client: TestClient, engine: Engine
) -> None:
    answers = json.loads((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
    html, pages = _fill(client, answers)
    asked = [question for page in pages for question in page]
    # the terminal asks the pending questions of the same walk, one by one
    given: dict[str, AnswerValue] = {}
    expected = []
    while True:
        pending = next((s for s in walk(engine.pack, given) if s.status == "pending"), None)
        if pending is None:
            break
        expected.append(pending.question.id)
        given[pending.question.id] = answers.get(
            pending.question.id, _default(engine, pending.question.id, given)
        )
    # a page may also show a question that an answer on the same page then makes
    # pointless (the terminal, asking one at a time, skips it): its answer is dropped
    extra = [q for q in asked if q not in expected]
    assert [q for q in asked if q in expected] == expected
    final = {s.question.id: s for s in walk(engine.pack, given)}
    for question_id in extra:
        skip = final[question_id].skip
        assert skip is not None
        assert skip.kind == "no_effect", question_id
    # one group per page
    groups = engine.pack.questions()
    assert all(len({groups[q].group for q in page}) == 1 for page in pages)
    assert "Your leg-training assessment" in html
    assert _downloaded(html, "legrules-answers.json") == {
        q: v for q, v in given.items() if q in asked
    }
    downloaded = _downloaded(html, "legrules-assessment.json")
    assert isinstance(downloaded, dict)
    direct = engine.assess(_downloaded(html, "legrules-answers.json"))  # type: ignore[arg-type]
    assert downloaded["recommendations"] == json.loads(direct.to_json())["recommendations"]


def _default(engine: Engine, question_id: str, given: dict[str, AnswerValue]) -> AnswerValue:
    from legrules.interview.skips import default_for

    steps = walk(engine.pack, given)
    return default_for(engine.pack.questions()[question_id], steps)


def test_the_pain_follow_ups_come_only_after_a_painful_answer(client: TestClient) -> None:
    _, calm = _fill(client, {"pain_type": "none"})
    assert "pain_score" not in [q for page in calm for q in page]
    _, aching = _fill(client, {"pain_type": "dull_ache", "pain_locations": ["knee"]})
    asked = [q for page in aching for q in page]
    assert asked.index("pain_score") > asked.index("pain_type")
    # a follow-up is never on the page of the answer it depends on
    page_of = {q: number for number, page in enumerate(aching) for q in page}
    assert page_of["pain_score"] > page_of["pain_type"]


def test_a_red_flag_ends_the_questionnaire_with_the_referral_first(client: TestClient) -> None:
    html, pages = _fill(client, {"parq_chest_pain": True})
    groups = {q for page in pages for q in page}
    assert "squat_felt_most" not in groups  # nothing after the safety screening
    assert "see a qualified professional first" in html
    main = html[html.index("<main") :]
    assert main.index("Safety first") < main.index("What we found")
    assert "This week's plan" not in html


def test_an_ok_result_has_the_plan_table_and_the_reasons(client: TestClient) -> None:
    answers = json.loads((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
    html, _ = _fill(client, answers)
    assert "Result: your training plan is below." in html
    assert "<table>" in html
    assert '<th scope="col">' in html
    assert "How each recommendation was reached" in html
    assert "(why: " in html  # each habit says why, in the lifter's words


def test_every_question_has_a_label_help_and_why_we_ask(client: TestClient, engine: Engine) -> None:
    html = client.get("/").text
    for question_id in _shown(html):
        question = engine.pack.questions()[question_id]
        block = html[html.index(f'id="q-{question_id}"') :]
        block = block[: block.index("</details>")]
        assert "<legend" in block or f'<label class="prompt" for="i-{question_id}"' in block
        assert "Why we ask: " + " ".join(question.why.split())[:40] in " ".join(block.split())
        if question.help:
            assert f'id="h-{question_id}"' in block
            assert f'aria-describedby="h-{question_id}' in block


def test_pages_need_no_javascript_and_nothing_from_another_site(client: TestClient) -> None:
    html, _ = _fill(client, {})
    for page in (client.get("/").text, html):
        parsed = _parse(page)
        assert parsed.scripts == 0
        assert parsed.external == []
        assert '<html lang="en">' in page
        assert 'name="viewport"' in page
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert "http" not in css.text


def test_a_wrong_answer_shows_the_page_again_with_what_to_fix(client: TestClient) -> None:
    html = client.get("/").text
    fields = [(n, v) for n, v in _parse(html).fields if n != "age"] + [("age", "200")]
    response = client.post("/questionnaire", content=dict_pairs(fields), headers=FORM_HEADERS)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "out of range" in response.text
    assert _shown(response.text) == _shown(html)


def test_damaged_earlier_answers_are_an_error_page_not_a_traceback(client: TestClient) -> None:
    damaged = ("{not json", json.dumps({"age": "old"}), json.dumps([1]), '{"goal": "\\ud800"}')
    for given in damaged:
        response = client.post(
            "/questionnaire", content=dict_pairs([("given", given)]), headers=FORM_HEADERS
        )
        assert response.status_code in (400, 422)
        assert "Something is wrong with the form" in response.text
        assert "Traceback" not in response.text
