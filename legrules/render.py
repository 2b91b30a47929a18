"""Turn an Assessment (and explanations) into text or Markdown for a person.

Pure functions: nothing here prints. The report is written for a lifter who has never
heard of a rule engine: safety first, then what the answers showed in plain words, each
recommendation with a one-line why, the two-day plan as a table, and the habits to fix.
Rule ids, versions and sources appear only in the explanation (``explain=True``), which
is for a coach or an auditor.

``pack`` is optional everywhere: with it, answers are shown with the questionnaire's
labels ("Glutes" rather than ``glutes``); without it, the raw values are shown.
``style`` lets the CLI add colour (it passes ``click.style`` only when colour is allowed);
the library itself never emits escape codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from legrules.assessment import Assessment, PlanDay, PlanItem, Reason, Recommendation
from legrules.conditions import walk
from legrules.explain import finding_sources
from legrules.interview import label
from legrules.pack import RulePack
from legrules.questionnaire import AnswerValue, Question
from legrules.ruleschema import FactLeaf, Rule
from legrules.values import Form, show_value
from legrules.wrap import WIDTH, table, wrap

#: ``style(text, role)``; roles: title, heading, safety, warn, dim, strong.
Style = Callable[[str, str], str]

_URGENCY_WORDS = {
    "emergency": "now",
    "same_day": "today",
    "soon": "soon",
    "routine": "when you can",
}


def _plain(text: str, role: str) -> str:
    return text


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


def _plan_rows(day: PlanDay, titles: Mapping[str, str], *, short: bool = False) -> list[list[str]]:
    rows = [["Exercise", "Sets x reps", "Cue", "Why"]]
    for item in day.items:
        name = item.title + (" *" if item.equipment_ok is False else "")
        rows.append([name, dose(item, short=short), item.cue or "-", _item_why(item, titles)])
    return rows


def _item_notes(day: PlanDay, labels: _Labels, *, short: bool) -> list[str]:
    """Notes under a day's table: numbers the article does not give, missing equipment."""
    notes = []
    for item in day.items:
        if item.prescription_source == "not_specified":
            text = f"{item.title}: {NOT_GIVEN}" if short or item.note else ""
            if item.note:
                text += f" ({' '.join(item.note.split())})"
            if text:
                notes.append(text)
    for item in day.items:
        if item.equipment_ok is False and item.requires_equipment:
            options = " or ".join(labels.gear(option) for option in item.requires_equipment)
            notes.append(f"* {item.title}: your equipment cannot do this yet; it needs {options}.")
    return notes


