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
from legrules.run.plan import PLAN_FACTS
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


#: The why of everything the article gives everyone (rules that read no answer).
BASE_PLAN = "part of every plan"

#: Answers about the lifter's circumstances rather than their body or habits: a rule that
#: reads only these makes a choice, not a finding, so "What we found" does not list it.
_CONTEXT_GROUPS = frozenset({"equipment", "schedule", "goals"})


#: A why names at most this many findings; "--explain" has every rule behind it.
_MOST_REASONS = 2


@dataclass(frozen=True)
class _Context:
    """What every section needs besides the assessment: labels, the rules that apply to
    everyone, the answers that are assumptions (defaults) and the rules' titles."""

    labels: _Labels
    everyone: frozenset[str]
    assumed: frozenset[str]
    titles: Mapping[str, str]

    @classmethod
    def of(cls, assessment: Assessment, pack: RulePack | None) -> _Context:
        labels = _Labels.of(pack)
        everyone = frozenset(
            f.rule for f in assessment.trace if not f.matched.answers and not f.matched.findings
        )
        given = assessment.given
        assumed = frozenset() if given is None else frozenset(assessment.answers) - set(given)
        titles = {rule_id: rule.title for rule_id, rule in labels.rules.items()}
        titles.update((r.rule, r.title) for rec in assessment.recommendations for r in rec.because)
        return cls(labels, everyone, assumed, titles)

    def title(self, rule_id: str) -> str:
        return short_title(self.titles.get(rule_id, rule_id.replace("-", " ")))

    def why(self, rules: Sequence[str], answers: Mapping[str, Mapping[str, AnswerValue]]) -> str:
        """Why, in the lifter's words: the findings behind it; what applies to everyone
        only when nothing about this person is behind it. A reason that rests on an
        answer the person did not give says it was assumed."""
        specific = []
        for rule in rules:
            if rule in self.everyone or rule not in self.titles:
                continue
            read = self.labels.telling(rule, answers.get(rule, {}))
            guessed = [q.replace("_", " ") for q in read if q in self.assumed]
            text = self.title(rule)
            if guessed:
                text += f", {', '.join(guessed)} assumed"  # no parentheses in "(why: ...)"
            specific.append(text)
        reasons = list(dict.fromkeys(specific))
        if len(reasons) > _MOST_REASONS:  # the rest are in the explanation
            reasons = [*reasons[:_MOST_REASONS], "and more"]
        return "; ".join(reasons) or BASE_PLAN


def _matched_by_rule(assessment: Assessment) -> dict[str, dict[str, AnswerValue]]:
    return {f.rule: f.matched.answers for f in assessment.trace}


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


@dataclass(frozen=True)
class _Finding:
    title: str
    said: list[str]  # "question? answer", for the explanation
    short: list[str]  # the answers in words, for the report
    sources: list[str]  # the findings it follows from
    real: bool  # something the person said about their body or habits
    answers: frozenset[str]  # the answers it rests on, to tell two findings from one answer


def _findings_of(assessment: Assessment, ctx: _Context) -> list[_Finding]:
    """What the answers showed: each fired rule that read an answer, with what was said.

    In a referral only the rules behind the safety advice are shown: the rest was held
    back, and listing it would read like advice.
    """
    labels = ctx.labels
    surviving = {reason.rule for rec in assessment.recommendations for reason in rec.because}
    measured = _measured(assessment)
    derived_by = finding_sources(assessment)
    out: list[_Finding] = []
    seen: set[str] = set()
    for firing in assessment.trace:
        answers = firing.matched.answers
        if firing.rule in ctx.everyone:
            continue
        if assessment.status == "referral" and firing.rule not in surviving:
            continue
        title = ctx.title(firing.rule)
        if title in seen:
            continue
        seen.add(title)
        telling = labels.telling(firing.rule, answers)
        values = {q: labels.mentioned(firing.rule, q, answers[q]) for q in telling}
        sources = [
            ctx.title(rule) for name in firing.matched.findings for rule in derived_by.get(name, [])
        ]
        real = any(
            q not in ctx.assumed and _group(labels, q) not in _CONTEXT_GROUPS for q in telling
        )
        out.append(
            _Finding(
                title,
                [
                    labels.said(q, value)
                    + (FROM_LOG if measured.get(q) is not None else "")
                    + (ASSUMED if q in ctx.assumed else "")
                    for q, value in values.items()
                ],
                _short_answers(labels, values),
                list(dict.fromkeys(sources)),
                real,
                frozenset(f"{q} = {show_value(v)}" for q, v in values.items()),
            )
        )
    return out


