"""The JSON API, versioned under ``/v1``, and the health and metrics endpoints.

Assessing is CPU work that holds the GIL (durable-rules), so the assess endpoints run on
the event loop itself: a thread hop would add latency and no parallelism. That holds with
the audit log too: recording is mostly CPU as well (compacting, hashing, SQLite), and its
fsync was about 0.15 ms of a recorded assessment's 1.8. Handing each one to FastAPI's
thread pool, so that the fsync could overlap the next request, cost far more in GIL
hand-overs between the threads than the overlap gave back: one worker spent 2.75 ms of
CPU per recorded request with the hop and 2.15 without it (359 -> 445 req/s,
benchmarks/README.md). Reading the audit log (GET /v1/decisions) runs in the thread pool.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from legrules._version import __version__
from legrules.api import Engine
from legrules.audit import AuditLog, RecordNotFoundError
from legrules.errors import LegrulesError, Problem, clip, closest
from legrules.explain.whyasked import find_recommendation, find_rule
from legrules.explain.whynot import why_not as explain_why_not
from legrules.pack.answerschema import answers_json_schema
from legrules.pack.questionnaire import GROUP_INTROS, GROUP_TITLES
from legrules.report.assessment import explanation_lines
from legrules.report.audit import record_text
from legrules.report.ruledoc import rule_summary, rule_to_dict
from legrules.run.answers import Answers, validate_answers
from legrules.run.assessment import Assessment
from legrules.serve import logs
from legrules.serve.body import JSON, MULTIPART, body_type, json_document, read_body
from legrules.serve.metrics import CONTENT_TYPE_LATEST, Metrics
from legrules.serve.problems import HttpProblem, headline, problem_dict, status_for
from legrules.serve.state import PackState
from legrules.strict import StrictModel
from legrules.traininglog.assessing import MeasuredLogs, merge_answers

router = APIRouter()

BODY = "the request body"


class ProblemOut(StrictModel):
    field: str = Field(description="The question id, the body, a parameter or a header.")
    given: str | None
    allowed: str | None
    message: str
    suggestion: str | None = Field(description="The closest valid spelling (did you mean).")


class ErrorOut(StrictModel):
    error: str
    problems: list[ProblemOut]


class AssessOut(Assessment):
    decision_id: str | None = Field(
        description="The audit log record of this assessment (GET /v1/decisions/{id}); "
        "null when the server keeps no audit log."
    )
    explanation: list[str] | None = Field(
        default=None, description="With ?explain=true: how each recommendation was reached."
    )
    why_not: list[dict[str, Any]] | None = Field(
        default=None, description="With ?why_not=ID: why that recommendation was (not) made."
    )


class BatchItemOut(StrictModel):
    id: str | int | None
    assessment: AssessOut | None = None
    status_code: int | None = Field(default=None, description="The item's error status.")
    error: str | None = None
    problems: list[ProblemOut] | None = None


#: the most items one batch request may hold: the items are assessed on the event loop
#: and answered in one response, so a 1 MiB body of ``{"answers": {}}`` items (60,000)
#: held every other request for over a minute and built a response of about 1 GB
MAX_BATCH_ITEMS = 1000

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": meaning}
    for code, meaning in {
        400: "The body is not a JSON document (or not UTF-8).",
        404: "An unknown id; the problem has the closest known one.",
        413: "The body (uploads included) is over the server's limit, or a batch has "
        f"more than {MAX_BATCH_ITEMS} items.",
        415: "The body is not application/json (or, for /v1/assess, multipart/form-data).",
        422: "Invalid answers: every problem, by question id; or an unreadable training "
        "log: every problem by file:line:column, with what is allowed.",
    }.items()
}


LOG_PARTS = ("answers", "log", "units", "as_of")
LOG_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["log"],
    "properties": {
        "log": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "The training log(s): Strong, Hevy, FitNotes or legrules "
            "CSV/JSON exports, one part per file (repeat the part for several).",
        },
        "answers": {
            "type": "string",
            "format": "binary",
            "description": "The answers document (JSON), as a field or a file; "
            "without it, only the log's measured answers and the defaults are used.",
        },
        "units": {
            "type": "string",
            "enum": ["kg", "lb"],
            "description": "The weight unit, for an export that does not say which "
            "(Strong's classic CSV).",
        },
        "as_of": {
            "type": "string",
            "format": "date",
            "description": "Judge the log as of this date instead of today.",
        },
    },
}
ANSWERS_PART = "the answers part"


def state(request: Request) -> PackState:
    found: PackState = request.app.state.legrules
    return found


def metrics(request: Request) -> Metrics:
    found: Metrics = request.app.state.metrics
    return found


def _json(data: object, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json"
    )


async def _document(request: Request) -> Any:
    return json_document(await read_body(request, state(request).config.body_limit, JSON), BODY)


def assessment_data(
    engine: Engine,
    document: object,
    decision: bool,
    source: str,
    *,
    explain: bool = False,
    why_not_ids: list[str] | None = None,
    log: MeasuredLogs | None = None,
) -> tuple[Assessment, dict[str, Any]]:
    """Assess one answers document (with what ``log`` measured); the Assessment and its
    response data (with extras)."""

    # resolved first: an unknown id is refused before a decision is recorded
    wanted = [find_recommendation(engine.pack, text) for text in why_not_ids or []]
    answers = validate_answers(document, engine.questionnaire, source)
    result = engine.assess(answers) if log is None else engine.assess(answers, log=log)
    data = result.model_dump(mode="json")
    data["decision_id"] = result.assessment_id if decision else None
    if explain:
        data["explanation"] = explanation_lines(result, engine.pack)
    if wanted:
        # the answers assessed: with a log, the measured ones in place of the person's
        assessed = answers if log is None else _merged(engine, answers, log)
        data["why_not"] = [
            asdict(explain_why_not(engine.pack, assessed, rec, result)) for rec in wanted
        ]
    return result, data


def _merged(engine: Engine, answers: Answers, log: MeasuredLogs) -> Answers:
    """The answers assessed with a log, as :meth:`Engine.assess` merges them."""
    reported = {key: answers[key] for key in answers if key in answers.provided}
    return engine.validate(merge_answers(reported, log), "your answers and your training log")


def _assess_fast(engine: Engine, document: object, decision: bool) -> tuple[Assessment, str]:
    """The common case, serialised once by pydantic's fast path, decision_id appended."""
    result = engine.assess(validate_answers(document, engine.questionnaire, BODY))
    decision_id = json.dumps(result.assessment_id if decision else None)
    return result, result.model_dump_json()[:-1] + f',"decision_id":{decision_id}}}'


