"""Rules and questions described for people: ``legrules rules show``, ``rules list``, ``questions``.

Like ``ruff rule``: a rule's title, rationale, sources, its conditions in readable form,
what it recommends or concludes, and which questions it reads, all computed from the
pack. Pure functions returning text or JSON-ready dicts; the CLI prints them.
"""

from __future__ import annotations

import os
from typing import Any

from legrules.logic.conditions import describe
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import GROUP_TITLES, Question
from legrules.pack.schema import (
    AllOf,
    AnyOf,
    Condition,
    NotOf,
    Rule,
    children,
    facts_read,
    findings_read,
)
from legrules.pack.typed import label
from legrules.pack.values import show_value
from legrules.text import wrap


def display_path(path: str) -> str:
    """A path relative to the working directory when it is inside it (shorter to read)."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    except ValueError:  # another drive on Windows
        return path


def condition_lines(condition: Condition, indent: str = "  ") -> list[str]:
    """A condition tree as an indented outline ("all of:", "any of:", leaves as words)."""
    if isinstance(condition, AllOf) and not condition.all:
        return [f"{indent}always (applies to everyone)"]
    if isinstance(condition, AllOf | AnyOf):
        head = "all of:" if isinstance(condition, AllOf) else "any of:"
        lines = [f"{indent}{head}"]
        for child in children(condition):
            sub = condition_lines(child, indent + "    ")
            lines.append(f"{indent}  - {sub[0].strip()}")
            lines.extend(sub[1:])
        return lines
    if isinstance(condition, NotOf):
        inner = condition_lines(condition.not_, indent + "    ")
        if len(inner) == 1:
            return [f"{indent}not {inner[0].strip()}"]
        return [f"{indent}not:", *inner]
    return [f"{indent}{describe(condition)}"]


def rule_to_dict(pack: RulePack, rule: Rule) -> dict[str, Any]:
    """Everything ``rules show`` prints, as JSON-ready data."""
    questions = pack.questions()
    catalogue = pack.recommendations()
    location = pack.locations.get(rule.id)
    return {
        "id": rule.id,
        "title": rule.title,
        "version": rule.version,
        "status": rule.status,
        "provenance": rule.provenance,
        "priority": rule.priority,
        "tags": list(rule.tags),
        "kb": list(rule.kb),
        "location": display_path(str(location)) if location else None,
        "rationale": " ".join(rule.because.split()),
        "when": rule.when.model_dump(mode="json", by_alias=True, exclude_none=True),
        "when_text": describe(rule.when),
        "recommends": [
            {
                "id": rec.id,
                "title": catalogue[rec.id].title,
                "kind": catalogue[rec.id].kind,
                "detail": " ".join(rec.detail.split()) if rec.detail else None,
                "urgency": rec.urgency,
                "emphasis": rec.emphasis,
            }
            for rec in rule.then.recommend
        ],
        "derives": [
            {"finding": name, "read_by": list(pack.index.read_by.get(name, ()))}
            for name in rule.then.derive
        ],
        "suppresses": (rule.then.suppress.model_dump(mode="json") if rule.then.suppress else None),
        "plan": rule.then.plan.model_dump(mode="json") if rule.then.plan else None,
        "reads_questions": [
            {"id": fact, "prompt": " ".join(questions[fact].prompt.split())}
            for fact in facts_read(rule.when)
        ],
        "reads_findings": [
            {"finding": name, "derived_by": list(pack.index.derived_by.get(name, ()))}
            for name in findings_read(rule.when)
        ],
        "sources": [
            {
                "ref": source.ref,
                "title": pack.meta.references[source.ref].title,
                "kind": pack.meta.references[source.ref].kind,
                "quote": source.quote,
                "note": " ".join(source.note.split()) if source.note else None,
            }
            for source in rule.sources
        ],
    }


def rule_summary(rule: Rule) -> dict[str, Any]:
    """One line of a rule listing as data: `legrules rules list --json` and GET
    /v1/rules give the same fields from here."""
    return {
        "id": rule.id,
        "title": rule.title,
        "provenance": rule.provenance,
        "status": rule.status,
        "priority": rule.priority,
        "tags": list(rule.tags),
        "version": rule.version,
    }


def rule_text(pack: RulePack, rule: Rule) -> str:
    """``legrules rules show ID``: the rule explained, like ``ruff rule``."""
    data = rule_to_dict(pack, rule)
    out = [f"{rule.id}: {rule.title}", ""]
    meta = (
        f"version {rule.version} | {rule.status} | provenance {rule.provenance} | "
        f"priority {rule.priority}"
    )
    if rule.tags:
        meta += f" | tags {', '.join(rule.tags)}"
    out.append(meta)
    if data["location"]:
        out.append(f"defined at {data['location']}")
    out += ["", "Why", *wrap(rule.because, "  "), "", "When", *condition_lines(rule.when)]
    out += ["", "Then"]
    for rec in data["recommends"]:
        extra = f", urgency {rec['urgency']}" if rec["urgency"] else ""
        out.append(f"  recommends {rec['id']} ({rec['title']}, {rec['kind']}{extra})")
        if rec["emphasis"]:
            out.extend(wrap(f"cue: {rec['emphasis']}", "      ", first="      "))
        if rec["detail"]:
            out.extend(wrap(rec["detail"], "      ", first="      "))
    for item in data["derives"]:
        read_by = ", ".join(item["read_by"]) or "no rule"
        out.extend(
            wrap(f"concludes finding {item['finding']} (read by {read_by})", "      ", first="  ")
        )
    if rule.then.suppress is not None:
        targets = [*rule.then.suppress.recommendations]
        targets += [f"every {kind}" for kind in rule.then.suppress.kinds]
        out.append(f"  withholds {', '.join(targets)}")
    if rule.then.plan is not None:
        change = rule.then.plan
        if change.first:
            out.append(f"  plan: puts {', '.join(change.first)} first on its day")
        for note in change.notes:
            out.extend(wrap(f"plan note: {note}", "      ", first="  "))
        for day_note in change.day_notes:
            out.extend(wrap(f"plan note on {day_note.day}: {day_note.text}", "      ", first="  "))
        if change.schedule:
            out.append(f"  plan: schedule {change.schedule}")
        if change.extra_day:
            out.append(f"  plan: adds the optional day {change.extra_day}")
    out += ["", "Reads questions"]
    if not data["reads_questions"]:
        out.append("  none (it applies to everyone)")
    for item in data["reads_questions"]:
        out.extend(wrap(f"{item['id']}: {item['prompt']}", "      ", first="  "))
    if data["reads_findings"]:
        out += ["", "Reads findings"]
        for item in data["reads_findings"]:
            derived = ", ".join(item["derived_by"])
            out.extend(wrap(f"{item['finding']} (derived by {derived})", "      ", first="  "))
    out += ["", "Sources"]
    for source in data["sources"]:
        out.extend(
            wrap(f"{source['ref']}: {source['title']} ({source['kind']})", "      ", first="  ")
        )
        if source["quote"]:
            out.extend(wrap(f'"{source["quote"]}"', "      ", first="      "))
        if source["note"]:
            out.extend(wrap(f"note: {source['note']}", "      ", first="      "))
    return "\n".join(out) + "\n"


def rule_rows(rules: list[Rule]) -> list[list[str]]:
    """``rules list`` rows: id, provenance, status, priority, title."""
    return [[r.id, r.provenance, r.status, str(r.priority), r.title] for r in rules]


def filter_rules(
    pack: RulePack,
    *,
    tags: tuple[str, ...] = (),
    provenance: str | None = None,
    status: str | None = None,
) -> list[Rule]:
    """Rules in firing order, keeping those with any of ``tags`` and the given fields."""
    return [
        rule
        for rule in pack.rules
        if (not tags or set(tags) & set(rule.tags))
        and (provenance is None or rule.provenance == provenance)
        and (status is None or rule.status == status)
    ]


def allowed_words(question: Question) -> str:
    if question.type == "bool":
        return "yes/no (true or false)"
    if question.type == "int":
        return f"a whole number {question.min}-{question.max}"
    values = ", ".join(question.values or [])
    return f"one of: {values}" if question.type == "enum" else f"any of: {values}"


def default_words(question: Question) -> str:
    if question.default_from is not None:
        cases = ", ".join(
            f"{key} -> {show_value(value, question, 'both')}"
            for key, value in question.default_from.cases.items()
        )
        base = f"depends on {question.default_from.question} ({cases})"
        if question.default is not None:
            return f"{base}, otherwise {show_value(question.default, question, 'both')}"
        return f"{base}, otherwise none (unanswered)"
    if question.default is None:
        return "none (unanswered unless you answer it)"
    return show_value(question.default, question, "both")


def questions_text(pack: RulePack) -> str:
    """``legrules questions``: every question by group, with allowed values and default."""
    out: list[str] = []
    group = None
    for question in pack.questionnaire.questions:
        if question.group != group:
            group = question.group
            if out:
                out.append("")
            title = GROUP_TITLES.get(group, group)
            out += [title, "-" * len(title)]
        out.append(question.id)
        out.extend(wrap(question.prompt, "    "))
        out.extend(wrap(f"answer: {allowed_words(question)}", "      ", first="    "))
        out.extend(wrap(f"default: {default_words(question)}", "      ", first="    "))
    out += [
        "",
        "Show one question in full, with why it is asked: legrules questions ID",
    ]
    return "\n".join(out) + "\n"


def question_text(pack: RulePack, question: Question, why_lines: list[str]) -> str:
    """One question in full: prompt, help, choices with labels, default, skip, why."""
    title = GROUP_TITLES.get(question.group, question.group)
    code = f" ({question.code})" if question.code else ""
    out = [f"{question.id}{code} - {title}", ""]
    out.extend(wrap(question.prompt, "  "))
    if question.help:
        out.extend(wrap(question.help, "  "))
    out += ["", f"Answer: {allowed_words(question)}"]
    for value in question.values or []:
        out.append(f"  {value}: {label(question, value)}")
    out.append(f"Default: {default_words(question)}")
    for condition in question.skip_if:
        values = ", ".join(str(v) for v in condition.any_of)
        out.append(f"Skipped (interactive) when {condition.question} is {values}")
    out.append("")
    for line in why_lines:
        indent = line[: len(line) - len(line.lstrip())]
        out.extend(wrap(line, indent + "  ", first=indent))
    return "\n".join(out) + "\n"
