"""Turn an Assessment (and explanations) into text or Markdown for a person.

Pure functions: nothing here prints. The report is written for a lifter who has never
heard of a rule engine: safety first, then what the answers showed in plain words, each
recommendation with a one-line why, the two-day plan as a table, and the habits to fix.
Rule ids, versions and sources appear only in the explanation (``explain=True``), which
is for a coach or an auditor.

The report is built once as sections of blocks (:func:`report`); the text and the
Markdown are that one model written by :mod:`legrules.report.document`, so they cannot drift.

``pack`` is optional everywhere: with it, answers are shown with the questionnaire's
labels ("Glutes" rather than ``glutes``); without it, the raw values are shown.
``style`` lets the CLI add colour (it passes ``click.style`` only when colour is allowed);
the library itself never emits escape codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from legrules.explain.whynot import finding_sources
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue, Question
from legrules.pack.schema import FactLeaf, Rule, walk
from legrules.pack.typed import label
from legrules.pack.values import Form, show_value
from legrules.report.document import (
    Block,
    Document,
    Footer,
    Item,
    Items,
    Paragraph,
    Part,
    Section,
    Style,
    Table,
    Verbatim,
    to_markdown,
    to_text,
)
from legrules.run.assessment import (
    Assessment,
    MeasuredAnswer,
    PlanDay,
    PlanItem,
    Reason,
    Recommendation,
)
from legrules.text import WIDTH, wrap

_URGENCY_WORDS = {
    "emergency": "now",
    "same_day": "today",
    "soon": "soon",
    "routine": "when you can",
}


_PARENTHESES = re.compile(r"\s*\(.*?\)")


def short_title(title: str) -> str:
    """The finding half of a rule title: ``Glutes take over in squats - add ...`` -> first."""
    head, _, rest = title.partition(" - ")
    head = head.strip()
    if len(head.split()) < 2 and rest:  # "Goal - quad development (...)": say which goal
        which = _PARENTHESES.sub("", rest).strip()
        head = f"{head}: {which}"
    return head[:1].upper() + head[1:]


@dataclass(frozen=True)
class _Labels:
    """Plain-words helpers that use the questionnaire when a pack is given."""

    questions: Mapping[str, Question]
    equipment: Question | None
    rules: Mapping[str, Rule]

    @classmethod
    def of(cls, pack: RulePack | None) -> _Labels:
        questions = pack.questions() if pack is not None else {}
        rules = pack.rules_by_id() if pack is not None else {}
        return cls(questions, questions.get("equipment"), rules)

    def mentioned(self, rule_id: str, question_id: str, value: AnswerValue) -> AnswerValue:
        """For a multi-select, only the picks the rule's ``contains`` tests name."""
        rule = self.rules.get(rule_id)
        if rule is None or not isinstance(value, list):
            return value
        named: set[str] = set()
        for node, negated in walk(rule.when):
            if isinstance(node, FactLeaf) and node.fact == question_id and not negated:
                if node.op != "contains":
                    return value
                named.update(node.value if isinstance(node.value, list) else [node.value])
        picked = [item for item in value if item in named]
        return picked or value

    def telling(self, rule_id: str, answers: Mapping[str, AnswerValue]) -> list[str]:
        """The answers that say something about the person, for "What we found".

        Answers a rule only needs to be absent (under ``not``, ``empty: true``,
        ``missing``) are its exclusions, such as "no sharp pain": true, but not a
        finding. They stay in the explanation; if nothing else is left, they are kept.
        """
        rule = self.rules.get(rule_id)
        if rule is None:
            return list(answers)
        positive = {
            node.fact
            for node, negated in walk(rule.when)
            if isinstance(node, FactLeaf)
            and not negated
            and node.op != "missing"
            and not (node.op == "empty" and node.value is True)
        }
        kept = [q for q in answers if q in positive]
        return kept or list(answers)

    def answer(self, question_id: str, value: AnswerValue, form: Form = "words") -> str:
        return show_value(value, self.questions.get(question_id), form)

    def said(self, question_id: str, value: AnswerValue) -> str:
        question = self.questions.get(question_id)
        prompt = _ask(question.prompt) if question else question_id
        return f"{prompt} {self.answer(question_id, value)}"

    def gear(self, option: Sequence[str]) -> str:
        if self.equipment is None:
            return " + ".join(option)
        return " + ".join(label(self.equipment, item) for item in option)