@dataclass
class _Text:
    """Builds the text report section by section."""

    style: Style
    labels: _Labels
    width: int
    out: list[str] = field(default_factory=list)

    def heading(self, text: str) -> None:
        if self.out:
            self.out.append("")
        self.out.append(self.style(text, "heading"))
        self.out.append(self.style("-" * len(text), "heading"))

    def wrap(self, text: str, indent: str = "", first: str | None = None) -> None:
        self.out.extend(wrap(text, indent, self.width, first=first))

    def recommendation(self, rec: Recommendation, head: str, role: str) -> None:
        self.out.append(self.style(head, role))
        self.out.extend(_details(rec, "    ", self.width))
        self.wrap(f"Why: {why_line(rec)}", "    ")

    def safety(self, assessment: Assessment) -> None:
        self.heading("Safety first")
        if assessment.status == "referral":
            self.out.extend(
                self.style(line, "safety") for line in wrap(_REFERRAL_TEXT, width=self.width)
            )
            self.out.append("")
        safety = [r for r in assessment.recommendations if r.kind == "safety"]
        if not safety:
            self.out.append(_NO_SAFETY_TEXT)
        role = "safety" if assessment.status == "referral" else "warn"
        for rec in safety:
            when = _URGENCY_WORDS.get(rec.urgency or "", "")
            self.recommendation(rec, f"! {rec.title}" + (f" ({when})" if when else ""), role)

    def found(self, assessment: Assessment) -> None:
        self.heading("What we found")
        found = _found(assessment, self.labels)
        if not found:
            self.out.append(_NOTHING_FOUND_TEXT)
        for title, said in found:
            self.out.append(f"* {title}")
            for line in said:
                self.wrap(line, "      ", first="    - ")

    def exercises(self, assessment: Assessment) -> None:
        exercises = [r for r in assessment.recommendations if r.kind == "exercise"]
        if not exercises:
            return
        self.heading("Recommended exercises")
        targeted = [rec for rec in exercises if not _is_standard(rec)]
        standard = [rec for rec in exercises if _is_standard(rec)]
        for rec in targeted:
            self.recommendation(rec, f"* {rec.title}", "strong")
        if standard:
            names = ", ".join(rec.title for rec in standard)
            reasons = "; ".join(dict.fromkeys(why_line(rec) for rec in standard))
            if targeted:
                self.out.append("")
            self.wrap(f"Also in your plan: {names}.", "    ", first="* ")
            self.wrap(f"Why: {reasons}", "    ")

    def plan(self, assessment: Assessment) -> None:
        plan = assessment.plan
        if plan is None:
            return
        self.heading("Weekly plan")
        titles = _rule_titles(assessment)
        if plan.schedule is not None:
            self.wrap(f"{plan.schedule.title}: {plan.schedule.detail}")
            self.out.append("")
        free = max(36, self.width - 2 - 20 - 19 - 3 * 2)
        widths = [20, 19, free * 9 // 20, free - free * 9 // 20]
        for number, day in enumerate(plan.days):
            if number:
                self.out.append("")
            optional = " (optional)" if day.optional else ""
            self.out.append(self.style(f"{day.title}{optional}", "strong"))
            self.wrap(day.focus, "  ")
            self.out.append("")
            self.out.extend(
                table(_plan_rows(day, titles, short=True), widths, indent="  ", underline=True)
            )
            notes = _item_notes(day, self.labels, short=True)
            notes += [f"Note: {day_note.text}" for day_note in day.notes]
            if notes:
                self.out.append("")
                for text in notes:
                    self.wrap(text, "    ", first="  ")
        if plan.notes:
            self.out.append("")
            for plan_note in plan.notes:
                self.wrap(plan_note.text, "    ", first="  - ")

    def habits(self, assessment: Assessment) -> None:
        habits = [r for r in assessment.recommendations if r.kind == "guidance"]
        if not habits:
            return
        self.heading("Habits to fix")
        for rec in habits:
            self.recommendation(rec, f"* {rec.title}", "strong")

    def held_back(self, assessment: Assessment) -> None:
        if not assessment.suppressed or assessment.status != "referral":
            return
        self.heading("Held back")
        count = len(assessment.suppressed)
        self.wrap(
            f"{count} other recommendation{'s' if count != 1 else ''} and the training "
            "plan are held back until you have followed the safety advice."
        )

    def footer(self, assessment: Assessment, explain: bool) -> None:
        self.out.append("")
        self.out.extend(self.style(line, "dim") for line in wrap(_DISCLAIMER, width=self.width))
        if not explain:
            self.out.append(
                self.style("Add --explain to see the reasoning behind each recommendation.", "dim")
            )
        ruleset = assessment.ruleset
        self.out.append(
            self.style(
                f"Rules: {ruleset.name} {ruleset.version} ({ruleset.fingerprint[:19]}...)", "dim"
            )
        )


_REFERRAL_TEXT = (
    "Your answers include a warning sign, so this assessment gives you no training plan. "
    "Please follow the advice below before training your legs again."
)
_NO_SAFETY_TEXT = "Nothing in your answers needs a professional's attention first."
_NOTHING_FOUND_TEXT = "Nothing in your answers points to a specific weak spot."
_DISCLAIMER = (
    "This is training guidance from one article plus a safety screen, not medical advice. "
    "If anything hurts or worries you, see a qualified professional."
)


def render_text(
    assessment: Assessment,
    pack: RulePack | None = None,
    *,
    explain: bool = False,
    style: Style | None = None,
    width: int = WIDTH,
) -> str:
    """The report for a person (plain text; colour only through ``style``).

    Sections: safety first; what the answers showed, in plain words; the exercises
    recommended, each with a one-line why; the weekly plan as a table (exercise, sets x
    reps, cue, why); the habits to fix. ``explain`` adds each recommendation's full
    reasoning chain (rule, matched answers, rationale, source).
    """
    text = _Text(style or _plain, _Labels.of(pack), width)
    text.out.append(text.style("Your leg-training assessment", "title"))
    text.out.append(text.style("=" * 28, "title"))
    text.safety(assessment)
    text.found(assessment)
    text.exercises(assessment)
    text.plan(assessment)
    text.habits(assessment)
    text.held_back(assessment)
    if explain:
        text.heading("How each recommendation was reached")
        text.out.extend(explanation_lines(assessment, pack, width=width))
    text.footer(assessment, explain)
    return "\n".join(text.out).rstrip() + "\n"


def _details(rec: Recommendation, indent: str, width: int) -> list[str]:
    """The catalogue text, then the most specific rule's own words for this person."""
    lines = wrap(rec.detail, indent, width)
    specific = next((r.detail for r in rec.because if r.detail), None)
    if specific:
        lines.extend(wrap(specific, indent, width))
    return lines


def _is_standard(rec: Recommendation) -> bool:
    """Made only by rules that apply to everyone (no answer or finding mattered)."""
    return all(not reason.answers and not reason.findings for reason in rec.because)


def _reason_lines(
    reason: Reason,
    labels: _Labels,
    sources: Mapping[str, list[str]],
    firings: Mapping[str, Mapping[str, AnswerValue]],
) -> list[str]:
    lines = [f"rule {reason.rule} (v{reason.rule_version}, {reason.provenance}): {reason.title}"]
    if reason.answers:
        for question_id, value in reason.answers.items():
            lines.append(f"  matched {question_id} = {labels.answer(question_id, value, 'both')}")
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
    out: list[str] = []
    for rec in assessment.recommendations:
        out.append(f"{rec.title} ({rec.id})")
        for number, reason in enumerate(rec.because, 1):
            lines = _reason_lines(reason, labels, sources, firings)
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


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_recommendations(items: list[Recommendation]) -> list[str]:
    out = []
    for rec in items:
        when = _URGENCY_WORDS.get(rec.urgency or "", "")
        suffix = f" ({when})" if when else ""
        out.append(f"- **{rec.title}**{suffix}: {' '.join(rec.detail.split())}")
        specific = next((r.detail for r in rec.because if r.detail), None)
        if specific:
            out.append(f"  {' '.join(specific.split())}")
        out.append(f"  *Why:* {why_line(rec)}")
    return [*out, ""]


def _md_plan(assessment: Assessment, labels: _Labels) -> list[str]:
    plan = assessment.plan
    if plan is None:
        return []
    out = ["## Weekly plan", ""]
    titles = _rule_titles(assessment)
    if plan.schedule is not None:
        out += [f"**{plan.schedule.title}**: {' '.join(plan.schedule.detail.split())}", ""]
    for day in plan.days:
        optional = " (optional)" if day.optional else ""
        out += [f"### {day.title}{optional}", "", f"*{day.focus}*", ""]
        rows = _plan_rows(day, titles)
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + "|".join("---" for _ in rows[0]) + "|")
        out.extend("| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows[1:])
        out.append("")
        notes = [n.removeprefix("* ") for n in _item_notes(day, labels, short=False)]
        notes += [f"Note: {' '.join(day_note.text.split())}" for day_note in day.notes]
        if notes:
            out += [*(f"- {text}" for text in notes), ""]
    if plan.notes:
        out += [*(f"- {' '.join(n.text.split())}" for n in plan.notes), ""]
    return out


def render_markdown(
    assessment: Assessment, pack: RulePack | None = None, *, explain: bool = False
) -> str:
    """The same report as :func:`render_text`, as Markdown (headings, lists, tables)."""
    labels = _Labels.of(pack)
    out: list[str] = ["# Your leg-training assessment", "", "## Safety first", ""]
    safety = [r for r in assessment.recommendations if r.kind == "safety"]
    exercises = [r for r in assessment.recommendations if r.kind == "exercise"]
    habits = [r for r in assessment.recommendations if r.kind == "guidance"]
    if assessment.status == "referral":
        out += [f"> **{_REFERRAL_TEXT}**", ""]
    out += _md_recommendations(safety) if safety else [_NO_SAFETY_TEXT, ""]
    out += ["## What we found", ""]
    found = _found(assessment, labels)
    for title, said in found:
        out.append(f"- **{title}**")
        out.extend(f"  - {line}" for line in said)
    out += [] if found else [_NOTHING_FOUND_TEXT]
    out.append("")
    if exercises:
        out += ["## Recommended exercises", ""]
        targeted = [rec for rec in exercises if not _is_standard(rec)]
        out += _md_recommendations(targeted) if targeted else []
        standard = [rec for rec in exercises if _is_standard(rec)]
        if standard:
            names = ", ".join(rec.title for rec in standard)
            reasons = "; ".join(dict.fromkeys(why_line(rec) for rec in standard))
            out += [f"- Also in your plan: {names}.", f"  *Why:* {reasons}", ""]
    out += _md_plan(assessment, labels)
    if habits:
        out += ["## Habits to fix", "", *_md_recommendations(habits)]
    if assessment.suppressed and assessment.status == "referral":
        count = len(assessment.suppressed)
        out += [
            "## Held back",
            "",
            f"{count} other recommendation{'s' if count != 1 else ''} and the training plan "
            "are held back until you have followed the safety advice.",
            "",
        ]
    if explain:
        out += ["## How each recommendation was reached", "", "```text"]
        out += [*explanation_lines(assessment, pack, width=100), "```", ""]
    ruleset = assessment.ruleset
    out += [
        f"*{_DISCLAIMER}*",
        "",
        f"Rules: `{ruleset.name}` {ruleset.version} (`{ruleset.fingerprint}`)",
    ]
    return "\n".join(out).rstrip() + "\n"
