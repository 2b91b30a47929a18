"""The compact form of an Assessment: the same information without the pack's text.

An Assessment is self-contained: every reason repeats its rule's title, rationale and
source, every recommendation its catalogue text, the plan its template's titles, each
firing its rule's version and what the rule asserts. Stored next to the pack itself
(the audit log keeps each pack once per fingerprint) or written by the hundred thousand
(batch output), that text is most of every record. The compact form leaves out exactly
what the pack that made the assessment (``ruleset.fingerprint``) gives back:

* a recommendation's ``kind``, ``title`` and ``detail`` (the catalogue's, by its id);
* a reason's ``rule_version``, ``title``, ``rationale``, ``source``, ``provenance`` and
  ``detail`` (the rule's, by ``rule`` and the recommendation's id);
* a plan day's ``title`` and ``focus``, an item's ``title``, ``sets``, ``reps``,
  ``per_leg``, ``prescription_source`` and ``note`` (the catalogue's), what it says of
  the slot's own exercise as an option, and the ``progression`` its numbers give; a
  schedule choice's ``title`` and ``detail``;
* a firing's ``version`` and its ``asserted.recommend`` and ``asserted.derive``;
* the ``answers`` of a reason or firing, when each is the assessment's own answer to
  that question: then a list of the question ids.

A field is left out only where its value is exactly what the pack gives back, so
nothing the pack does not say is lost (an optional day's item keeps its own numbers,
a reason quoting a redacted answer its hash). :func:`expand` restores the full form,
field for field and in the models' order: ``expand(compact(a), pack)`` is ``a``'s JSON
(tests/test_compact.py, on 400 varied documents). A compact document is marked by its
``"compact": 1`` key, which no Assessment has. Fields it does not know (added to the
Assessment later) are kept as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import from_json, to_json

from legrules.pack.model import RulePack
from legrules.run.assessment import (
    Assessment,
    Firing,
    Plan,
    PlanDay,
    PlanItem,
    Reason,
    Recommendation,
    ScheduleChoice,
    TraceAsserted,
    TraceMatch,
)
from legrules.run.recommend import source_text
from legrules.run.wording import progression

#: The key (and its value) that marks a compact document.
MARKER = "compact"
FORM = 1

#: What the compact form leaves out, where, and what gives it back (docs/CONTRACT.md is
#: generated from this list). Each is left out only where its value is exactly that.
LEFT_OUT: tuple[tuple[str, str, str], ...] = (
    ("`answers`", "an answer equal to its question's fixed default", "the questionnaire"),
    (
        "`recommendations[]`",
        "`kind`, `title`, `detail`",
        "the catalogue entry of its `id`",
    ),
    (
        "`recommendations[].because[]`",
        "`rule_version`, `title`, `rationale`, `source`, `provenance`, `detail`; "
        "`findings` when empty",
        "the rule `rule` (and what it says about the recommendation)",
    ),
    (
        "`recommendations[].because[].answers`, `trace[].matched.answers`",
        "the values, when each is the assessment's own answer: a list of question ids",
        "`answers`",
    ),
    ("`plan.days[]`", "`title`, `focus`", "the template or optional day of its `id`"),
    (
        "`plan.days[].items[]`",
        "`title`, `sets`, `reps`, `per_leg`, `cue`, `prescription_source`, `note`; when "
        "the slot holds its own exercise, `option`, `option_provenance`, `option_source`, "
        "`options_skipped` (empty) and `requires_equipment` (null)",
        "the catalogue entry of its `exercise`",
    ),
    (
        "`plan.days[].items[].progression`",
        "the sentence its own `sets`, `reps` and `per_leg` give",
        "the item's numbers",
    ),
    ("`plan.schedule`", "`title`, `detail`", "the schedule of its `id`"),
    (
        "`trace[]`",
        "`version`; `branch` when it is the rule id; `matched.findings` when empty; "
        "`asserted.recommend`, `asserted.derive`; `asserted.suppress` when empty",
        "the rule `rule`",
    ),
)

Data = dict[str, Any]
_MISSING = object()


class PackText:
    """What the compact form leaves out, for one pack: looked up by rule, recommendation,
    day, exercise and schedule id. Made once per pack (see :func:`pack_text`)."""

    def __init__(self, pack: RulePack) -> None:
        catalogue = pack.recommendations()
        self.recommendations = {
            rec_id: {"kind": d.kind, "title": d.title, "detail": d.detail}
            for rec_id, d in catalogue.items()
        }
        self.items: dict[str, Data] = {}
        for rec_id, d in catalogue.items():
            item: Data = {"title": d.title}
            if d.prescription is not None:
                item.update(
                    sets=d.prescription.sets,
                    reps=d.prescription.reps,
                    per_leg=d.prescription.per_leg,
                    prescription_source=d.prescription.source,
                    note=d.prescription.note,
                    cue=d.prescription.cue,
                )
            if d.kind == "exercise":
                # the slot's own exercise planned as itself: what the catalogue says of it
                own = pack.catalogue.choices(rec_id)[0]
                item.update(
                    option=rec_id,
                    option_provenance=own.provenance,
                    option_source=own.source,
                    options_skipped=[],
                    requires_equipment=None,
                )
            self.items[rec_id] = item
        self.days = {
            day.id: {"title": day.title, "focus": day.focus}
            for day in [*pack.catalogue.template, *pack.catalogue.optional_days]
        }
        # answers a question takes by default whatever else was answered
        self.defaults = {
            q.id: q.default
            for q in pack.questionnaire.questions
            if q.default is not None and q.default_from is None
        }
        self.questions = [q.id for q in pack.questionnaire.questions]
        self.schedules = {
            s.id: {"title": s.title, "detail": s.detail} for s in pack.catalogue.schedules
        }
        self.reasons: dict[str, Data] = {}
        self.details: dict[tuple[str, str], str | None] = {}
        self.firings: dict[str, Data] = {}
        for rule in pack.rules:
            self.reasons[rule.id] = {
                "rule_version": rule.version,
                "title": rule.title,
                "rationale": rule.because,
                "source": source_text(pack, rule),
                "provenance": rule.provenance,
            }
            for rec in rule.then.recommend:
                self.details.setdefault((rule.id, rec.id), rec.detail)
            self.firings[rule.id] = {
                "version": rule.version,
                "recommend": [rec.id for rec in rule.then.recommend],
                "derive": list(rule.then.derive),
            }

    def reason(self, rule_id: Any, rec_id: Any) -> Data:
        given = self.reasons.get(rule_id)
        if given is None:
            return {}
        return {**given, "detail": self.details.get((rule_id, rec_id))}


_TEXTS: dict[int, tuple[RulePack, PackText]] = {}
_TEXTS_LOCK = threading.Lock()


def pack_text(pack: RulePack) -> PackText:
    """The pack's :class:`PackText`, kept for the packs in use (a handful per process)."""
    with _TEXTS_LOCK:
        found = _TEXTS.get(id(pack))
        if found is not None and found[0] is pack:
            return found[1]
    made = PackText(pack)
    with _TEXTS_LOCK:
        if len(_TEXTS) >= 8:
            _TEXTS.clear()
        _TEXTS[id(pack)] = (pack, made)
    return made


