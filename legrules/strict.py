"""The one base class of legrules' pydantic models.

Every document legrules reads (rule files, the questionnaire, the catalogue, answers,
rule test cases, the knowledge-base coverage file) and the Assessment it writes share
these settings, so a model cannot quietly be more lenient than its neighbours:

* ``extra="forbid"``: a misspelt key is an error, not a rule that silently never fires;
* ``strict=True``: ``"3"`` is not 3 and ``"yes"`` is not ``True``; a value is what the
  file says it is;
* ``frozen=True``: a loaded pack or a result is shared (between threads, in the
  compiled-pack cache), so nobody may change it in place;
* ``defer_build=True``: validators are built on first use, and a pack from the
  compiled-pack cache is never validated again, so a one-shot command does not pay for
  building them.

A model that needs more (``populate_by_name`` for ``in``/``not`` aliases) sets only
that in its own ``model_config``; pydantic merges it with these.

The one deliberate exception is the audit record models (:mod:`legrules.audit.model`):
they read back what this and older legrules versions stored, so they forbid extra keys
and are frozen but are not strict (a stored value another version wrote in a looser
type must still read back, or an old decision could not be shown or verified).
tests/test_strict_models.py holds every other model to this base class.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Closed, strict, immutable; see the module docstring for why each."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def empty_list() -> list[Any]:
    """``Field(default_factory=empty_list)``: a new empty list, as ``list`` makes.

    pydantic asks every default factory, when it builds a model's validator or
    serializer, whether it takes the validated data, through ``inspect.signature``;
    for the built-in ``list`` or ``dict`` that parses their text signature (with a copy
    of ``sys.modules``), about 0.3 ms a field. The Assessment's serializer, built by the
    first ``to_json()`` of every ``legrules assess --format json``, read 11 of them
    (6.7 -> 3.4 ms; benchmarks/README.md, start-up round 5). A Python function's
    signature is read in microseconds.
    """
    return []


def empty_dict() -> dict[Any, Any]:
    """``Field(default_factory=empty_dict)``: a new empty dict (see :func:`empty_list`)."""
    return {}
