"""Re-scoring stored answers in bulk, the same way on any engine that hands out batches.

A cluster (Spark) or a local pool gives each worker process batches of rows; the worker
must not rebuild an Engine per batch (compiling and building the durable rulesets costs
far more than assessing a row) nor receive a live one (its native handles do not
travel). So a pack travels as a :class:`PackRef` - its fingerprint and its compiled form,
pickled once by the caller - and each process keeps the Engines it built in a cache keyed
by fingerprint: the first batch a process sees builds the Engine, every later one reuses
it, and a process forked from one that had built Engines starts with an empty cache (the
native rulesets belong to the process that made them).

One input row gives exactly one result row, whatever is wrong with it: a row that cannot
be read or assessed carries its message in ``error`` rather than failing the whole task,
since one bad row among millions must not cost the millions.

The ``record`` column is the compact record (:func:`assessment_record`): the pack's text
is left out, since the row's fingerprint names the pack that gives it back.
"""

from __future__ import annotations

import os
import pickle
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json

from legrules._version import __version__
from legrules.errors import InputFileError, LegrulesError, show
from legrules.pack.model import RulePack
from legrules.pack.yamlio import decode_utf8, parse_json
from legrules.paths import pack_dir
from legrules.run.assessment import Assessment
from legrules.run.compact import compact
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.engine import Engine
from legrules.run.loader import load_pack

__all__ = [
    "RESULT_FIELDS",
    "PackRef",
    "assess_answers",
    "assess_input",
    "assess_rows",
    "assessment_record",
    "cached_engine",
    "input_answers",
    "record_answers",
]

# the columns of a result row, in order (legrules.spark documents their types)
RESULT_FIELDS = (
    "id",
    "status",
    "recommendations",
    "fired_rules",
    "fingerprint",
    "legrules_version",
    "record",
    "error",
    "worker",
)


@dataclass(frozen=True)
class PackRef:
    """A rule pack as it travels to worker processes: its fingerprint and its compiled form
    pickled once, so a process that already holds an Engine for the fingerprint never
    even unpickles the pack again."""

    fingerprint: str
    payload: bytes

    @classmethod
    def of(cls, rules: str | os.PathLike[str] | RulePack | CompiledPack | None) -> PackRef:
        """A pack directory (default: the shipped pack), a loaded or a compiled pack."""
        if isinstance(rules, RulePack):
            compiled = compile_pack(rules)
        elif isinstance(rules, CompiledPack):
            compiled = rules
        else:
            compiled = compile_pack(load_pack(pack_dir(rules)))
        return cls(compiled.fingerprint, pickle.dumps(compiled, pickle.HIGHEST_PROTOCOL))

    def compiled(self) -> CompiledPack:
        compiled = pickle.loads(self.payload)  # made by PackRef.of, in this job
        assert isinstance(compiled, CompiledPack)
        return compiled


@dataclass
class _Cache:
    pid: int
    engines: dict[str, tuple[Engine, str]]
    built: int = 0


_cache = _Cache(os.getpid(), {})


def cached_engine(pack: PackRef) -> tuple[Engine, str]:
    """This process's Engine for ``pack``, built on first use, and its tag
    ``host:pid#n`` (the n-th Engine this process built): which worker did a row, and
    proof, for whoever counts the tags, that no Engine was built twice."""
    global _cache  # noqa: PLW0603
    if _cache.pid != os.getpid():  # forked: the parent's native rulesets are not ours
        _cache = _Cache(os.getpid(), {})
    found = _cache.engines.get(pack.fingerprint)
    if found is None:
        _cache.built += 1
        tag = f"{socket.gethostname()}:{os.getpid()}#{_cache.built}"
        found = _cache.engines[pack.fingerprint] = (Engine(pack.compiled()), tag)
    return found


def assessment_record(assessment: Assessment, pack: RulePack) -> str:
    """The ``record`` column: the compact form of the Assessment (docs/CONTRACT.md
    section 3, "The compact form"), as the audit log stores it. Millions of rows would
    otherwise repeat the pack's text in each; :func:`legrules.run.compact.expand` with
    the row's pack gives the full Assessment JSON back."""
    return to_json(compact(assessment, pack)).decode("utf-8")