def is_compact(data: Mapping[str, Any]) -> bool:
    return data.get(MARKER) == FORM


def compact(assessment: Assessment | Mapping[str, Any], pack: RulePack) -> Data:
    """The compact form of ``assessment`` (a model or its JSON as a dict), made by
    ``pack``. This is the function other code calls (the audit log, batch output)."""
    data = (
        assessment.model_dump(mode="json")
        if isinstance(assessment, Assessment)
        else dict(assessment)
    )
    if is_compact(data):
        return data
    text = pack_text(pack)
    answers = data.get("answers") or {}
    out: Data = {MARKER: FORM}
    for key, value in data.items():
        out[key] = _compact_part(key, value, text, answers)
    return out


def _compact_part(key: str, value: Any, text: PackText, answers: Mapping[str, Any]) -> Any:
    if key == "recommendations":
        return [_compact_recommendation(rec, text, answers) for rec in value]
    if key == "plan" and value is not None:
        return _compact_plan(value, text)
    if key == "trace":
        return [_compact_firing(firing, text, answers) for firing in value]
    if key == "answers" and list(value) == text.questions:
        return _without(value, text.defaults)
    return value


def expand(data: Mapping[str, Any], pack: RulePack) -> Data:
    """The full JSON form (as ``Assessment.model_dump(mode="json")`` gives it) of a
    compact document made by ``pack``; a full document is returned as it is."""
    if not is_compact(data):
        return dict(data)
    data = from_json(to_json(data))  # a deep copy: the result shares nothing with it
    text = pack_text(pack)
    answers = _all_answers(data.get("answers") or {}, text)
    full = {
        key: answers if key == "answers" else _expand_part(key, value, text, answers)
        for key, value in data.items()
        if key != MARKER
    }
    return _ordered(full, Assessment)


