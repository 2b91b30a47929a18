"""From the trace of firings to the final recommendations: merge, suppress, refer.

Safety is structural here, not left to each rule: as soon as any surviving
recommendation withholds the plan (a referral), every exercise and guidance
recommendation is withdrawn and the withdrawal is recorded against the referring rule.
A rule pack cannot forget to do it.

The recommendations, their reasons (one or more per firing) and the suppressions are
made here as the Assessment's models at once, without validating again
(:mod:`legrules.run.construct`'s makers): made as dicts first, for the Assessment's
builder to read again, each cost about twice as much (see :func:`build_outcome`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from legrules.logic.withholding import suppression_table, withdraw
from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.schema import Rule
from legrules.run.assessment import Reason, Recommendation, Suppression
from legrules.run.construct import maker

#: A firing's rule and what it matched: the answers and the findings (its reasons'
#: ``answers`` and ``findings``).
Matched = tuple[Rule, dict[str, Any], list[str]]

KIND_ORDER = {"safety": 0, "guidance": 1, "exercise": 2}
URGENCY_ORDER = ("routine", "soon", "same_day", "emergency")


@dataclass(frozen=True)
class Outcome:
    status: Literal["ok", "referral"]
    recommendations: list[Recommendation]
    suppressed: list[Suppression]
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
    #: each rule's recommendations as (id, detail, urgency, emphasis): merging reads
    #: them for every firing, a thousand and more per assessment in a large pack
    recommends: Mapping[str, tuple[tuple[str, str | None, str | None, str | None], ...]]
    #: each rule's reason fields that do not depend on the answers, in the model's order
    #: (rule, rule_version, title, rationale, source, provenance)
    reason_texts: Mapping[str, tuple[str, int, str, str, str, str]]
    #: each id's kind, title and detail as the recommendation shows them
    shown: Mapping[str, tuple[str, str, str]]

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
        shown = {rec_id: (d.kind, d.title, d.detail) for rec_id, d in catalogue.items()}
        return cls(catalogue, rank, suppression_table(pack, catalogue), recommends, texts, shown)


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
    # per id, in the order ids were first made: the reasons, urgencies and emphases
    reasons_of: dict[str, list[Reason]] = {}
    first_made_by: dict[str, str] = {}  # what withdraw needs, kept as ids come
    urgencies: dict[str, list[str]] = {}
    emphases: dict[str, list[str]] = {}
    for rule, answers, findings in fired:
        for rec_id, detail, urgency, emphasis in recommends[rule.id]:
            reasons = reasons_of.get(rec_id)
            if reasons is None:
                reasons = reasons_of[rec_id] = []
                first_made_by[rec_id] = rule.id
            reasons.append(make(*texts[rule.id], detail, answers, findings))
            if urgency:
                urgencies.setdefault(rec_id, []).append(urgency)
            if emphasis:
                said = emphases.setdefault(rec_id, [])
                if emphasis not in said:
                    said.append(emphasis)

    result = withdraw(
        pack,
        [rule for rule, _, _ in fired],
        first_made_by,
        catalogue,
        lookups.suppressions,
    )
    suppression = maker(Suppression)
    suppressed = []
    for rec_id, by in result.withdrawn.items():
        reasons = reasons_of.pop(rec_id)
        suppressed.append(suppression(rec_id, by, list(dict.fromkeys(r.rule for r in reasons))))
    status: Literal["ok", "referral"] = "ok" if result.referred_by is None else "referral"

    recommendation = maker(Recommendation)
    recommendations = []
    shown = lookups.shown
    for rec_id in sorted(reasons_of, key=lookups.rank.__getitem__):
        kind, title, detail = shown[rec_id]
        said_urgencies = urgencies.get(rec_id)
        recommendations.append(
            recommendation(
                rec_id,
                kind,
                title,
                detail,
                max(said_urgencies, key=URGENCY_ORDER.index) if said_urgencies else None,
                reasons_of[rec_id],
            )
        )
    return Outcome(
        status,
        recommendations,
        suppressed,
        {rec_id: emphases[rec_id] for rec_id in reasons_of if rec_id in emphases},
    )
