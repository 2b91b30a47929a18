"""The public contract: docs/CONTRACT.md, its tables generated from what the code enforces.

``python -m legrules.authoring.contract > docs/CONTRACT.md`` writes it from the default pack
(questions from ``rules/questionnaire.yaml``, recommendation ids from
``rules/catalogue.yaml``), the :class:`~legrules.run.assessment.Assessment` model and
:data:`legrules.errors.EXIT_CODES`; a test keeps the committed file current. The prose
is the steering team's contract, kept here; the tables are not written by hand, because
a hand-written id list is exactly what drifted from the pack before.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator, Sequence
from typing import Literal, Union, get_args, get_origin

from pydantic import BaseModel

from legrules.errors import EXIT_BAD_INPUT, EXIT_CODES, LegrulesError
from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.paths import default_rules_dir
from legrules.run.assessment import SCHEMA_VERSION, Assessment
from legrules.run.compact import LEFT_OUT
from legrules.run.loader import load_pack
from legrules.run.recommend import URGENCY_ORDER

COMMAND = "python -m legrules.authoring.contract > docs/CONTRACT.md"

# The contract's headings over the questionnaire's groups, in the order asked.
QUESTION_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Safety screening (asked first; PAR-Q+ style)", ("safety",)),
    ("Symptoms", ("symptoms",)),
    ("Compensation patterns", ("compensation",)),
    ("Training history and habits", ("habits",)),
    ("Goals, equipment, schedule", ("goals", "equipment", "schedule")),
)

# What a guidance or safety id promises, in the contract's words: a recommendation's
# title is written for the lifter and may be reworded; this is what a program relies on.
MEANINGS: dict[str, str] = {
    "split_power_and_structure": "separate a power/skill day from a structure/balance day",
    "compounds_first": "in a mixed session, heavy compounds first, isolation after",
    "controlled_tempo": "slow, controlled reps; pause and squeeze on curls",
    "track_progression": "log sets x reps x load; progress measurably",
    "alignment_check": "setup/alignment cue on compounds and hinges",
    "unilateral_work": "per-leg work so the dominant leg cannot carry the lift",
    "prioritize_hamstrings": 'hamstring work scheduled explicitly, not "whatever is left"',
    "use_machines": "do the isolation on machines (tension, control, trackable overload)",
    "joint_friendly_volume": 'controlled-tempo isolation volume "as needed" instead of more '
    "heavy work",
    "isolation_without_machines": "no machine: control the movement yourself (given instead "
    "of use_machines, which a lifter with equipment but no machine never gets)",
    "home_isolation_station": "home gym lacks leg isolation: one station covering extension "
    "and curl (a capability, never a product or brand)",
    "train_around_ache": "a dull ache of 5/10 or less: loads and ranges that keep it there, "
    "check it the next morning; the lifts that load the area carry cues",
    "second_leg_day": "one leg day a week: alternate Day 1 and Day 2 week by week (the "
    "plan's schedule says how); add a second day when it fits",
    "clarify_answers": "the answers contradict each other; what was assumed",
    "see_professional": "see a qualified professional before the plan; what to stop and how "
    "soon depends on the cause (the rule's detail)",
    "emergency_care": "seek emergency care now; no training content at all",
    "delay_training": "delay increasing activity (illness, pregnancy: talk to a health-care "
    "practitioner)",
    "consult_before_vigorous": "advisory only (age > 45, not used to vigorous exercise): the "
    "plan stands, start conservatively",
    "youth_supervision": "advisory only (age 12-17): the plan stands, under qualified "
    "supervision, technique before load, build up gradually",
}

INTRO = f"""\
# legrules public contract (default rule pack)

This is the vocabulary that other programs, saved answer files, audit records and
acceptance tests rely on. Treat every id here as public API: you may ADD questions,
values and recommendation ids; you may not rename or remove one without a
deprecation entry in CHANGELOG.md and an alias that keeps the old id working.

The tables are generated from the default rule pack (`rules/questionnaire.yaml`,
`rules/catalogue.yaml`), the `Assessment` model and `legrules.errors.EXIT_CODES` by
`{COMMAND}`, and a test keeps this file current: do
not edit it by hand (the prose is in `legrules/authoring/contract.py`). An installed legrules
ships it inside the package, as `legrules/CONTRACT.md`.