def _expand_part(key: str, value: Any, text: PackText, answers: Mapping[str, Any]) -> Any:
    if key == "recommendations":
        return [_expand_recommendation(rec, text, answers) for rec in value]
    if key == "plan" and value is not None:
        return _expand_plan(value, text)
    if key == "trace":
        return [_expand_firing(firing, text, answers) for firing in value]
    return value


# -- leaving out ------------------------------------------------------------------------


def _without(data: Mapping[str, Any], given: Mapping[str, Any]) -> Data:
    """``data`` without the fields whose value is exactly the one ``given`` holds."""
    return {k: v for k, v in data.items() if k not in given or given[k] != v or _typed(v, given[k])}


def _typed(value: Any, given: Any) -> bool:
    """True where == says equal but JSON would not (True == 1): such a value is kept."""
    return type(value) is not type(given)


def _quoted(matched: Any, answers: Mapping[str, Any]) -> Any:
    """A reason's or firing's answers as question ids, when each is the answer given."""
    if isinstance(matched, dict) and all(
        k in answers and answers[k] == v and not _typed(v, answers[k]) for k, v in matched.items()
    ):
        return list(matched)
    return matched


def _compact_recommendation(
    rec: Mapping[str, Any], text: PackText, answers: Mapping[str, Any]
) -> Data:
    out = _without(rec, text.recommendations.get(str(rec.get("id")), {}))
    if "because" in out:
        out["because"] = [
            {
                **_without(
                    reason, {**text.reason(reason.get("rule"), rec.get("id")), "findings": []}
                ),
                **({"answers": _quoted(reason["answers"], answers)} if "answers" in reason else {}),
            }
            for reason in rec["because"]
        ]
    return out


def _compact_plan(plan: Mapping[str, Any], text: PackText) -> Data:
    out = dict(plan)
    out["days"] = [
        {
            **_without(day, text.days.get(day.get("id"), {})),
            "items": [
                _without(item, {**text.items.get(item.get("exercise"), {}), **_implied(item)})
                for item in day.get("items", [])
            ],
        }
        for day in plan.get("days", [])
    ]
    schedule = plan.get("schedule")
    if schedule is not None:
        out["schedule"] = _without(schedule, text.schedules.get(schedule.get("id"), {}))
    return out


def _compact_firing(firing: Mapping[str, Any], text: PackText, answers: Mapping[str, Any]) -> Data:
    given = text.firings.get(str(firing.get("rule")), {})
    implied = {"version": given.get("version", _MISSING), "branch": firing.get("rule")}
    out = _without(firing, implied)
    if "matched" in firing:
        matched = _without(firing["matched"], {"findings": []})
        if "answers" in matched:
            matched["answers"] = _quoted(matched["answers"], answers)
        out["matched"] = matched
    if "asserted" in firing:
        asserted = _without(firing["asserted"], {**given, "suppress": []})
        if asserted:
            out["asserted"] = asserted
        else:
            del out["asserted"]
    return out


