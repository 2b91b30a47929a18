"""The web questionnaire in a real browser: Debian's chromium (apt) driven by Playwright
with ``executable_path`` (never ``playwright install``, which downloads browsers).

Two personas fill the questionnaire as a person would (by the labels and roles a screen
reader announces): one with JavaScript off on a phone-sized screen, one with the
keyboard. Their result pages are checked and a screenshot of each is saved in the
test's tmp dir. Skipped only when chromium is not installed; `.ci/run` installs it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from legrules import Engine
from legrules.pack.typed import label
from tests.conftest import EXAMPLES
from tests.logfactory import program, strong_csv
from tests.serving import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("browser-server"))
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _persona(name: str) -> dict[str, object]:
    loaded = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _answer_page(page: Page, engine: Engine, answers: dict[str, object]) -> None:
    """Answer the questions on this page that the persona has an answer for, by the
    accessible names a screen reader gives them; the rest keep their defaults."""
    shown = page.locator('input[name="shown"]').evaluate_all("els => els.map(e => e.value)")
    for question_id in shown:
        if question_id not in answers:
            continue
        question = engine.pack.questions()[question_id]
        prompt = " ".join(question.prompt.split())
        value = answers[question_id]
        if question.type == "int":
            page.get_by_label(prompt).fill(str(value))
            continue
        group = page.get_by_role("group", name=prompt)
        if question.type == "bool":
            group.get_by_label("Yes" if value else "No", exact=True).check()
        elif question.type == "enum":
            group.get_by_label(label(question, str(value)), exact=True).check()
        else:
            assert isinstance(value, list)
            for choice in question.values or []:
                box = group.get_by_label(label(question, choice), exact=True)
                box.set_checked(choice in value)


def _fill(page: Page, engine: Engine, answers: dict[str, object], *, keyboard: bool) -> int:
    """Page after page until the result; the number of pages."""
    pages = 0
    while page.locator('form[action="/questionnaire"]').count():
        pages += 1
        assert pages < 40
        _answer_page(page, engine, answers)
        button = page.get_by_role("button", name="Continue")
        if keyboard:
            button.focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
        else:
            with page.expect_navigation():
                button.click()
    return pages


def test_an_ok_persona_gets_a_plan_without_javascript_on_a_phone(
    server: Server, browser: Browser, engine: Engine, tmp_path: Path
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(server.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Your leg-training assessment"
    pages = _fill(page, engine, _persona("glute-dominant.json"), keyboard=False)
    assert pages >= 7  # one group or less per page
    assert "your training plan is below" in page.locator("p.status").inner_text()
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings[0] == "Safety first"
    assert "This week's plan" in headings
    assert page.get_by_role("table").count() >= 2  # a table per training day
    # the reasoning is details on demand: hidden until the lifter opens it
    reasoning = page.get_by_role("heading", name="How each recommendation was reached")
    assert reasoning.count() == 0
    page.locator("details.more > summary").click()
    assert reasoning.count() == 1
    download = page.get_by_role("link", name="Download your answers (JSON)")
    assert download.get_attribute("download") == "legrules-answers.json"
    # readable on a phone: nothing wider than the screen but the plan tables' own scroll
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = tmp_path / "result-ok.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    context.close()


def test_a_referral_persona_sees_the_safety_message_first_by_keyboard(
    server: Server, browser: Browser, engine: Engine, tmp_path: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url)
    pages = _fill(page, engine, _persona("sharp-knee-pain.json"), keyboard=True)
    assert pages <= 3  # the red flag ends the questionnaire after the safety screening
    alert = page.get_by_role("alert")
    assert "no training plan" in alert.first.inner_text()
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings[0] == "Safety first"
    assert "This week's plan" not in headings
    assert "see a qualified professional first" in page.locator("p.status").inner_text()
    shot = tmp_path / "result-referral.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    context.close()


def test_a_lifter_uploads_their_training_log_without_javascript(
    server: Server, browser: Browser, engine: Engine, tmp_path: Path
) -> None:
    """The file input on the first page, by its label; what the log measured is not
    asked, and the result shows the evidence."""
    start = dt.date.today() - dt.timedelta(weeks=10)
    log = tmp_path / "strong.csv"
    log.write_text(strong_csv(program(10, start=start, squat=[100] * 10), variant="units"))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url)
    page.get_by_label("Log file(s)").set_input_files(str(log))
    answers = _persona("glute-dominant.json")
    _answer_page(page, engine, answers)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert "measured from your training log" in page.locator("#measured").inner_text()
    asked: set[str] = set()
    while page.locator('form[action="/questionnaire"]').count():
        shown = page.locator('input[name="shown"]').evaluate_all("els => els.map(e => e.value)")
        asked |= set(shown)
        assert len(asked) < 100
        _answer_page(page, engine, answers)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    assert not asked & {"leg_sessions_per_week", "strength_stalled", "heavy_sessions"}
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert "Measured from your training log" in headings
    page.screenshot(path=str(tmp_path / "result-log.png"), full_page=True)
    context.close()