The research codes in brackets (S1, Y5, ...) point into `domain/knowledge-base.md`,
which explains what each question is for and which rules read it.
"""

ANSWERS_INTRO = """\
## 1. Answers (questionnaire input)

An answers document is a JSON/YAML object whose keys are these ids. Every key is
optional in the file: an unanswered question takes its default (`-` below means
"no default: the interactive questionnaire must ask it; in non-interactive use it
stays unanswered (null), and rules that need it do not fire"). Unknown keys and values
outside the listed ones are errors (exit 2, see §4), never silently ignored.
Multi-select answers are lists; an empty list means "none of these". `lo..hi` is a
whole number from lo to hi; `(value: default)` is a default that depends on an earlier
answer (listed after the tables).
"""

RECOMMENDATIONS_INTRO = """\
## 2. Recommendation ids

Each recommendation has a kind: `exercise`, `guidance` or `safety`. Safety
recommendations come first in the output.
"""

ASSESSMENT_INTRO = """\
## 3. Assessment output (`legrules assess --format json`, and `Assessment.model_dump(mode="json")`)

At least these fields, with these meanings; add freely, but only additively:

```
{
  "schema_version": 1,
  "assessment_id": "<unique id>",
  "status": "ok" | "referral",          # referral: a safety rule withheld the plan
  "screening": {"status": "complete" | "incomplete" | "not_done",
                "missing": ["<safety question id>", ...]},
  "ruleset": {"name": ..., "version": ..., "fingerprint": "sha256:..."},
  "answers": {...},                     # validated, defaults filled in
  "recommendations": [
    {"id": "leg_extension", "kind": "exercise"|"guidance"|"safety",
     "title": ..., "detail": ...,
     "because": [{"rule": "<rule id>", "rationale": ..., "source": ...,
                  "answers": {"<question id>": <value that mattered>}}]}
  ],
  "plan": null | {"days": [{"id": "day1", "title": ..., "items": [
            {"exercise": "squat_or_leg_press", "sets": "4", "reps": "5-8",
             "per_leg": false, "cue": null, "because": ["<rule id>", ...]}]}]},
  "trace": [{"seq": 1, "rule": "<rule id>", ...}]    # every rule that fired, in order
}
```

- `sets` and `reps` are strings so ranges stay exact ("2-3", "10-14"); the article's
  numbers are the defaults. A number the article does not give is never attributed
  to it: the item says where it came from.
- `because[].source` names where the guidance comes from (an article section heading,
  or a named screening standard), so an auditor can check it.
- Same answers + same rules => same output, byte for byte, except `assessment_id`
  and timestamps.
- `training_log` is null unless the assessment read a training log (`assess --log`,
  `Engine.assess(answers, log=...)`). Then `training_log.logs[]` names each file (with
  the sha256 `digest` of its bytes), and `training_log.measured[]` lists every answer
  measured from it: the `value` the assessment used (it replaces the person's own),
  what the person had `reported`, whether they `agree`, the clarify `note` when they do
  not, and the `evidence` (a sentence, and the dates, sets and numbers it rests on).
  An explanation's `because[].answers` cites a measured answer by question id: its
  evidence is `training_log.measured[]` with that `question`.
- `screening` says whether the safety questions were answered, not only defaulted:
  every safety question defaults to "no red flag", so `status: "ok"` with a screening
  that is `not_done` or `incomplete` found nothing only in what was answered. It is a
  separate field, not a third `status` value, on purpose: `status` tells a program
  whether there is a plan (`ok`) or not (`referral`), and a new value there would
  silently send every existing `ok`/`referral` switch down the wrong branch. The text
  and Markdown reports show it as a notice at the top of the safety section, naming
  the missing questions, and then never say that nothing needs a professional's
  attention. The interactive questionnaire asks every safety question that can still
  change the outcome, so its results are `complete`.
"""

HTTP_INTRO = """\
## 6. HTTP API (`legrules serve`, the `legrules[serve]` extra)

Versioned under `/v1`: within `/v1` endpoints and fields are only added. The OpenAPI
schema is served at `/v1/openapi.json`.
"""

HTTP_ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    (
        "POST",
        "`/v1/assess`",
        "body: an answers document (§1, `application/json`); the Assessment (§3) plus "
        "`decision_id` (the audit record's id, null without `--audit-log`); "
        "`?explain=true` adds `explanation`, `?why_not=ID` (repeatable) adds `why_not`. "
        "With the lifter's training log, the body is `multipart/form-data`: parts `log` "
        "(one or more files, as `assess --log`), `answers` (optional, the answers "
        "document), `units` (`kg` or `lb`) and `as_of` (YYYY-MM-DD); the Assessment's "
        "`training_log` (§3) shows what was measured, with its evidence",
    ),
    (
        "POST",
        "`/v1/assess/batch`",
        'body: `[{"id": ..., "answers": {...}}]`; per item, in order, `{"id", "assessment"}` '
        'or `{"id", "status_code", "error", "problems"}`: one bad item never fails the batch; '
        "at most 1,000 items (413)",
    ),
    ("GET", "`/v1/questions`", "the questions (§1), their groups, defaults and why asked"),
    ("GET", "`/v1/schema/answers`", "JSON Schema of an answers document"),
    ("GET", "`/v1/schema/assessment`", "JSON Schema of the Assessment"),
    ("GET", "`/v1/rules`", "the rules in firing order"),
    ("GET", "`/v1/rules/{rule_id}`", "one rule explained"),
    (
        "GET",
        "`/v1/decisions/{decision_id}`",
        "an audit log record (its id or a unique prefix of 6+ characters), explained",
    ),
    (
        "POST",
        "`/v1/reload`",
        "reload the pack from disk: 200 swapped in, 422 refused (the old pack keeps serving)",
    ),
    ("GET", "`/v1/status`", "legrules version, pack name/version/fingerprint, uptime, last reload"),
    ("GET", "`/health`, `/health/ready`", "live; ready (a pack is loaded)"),
    ("GET", "`/metrics`", "Prometheus text: requests, errors, latency, assessments by status"),
)

HTTP_ERRORS_INTRO = """
Every error is `{"error": message, "problems": [{"field", "given", "allowed",
"message", "suggestion"}]}` (the library's problems; `suggestion` is a did-you-mean),
never a traceback:
"""

HTTP_STATUSES: tuple[tuple[str, str], ...] = (
    ("400", "the body is not a JSON document (or not UTF-8)"),
    ("404", "an unknown id or path, with the closest known one"),
    (
        "413",
        "the body (uploads included) is over the server's limit (default 1 MiB), or a "
        "batch has more than 1,000 items",
    ),
    ("415", "the body is not `application/json` (for `/v1/assess`: nor `multipart/form-data`)"),
    (
        "422",
        "invalid answers (every problem, by question id), an unreadable training log "
        "(every problem by `file:line` and column, with what is allowed), or an invalid "
        "parameter",
    ),
    ("500", "a bug: one line, the details in the server's log only"),
)


def http_section() -> list[str]:
    return [
        HTTP_INTRO,
        *_table(("method", "path", "answer"), HTTP_ENDPOINTS),
        HTTP_ERRORS_INTRO,
        *_table(("status", "meaning"), HTTP_STATUSES),
    ]


EXIT_INTRO = """\
## 4. Exit codes (every command)
"""


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _values(question: Question) -> str:
    if question.type == "int":
        return f"{question.min}..{question.max}"
    return ", ".join(question.values or [])


def _default(question: Question) -> str:
    if question.default_from is not None:
        cases = "; ".join(f"{k}: {_scalar(v)}" for k, v in question.default_from.cases.items())
        return f"({cases})"
    if question.default is None:
        return "-"
    return _scalar(question.default)


def _derived_default_notes(questions: list[Question]) -> list[str]:
    lines = []
    for question in questions:
        rule = question.default_from
        if rule is None:
            continue
        cases = "; ".join(
            f"`{case}`: every value"
            if value == "all" and question.type == "multi"
            else f"`{case}`: {_scalar(value)}"
            for case, value in rule.cases.items()
        )
        fallback = _default(question.model_copy(update={"default_from": None}))
        lines.append(
            f"- `{question.id}` defaults by the answer to `{rule.question}`: {cases}; "
            f"otherwise {'no default' if fallback == '-' else fallback}."
        )
    return lines


def questions_section(pack: RulePack) -> list[str]:
    lines = [ANSWERS_INTRO]
    questions = pack.questionnaire.questions
    placed = {g for _, groups in QUESTION_SECTIONS for g in groups}
    stray = sorted({q.group for q in questions} - placed)
    if stray:
        raise LegrulesError(f"question groups with no CONTRACT heading: {', '.join(stray)}")
    for heading, groups in QUESTION_SECTIONS:
        rows = [
            (q.id, q.type, _values(q), _default(q), q.code or "")
            for q in questions
            if q.group in groups
        ]
        lines += [
            f"### {heading}",
            "",
            *_table(("id", "type", "values", "default", "code"), rows),
            "",
        ]
    notes = _derived_default_notes(questions)
    if notes:
        lines += ["Defaults that depend on another answer:", "", *notes, ""]
    return lines


def _meaning(rec: RecommendationDef) -> str:
    try:
        return MEANINGS[rec.id]
    except KeyError:
        raise LegrulesError(
            f"recommendation {rec.id!r} has no meaning in the contract: "
            "add one to MEANINGS in legrules/authoring/contract.py"
        ) from None


def _prescription(rec: RecommendationDef) -> tuple[str, str]:
    given = rec.prescription
    if given is None:  # the catalogue requires one for an exercise
        return "-", "-"
    numbers = f"{given.sets} x {given.reps}" if given.sets and given.reps else "-"
    if given.per_leg and numbers != "-":
        numbers += " per leg"
    return numbers, "the article" if given.source == "article" else "not given by the article"


def _urgencies(pack: RulePack) -> dict[str, list[str]]:
    """The urgencies the pack's rules give each recommendation, least urgent first."""
    given: dict[str, set[str]] = {}
    for rule in pack.rules:
        for rec in rule.then.recommend:
            if rec.urgency is not None:
                given.setdefault(rec.id, set()).add(rec.urgency)
    return {rec_id: [u for u in URGENCY_ORDER if u in found] for rec_id, found in given.items()}


def recommendations_section(pack: RulePack) -> list[str]:
    recs = pack.catalogue.recommendations
    known = {r.id for r in recs if r.kind != "exercise"}
    unknown = sorted(set(MEANINGS) - known)
    if unknown:
        raise LegrulesError(
            f"the contract describes recommendations the pack lacks: {', '.join(unknown)} "
            "(an id is never removed without a deprecation entry and an alias)"
        )
    return [
        RECOMMENDATIONS_INTRO,
        *_exercises(recs),
        *_guidance(recs),
        *_safety(recs, _urgencies(pack)),
    ]


def _equipment(groups: Sequence[Sequence[str]] | None) -> str:
    return "; ".join(" + ".join(group) or "body weight" for group in groups or []) or "-"


def _exercises(recs: Sequence[RecommendationDef]) -> list[str]:
    rows = []
    for rec in recs:
        if rec.kind == "exercise":
            numbers, source = _prescription(rec)
            rows.append((rec.id, rec.title, numbers, source, _equipment(rec.equipment_any)))
    header = ("id", "title", "sets x reps", "numbers from", "equipment")
    return [
        "### Exercises",
        "",
        "They appear as recommendations and as plan items. Sets x reps are the defaults.",
        "Equipment lists alternatives separated by `;`, any one of which is enough",
        "(`a + b`: both together).",
        "",
        *_table(header, rows),
        "",
        *_options(recs),
    ]


def _options(recs: Sequence[RecommendationDef]) -> list[str]:
    by_id = {rec.id: rec for rec in recs}
    rows = []
    for rec in recs:
        for rank, option in enumerate(rec.options, start=2):
            ref = by_id.get(option.id) if option.is_reference() else None
            title = ref.title if ref else option.title or ""
            provenance = "article" if ref else option.provenance or ""
            equipment = _equipment(ref.equipment_any if ref else option.equipment_any)
            rows.append((rec.id, str(rank), option.id, title, provenance, equipment))
    header = ("slot (exercise)", "rank", "option id", "title", "provenance", "equipment")
    return [
        "### Plan slot options",
        "",
        "Each exercise is a slot in the plan. When the answered equipment cannot do the",
        "exercise itself (rank 1), the plan item takes the first option below it can do",
        "that is not already in the plan; the item's `option` names it (an exercise id or",
        "an option id from this table), `options_skipped` says why each one before it was",
        "passed over, and its title and numbers are the option's (the article gives no",
        "sets x reps for a substitute). `inferred`: a common substitute the article does",
        "not mention. Unanswered equipment changes nothing. Option ids are public too.",
        "",
        *_table(header, rows),
        "",
    ]


def _guidance(recs: Sequence[RecommendationDef]) -> list[str]:
    rows = [(r.id, _meaning(r), r.title) for r in recs if r.kind == "guidance"]
    return ["### Guidance", "", *_table(("id", "meaning", "title shown"), rows), ""]


def _safety(recs: Sequence[RecommendationDef], urgencies: dict[str, list[str]]) -> list[str]:
    rows = [
        (
            r.id,
            _meaning(r),
            "yes" if r.withholds_plan else "no",
            ", ".join(urgencies.get(r.id, [])) or "-",
            r.title,
        )
        for r in recs
        if r.kind == "safety"
    ]
    header = ("id", "meaning", "withholds the plan", "urgency", "title shown")
    return [
        "### Safety",
        "",
        "A referral (withholds the plan: yes) WITHHOLDS the training plan: `status` is",
        '`"referral"`, `plan` is null and every exercise and guidance recommendation is',
        "withdrawn. A safety recommendation may carry an `urgency`, one of",
        ", ".join(f"`{u}`" for u in URGENCY_ORDER) + "; the table lists those the default",
        "pack's rules give.",
        "",
        *_table(header, rows),
        "",
    ]


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The models a field's type refers to, in the order they appear."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models(arg)


def type_text(annotation: object) -> str:
    """A field's type in JSON terms, as a program reading the output sees it."""
    if annotation == AnswerValue:
        return "answer"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return " or ".join(f'"{a}"' for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(type_text(a) for a in args)
    if origin is list:
        return f"array of {type_text(args[0])}"
    if origin is dict:
        return f"object of {type_text(args[1])}"
    names = {str: "string", int: "integer", bool: "boolean", float: "number"}
    if isinstance(annotation, type) and annotation in names:
        return names[annotation]
    raise LegrulesError(f"no JSON wording for the type {annotation!r}")  # pragma: no cover


def assessment_models() -> list[tuple[type[BaseModel], str]]:
    """Every model in the Assessment JSON with the path where it first appears, parents
    before children, so the tables read top-down like the JSON."""
    found: list[tuple[type[BaseModel], str]] = []
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel], path: str) -> None:
        seen.add(model)
        found.append((model, path))
        for name, info in model.model_fields.items():
            for child in _models(info.annotation):
                if child not in seen:
                    suffix = "[]" if get_origin(info.annotation) is list else ""
                    visit(child, f"{path}.{name}{suffix}".lstrip("."))

    visit(Assessment, "")
    return found


def assessment_section() -> list[str]:
    lines = [
        ASSESSMENT_INTRO,
        "### Fields",
        "",
        f"Generated from the `Assessment` model (`schema_version` {SCHEMA_VERSION}). Every field",
        "is always present in the JSON, in this order, `null` where its type allows it. An",
        "*answer* is a value section 1 allows for its question (boolean, integer, string or",
        "array of strings), or null when unanswered. `Assessment.model_json_schema()` gives",
        "the same as a JSON Schema.",
        "",
    ]
    for model, path in assessment_models():
        where = f"`{path}`" if path else "the top level"
        lines += [f"#### {model.__name__}", "", f"At {where}.", ""]
        rows = [
            (f"`{name}`", type_text(info.annotation), info.description or "")
            for name, info in model.model_fields.items()
        ]
        lines += [*_table(("field", "type", "meaning"), rows), ""]
    return [*lines, *compact_section()]


COMPACT_INTRO = """\
### The compact form (audit log records, `legrules assess --batch --compact`)

The same Assessment without the rule pack's text, which the pack that made it gives
back (`ruleset.fingerprint` names it; the audit log stores each pack once, and reading a
record expands it). A compact document has every field of the Assessment, in the same
order, plus `"compact": 1` first; these parts are left out where, and only where, their
value is exactly what the pack says:
"""

COMPACT_OUTRO = """\
`legrules.run.compact.expand(document, pack)` gives back the full form, field for field
and in order; `compact(assessment, pack)` makes the compact one. A field not listed here
(including any added later) is kept as it is. The single-assessment JSON
(`legrules assess --format json`) is always the full, self-contained form.
"""


def compact_section() -> list[str]:
    rows = [(where, what, source) for where, what, source in LEFT_OUT]
    return [
        COMPACT_INTRO,
        *_table(("where", "left out", "given back from"), rows),
        "",
        COMPACT_OUTRO,
    ]


def exit_codes_section() -> list[str]:
    rows = [(str(code), meaning) for code, meaning in EXIT_CODES.items()]
    return [EXIT_INTRO, *_table(("code", "meaning"), rows)]


RESCORE_INTRO = """\
## 5. Re-scoring output (`legrules rescore`, `legrules.spark`)

`legrules rescore IN --rules NEW [--baseline OLD] --out OUT` assesses every stored record
with both packs and writes one JSON line to OUT per record whose result changed or that
could not be assessed (a difference row; `legrules.spark.compare` gives one per record):
"""

DIFF_ROW_FIELDS: tuple[tuple[str, str, str], ...] = (
    (
        "id",
        "string",
        "The record's id: an audit export's `assessment_id`, an `id` field, else its line "
        "(row) number.",
    ),
    (
        "changed",
        "boolean",
        "The result differs in any way (status, recommendations, their reasons, the plan).",
    ),
    (
        "error",
        "string or null",
        "Why the record could not be assessed; prefixed `new rules:` when only the new pack "
        "refused its answers.",
    ),
    ("status_before", "string or null", "`ok` or `referral` with the baseline pack."),
    ("status_after", "string or null", "The same with the new pack."),
    ("gained", "array of string", "Recommendation ids only the new pack gives."),
    ("lost", "array of string", "Recommendation ids only the baseline pack gives."),
    (
        "changes",
        "array of object",
        "Each difference: `subject` (`status`, `plan` or a recommendation id), `summary`, "
        "and `caused_by`, the changed rules that decide it (as `legrules audit replay`).",
    ),
    ("fired_now", "array of string", "Rules that fire only with the new pack."),
    ("fired_no_longer", "array of string", "Rules that fire only with the baseline pack."),
)

RESULT_ROW_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "string", "The input id, as text."),
    ("status", "string or null", "`ok` or `referral`; null when `error` is set."),
    ("recommendations", "array of string", "Recommendation ids, in the Assessment's order."),
    ("fired_rules", "array of string", "Rule ids in firing order."),
    ("fingerprint", "string", "The ruleset fingerprint the row was assessed with."),
    ("legrules_version", "string", "The legrules that assessed it."),
    (
        "record",
        "string or null",
        "The assessment record in the compact form of section 3 (`legrules.run.compact."
        "expand` with the row's pack restores the Assessment JSON).",
    ),
    ("error", "string or null", "Why the row could not be assessed."),
    ("worker", "string", "`host:pid#n`: the worker process and the n-th Engine built in it."),
)


def rescore_section() -> list[str]:
    header = ("field", "type", "meaning")
    diff = [(f"`{name}`", kind, meaning) for name, kind, meaning in DIFF_ROW_FIELDS]
    result = [(f"`{name}`", kind, meaning) for name, kind, meaning in RESULT_ROW_FIELDS]
    return [
        RESCORE_INTRO,
        *_table(header, diff),
        "",
        "`legrules.spark.assess` gives one row per input row:",
        "",
        *_table(header, result),
    ]


def render(pack: RulePack) -> str:
    lines = [
        INTRO,
        *questions_section(pack),
        *recommendations_section(pack),
        *assessment_section(),
        *exit_codes_section(),
        "",
        *rescore_section(),
        *http_section(),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    try:
        text = render(load_pack(default_rules_dir()))
    except LegrulesError as error:
        sys.stderr.write(f"legrules.authoring.contract: {error}\n")
        sys.exit(EXIT_BAD_INPUT)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