# -- giving back ------------------------------------------------------------------------


def _all_answers(stored: Mapping[str, Any], text: PackText) -> Data:
    """Every question's answer in questionnaire order, defaults given back."""
    if any(q not in stored and q not in text.defaults for q in text.questions):
        return dict(stored)  # not a whole answer set: it was stored as it was
    out = {q: stored[q] if q in stored else _copied(text.defaults[q]) for q in text.questions}
    out.update((k, v) for k, v in stored.items() if k not in out)
    return out


def _ordered(data: Mapping[str, Any], model: type[BaseModel]) -> Data:
    """``data``'s fields in ``model``'s order (the order its JSON has), others after."""
    out = {name: data[name] for name in model.model_fields if name in data}
    out.update((k, v) for k, v in data.items() if k not in out)
    return out


def _filled(data: Mapping[str, Any], given: Mapping[str, Any], model: type[BaseModel]) -> Data:
    """``data`` with the fields it leaves out taken from ``given`` (lists copied: the
    pack's are shared by every document expanded)."""
    fields = model.model_fields  # once: each look-up runs pydantic's class property
    filled = {
        k: list(v) if isinstance(v, list) else v
        for k, v in given.items()
        if k in fields and k not in data
    }
    return _ordered({**filled, **data}, model)


def _copied(value: Any) -> Any:
    """A list copied: the expanded document shares none with the pack or itself."""
    return list(value) if isinstance(value, list) else value


def _answers(matched: Any, answers: Mapping[str, Any]) -> Any:
    if isinstance(matched, list):
        return {k: _copied(answers[k]) for k in matched}
    return matched


def _expand_recommendation(
    rec: Mapping[str, Any], text: PackText, answers: Mapping[str, Any]
) -> Data:
    out = _filled(rec, text.recommendations.get(str(rec.get("id")), {}), Recommendation)
    if "because" in out:
        out["because"] = [
            _filled(
                {**reason, "answers": _answers(reason.get("answers"), answers)},
                {**text.reason(reason.get("rule"), rec.get("id")), "findings": []},
                Reason,
            )
            for reason in rec["because"]
        ]
    return out


def _expand_plan(plan: Mapping[str, Any], text: PackText) -> Data:
    out = dict(plan)
    out["days"] = [
        _filled(
            {
                **day,
                "items": [_expand_item(item, text) for item in day.get("items", [])],
            },
            text.days.get(day.get("id"), {}),
            PlanDay,
        )
        for day in plan.get("days", [])
    ]
    schedule = plan.get("schedule")
    if schedule is not None:
        out["schedule"] = _filled(
            schedule, text.schedules.get(schedule.get("id"), {}), ScheduleChoice
        )
    return _ordered(out, Plan)


def _expand_item(item: Mapping[str, Any], text: PackText) -> Data:
    given = text.items.get(str(item.get("exercise")), {})
    if "progression" in item:
        return _filled(item, given, PlanItem)
    # the progression follows from the numbers, which may themselves come from the pack
    numbers = {**given, **item}
    return _filled(item, {**given, **_implied(numbers)}, PlanItem)


def _implied(item: Mapping[str, Any]) -> Data:
    """What an item's own numbers give: its progression sentence (see run.wording)."""
    return {
        "progression": progression(item.get("sets"), item.get("reps"), bool(item.get("per_leg")))
    }


def _expand_firing(firing: Mapping[str, Any], text: PackText, answers: Mapping[str, Any]) -> Data:
    given = text.firings.get(str(firing.get("rule")), {})
    implied = {"version": given["version"]} if given else {}
    out = _filled(firing, {**implied, "branch": firing.get("rule")}, Firing)
    if "matched" in firing:
        matched = {"findings": [], **firing["matched"]}
        matched["answers"] = _answers(matched.get("answers"), answers)
        out["matched"] = _ordered(matched, TraceMatch)
    out["asserted"] = _filled(firing.get("asserted", {}), {**given, "suppress": []}, TraceAsserted)
    return out
