"""The web questionnaire: the terminal's questionnaire as server-rendered HTML pages.

What to ask and what to skip comes from :mod:`legrules.interview.skips` (as at the
terminal), the questions, groups, defaults and "why we ask" from the pack, and the
result from :func:`legrules.report.assessment.report`, the document the text and
Markdown reports are made from. This module only turns them into pages.

Each page is one form: the answers so far travel in a hidden field, so the server keeps
no session and every page works without JavaScript. A page asks the pending questions of
one group, up to the first one whose skip or default depends on an answer on the same
page (the pain follow-ups come after the pain question), so every question shown still
applies and shows the default it will take. A red-flag answer ends the questionnaire
after the safety questions, exactly as at the terminal.

The first page also takes the lifter's training log (optional files, as ``assess
--log``): the pages carry the files on, each page measures them again, and what they
measured is not asked; the result is assessed with them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from legrules.api import Engine
from legrules.errors import AnswersError, InputFileError, LegrulesError, Problem
from legrules.explain.whyasked import why_asked
from legrules.interview.skips import Step, answered, default_for, walk
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import GROUP_INTROS, GROUP_TITLES, AnswerValue, Question
from legrules.pack.typed import AnswerParseError, label, parse_strict
from legrules.pack.yamlio import parse_json
from legrules.report import document
from legrules.report.assessment import report
from legrules.run.answers import validate_answers
from legrules.serve import logs
from legrules.serve.body import FORM, MULTIPART, body_type, read_body
from legrules.serve.problems import HttpProblem, status_for
from legrules.serve.state import PackState
from legrules.traininglog.assessing import MeasuredLogs

HERE = Path(__file__).parent
router = APIRouter()

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
#: the most form fields a page can send: every question's values, and then some
MAX_FIELDS = 1000


@dataclass(frozen=True)
class Field:
    """One question on a page, as the template needs it."""

    question: Question
    default: AnswerValue
    why: list[str]
    error: str | None = None

    @property
    def id(self) -> str:
        return self.question.id

    def choices(self) -> list[tuple[str, str]]:
        """(value, label) of each choice, with "not answered" when there is no default."""
        q = self.question
        if q.type == "bool":
            options = [("true", "Yes"), ("false", "No")]
        else:
            options = [(value, label(q, value)) for value in q.values or []]
        if self.default is None and q.type != "multi":
            options.append(("", "I'd rather not say"))
        return options

    def checked(self, value: str) -> bool:
        default = self.default
        if isinstance(default, list):
            return value in default
        if isinstance(default, bool):
            return value == ("true" if default else "false")
        return value == ("" if default is None else str(default))


def _state(request: Request) -> PackState:
    found: PackState = request.app.state.legrules
    return found


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


def _kind(block: document.Block) -> str:
    """A report block's kind, for the template (Paragraph, Items, Table, Verbatim, Part)."""
    return type(block).__name__


_TEMPLATES.globals["kind"] = _kind


def _depends_on(question: Question, ids: set[str]) -> bool:
    refs = {condition.question for condition in question.skip_if}
    if question.default_from is not None:
        refs.add(question.default_from.question)
    return bool(refs & ids)


def page_steps(steps: list[Step]) -> list[Step]:
    """The questions of the next page: the pending ones of the first pending question's
    group, up to one whose skip or default depends on a question on this page."""
    pending = [step for step in steps if step.status == "pending"]
    if not pending:
        return []
    group = pending[0].question.group
    page: list[Step] = []
    for step in pending:
        if step.question.group != group or _depends_on(
            step.question, {s.question.id for s in page}
        ):
            break
        page.append(step)
    return page


def _fields(pack: RulePack, steps: list[Step], errors: Mapping[str, str]) -> list[Field]:
    return [
        Field(
            step.question,
            default_for(step.question, steps),
            why_asked(pack, step.question.id).lines(),
            errors.get(step.question.id),
        )
        for step in page_steps(steps)
    ]


@dataclass(frozen=True)
class LogCarry:
    """The lifter's training logs as the pages carry them (the server keeps no session):
    the files (one form field), the units, and what they measured."""

    field: str = ""
    units: str = ""
    measured: MeasuredLogs | None = None

    def values(self) -> dict[str, AnswerValue]:
        return {} if self.measured is None else self.measured.values()