def _ask(prompt: str) -> str:
    """A prompt without its answering instructions ("Pick all that apply.")."""
    sentences = re.split(r"(?<=[.?!])\s+", " ".join(prompt.split()))
    kept = [x for x in sentences if not x.startswith(("Pick ", "Answer "))]
    return " ".join(kept or sentences)


def why_line(rec: Recommendation) -> str:
    """One line saying why: the finding half of each reason's rule title."""
    titles = list(dict.fromkeys(short_title(reason.title) for reason in rec.because))
    return "; ".join(titles)


NOT_GIVEN = "sets x reps not given by the article"


def dose(item: PlanItem, *, short: bool = False) -> str:
    """Sets x reps as the plan gives them, never attributing a number to the article
    that it does not give (``short``: the table cell, with the rest in a note)."""
    if not (item.sets and item.reps):
        return "not given" if short else NOT_GIVEN
    text = f"{item.sets} x {item.reps}" + (" per leg" if item.per_leg else "")
    if item.prescription_source == "not_specified":
        text += " (not from the article)"
    return text


def _rule_titles(assessment: Assessment) -> dict[str, str]:
    titles: dict[str, str] = {}
    for rec in assessment.recommendations:
        for reason in rec.because:
            titles.setdefault(reason.rule, reason.title)
    return titles


def _item_why(item: PlanItem, titles: Mapping[str, str]) -> str:
    parts = [short_title(titles[rule]) for rule in item.because if rule in titles]
    return "; ".join(dict.fromkeys(parts)) or "The article's two-day template"


def _found(assessment: Assessment, labels: _Labels) -> list[tuple[str, list[str]]]:
    """What the answers showed: each fired rule that read an answer, with what was said.

    In a referral only the rules behind the safety advice are shown: the rest was held
    back, and listing it would read like advice.
    """
    titles = {rule_id: rule.title for rule_id, rule in labels.rules.items()}
    titles.update(
        (reason.rule, reason.title) for rec in assessment.recommendations for reason in rec.because
    )
    surviving = {reason.rule for rec in assessment.recommendations for reason in rec.because}
    out: list[tuple[str, list[str]]] = []
    measured = _measured(assessment)
    derived_by = finding_sources(assessment)
    seen: set[str] = set()
    for firing in assessment.trace:
        answers = firing.matched.answers
        if not answers and not firing.matched.findings:  # applies to everyone
            continue
        if assessment.status == "referral" and firing.rule not in surviving:
            continue
        title = short_title(titles.get(firing.rule, firing.rule.replace("-", " ")))
        if title in seen:
            continue
        seen.add(title)
        said = [
            labels.said(q, labels.mentioned(firing.rule, q, answers[q]))
            + (FROM_LOG if measured.get(q) is not None else "")
            for q in labels.telling(firing.rule, answers)
        ]
        sources = [
            short_title(titles.get(rule, rule))
            for name in firing.matched.findings
            for rule in derived_by.get(name, [])
        ]
        if sources:
            said.append("follows from: " + "; ".join(dict.fromkeys(sources)))
        out.append((title, said))
    return out