def _short_answers(labels: _Labels, values: Mapping[str, AnswerValue]) -> list[str]:
    """The answers in a few words: a choice by its label; a number, a yes or no, or
    several answers with what they answer ("days available: 1")."""
    named = len(values) > 1 or any(
        isinstance(v, int) and not isinstance(v, bool) for v in values.values()
    )
    if not named:
        return [labels.answer(q, v) for q, v in values.items()]
    return [f"{q.replace('_', ' ')}: {labels.answer(q, v).lower()}" for q, v in values.items()]


def _group(labels: _Labels, question_id: str) -> str:
    question = labels.questions.get(question_id)
    return question.group if question is not None else ""


def _assumptions(assessment: Assessment, ctx: _Context) -> list[str]:
    """The defaulted answers the result rests on (a fired rule read them, or the plan
    did), as "question? answer", so they read as assumptions and not as what was said."""
    if not ctx.assumed:
        return []
    surviving = {reason.rule for rec in assessment.recommendations for reason in rec.because}
    used: dict[str, AnswerValue] = {}
    for firing in assessment.trace:
        if assessment.status == "referral" and firing.rule not in surviving:
            continue
        answers = firing.matched.answers
        for q in ctx.labels.telling(firing.rule, answers):
            if q in ctx.assumed:
                used.setdefault(q, answers[q])
    if assessment.plan is not None:
        for q in sorted(PLAN_FACTS & ctx.assumed):
            used.setdefault(q, assessment.answers.get(q))
    return [
        _said_in_short(ctx.labels, q, value) for q, value in used.items() if value not in (None, [])
    ]


def _said_in_short(labels: _Labels, question_id: str, value: AnswerValue) -> str:
    """What was assumed, with "all of them" for a pick of every option."""
    question = labels.questions.get(question_id)
    picks = set(value) if isinstance(value, list) else set()
    if question is not None and question.values and picks >= set(question.values):
        return f"{_ask(question.prompt)} All of them"
    return labels.said(question_id, value)


_CUE_REASON = re.compile(r",? so (?:that |the |you ).*$")


def _short_cue(cue: str) -> str:
    """The cue's how without its "so the ..." reason (the report's short form; the
    explanation keeps the whole cue)."""
    return "; ".join(_CUE_REASON.sub("", part) for part in cue.split("; "))


#: A cue longer than this goes under the table at full width: in a narrow cell it
#: would take a dozen lines.
_LONG_CUE = 60


def _cue(item: PlanItem, explain: bool) -> str:
    if not item.cue:
        return ""
    return item.cue if explain else _short_cue(item.cue)


def _plan_rows(
    day: PlanDay, ctx: _Context, matched: Mapping[str, Mapping[str, AnswerValue]], explain: bool
) -> tuple[tuple[str, ...], ...]:
    """A day's table; a cell without numbers says only "not given", a long cue "see
    below" (the notes under the table say more); a substitute says in its why what it
    stands in for, which your equipment cannot do."""
    rows = [("Exercise", "Sets x reps", "Cue", "Why")]
    for item in day.items:
        name = item.title + (" *" if item.equipment_ok is False else "")
        why = ctx.why(item.because, matched)
        instead = _in_place_of(item)
        if instead is not None:  # a substitute: what it stands in for is its first why
            why = f"in place of {instead}" + ("" if why == BASE_PLAN else f"; {why}")
        cue = _cue(item, explain)
        if len(cue) > _LONG_CUE:
            cue = "see below"
        rows.append((name, dose(item, short=True), cue or "-", why))
    return tuple(rows)


_RULE_OF_THUMB = "a rule of thumb"


def _progress_line(days: Sequence[PlanDay]) -> str:
    """How to progress every item of the plan, in one sentence: reps to the top of the
    item's own range (the article's numbers, in the table), then load, labelled as a rule
    of thumb; where the article gives no numbers, says so once for the whole plan."""
    items = [item for day in days for item in day.items]
    parts = []
    if any(item.sets and item.reps for item in items):
        parts.append(
            "reps up to the top of each range, then a little more weight and back to its bottom"
        )
    if any(not (item.sets and item.reps) for item in items):
        parts.append('"not given" means no numbers from the article: add a rep or two, then weight')
    return "; ".join(parts) + "."


