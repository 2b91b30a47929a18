"""The only module that touches durable-rules.

It drives durable's C extension (``durable_rules_engine``) directly rather than through
``durable.engine.Host``, for reasons measured on durable-rules 2.0.28:

* ``Host.__init__`` starts two timer threads that never stop and that dispatch *other
  threads'* actions; with them, concurrent assessments crashed the interpreter. Driving
  the C functions ourselves starts no thread at all.
* Errors raised inside Host actions are swallowed into the returned state; here the
  agenda loop is ours, so an exception propagates to the caller unchanged.
* The Python layer around the C calls costs most of an assessment's time.

Each assessment is one session (a fresh sid), asserted, run to quiescence and deleted in
``finally``, also when something fails, so no state is left behind (durable keeps a
fixed index of 1,024 live sessions per ruleset and ~125 KiB each). The C code holds the
GIL, so one lock around a whole session costs no parallelism and keeps sessions from
interleaving on the shared ruleset handle.
"""

from __future__ import annotations

import itertools
import json
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from legrules.errors import EngineError
from legrules.facts import ANSWERS_KIND, FINDING_KIND, KIND_KEY

with warnings.catch_warnings():
    # durable's extension module emits this on 3.12; it is not ours to fix.
    warnings.filterwarnings("ignore", message=".*PyEval_CallObject.*", category=DeprecationWarning)
    import durable_rules_engine as _durable

ENGINE_NAME = "durable-rules"
ENGINE_VERSION = "2.0.28"

# durable_rules_engine.assert_fact result code for "accepted". Anything else is refused:
# 1 (no rule can use the fact) is made impossible by the catch-all rules below, and
# 2 (the same fact twice) by asserting each derived finding once.
_OK = 0

# Catch-all rules (lowest priority) for each kind of fact. Without them a fact no rule
# matches is "not handled", and durable-rules 2.0.28 then corrupts memory when the
# session is deleted (a segfault, seen with random rule packs). Names starting with "$"
# cannot clash with rule ids, and their firings never reach the caller.
_INTERNAL_PREFIX = "$"

#: Called for each activation with the durable rule name. Returns new facts to assert
#: into the same session (derived findings). The matched facts are not passed: which
#: facts a compiled rule matches is fixed by its patterns, so the caller knows them, and
#: decoding durable's JSON message (the whole answers fact, every time) was the single
#: largest cost of an assessment.
OnFire = Callable[[str], Iterable[Mapping[str, Any]]]

_GLOBAL_LOCK = threading.Lock()
_names = itertools.count(1)


def _rule_name(message: str) -> str:
    """The rule name of an activation message ``{"<name>":{...matched facts...}}``.

    Rule names are checked at construction to contain no quote or backslash, so the
    name is the text between the first two quotes.
    """
    return message[2 : message.index('"', 2)]


class DurableRuleset:
    """One compiled ruleset inside durable's C engine; reusable and thread-safe.

    Build it once per loaded pack and call :meth:`run` for every assessment.
    """

    def __init__(self, definition: Mapping[str, Any], name_hint: str = "legrules") -> None:
        for name in definition:
            if name.startswith(_INTERNAL_PREFIX) or '"' in name or "\\" in name:
                raise EngineError(
                    f"invalid rule name {name!r}: names may not start with "
                    f"{_INTERNAL_PREFIX!r} or contain quotes or backslashes"
                )
        self._name = f"{name_hint}-{next(_names)}"
        lowest = max((int(rule.get("pri", 0)) for rule in definition.values()), default=0) + 1
        full = dict(definition)
        for kind in (ANSWERS_KIND, FINDING_KIND):
            full[f"{_INTERNAL_PREFIX}catch-all-{kind}"] = {
                "pri": lowest,
                "all": [{"m": {KIND_KEY: kind}}],
            }
        payload = json.dumps(full, ensure_ascii=False, sort_keys=True)
        self._sids = itertools.count(1)
        with _GLOBAL_LOCK:
            try:
                self._handle: int | None = _durable.create_ruleset(self._name, payload)
            except _durable.error as error:
                raise EngineError(f"durable-rules rejected the compiled ruleset: {error}") from None

    @property
    def name(self) -> str:
        return self._name

    def run(self, fact: Mapping[str, Any], on_fire: OnFire) -> int:
        """Assert ``fact`` in a fresh session and run every activation to quiescence.

        Returns the number of activations run. Any exception from ``on_fire`` (or from
        the engine) propagates after the session is deleted.
        """
        with _GLOBAL_LOCK:
            handle = self._require_handle()
            sid = str(next(self._sids))
            session_fact = dict(fact)
            session_fact["sid"] = sid
            activations = 0
            try:
                code, state_handle = _durable.assert_fact(
                    handle, json.dumps(session_fact, ensure_ascii=False)
                )
                if code != _OK:
                    raise EngineError(f"durable-rules refused the answers fact (code {code})")
                started = _durable.start_action_for_state(handle, state_handle)
                message: str | None = started[1] if started else None
                while message:
                    rule_name = _rule_name(message)
                    activations += 1
                    if not rule_name.startswith(_INTERNAL_PREFIX):
                        for derived in on_fire(rule_name):
                            self._assert_derived(handle, derived, sid)
                    message = _durable.complete_and_start_action(handle, state_handle) or None
            except _durable.error as error:
                raise EngineError(f"durable-rules failed during an assessment: {error}") from None
            finally:
                _durable.delete_state(handle, sid)
            return activations

    @staticmethod
    def _assert_derived(handle: int, fact: Mapping[str, Any], sid: str) -> None:
        session_fact = dict(fact)
        session_fact["sid"] = sid
        code = _durable.assert_fact(handle, json.dumps(session_fact, ensure_ascii=False))[0]
        if code != _OK:
            raise EngineError(f"durable-rules refused a derived fact (code {code})")

    def live_sessions(self) -> int:
        """How many sessions the engine still holds (always 0 between assessments).

        Probes the session ids this ruleset has used; durable answers an unknown sid
        with an error, a live one with its state.
        """
        with _GLOBAL_LOCK:
            handle = self._require_handle()
            used = next(self._sids)
            self._sids = itertools.count(used)
            live = 0
            for sid in range(1, used):
                try:
                    _durable.get_state(handle, str(sid))
                except _durable.error:
                    continue
                live += 1
            return live

    def close(self) -> None:
        """Free the native ruleset (durable leaks ~350 KiB per ruleset otherwise)."""
        with _GLOBAL_LOCK:
            if self._handle is not None:
                _durable.delete_ruleset(self._handle)
                self._handle = None

    def _require_handle(self) -> int:
        if self._handle is None:
            raise EngineError("this engine was closed")
        return self._handle

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            return