@router.post(
    "/v1/assess",
    tags=["assess"],
    response_model=AssessOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "An answers document: question id to answer (GET "
            "/v1/schema/answers); or, to assess with the lifter's training log, a "
            "multipart/form-data body with one or more log files.",
            "content": {
                JSON: {"schema": {"type": "object"}},
                MULTIPART: {"schema": LOG_BODY_SCHEMA},
            },
        }
    },
)
async def assess(
    request: Request,
    explain: bool = Query(False, description="Add how each recommendation was reached."),
    why_not: list[str] = Query(  # noqa: B008 - FastAPI declares parameters so
        [], description="Why this recommendation was or was not made (repeatable)."
    ),
) -> Response:
    """Assess one answers document: the Assessment of docs/CONTRACT.md section 3.

    With a training log, the body is multipart/form-data: parts `log` (one or more
    files: Strong, Hevy, FitNotes or legrules CSV/JSON), `answers` (optional, the answers
    document), `units` (kg or lb, for an export that does not say) and `as_of`
    (YYYY-MM-DD, judge the log as of that day), as `legrules assess --log`. The log's
    measured answers replace the person's own; the result's `training_log` shows both,
    a clarify note where they disagree, and the evidence."""
    body = await read_body(request, state(request).config.body_limit, (JSON, MULTIPART))
    if body_type(request) == MULTIPART:
        return await _assess_with_logs(request, body, explain, why_not)
    document = json_document(body, BODY)
    logged = state(request).config.audit_log is not None
    with state(request).engine() as engine:
        if not explain and not why_not:
            # on the event loop, recorded or not (see the module docstring)
            result, text = _assess_fast(engine, document, logged)
            metrics(request).assessed(result.status)
            return Response(text, media_type=JSON)
        result, data = assessment_data(
            engine,
            document,
            state(request).config.audit_log is not None,
            BODY,
            explain=explain,
            why_not_ids=why_not,
        )
    metrics(request).assessed(result.status)
    return _json(data)


