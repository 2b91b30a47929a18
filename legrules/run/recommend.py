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
from dataclasses import dataclass
from typing import Any, Literal

from legrules.logic.withholding import suppression_table, withdraw
from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.schema import Rule

KIND_ORDER = {"safety": 0, "guidance": 1, "exercise": 2}
URGENCY_ORDER = ("routine", "soon", "same_day", "emergency")


@dataclass(frozen=True)
class Outcome:
    status: Literal["ok", "referral"]
    recommendations: list[dict[str, Any]]
    suppressed: list[dict[str, Any]]
    emphasis: dict[str, list[str]]


def source_text(pack: RulePack, rule: Rule) -> str:
    """Human-readable sources of a rule: the article section or the screening standard."""
    labels = {"article": "Article section", "screening": "Screening", "evidence": "Evidence"}
    parts = []
    for source in rule.sources:
        ref = pack.meta.references[source.ref]
        text = f"{labels[ref.kind]}: {ref.title}"
        if source.note:
            text += f" ({source.note})"
        parts.append(text)
    return "; ".join(parts)


#: What a rule's recommendation brings to merging: its id, detail, urgency, emphasis.
Made = tuple[str, str | None, str | None, str | None]


@dataclass(frozen=True)
class Lookups:
    """What merging looks up, made once per pack (an engine keeps it): each id's
    definition, its place in the output order, what each suppressing rule withdraws,
    what each rule recommends as plain tuples, and each id's shown fields (reading them
    from the pack's models for every firing was a third of merging)."""

    catalogue: Mapping[str, RecommendationDef]
    rank: Mapping[str, tuple[int, int]]
    suppressions: Mapping[str, frozenset[str]]
    made: Mapping[str, tuple[Made, ...]]
    shown: Mapping[str, tuple[str, str, str]]

    @classmethod
    def of(cls, pack: RulePack) -> Lookups:
        catalogue = dict(pack.recommendations())
        order = pack.catalogue.positions()
        rank = {rec_id: (KIND_ORDER[d.kind], order[rec_id]) for rec_id, d in catalogue.items()}
        made = {
            rule.id: tuple(
                (rec.id, rec.detail, rec.urgency, rec.emphasis) for rec in rule.then.recommend
            )
            for rule in pack.rules
        }
        shown = {rec_id: (d.kind, d.title, d.detail) for rec_id, d in catalogue.items()}
        return cls(catalogue, rank, suppression_table(pack, catalogue), made, shown)


def build_outcome(
    pack: RulePack, fired: Sequence[tuple[Rule, dict[str, Any]]], lookups: Lookups | None = None
) -> Outcome:
    """Merge recommendations per id, apply suppressions and referral, in a fixed order.

    What is withdrawn, and by whom, is :func:`legrules.logic.withholding.withdraw`; this
    merges, records and orders."""
    if lookups is None:
        lookups = Lookups.of(pack)
    catalogue = lookups.catalogue
    made = lookups.made
    # per id, in the order ids were first made: the reasons, urgencies and emphases
    reasons_of: dict[str, list[dict[str, Any]]] = {}
    urgencies: dict[str, list[str]] = {}
    emphases: dict[str, list[str]] = {}
    for rule, reason in fired:
        for rec_id, detail, urgency, emphasis in made[rule.id]:
            reasons = reasons_of.get(rec_id)
            if reasons is None:
                reasons = reasons_of[rec_id] = []
            reasons.append(reason if detail is None else {**reason, "detail": detail})
            if urgency:
                urgencies.setdefault(rec_id, []).append(urgency)
            if emphasis:
                said = emphases.setdefault(rec_id, [])
                if emphasis not in said:
                    said.append(emphasis)

    result = withdraw(
        pack,
        [rule for rule, _ in fired],
        {rec_id: [r["rule"] for r in reasons] for rec_id, reasons in reasons_of.items()},
        catalogue,
        lookups.suppressions,
    )
    suppressed: list[dict[str, Any]] = []
    for rec_id, by in result.withdrawn.items():
        reasons = reasons_of.pop(rec_id)
        suppressed.append(
            {
                "recommendation": rec_id,
                "by": by,
                "made_by": list(dict.fromkeys(r["rule"] for r in reasons)),
            }
        )
    status: Literal["ok", "referral"] = "ok" if result.referred_by is None else "referral"

    recommendations = []
    shown = lookups.shown
    for rec_id in sorted(reasons_of, key=lookups.rank.__getitem__):
        kind, title, detail = shown[rec_id]
        said_urgencies = urgencies.get(rec_id)
        recommendations.append(
            {
                "id": rec_id,
                "kind": kind,
                "title": title,
                "detail": detail,
                "urgency": max(said_urgencies, key=URGENCY_ORDER.index) if said_urgencies else None,
                "because": reasons_of[rec_id],
            }
        )
    return Outcome(
        status,
        recommendations,
        suppressed,
        {rec_id: emphases[rec_id] for rec_id in reasons_of if rec_id in emphases},
    )