def record_answers(document: Any, where: str) -> tuple[str | None, Any]:
    """The id and the answers of one stored input record.

    Three shapes are read: a ``legrules audit export`` line (its ``assessment_id`` and its
    assessment's answers; answers the log redacted hold only salted hashes, so they are
    re-scored as unanswered, as ``audit replay`` does without the values), ``{"id": ...,
    "answers": {...}}``, or a bare answers document (a flat table's row), whose ``id``, if
    it has one, is its id (else the caller numbers it).
    """
    if not isinstance(document, Mapping):
        raise InputFileError(where, "expected a JSON object (an answers document or record)")
    assessment = document.get("assessment")
    if isinstance(assessment, Mapping) and "answers" in assessment:
        answers = assessment["answers"]
        redacted = document.get("redacted") or []
        if not isinstance(answers, Mapping):
            raise InputFileError(
                where,
                f"assessment.answers is {type(answers).__name__}, not an object; allowed: "
                "question id to answer, as `legrules audit export` writes",
            )
        if not isinstance(redacted, list) or not all(isinstance(n, str) for n in redacted):
            raise InputFileError(
                where,
                f"redacted is {show(redacted)}; allowed: a list of question ids, as "
                "`legrules audit export` writes",
            )
        return _text(document.get("assessment_id")), {**answers, **dict.fromkeys(redacted)}
    if "answers" in document:
        return _text(document.get("id")), document["answers"]
    answers = dict(document)
    return _text(answers.pop("id", None)), answers


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _answers(value: Any, where: str) -> Any:
    if isinstance(value, bytes):
        value = decode_utf8(value, where, lines=False)
    return parse_json(value, where) if isinstance(value, str) else value


def input_answers(
    row: Mapping[str, Any],
    *,
    id_key: str = "id",
    answers_key: str = "answers",
    whole_records: bool = False,
) -> tuple[str | None, Any]:
    """One input row's id and answers document (an InputFileError if it cannot be read).

    ``row[answers_key]`` is an answers mapping or its JSON text (or UTF-8 bytes); with
    ``whole_records`` it is a whole stored record (see :func:`record_answers`), whose own
    id, if it has one, replaces ``row[id_key]``.
    """
    given = _text(row.get(id_key))
    where = f"record {given}"
    answers = _answers(row.get(answers_key), where)
    if whole_records:
        found, answers = record_answers(answers, where)
        given = found or given
    return given, answers


def assess_answers(engine: Engine, answers: Any) -> tuple[Assessment | None, str | None]:
    """The Assessment of one answers document, or its error message instead (never
    raises: one row's problem, even a bug, must not cost the other rows of a task)."""
    try:
        return engine.assess(answers), None
    except LegrulesError as error:
        return None, str(error)
    except Exception as error:
        return None, f"internal error: {type(error).__name__}: {error} (please report it)"


def assess_input(
    engine: Engine,
    row: Mapping[str, Any],
    *,
    id_key: str = "id",
    answers_key: str = "answers",
    whole_records: bool = False,
) -> tuple[str | None, Assessment | None, str | None]:
    """One input row's id and its Assessment, or its error message instead (never raises:
    the row's options as :func:`input_answers`)."""
    try:
        given, answers = input_answers(
            row, id_key=id_key, answers_key=answers_key, whole_records=whole_records
        )
    except LegrulesError as error:
        return _text(row.get(id_key)), None, str(error)
    return (given, *assess_answers(engine, answers))


def assess_rows(
    rows: Iterable[Mapping[str, Any]],
    pack: PackRef,
    *,
    id_key: str = "id",
    answers_key: str = "answers",
    whole_records: bool = False,
) -> Iterator[dict[str, Any]]:
    """One result row (:data:`RESULT_FIELDS`) per input row, in order (the row's options
    as :func:`assess_input`)."""
    engine, tag = cached_engine(pack)
    for row in rows:
        row_id, result, error = assess_input(
            engine, row, id_key=id_key, answers_key=answers_key, whole_records=whole_records
        )
        yield {
            "id": row_id,
            "status": result.status if result else None,
            "recommendations": [r.id for r in result.recommendations] if result else [],
            "fired_rules": [f.rule for f in result.trace] if result else [],
            "fingerprint": pack.fingerprint,
            "legrules_version": __version__,
            "record": assessment_record(result, engine.pack) if result else None,
            "error": error,
            "worker": tag,
        }
