"""What withholds what: suppression, referral, and a rule's exemption for its own advice.

Three users need the same rules and used to encode them separately: the outcome of an
assessment (:mod:`legrules.run.recommend`, dynamic: what actually fired), lint (static: which
rules *could* withhold a recommendation) and the questionnaire (which answered red flags
make a referral certain, so the rest need not be asked). The rules:

* a rule **refers** when it recommends something that withholds the plan;
* a rule **suppresses** a recommendation it lists by id or by kind, except one it makes
  itself (the one exemption);
* suppressors act in firing order; then, if a referral survives, every non-safety
  recommendation is withdrawn, the referring rule's own included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from legrules.pack.catalogue import RecommendationDef
from legrules.pack.model import RulePack
from legrules.pack.schema import Kind, Rule

if TYPE_CHECKING:  # the outcome of an assessment needs no partial evaluation
    from legrules.logic.partial import PartialState


def refers(rule: Rule, catalogue: Mapping[str, RecommendationDef]) -> bool:
    """Whether ``rule`` recommends something that withholds the plan (a referral)."""
    return any(catalogue[rec.id].withholds_plan for rec in rule.then.recommend)


def referral_ids(rule: Rule, catalogue: Mapping[str, RecommendationDef]) -> list[str]:
    return [rec.id for rec in rule.then.recommend if catalogue[rec.id].withholds_plan]


def suppresses(suppressor: Rule, rec_id: str, kind: Kind) -> bool:
    """Whether ``suppressor``, when it fires, withdraws ``rec_id`` (of ``kind``).

    A rule never suppresses a recommendation it makes itself: "instead of X, do Y"
    rules list their own Y's kind without meaning to cancel Y.
    """
    suppress = suppressor.then.suppress
    if suppress is None:
        return False
    own = any(rec.id == rec_id for rec in suppressor.then.recommend)
    return not own and (rec_id in suppress.recommendations or kind in suppress.kinds)


@dataclass(frozen=True)
class Withdrawals:
    """The outcome of :func:`withdraw`: each withdrawn id with the rule that withdrew it
    (in the order they were withdrawn), and the referring rule if a referral survived."""

    withdrawn: dict[str, str]
    referred_by: str | None


def suppression_table(
    pack: RulePack, catalogue: Mapping[str, RecommendationDef] | None = None
) -> dict[str, frozenset[str]]:
    """For each rule that suppresses: every recommendation id it withdraws when it
    fires (:func:`suppresses` for each id of the catalogue), made once per pack."""
    catalogue = pack.recommendations() if catalogue is None else catalogue
    return {
        rule.id: frozenset(r for r, d in catalogue.items() if suppresses(rule, r, d.kind))
        for rule in pack.rules
        if rule.then.suppress is not None
    }


def withdraw(
    pack: RulePack,
    fired: Sequence[Rule],
    made: Mapping[str, str],
    catalogue: Mapping[str, RecommendationDef] | None = None,
    table: Mapping[str, frozenset[str]] | None = None,
) -> Withdrawals:
    """Which of the recommendations ``made`` (id -> the first rule that made it, ids in
    the order they were first made) the ``fired`` rules withdraw: suppressions in firing
    order, then the referral. ``catalogue`` (``pack.recommendations()``) and ``table``
    (:func:`suppression_table`) are passed by a caller that holds them, an engine, since
    looking them up per assessment was a third of merging. Only the first maker is
    asked for: it is all a referral needs, and a list of every id's makers, made and
    copied per assessment, was half of this function."""
    if catalogue is None:
        catalogue = pack.recommendations()
    if table is None:
        table = suppression_table(pack, catalogue)
    remaining = dict(made)
    withdrawn: dict[str, str] = {}
    for rule in fired:
        gone = table.get(rule.id)
        if gone is None:
            continue
        for rec_id in [rec_id for rec_id in remaining if rec_id in gone]:
            withdrawn[rec_id] = rule.id
            del remaining[rec_id]
    referrals = [rec_id for rec_id in remaining if catalogue[rec_id].withholds_plan]
    if not referrals:
        return Withdrawals(withdrawn, None)
    order = [rule.id for rule in fired]
    referring = min((remaining[rec_id] for rec_id in referrals), key=order.index)
    for rec_id in remaining:
        if catalogue[rec_id].kind != "safety":
            withdrawn[rec_id] = referring
    return Withdrawals(withdrawn, referring)


class Withholders:
    """Rules whose firing can withdraw a recommendation, for many (rule, id) questions.

    Static, and an over-approximation on purpose: any rule that refers counts as a
    withholder of every non-safety recommendation, even if its referral could itself
    be suppressed. Lint uses it, where that can only add a warning, never hide one.
    Indexed once per pack (referrers, suppressors by target id and by kind): scanning
    every rule for every recommendation of every rule made lint quadratic.
    """

    def __init__(self, pack: RulePack) -> None:
        self._catalogue = pack.recommendations()
        self._position = {rule.id: position for position, rule in enumerate(pack.rules)}
        self._referrers = [rule for rule in pack.rules if refers(rule, self._catalogue)]
        self._by_id: dict[str, list[Rule]] = {}
        self._by_kind: dict[str, list[Rule]] = {}
        for other in pack.rules:
            if other.then.suppress is not None:
                for rec_id in dict.fromkeys(other.then.suppress.recommendations):
                    self._by_id.setdefault(rec_id, []).append(other)
                for kind in dict.fromkeys(other.then.suppress.kinds):
                    self._by_kind.setdefault(kind, []).append(other)

    def of(self, rule: Rule, rec_id: str) -> list[Rule]:
        """Rules that can withdraw ``rec_id`` when ``rule`` makes it, in firing order."""
        kind = self._catalogue[rec_id].kind
        found = {other.id: other for other in self._referrers} if kind != "safety" else {}
        for other in [*self._by_id.get(rec_id, []), *self._by_kind.get(kind, [])]:
            if other.id != rule.id and other.id not in found and suppresses(other, rec_id, kind):
                found[other.id] = other
        return sorted(found.values(), key=lambda other: self._position[other.id])

    def of_any(self, rec_ids: Sequence[str]) -> list[Rule]:
        """Rules that can suppress at least one of ``rec_ids`` (whoever makes them)."""
        found: dict[str, Rule] = {}
        for rec_id in rec_ids:
            kind = self._catalogue[rec_id].kind
            for other in [*self._by_id.get(rec_id, []), *self._by_kind.get(kind, [])]:
                if suppresses(other, rec_id, kind):
                    found.setdefault(other.id, other)
        return sorted(found.values(), key=lambda other: self._position[other.id])


def certain_referrals(pack: RulePack, state: PartialState) -> list[str]:
    """Rules whose referral is certain for these partly known answers (a hard red flag).

    A rule certain to fire refers for sure unless its referral can be suppressed. It
    counts only if every rule able to suppress one of its referral ids is certain not
    to fire, or makes a referral of its own that nothing can suppress (then a referral
    survives either way). On the shipped pack that is exact: every suppressor of
    ``see_professional`` recommends ``emergency_care``, which no rule suppresses.
    """
    catalogue = pack.recommendations()
    index = Withholders(pack)

    def unsuppressible(rule: Rule) -> bool:
        return any(not index.of_any([rec_id]) for rec_id in referral_ids(rule, catalogue))

    return [
        rule.id
        for rule in pack.rules
        if refers(rule, catalogue)
        and state.rule(rule) is True
        and all(
            state.rule(other) is False or unsuppressible(other)
            for other in index.of_any(referral_ids(rule, catalogue))
            if other.id != rule.id
        )
    ]
