"""From the trace of firings to the final recommendations: merge, suppress, refer.

Safety is structural here, not left to each rule: as soon as any surviving
recommendation withholds the plan (a referral), every exercise and guidance
recommendation is withdrawn and the withdrawal is recorded against the referring rule.
A rule pack cannot forget to do it.

Results are plain dicts shaped like the Assessment's models, built into them at the end
without validating again (:mod:`legrules.run.construct`); the reasons, one or more per
firing, are made as :class:`Reason` models here at once (see :func:`build_outcome`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from legrules.logic.withholding import suppression_table, withdraw
from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.schema import Rule
from legrules.run.assessment import Reason
from legrules.run.construct import maker

#: A firing's rule and what it matched: the answers and the findings (its reasons'
#: ``answers`` and ``findings``).
Matched = tuple[Rule, dict[str, Any], list[str]]

KIND_ORDER = {"safety": 0, "guidance": 1, "exercise": 2}
URGENCY_ORDER = ("routine", "soon", "same_day", "emergency")


@dataclass
class _Entry:
    reasons: list[Reason] = field(default_factory=list)
    urgencies: list[str] = field(default_factory=list)
    emphasis: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class Lookups:
    """What merging looks up, made once per pack (an engine keeps it): each id's
    definition, its place in the output order, and what each suppressing rule withdraws."""

    catalogue: Mapping[str, RecommendationDef]
    rank: Mapping[str, tuple[int, int]]
    suppressions: Mapping[str, frozenset[str]]
    #: each rule's recommendations as (id, detail, urgency, emphasis): merging reads
    #: them for every firing, a thousand and more per assessment in a large pack
    recommends: Mapping[str, tuple[tuple[str, str | None, str | None, str | None], ...]]
    #: each rule's reason fields that do not depend on the answers, in the model's order
    #: (rule, rule_version, title, rationale, source, provenance)
    reason_texts: Mapping[str, tuple[str, int, str, str, str, str]]

    @classmethod
    def of(cls, pack: RulePack) -> Lookups:
        catalogue = dict(pack.recommendations())
        order = pack.catalogue.positions()
        rank = {rec_id: (KIND_ORDER[d.kind], order[rec_id]) for rec_id, d in catalogue.items()}
        recommends = {
            rule.id: tuple((r.id, r.detail, r.urgency, r.emphasis) for r in rule.then.recommend)
            for rule in pack.rules
        }
        texts = {
            rule.id: (
                rule.id,
                rule.version,
                rule.title,
                rule.because,
                source_text(pack, rule),
                rule.provenance,
            )
            for rule in pack.rules
        }
        return cls(catalogue, rank, suppression_table(pack, catalogue), recommends, texts)


def build_outcome(
    pack: RulePack, fired: Sequence[Matched], lookups: Lookups | None = None
) -> Outcome:
    """Merge recommendations per id, apply suppressions and referral, in a fixed order.

    Each recommendation's reasons are made here, as models, from what each firing
    matched: one per recommendation a rule makes (with that recommendation's detail),
    none for a rule that only derives findings or suppresses. A large pack fires a
    thousand rules per assessment, and a reason assembled as a dict first, for the
    Assessment's builder to read again, cost twice the model.

    What is withdrawn, and by whom, is :func:`legrules.logic.withholding.withdraw`; this
    merges, records and orders."""
    if lookups is None:
        lookups = Lookups.of(pack)
    catalogue, recommends, texts = lookups.catalogue, lookups.recommends, lookups.reason_texts
    make = maker(Reason)
    entries: dict[str, _Entry] = {}
    for rule, answers, findings in fired:
        for rec_id, detail, urgency, cue in recommends[rule.id]:
            entry = entries.get(rec_id)
            if entry is None:  # not setdefault: an _Entry per reason was a fifth of merging
                entry = entries[rec_id] = _Entry()
            entry.reasons.append(make(*texts[rule.id], detail, answers, findings))
            if urgency:
                entry.urgencies.append(urgency)
            if cue and cue not in entry.emphasis:
                entry.emphasis.append(cue)

    result = withdraw(
        pack,
        [rule for rule, _, _ in fired],
        {rec_id: [r.rule for r in entry.reasons] for rec_id, entry in entries.items()},
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
                "made_by": list(dict.fromkeys(r.rule for r in entry.reasons)),
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
