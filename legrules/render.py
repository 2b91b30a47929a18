"""Turn an Assessment into text for a person. Pure functions: no printing here."""

from __future__ import annotations

import textwrap

from legrules.assessment import Assessment

_WIDTH = 88


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        " ".join(text.split()), width=_WIDTH, initial_indent=indent, subsequent_indent=indent
    )


def render_text(assessment: Assessment) -> str:
    """A plain-text report: safety first, recommendations with a one-line why, the plan."""
    lines: list[str] = []
    if assessment.status == "referral":
        lines.append("SAFETY FIRST: no training plan is given for these answers.")
        lines.append("")
    lines.append("Recommendations")
    lines.append("---------------")
    for rec in assessment.recommendations:
        urgency = f" [{rec.urgency.replace('_', ' ')}]" if rec.urgency else ""
        lines.append(f"* {rec.title}{urgency}")
        lines.append(_wrap(rec.detail, "    "))
        for reason in rec.because:
            lines.append(_wrap(f"why: {reason.title} ({reason.rule})", "    "))
    if not assessment.recommendations:
        lines.append("(none)")
    if assessment.plan is not None:
        lines.append("")
        lines.append("Weekly plan")
        lines.append("-----------")
        for day in assessment.plan.days:
            lines.append(f"{day.title} - {day.focus}")
            for item in day.items:
                if item.sets and item.reps:
                    dose = f"{item.sets} sets x {item.reps} reps" + (
                        " per leg" if item.per_leg else ""
                    )
                else:
                    dose = "sets x reps not given by the article"
                cue = f" ({item.cue})" if item.cue else ""
                lines.append(f"  - {item.title}: {dose}{cue}")
            lines.append("")
    lines.append(
        f"ruleset {assessment.ruleset.name} {assessment.ruleset.version} "
        f"({assessment.ruleset.fingerprint[:19]}...)"
    )
    return "\n".join(lines).rstrip() + "\n"