def _plan_rows(day: PlanDay, titles: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """A day's table; a cell without numbers says only "not given", a note says more."""
    rows = [("Exercise", "Sets x reps", "Cue", "Why")]
    for item in day.items:
        name = item.title + (" *" if item.equipment_ok is False else "")
        rows.append((name, dose(item, short=True), item.cue or "-", _item_why(item, titles)))
    return tuple(rows)


def _day_notes(day: PlanDay, labels: _Labels) -> list[Item]:
    """Notes under a day's table: numbers the article does not give, missing equipment,
    then the day's own notes."""
    notes = []
    for item in day.items:
        if item.prescription_source == "not_specified":
            text = f"{item.title}: {NOT_GIVEN}"
            if item.note:
                text += f" ({' '.join(item.note.split())})"
            notes.append(Item(text, marker=""))
    for item in day.items:
        if item.equipment_ok is False and item.requires_equipment:
            options = " or ".join(labels.gear(option) for option in item.requires_equipment)
            text = f"{item.title}: your equipment cannot do this yet; it needs {options}."
            notes.append(Item(text, marker="*"))
    notes += [Item(f"Note: {note.text}", marker="") for note in day.notes]
    return notes


_REFERRAL_TEXT = (
    "Something in your answers needs a professional's check first, so this assessment "
    "gives you no training plan. Please follow the advice below before you start or step "
    "up your training."
)
_NO_SAFETY_TEXT = "Nothing in your answers needs a professional's attention first."
_NOTHING_FOUND_TEXT = "Nothing in your answers points to a specific weak spot."
_DISCLAIMER = (
    "This is training guidance from one article plus a safety screen, not medical advice. "
    "If anything hurts or worries you, see a qualified professional."
)
_EXPLAIN_HINT = "Add --explain to see the reasoning behind each recommendation."


def report(
    assessment: Assessment, pack: RulePack | None = None, *, explain: bool = False
) -> Document:
    """The report as sections of blocks, built once for the text and the Markdown.

    Sections: safety first; what the answers showed, in plain words; the exercises
    recommended, each with a one-line why; the weekly plan as a table (exercise, sets x
    reps, cue, why); the habits to fix. ``explain`` adds each recommendation's full
    reasoning chain (rule, matched answers, rationale, source).
    """
    labels = _Labels.of(pack)
    sections = [
        _safety(assessment),
        _clarify(assessment),
        _training_log(assessment, labels),
        _findings(assessment, labels),
        _exercises(assessment),
        _plan(assessment, labels),
        _habits(assessment),
        _held_back(assessment),
    ]
    if explain:
        how = Verbatim(lambda width: explanation_lines(assessment, pack, width=width))
        sections.append(Section("How each recommendation was reached", (how,)))
    ruleset = assessment.ruleset
    footer = Footer(
        _DISCLAIMER,
        "" if explain else _EXPLAIN_HINT,
        (ruleset.name, ruleset.version, ruleset.fingerprint),
    )
    chosen = tuple(section for section in sections if section is not None)
    return Document("Your leg-training assessment", chosen, footer)


def render_text(
    assessment: Assessment,
    pack: RulePack | None = None,
    *,
    explain: bool = False,
    style: Style | None = None,
    width: int = WIDTH,
) -> str:
    """The report for a person (plain text; colour only through ``style``); see
    :func:`report`."""
    return to_text(report(assessment, pack, explain=explain), style, width)


def render_markdown(
    assessment: Assessment, pack: RulePack | None = None, *, explain: bool = False
) -> str:
    """The same report as :func:`render_text`, as Markdown (headings, lists, tables)."""
    return to_markdown(report(assessment, pack, explain=explain))


def _entry(rec: Recommendation, marker: str = "*", role: str = "strong") -> Item:
    """A recommendation: the catalogue text, then the most specific rule's own words for
    this person, and a one-line why."""
    when = _URGENCY_WORDS.get(rec.urgency or "", "")
    specific = next((r.detail for r in rec.because if r.detail), None)
    return Item(
        rec.title,
        marker,
        role,
        bold=True,
        suffix=f" ({when})" if when else "",
        body=(rec.detail, specific) if specific else (rec.detail,),
        why=why_line(rec),
    )


def _of_kind(assessment: Assessment, kind: str) -> list[Recommendation]:
    return [rec for rec in assessment.recommendations if rec.kind == kind]


def screening_notice(assessment: Assessment) -> str | None:
    """The notice for a screening that was not (fully) answered, or None (issue 13).

    Every safety question has a harmless default, so without this a report of unanswered
    screening reads exactly like a clean one."""
    screening = assessment.screening
    if screening is None or screening.status == "complete":
        return None
    missing = ", ".join(screening.missing)
    if screening.status == "not_done":
        head = "The safety screening was not done: none of its questions was answered"
    else:
        head = "The safety screening is incomplete: some of its questions were not answered"
    return (
        f"{head}, so their defaults (no red flags) were assumed. Not answered: {missing}. "
        "Answer them before you rely on this result: they can change it."
    )


def _safety(assessment: Assessment) -> Section:
    referral = assessment.status == "referral"
    blocks: list[Block] = [Paragraph(_REFERRAL_TEXT, kind="alert")] if referral else []
    notice = screening_notice(assessment)
    if notice is not None:
        blocks.append(Paragraph(notice, kind="alert"))
    safety = _of_kind(assessment, "safety")
    role = "safety" if referral else "warn"
    if safety:
        blocks.append(Items(tuple(_entry(rec, "!", role) for rec in safety)))
    elif notice is None:  # never "nothing needs attention" about questions not asked
        blocks.append(Paragraph(_NO_SAFETY_TEXT))
    return Section("Safety first", tuple(blocks))


FROM_LOG = " (measured from your training log)"


def _measured(assessment: Assessment) -> dict[str, MeasuredAnswer]:
    use = assessment.training_log
    return {} if use is None else {m.question: m for m in use.measured}


def _training_log(assessment: Assessment, labels: _Labels) -> Section | None:
    """Near the top: where the log and the person's answers disagree (the clarify
    notes: the measured value was used), then every answer the log gave, with its
    evidence, so the lifter can check it against the log."""
    use = assessment.training_log
    if use is None:
        return None
    blocks: list[Block] = [
        Paragraph(m.note, lead="Please check", kind="alert") for m in use.measured if m.note
    ]
    files = "; ".join(
        f"{f.source} ({f.format}, {f.sets} sets, {f.first_date} to {f.last_date}"
        + (f", {f.skipped} rows skipped" if f.skipped else "")
        + ")"
        for f in use.logs
    )
    blocks.append(Paragraph(f"Read: {files}; judged as of {use.as_of}.", kind="aside"))
    if use.measured:
        blocks.append(
            Items(
                tuple(
                    Item(
                        labels.said(m.question, m.value),
                        points=(m.evidence.sentence,) if m.evidence is not None else (),
                    )
                    for m in use.measured
                )
            )
        )
    else:
        blocks.append(Paragraph("The log answered none of the questions."))
    if use.not_measured:
        missing = "; ".join(f"{n.question}: {n.reason}" for n in use.not_measured)
        blocks.append(Paragraph(f"Not measured (your own answer, if any, was used): {missing}"))
    return Section("Measured from your training log", tuple(blocks))


def _findings(assessment: Assessment, labels: _Labels) -> Section:
    found = _found(assessment, labels)
    block: Block = (
        Items(tuple(Item(title, bold=True, points=tuple(said)) for title, said in found))
        if found
        else Paragraph(_NOTHING_FOUND_TEXT)
    )
    return Section("What we found", (block,))


def _exercises(assessment: Assessment) -> Section | None:
    exercises = _of_kind(assessment, "exercise")
    if not exercises:
        return None
    targeted = [rec for rec in exercises if not _is_standard(rec)]
    standard = [rec for rec in exercises if _is_standard(rec)]
    blocks: list[Block] = [Items(tuple(_entry(rec) for rec in targeted))] if targeted else []
    if standard:
        names = ", ".join(rec.title for rec in standard)
        reasons = "; ".join(dict.fromkeys(why_line(rec) for rec in standard))
        blocks.append(Items((Item(f"Also in your plan: {names}.", why=reasons),)))
    return Section("Recommended exercises", tuple(blocks))


def _plan(assessment: Assessment, labels: _Labels) -> Section | None:
    plan = assessment.plan
    if plan is None:
        return None
    titles = _rule_titles(assessment)
    blocks: list[Block] = []
    if plan.schedule is not None:
        blocks.append(Paragraph(plan.schedule.detail, lead=plan.schedule.title))
    for day in plan.days:
        parts: list[Block] = [
            Paragraph(day.focus, kind="aside"),
            Table(_plan_rows(day, titles), fixed=(20, 19), shares=(9, 11)),
        ]
        notes = _day_notes(day, labels)
        if notes:
            parts.append(Items(tuple(notes), indent="  "))
        optional = " (optional)" if day.optional else ""
        blocks.append(Part(f"{day.title}{optional}", tuple(parts)))
    if plan.notes:
        blocks.append(Items(tuple(Item(n.text, marker="-") for n in plan.notes), indent="  "))
    return Section("Weekly plan", tuple(blocks))


CLARIFY = "clarify_answers"


def _clarify(assessment: Assessment) -> Section | None:
    """Answers that contradict each other, near the top: what follows rests on the
    assumption each note states (issue 13)."""
    rec = assessment.recommendation(CLARIFY)
    if rec is None:
        return None
    notes = [reason.detail for reason in rec.because if reason.detail] or [rec.detail]
    return Section("Check these answers", (Items(tuple(Item(note) for note in notes)),))


def _habits(assessment: Assessment) -> Section | None:
    habits = [rec for rec in _of_kind(assessment, "guidance") if rec.id != CLARIFY]
    if not habits:
        return None
    return Section("Habits to fix", (Items(tuple(_entry(rec) for rec in habits)),))


def _held_back(assessment: Assessment) -> Section | None:
    if not assessment.suppressed or assessment.status != "referral":
        return None
    count = len(assessment.suppressed)
    text = (
        f"{count} other recommendation{'s' if count != 1 else ''} and the training "
        "plan are held back until you have followed the safety advice."
    )
    return Section("Held back", (Paragraph(text),))


def _is_standard(rec: Recommendation) -> bool:
    """Made only by rules that apply to everyone (no answer or finding mattered)."""
    return all(not reason.answers and not reason.findings for reason in rec.because)


def _reason_lines(
    reason: Reason,
    labels: _Labels,
    sources: Mapping[str, list[str]],
    firings: Mapping[str, Mapping[str, AnswerValue]],
    measured: Mapping[str, MeasuredAnswer],
) -> list[str]:
    lines = [f"rule {reason.rule} (v{reason.rule_version}, {reason.provenance}): {reason.title}"]
    if reason.answers:
        for question_id, value in reason.answers.items():
            lines.append(f"  matched {question_id} = {labels.answer(question_id, value, 'both')}")
            evidence = measured.get(question_id)
            if evidence is not None and evidence.evidence is not None:
                lines.append(f"  from your training log: {evidence.evidence.sentence}")
    elif not reason.findings:
        lines.append("  matched: no answers needed (it applies to everyone not referred)")
    for name in reason.findings:
        by = sources.get(name, [])
        chain = ", ".join(f"{rule} ({_matched(firings.get(rule, {}))})" for rule in by)
        lines.append(f"  matched finding {name}, derived by {chain or 'an earlier rule'}")
    lines.append(f"  rationale: {' '.join(reason.rationale.split())}")
    lines.append(f"  source: {reason.source}")
    return lines


def _matched(answers: Mapping[str, AnswerValue]) -> str:
    return ", ".join(f"{question} = {show_value(value)}" for question, value in answers.items())


def explanation_lines(
    assessment: Assessment, pack: RulePack | None = None, *, width: int = WIDTH
) -> list[str]:
    """HOW: each recommendation's full reasoning chain (rule, answers, rationale, source)."""
    labels = _Labels.of(pack)
    sources = finding_sources(assessment)
    firings = {f.rule: f.matched.answers for f in assessment.trace}
    measured = _measured(assessment)
    out: list[str] = []
    for rec in assessment.recommendations:
        out.append(f"{rec.title} ({rec.id})")
        for number, reason in enumerate(rec.because, 1):
            lines = _reason_lines(reason, labels, sources, firings, measured)
            out.extend(wrap(lines[0], "       ", width, first=f"  {number}. "))
            for line in lines[1:]:
                out.extend(wrap(line.strip(), "         ", width, first="     "))
        out.append("")
    if assessment.suppressed:
        out.append("Withheld")
        for item in assessment.suppressed:
            made = ", ".join(item.made_by)
            out.extend(
                wrap(
                    f"{item.recommendation}: made by {made}, withheld by {item.by}",
                    "    ",
                    width,
                    first="  - ",
                )
            )
        out.append("")
    if assessment.findings:
        out.append("Findings")
        for name in assessment.findings:
            by = ", ".join(sources.get(name, []))
            out.append(f"  - {name} (derived by {by})")
        out.append("")
    fired = ", ".join(f.rule for f in assessment.trace) or "none"
    out.extend(wrap(f"Rules fired, in order: {fired}", "    ", width))
    return out