def _in_place_of(item: PlanItem) -> str | None:
    """What a substitute stands in for ("Squat or leg press"), or None."""
    if item.option in (None, item.exercise) or not item.option_reason:
        return None
    head, colon, _ = item.option_reason.partition(":")
    return head.removeprefix("In place of ").strip() if colon else None


def _day_notes(
    day: PlanDay, ctx: _Context, explain: bool, said: set[str], *, items: bool = True
) -> list[Item]:
    """Notes under a day's table: long cues and the day's notes (in the short report
    only those a finding asked for). ``explain`` adds every
    item's note about its numbers. ``said`` holds the notes of earlier days: a note is
    made once per report; without ``items``, only the day's own notes (a day that repeats
    an earlier one)."""
    notes = []
    for item in day.items if items else ():
        cue = _cue(item, explain)
        if len(cue) > _LONG_CUE:
            notes.append(f"{item.title}: {cue.rstrip('.')}.")
        if explain and item.prescription_source == "not_specified":
            note = " ".join((item.note or "").split())
            notes.append(f"{item.title}: {NOT_GIVEN}" + (f" ({note})" if note else ""))
    for item in day.items:
        if item.equipment_ok is False and item.requires_equipment:
            options = " or ".join(ctx.labels.gear(option) for option in item.requires_equipment)
            notes.append(f"* {item.title}: your equipment cannot do this yet; it needs {options}.")
    notes += [
        f"Note: {note.text}"
        for note in day.notes
        if explain or not set(note.because) <= ctx.everyone
    ]
    fresh = [note for note in dict.fromkeys(notes) if note not in said]
    said.update(fresh)
    return [
        Item(note[2:], marker="*") if note.startswith("* ") else Item(note, marker="")
        for note in fresh
    ]


def _repeats(day: PlanDay, earlier: Sequence[PlanDay]) -> PlanDay | None:
    """The earlier day an optional day only repeats (the same exercises with the same
    cues), or None: such a day needs no table of its own."""
    if not day.optional or not day.items:
        return None
    for other in earlier:
        done = {(item.title, item.cue) for item in other.items}
        if all((item.title, item.cue) in done for item in day.items):
            return other
    return None


_REFERRAL_TEXT = (
    "Something in your answers needs a professional's check first, so this assessment "
    "gives you no training plan. Please follow the advice below before you start or step "
    "up your training."
)
_NO_SAFETY_TEXT = "Nothing in your answers needs a professional's attention first."
_NOTHING_FOUND_TEXT = "Nothing in your answers points to a specific weak spot."
_ASSUMED_HEAD = "Assumed (you did not answer)"
_DISCLAIMER = (
    "This is training guidance from one article plus a safety screen, not medical advice. "
    "If anything hurts or worries you, see a qualified professional."
)
_EXPLAIN_HINT = "Add --explain for each exercise in detail and the reasoning behind it."


def report(
    assessment: Assessment, pack: RulePack | None = None, *, explain: bool = False
) -> Document:
    """The report as sections of blocks, built once for the text and the Markdown.

    The order a lifter needs: safety first; what the answers showed, in plain words
    (only real findings, and what was assumed); this week's plan as a table (exercise,
    sets x reps, cue, why) with how to progress; the habits to fix. ``explain`` adds the
    details on demand: every detail of every recommendation, and each rule's reasoning
    once (answers matched, rationale, source).
    """
    ctx = _Context.of(assessment, pack)
    sections = [
        _safety(assessment, pack, explain),
        _clarify(assessment, explain),
        _training_log(assessment, ctx.labels),
        _findings(assessment, ctx, explain),
        _plan(assessment, ctx, explain),
        _habits(assessment, ctx, explain),
        _held_back(assessment),
    ]
    if explain:
        sections += [_in_detail(assessment), _reasoning(assessment, ctx)]
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


def _details(rec: Recommendation) -> list[str]:
    """Every rule's own words for this person, each once."""
    return list(dict.fromkeys(r.detail for r in rec.because if r.detail))