def _field(parts: dict[str, list[logs.Part]], name: str) -> str | None:
    """The one text part ``name`` (None when not sent); 422 when sent twice."""
    found = logs.fields(parts).get(name, [])
    if len(found) > 1 or len(parts.get(name, [])) > len(found):
        message = f"give {name} once, as a plain field"
        raise HttpProblem(422, message, [Problem(name, message, given=f"{len(parts[name])} parts")])
    return found[0] if found else None


def _log_request(
    parts: dict[str, list[logs.Part]],
) -> tuple[object, list[logs.Part], str | None, str | None]:
    """The answers document, logs, units and as_of of a multipart assessment."""
    unknown = [
        Problem(
            name,
            "not a part of an assessment",
            allowed=", ".join(LOG_PARTS),
            suggestion=closest(name, LOG_PARTS),
        )
        for name in parts
        if name not in LOG_PARTS
    ]
    if unknown:
        raise HttpProblem(422, "unknown parts in the multipart body", unknown)
    if not parts.get("log"):
        message = "no training log: send one or more log parts (answers alone go as JSON)"
        raise HttpProblem(422, message, [Problem("log", message, allowed="a log file part")])
    answers = parts.get("answers", [])
    if len(answers) > 1:
        message = "give one answers document"
        raise HttpProblem(
            422, message, [Problem("answers", message, given=f"{len(answers)} parts")]
        )
    document = json_document(answers[0].data, ANSWERS_PART) if answers else {}
    return document, parts["log"], _field(parts, "units"), _field(parts, "as_of")


async def _assess_with_logs(
    request: Request, data: bytes, explain: bool, why_not: list[str]
) -> Response:
    """POST /v1/assess with a multipart body: the answers and the lifter's logs."""
    document, files, units, as_of = _log_request(await logs.multipart_parts(request.headers, data))
    day = logs.as_of_date(as_of)
    decision = state(request).config.audit_log is not None
    with state(request).engine() as engine:
        measured = logs.measure(engine, files, logs.units_value(units), day)
        result, out = assessment_data(
            engine,
            document,
            decision,
            ANSWERS_PART,
            explain=explain,
            why_not_ids=why_not,
            log=measured,
        )
    metrics(request).assessed(result.status)
    return _json(out)


@router.post(
    "/v1/assess/batch",
    tags=["assess"],
    response_model=list[BatchItemOut],
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": 'A list of {"id": any, "answers": {...}}, at most '
            f"{MAX_BATCH_ITEMS} items.",
            "content": {JSON: {"schema": {"type": "array", "items": {"type": "object"}}}},
        }
    },
)
async def assess_batch(request: Request) -> Response:
    """Assess many answers documents: a result or an error per item, in order; one bad
    item never fails the batch."""
    document = await _document(request)
    if not isinstance(document, list):
        raise HttpProblem(
            422,
            "a batch is a JSON list",
            [
                Problem(
                    location="(body)",
                    message="a batch is a list of items",
                    given=type(document).__name__,
                    allowed='[{"id": ..., "answers": {...}}, ...]',
                )
            ],
        )
    if len(document) > MAX_BATCH_ITEMS:
        message = f"a batch of {len(document)} items is over the limit of {MAX_BATCH_ITEMS}"
        allowed = f"at most {MAX_BATCH_ITEMS} items (or `legrules assess --batch`)"
        raise HttpProblem(413, message, [Problem("(body)", message, allowed=allowed)])
    decision = state(request).config.audit_log is not None
    out: list[dict[str, Any]] = []
    with state(request).engine() as engine:
        for number, item in enumerate(document, 1):
            out.append(_batch_item(request, engine, number, item, decision))
    return _json(out)


def _batch_item(
    request: Request, engine: Engine, number: int, item: object, decision: bool
) -> dict[str, Any]:
    item_id = item.get("id") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict) or set(item) - {"id", "answers"} or "answers" not in item:
            raise HttpProblem(
                422,
                f"item {number} is not an item",
                [
                    Problem(
                        location=f"item {number}",
                        message='each item is {"id": ..., "answers": {...}}',
                        given=json.dumps(sorted(item) if isinstance(item, dict) else item)[:80],
                    )
                ],
            )
        result, data = assessment_data(engine, item["answers"], decision, f"item {number}")
    except LegrulesError as error:
        return {
            "id": item_id,
            "status_code": status_for(error),
            "error": headline(error),
            "problems": [problem_dict(p) for p in error.problems],
        }
    metrics(request).assessed(result.status)
    return {"id": item_id, "assessment": data}


