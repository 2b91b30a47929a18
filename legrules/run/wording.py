"""Small wording rules shared by the plan and the reports: cues said once, progression.

Both are about what a lifter reads next to a plan item, so they live with the run layer
that builds the plan, and the JSON and every report say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9']+")


@lru_cache(maxsize=1024)  # the pack's cues: a few dozen in all
def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def merge_cues(cues: Iterable[str]) -> list[str]:
    """The cues without one another's repeats, in order.

    A rule's cue often spells out the catalogue's ("pause and squeeze at the top of every
    rep" after "pause and squeeze"): a cue whose words all appear in another cue is said
    by that one, so it is dropped (the longer, more specific one stays where the first
    of the two stood).
    """
    unique = list(dict.fromkeys(c.strip() for c in cues if c.strip()))
    if len(unique) < 2:  # most plan items: the catalogue's cue alone
        return unique
    kept: list[str] = []
    for cue in unique:
        words = _words(cue)
        wider = next((o for o in unique if o != cue and words <= _words(o)), None)
        if wider is None:
            kept.append(cue)
        elif wider not in kept:
            kept.append(wider)
    return list(dict.fromkeys(kept))


#: The article gives rep ranges but no rule for when to add weight; this is the common
#: "double progression" rule of thumb (knowledge base R30, section D), labelled as ours.
RULE_OF_THUMB = (
    "the range is the article's; adding weight at its top is a rule of thumb, not the article's"
)


@lru_cache(maxsize=256)  # its arguments are the pack's numbers: a few dozen in all
def progression(sets: str | None, reps: str | None, per_leg: bool) -> str:
    """How to progress one plan item: reps within its range first, then load.

    Only the item's own numbers are used; an item with no numbers says so instead of
    inventing a range.
    """
    if not (sets and reps):
        return (
            "No sets or reps given: add a rep or two while every rep stays clean, then a "
            "little weight (a rule of thumb, not the article's)."
        )
    low, _, high = reps.partition("-")
    leg = " per leg" if per_leg else ""
    if not high:
        return (
            f"When all {sets} sets of {low}{leg} feel easy, add a little weight ({RULE_OF_THUMB})."
        )
    return (
        f"Add reps until every set reaches {high}{leg}, then add a little weight and start "
        f"again at {low} ({RULE_OF_THUMB})."
    )