def _entry(
    rec: Recommendation, why: str, *, explain: bool, marker: str = "*", role: str = "strong"
) -> Item:
    """A recommendation. Safety advice always says everything; otherwise the short
    report gives the most specific rule's words for this person (or the catalogue's
    when no rule has any) and ``explain`` gives the catalogue's text and every rule's."""
    when = _URGENCY_WORDS.get(rec.urgency or "", "")
    details = _details(rec)
    if explain or marker == "!":
        body = (rec.detail, *details)
    else:
        body = (details[0] if details else rec.detail,)
    return Item(
        rec.title,
        marker,
        role,
        bold=True,
        suffix=(f" ({when})" if when else "") + (f" (why: {why})" if why else ""),
        body=body,
    )


def _of_kind(assessment: Assessment, kind: str) -> list[Recommendation]:
    return [rec for rec in assessment.recommendations if rec.kind == kind]


#: Screening questions whose ids share a prefix, named as one topic; the rest of each id
#: names the question within it ("parq_chest_pain": chest pain). Other ids read as words.
_SCREENING_TOPICS = {"parq": "PAR-Q+ health questions", "pain": "pain"}


def _screening_topics(missing: Sequence[str], asked: Sequence[str]) -> str:
    """The missing screening questions in a few plain words, grouped by topic (17 ids
    in a row read as noise): "PAR-Q+ health questions (chest pain); knee signs". A topic
    names the questions within it unless all of them (of ``asked``, when known) are missing."""
    topics: dict[str, list[str]] = {}
    for question in missing:
        head, _, rest = question.partition("_")
        key = head if rest and head in _SCREENING_TOPICS else question
        topics.setdefault(key, []).append(rest.replace("_", " ") if key == head else "")
    parts = []
    for key, within in topics.items():
        name = _SCREENING_TOPICS.get(key, key.replace("_", " "))
        whole = [q for q in asked if q.startswith(f"{key}_")]
        named = [w for w in within if w] if len(within) < len(whole) or not whole else []
        parts.append(f"{name} ({', '.join(named)})" if named else name)
    return "; ".join(parts)


def screening_notice(
    assessment: Assessment, pack: RulePack | None = None, *, explain: bool = False
) -> str | None:
    """The notice for a screening that was not (fully) answered, or None (issue 13).

    Every safety question has a harmless default, so without this a report of unanswered
    screening reads exactly like a clean one. The lifter reads topics; ``explain`` adds
    the question ids, for ``--answer id=value``."""
    screening = assessment.screening
    if screening is None or screening.status == "complete":
        return None
    if screening.status == "not_done":
        head = "The safety screening was not done: none of its questions was answered"
    else:
        head = "The safety screening is incomplete"
    asked = [q.id for q in pack.questionnaire.questions] if pack is not None else []
    topics = _screening_topics(screening.missing, asked)
    ids = f" (question ids: {', '.join(screening.missing)})" if explain else ""
    return (
        f"{head}, so no red flags were assumed where you gave no answer. "
        f"Not answered: {topics}{ids}. Answer them before you rely on this result."
    )


def _rec_why(rec: Recommendation, ctx: _Context) -> str:
    return ctx.why([r.rule for r in rec.because], {r.rule: r.answers for r in rec.because})


def _safety(assessment: Assessment, pack: RulePack | None, explain: bool) -> Section:
    referral = assessment.status == "referral"
    blocks: list[Block] = [Paragraph(_REFERRAL_TEXT, kind="alert")] if referral else []
    notice = screening_notice(assessment, pack, explain=explain)
    if notice is not None:
        blocks.append(Paragraph(notice, kind="alert"))
    safety = _of_kind(assessment, "safety")
    role = "safety" if referral else "warn"
    if safety:
        entries = (_entry(rec, "", explain=explain, marker="!", role=role) for rec in safety)
        blocks.append(Items(tuple(entries)))
    elif notice is None:  # never "nothing needs attention" about questions not asked
        blocks.append(Paragraph(_NO_SAFETY_TEXT))
    return Section("Safety first", tuple(blocks))


FROM_LOG = " (measured from your training log)"
ASSUMED = " (assumed: you did not answer)"


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


@dataclass
class _Line:
    """A line of "What we found": the findings that rest on the same answers."""

    titles: list[str]
    answers: frozenset[str]
    said: str


def _merge(lines: list[_Line], finding: _Finding) -> None:
    """Add ``finding`` to the line whose answers include all of its own (or whose answers
    it includes all of: then its words are the fuller ones), else start a line: two
    findings from one answer are one line, not the answer said twice."""
    said = "; ".join(finding.short)
    for line in lines if finding.answers else ():
        if finding.answers <= line.answers:
            line.titles.append(finding.title)
            return
        if line.answers < finding.answers:
            line.titles.append(finding.title)
            line.answers, line.said = finding.answers, said
            return
    lines.append(_Line([finding.title], finding.answers, said))