@router.get("/v1/questions", tags=["questionnaire"])
def questions(request: Request) -> Response:
    """Every question, in asking order, with its group, allowed answers, default and why
    we ask it (the data behind `legrules questions --json`)."""

    pack = state(request).current.pack
    return _json(
        {
            "groups": GROUP_TITLES,
            "group_intros": GROUP_INTROS,
            "questions": [
                q.model_dump(mode="json", exclude_none=True) for q in pack.questionnaire.questions
            ],
        }
    )


@router.get("/v1/schema/answers", tags=["schema"])
def schema_answers(request: Request) -> Response:
    """The JSON Schema of an answers document for the running pack."""

    return _json(answers_json_schema(state(request).current.questionnaire))


@router.get("/v1/schema/assessment", tags=["schema"])
def schema_assessment() -> Response:
    """The JSON Schema of the Assessment (docs/CONTRACT.md section 3)."""
    return _json(Assessment.model_json_schema())


@router.get("/v1/rules", tags=["rules"])
def rules(request: Request) -> Response:
    """The rules in firing order (as `legrules rules list --json`)."""
    pack = state(request).current.pack
    return _json([rule_summary(r) for r in pack.rules])


@router.get("/v1/rules/{rule_id}", tags=["rules"], responses={404: ERRORS[404]})
def rule(request: Request, rule_id: str) -> Response:
    """One rule explained (as `legrules rules show ID --json`); 404 with a did-you-mean."""

    pack = state(request).current.pack
    return _json(rule_to_dict(pack, find_rule(pack, rule_id)))


@router.get("/v1/decisions/{decision_id}", tags=["audit"], responses={404: ERRORS[404]})
def decision(request: Request, decision_id: str) -> Response:
    """One decision from the audit log, with its explanation (as `legrules audit show`);
    an id or a unique prefix of 6 characters or more."""

    path = state(request).config.audit_log
    if path is None:
        message = "this server keeps no audit log (start it with --audit-log FILE)"
        raise HttpProblem(404, message, [Problem(location=decision_id, message=message)])
    with AuditLog(path, readonly=True) as log:
        try:
            record = log.get(decision_id)
        except RecordNotFoundError:
            # the library's message names the server's file, counts its records and
            # lists the ids a prefix matches: none of that is for an HTTP client
            message = f"no single decision {clip(decision_id)!r} in the audit log"
            allowed = "a decision_id from POST /v1/assess, or 6+ of its first characters"
            problem = Problem(location=clip(decision_id), message=message, allowed=allowed)
            raise HttpProblem(404, message, [problem]) from None
    return _json(
        {"record": record.model_dump(mode="json"), "explanation": record_text(record).splitlines()}
    )


@router.post("/v1/reload", tags=["operations"])
async def reload(request: Request) -> Response:
    """Load, check, compile and rule-test the pack on disk; swap it in only if clean
    (else 422, and the running pack keeps serving). With several workers, the others
    are told to reload too (SIGHUP through the parent process)."""

    current = state(request)
    result = await run_in_threadpool(current.reload)
    hook = request.app.state.reload_hook
    if hook is not None:
        hook()
    return _json(result.to_dict(), 200 if result.ok else 422)


@router.get("/v1/status", tags=["operations"])
def status(request: Request) -> Response:
    """The legrules version, the pack being served, uptime and the last reload's result."""

    current = state(request)
    engine = current.current
    meta = engine.pack.meta
    last = current.last_reload
    return _json(
        {
            "legrules_version": __version__,
            "pack": {"name": meta.name, "version": meta.version, "fingerprint": engine.fingerprint},
            "uptime_seconds": round(time.monotonic() - current.started, 3),
            "pid": os.getpid(),
            "workers": current.config.workers,
            "audit_log": current.config.audit_log is not None,
            "last_reload": last.to_dict() if last is not None else None,
        }
    )


@router.get("/health", tags=["operations"])
async def health() -> JSONResponse:
    """Live: the process answers."""
    return JSONResponse({"status": "ok"})


@router.get("/health/ready", tags=["operations"])
async def ready(request: Request) -> JSONResponse:
    """Ready: a pack is loaded and can assess."""
    engine = state(request).current
    return JSONResponse({"status": "ready", "fingerprint": engine.fingerprint})


@router.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
async def prometheus(request: Request) -> PlainTextResponse:
    """Prometheus text: requests, errors, latency histogram, assessments by status."""
    return PlainTextResponse(metrics(request).render(), media_type=CONTENT_TYPE_LATEST)