def _questions_page(
    pack: RulePack,
    given: dict[str, AnswerValue],
    errors: Mapping[str, str] | None = None,
    carry: LogCarry = LogCarry(),
) -> HTMLResponse:
    """The next page for the person's own answers ``given``; what the logs measured is
    answered already, so never asked (as ``assess --log`` at the terminal)."""
    steps = walk(pack, {**given, **carry.values()})
    fields = _fields(pack, steps, errors or {})
    group = fields[0].question.group
    groups = list(dict.fromkeys(q.group for q in pack.questionnaire.questions))
    remaining = sum(step.status == "pending" for step in steps)
    own = {k: given[k] for k in answered(steps) if k in given}
    return _page(
        "questions.html",
        422 if errors else 200,
        fields=fields,
        group_title=GROUP_TITLES.get(group, group),
        group_intro=GROUP_INTROS.get(group, ""),
        section=groups.index(group) + 1,
        sections=len(groups),
        remaining=remaining,
        given=json.dumps(own, ensure_ascii=False),
        first=not given and carry.measured is None,
        carry=carry,
        measured=sorted(carry.values()),
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def start(request: Request) -> HTMLResponse:
    """The first page of the questionnaire."""
    with _state(request).engine() as engine:
        return _questions_page(engine.pack, {})


def _field_value(question: Question, form: Mapping[str, list[str]]) -> AnswerValue:
    """One question's answer from its form fields; AnswerParseError if not valid."""
    sent = form.get(question.id, [])
    if question.type == "multi":
        value: AnswerValue = sent
    else:
        if len(sent) > 1:
            raise AnswerParseError("give one answer")
        value = parse_strict(question, sent[0] if sent else "")
    problem = None if value is None else question.check_value(value)
    if problem is not None:
        raise AnswerParseError(f"{problem}; allowed: {question.allowed_text()}")
    return value


def _earlier(engine: Engine, form: Mapping[str, list[str]]) -> dict[str, AnswerValue]:
    """The answers carried from the earlier pages, checked (the field can be edited)."""
    text = (form.get("given") or ["{}"])[-1]
    try:
        raw = parse_json(text, "given")
    except InputFileError as error:
        raise HttpProblem(
            400, "the form's earlier answers are damaged", [Problem("given", error.reason)]
        ) from None
    validate_answers(raw, engine.questionnaire, "the form's earlier answers")
    assert isinstance(raw, dict)
    return raw


async def _form(request: Request) -> tuple[dict[str, list[str]], list[logs.Part]]:
    """A page's fields, and the log files uploaded with it: a page with a file input is
    multipart/form-data; a urlencoded page (a client without uploads) works too."""
    data = await read_body(request, _state(request).config.body_limit, (MULTIPART, FORM))
    if body_type(request) == MULTIPART:
        parts = await logs.multipart_parts(request.headers, data)
        uploads = [part for part in parts.pop("log", []) if part.filename is not None]
        return logs.fields(parts), uploads
    try:
        form = parse_qs(data.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise HttpProblem(400, "the form cannot be read", [Problem("(form)", str(error))]) from None
    return form, []


def _carry(
    request: Request, engine: Engine, form: Mapping[str, list[str]], uploads: list[logs.Part]
) -> LogCarry:
    """The logs carried from earlier pages and uploaded on this one, read and measured
    again (each page stands alone); TrainingLogError for an unreadable one."""
    limit = _state(request).config.body_limit
    sent = logs.carried((form.get("logs") or [""])[-1], limit) + uploads
    units = (form.get("units") or [""])[-1]
    if not sent:
        return LogCarry(units=units)
    measured = logs.measure(engine, sent, logs.units_value(units), None)
    return LogCarry(logs.carry(sent), units, measured)


@router.post("/questionnaire", response_class=HTMLResponse, include_in_schema=False)
async def questionnaire(request: Request) -> HTMLResponse:
    """One page answered: the next page, the same page with what to fix, or the result."""
    form, uploads = await _form(request)
    with _state(request).engine() as engine:
        pack = engine.pack
        try:
            given = _earlier(engine, form)
            carry = _carry(request, engine, form, uploads)
        except LegrulesError as error:
            return _page("error.html", status_for(error), error=error)
        questions = pack.questions()
        errors: dict[str, str] = {}
        for question_id in form.get("shown", []):
            question = questions.get(question_id)
            if question is None:
                continue
            try:
                given[question_id] = _field_value(question, form)
            except AnswerParseError as error:
                errors[question_id] = str(error)
        if errors:
            # asked again, with the answers given kept as the defaults shown
            kept = {k: v for k, v in given.items() if k not in form.get("shown", [])}
            return _questions_page(pack, kept, errors, carry)
        steps = walk(pack, {**given, **carry.values()})
        if any(step.status == "pending" for step in steps):
            return _questions_page(pack, given, carry=carry)
        own = {k: given[k] for k in answered(steps) if k in given}
        return _result_page(request, engine, own, carry.measured)


def _result_page(
    request: Request,
    engine: Engine,
    answers: dict[str, AnswerValue],
    measured: MeasuredLogs | None = None,
) -> HTMLResponse:
    """The report; with a log, assessed as ``assess --log`` (the measured answers
    replace the person's own, the report shows both and the evidence)."""
    try:
        own = validate_answers(answers, engine.questionnaire, "your answers")
        result = engine.assess(own) if measured is None else engine.assess(own, log=measured)
    except AnswersError as error:  # cannot happen with checked answers; said if it does
        return _page("error.html", 422, error=error)
    request.app.state.metrics.assessed(result.status)
    answers_json = json.dumps(answers, indent=2, ensure_ascii=False) + "\n"
    # The lifter reads the short report; what --explain adds (each exercise in detail,
    # the rules' reasoning) waits behind a disclosure, as details on demand.
    doc = report(result, engine.pack, explain=False)
    shown = {section.heading for section in doc.sections}
    more = [
        section
        for section in report(result, engine.pack, explain=True).sections
        if section.heading not in shown
    ]
    return _page(
        "result.html",
        doc=doc,
        more=more,
        result=result,
        answers_href="data:application/json;charset=utf-8," + quote(answers_json),
        assessment_href="data:application/json;charset=utf-8," + quote(result.to_json() + "\n"),
        decision=_state(request).config.audit_log is not None,
        with_log=measured is not None,
    )


def install(app: FastAPI) -> None:
    """Add the questionnaire pages and their static files (served here: no CDN)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