def _findings(assessment: Assessment, ctx: _Context, explain: bool) -> Section:
    found = [f for f in _findings_of(assessment, ctx) if explain or f.real]
    items: list[Item] = []
    short: list[_Line] = []
    said_before: set[str] = set()
    for finding in found:
        if explain:
            points = [said for said in finding.said if said not in said_before]
            if finding.said and not points and not finding.sources:
                points = ["the same answer as above"]
            said_before.update(finding.said)
            if finding.sources:
                points.append("follows from: " + "; ".join(finding.sources))
            items.append(Item(finding.title, bold=True, points=tuple(points)))
        else:
            _merge(short, finding)
    items += [
        Item(
            f"{'; '.join(line.titles)} - you said: {line.said}"
            if line.said
            else "; ".join(line.titles)
        )
        for line in short
    ]
    assumed = _assumptions(assessment, ctx)
    if len(assumed) == 1:
        items.append(Item(f"{_ASSUMED_HEAD}: {assumed[0]}"))
    elif assumed:
        items.append(Item(_ASSUMED_HEAD, bold=True, points=tuple(assumed)))
    block: Block = Items(tuple(items)) if items else Paragraph(_NOTHING_FOUND_TEXT)
    return Section("What we found", (block,))


def _plan(assessment: Assessment, ctx: _Context, explain: bool) -> Section | None:
    """The schedule, each day's table and notes, and how to progress. An optional day
    that only repeats an earlier day's exercises is a sentence, not a table: with the
    schedule that added it, when there is one."""
    plan = assessment.plan
    if plan is None:
        return None
    matched = _matched_by_rule(assessment)
    blocks: list[Block] = []
    said: set[str] = set()
    repeated: list[str] = []
    for number, day in enumerate(plan.days):
        optional = " (optional)" if day.optional and "optional" not in day.title.lower() else ""
        focus = day.focus.partition(": ")[2] or day.focus
        same = _repeats(day, plan.days[:number])
        notes = _day_notes(day, ctx, explain, said, items=same is None)
        if same is not None and not notes:
            repeated.append(_repeat_text(day, same, focus))
            continue
        table = Table(
            _plan_rows(day, ctx, matched, explain), fixed=(24, 19), shares=(1, 1), spaced=False
        )
        parts: list[Block] = [table, Items(tuple(notes), indent="  ")] if notes else [table]
        blocks.append(Part(f"{day.title}{optional} ({focus})", tuple(parts)))
    if plan.schedule is not None:
        text = " ".join((plan.schedule.detail, *repeated))
        blocks.insert(0, Paragraph(text, lead=plan.schedule.title))
    else:
        blocks += [Paragraph(text) for text in repeated]
    if plan.days:
        blocks.append(Paragraph(_progress_line(plan.days), lead=f"To progress ({_RULE_OF_THUMB})"))
    if plan.notes:
        blocks.append(Items(tuple(Item(n.text, marker="-") for n in plan.notes), indent="  "))
    return Section("This week's plan", tuple(blocks))


def _repeat_text(day: PlanDay, same: PlanDay, focus: str) -> str:
    """An optional day that repeats ``same``, in a sentence: its exercises by name stand
    for the focus's first sentence (what kind of exercises); the rest (how hard, what the
    article gives) is kept."""
    names = " and ".join(item.title for item in day.items)
    where = same.title.partition(":")[0]
    rest = focus.partition(". ")[2] or focus
    return f"For the optional day, do {names} as on {where}. {rest[:1].upper()}{rest[1:]}"


CLARIFY = "clarify_answers"


def _clarify(assessment: Assessment, explain: bool) -> Section | None:
    """Answers that contradict each other, near the top: what follows rests on the
    assumption each note states (issue 13)."""
    rec = assessment.recommendation(CLARIFY)
    if rec is None:
        return None
    notes = _details(rec) or [rec.detail]
    items: Block = Items(tuple(Item(note) for note in notes))
    if explain and rec.detail not in notes:  # the catalogue's words too: every detail
        return Section("Check these answers", (Paragraph(rec.detail), items))
    return Section("Check these answers", (items,))


