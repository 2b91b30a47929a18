"""From the trace of firings to the final recommendations: merge, suppress, refer.

Safety is structural here, not left to each rule: as soon as any surviving
recommendation withholds the plan (a referral), every exercise and guidance
recommendation is withdrawn and the withdrawal is recorded against the referring rule.
A rule pack cannot forget to do it.

Results are plain dicts shaped like the Assessment's models: the Assessment validates
them all in one pass at the end, which costs a fraction of building each nested model
on its own (see benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from legrules.logic.withholding import suppression_table, withdraw
from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.schema import Rule

KIND_ORDER = {"safety": 0, "guidance": 1, "exercise": 2}
URGENCY_ORDER = ("routine", "soon", "same_day", "emergency")


@dataclass
class _Entry:
    reasons: list[dict[str, Any]] = field(default_factory=list)
    urgencies: list[str] = field(default_factory=list)
    emphasis: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    status: Literal["ok", "referral"]
    recommendations: list[dict[str, Any]]
    suppressed: list[dict[str, Any]]
    emphasis: dict[str, list[str]]


def source_text(pack: RulePack, rule: Rule) -> str:
    """Human-readable sources of a rule: the article section or the screening standard.

    A rule that quotes one section twice (two passages of it) names the section once,
    with the notes of both quotes: a reader saw the same heading repeated otherwise."""
    labels = {"article": "Article section", "screening": "Screening", "evidence": "Evidence"}
    notes: dict[str, list[str]] = {}
    for source in rule.sources:
        notes.setdefault(source.ref, [])
        if source.note and source.note not in notes[source.ref]:
            notes[source.ref].append(source.note)
    parts = []
    for ref_id, ref_notes in notes.items():
        ref = pack.meta.references[ref_id]
        text = f"{labels[ref.kind]}: {ref.title}"
        if ref_notes:
            text += f" ({'; '.join(ref_notes)})"
        parts.append(text)
    return "; ".join(parts)


@dataclass(frozen=True)
class Lookups:
    """What merging looks up, made once per pack (an engine keeps it): each id's
    definition, its place in the output order, and what each suppressing rule withdraws."""

    catalogue: Mapping[str, RecommendationDef]
    rank: Mapping[str, tuple[int, int]]
    suppressions: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, pack: RulePack) -> Lookups:
        catalogue = dict(pack.recommendations())
        order = pack.catalogue.positions()
        rank = {rec_id: (KIND_ORDER[d.kind], order[rec_id]) for rec_id, d in catalogue.items()}
        return cls(catalogue, rank, suppression_table(pack, catalogue))


def build_outcome(
    pack: RulePack, fired: Sequence[tuple[Rule, dict[str, Any]]], lookups: Lookups | None = None
) -> Outcome:
    """Merge recommendations per id, apply suppressions and referral, in a fixed order.

    What is withdrawn, and by whom, is :func:`legrules.logic.withholding.withdraw`; this
    merges, records and orders."""
    if lookups is None:
        lookups = Lookups.of(pack)
    catalogue = lookups.catalogue
    entries: dict[str, _Entry] = {}
    for rule, reason in fired:
        for rec in rule.then.recommend:
            entry = entries.get(rec.id)
            if entry is None:  # not setdefault: an _Entry per reason was a fifth of merging
                entry = entries[rec.id] = _Entry()
            entry.reasons.append(reason if rec.detail is None else {**reason, "detail": rec.detail})
            if rec.urgency:
                entry.urgencies.append(rec.urgency)
            if rec.emphasis and rec.emphasis not in entry.emphasis:
                entry.emphasis.append(rec.emphasis)

    result = withdraw(
        pack,
        [rule for rule, _ in fired],
        {rec_id: [r["rule"] for r in entry.reasons] for rec_id, entry in entries.items()},
        catalogue,
        lookups.suppressions,
    )
    suppressed: list[dict[str, Any]] = []
    for rec_id, by in result.withdrawn.items():
        entry = entries.pop(rec_id)
        suppressed.append(
            {
                "recommendation": rec_id,
                "by": by,
                "made_by": list(dict.fromkeys(r["rule"] for r in entry.reasons)),
            }
        )
    status: Literal["ok", "referral"] = "ok" if result.referred_by is None else "referral"

    recommendations = []
    for rec_id in sorted(entries, key=lookups.rank.__getitem__):
        definition = catalogue[rec_id]
        entry = entries[rec_id]
        urgency = max(entry.urgencies, key=URGENCY_ORDER.index) if entry.urgencies else None
        recommendations.append(
            {
                "id": rec_id,
                "kind": definition.kind,
                "title": definition.title,
                "detail": definition.detail,
                "urgency": urgency,
                "because": entry.reasons,
            }
        )
    emphasis = {rec_id: entries[rec_id].emphasis for rec_id in entries if entries[rec_id].emphasis}
    return Outcome(status, recommendations, suppressed, emphasis)