def _habits(assessment: Assessment, ctx: _Context, explain: bool) -> Section | None:
    """The guidance; in the short report without what the plan's schedule already said
    (a habit made only by the rules that chose the schedule)."""
    plan = assessment.plan
    scheduled = set(plan.schedule.because) if plan and plan.schedule and not explain else set()
    habits = [
        rec
        for rec in _of_kind(assessment, "guidance")
        if rec.id != CLARIFY and not {r.rule for r in rec.because} <= scheduled
    ]
    if not habits:
        return None
    entries = (_entry(rec, _rec_why(rec, ctx), explain=explain) for rec in habits)
    return Section("Habits to fix", (Items(tuple(entries)),))


def _held_back(assessment: Assessment) -> Section | None:
    if not assessment.suppressed or assessment.status != "referral":
        return None
    count = len(assessment.suppressed)
    text = (
        f"{count} other recommendation{'s' if count != 1 else ''} and the training "
        "plan are held back until you have followed the safety advice."
    )
    return Section("Held back", (Paragraph(text),))


def _in_detail(assessment: Assessment) -> Section | None:
    """Each exercise of the plan in full: the catalogue's text and every rule's words."""
    exercises = _of_kind(assessment, "exercise")
    if not exercises:
        return None
    entries = (Item(rec.title, bold=True, body=(rec.detail, *_details(rec))) for rec in exercises)
    return Section("Your exercises in detail", (Items(tuple(entries)),))


def _reasoning(assessment: Assessment, ctx: _Context) -> Section:
    """HOW, for a coach or an auditor: each rule that made a recommendation, once (a rule
    behind several recommendations is not repeated), then what was withheld, the
    findings and every rule fired."""
    labels = ctx.labels
    derived_by = finding_sources(assessment)
    matched = _matched_by_rule(assessment)
    measured = _measured(assessment)
    reasons: dict[str, Reason] = {}
    led_to: dict[str, list[str]] = {}
    for rec in assessment.recommendations:
        for reason in rec.because:
            reasons.setdefault(reason.rule, reason)
            led_to.setdefault(reason.rule, []).append(rec.title)
    first_with: dict[str, str] = {}  # a source shared by rules is quoted once
    items = []
    for rule_id in (f.rule for f in assessment.trace if f.rule in reasons):
        reason = reasons[rule_id]
        source = " ".join(reason.source.split())
        earlier = first_with.setdefault(source, rule_id)
        what = [
            f"{q} = {labels.answer(q, v, 'both')}" + (FROM_LOG if q in measured else "")
            for q, v in reason.answers.items()
        ]
        for name in reason.findings:
            chain = ", ".join(
                f"{rule} ({_answers_text(matched.get(rule, {}))})"
                for rule in derived_by.get(name, [])
            )
            what.append(f"finding {name}, derived by {chain or 'an earlier rule'}")
        matched_text = (
            "; ".join(what) if what else "no answers needed (it applies to everyone not referred)"
        )
        items.append(
            Item(
                f"{rule_id}",
                marker="-",
                suffix=f" (v{reason.rule_version}, {reason.provenance}): {reason.title}",
                body=(" ".join(reason.rationale.split()),),
                points=(
                    f"{rule_id} matched: {matched_text}",
                    f"{rule_id} led to: {', '.join(led_to[rule_id])}",
                    f"Source: {source}" if earlier == rule_id else f"Source: as for {earlier}",
                ),
            )
        )
    blocks: list[Block] = [Items(tuple(items))]
    if assessment.suppressed:
        withheld = ", ".join(
            f"{s.recommendation} (made by {', '.join(s.made_by)}, withheld by {s.by})"
            for s in assessment.suppressed
        )
        blocks.append(Paragraph(withheld, lead="Withheld"))
    if assessment.findings:
        found = ", ".join(
            f"{name} (derived by {', '.join(derived_by.get(name, []))})"
            for name in assessment.findings
        )
        blocks.append(Paragraph(found, lead="Findings"))
    fired = ", ".join(f.rule for f in assessment.trace) or "none"
    blocks.append(Paragraph(fired, lead="Rules fired, in order"))
    return Section("How each recommendation was reached", tuple(blocks))


def _answers_text(answers: Mapping[str, AnswerValue]) -> str:
    return ", ".join(f"{question} = {show_value(value)}" for question, value in answers.items())


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
