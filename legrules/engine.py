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
from collections.abc import Callable, Mapping
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

#: Called for each firing with the durable rule name and the facts it matched, keyed by
#: pattern name ("a" for the answers fact, "f0", "f1"... for findings). Returns new
#: facts to assert into the same session (derived findings).
OnFire = Callable[[str, Mapping[str, Mapping[str, Any]]], list[dict[str, Any]]]

_GLOBAL_LOCK = threading.Lock()
_names = itertools.count(1)


class DurableRuleset:
    """One compiled ruleset inside durable's C engine; reusable and thread-safe.

    Build it once per loaded pack and call :meth:`run` for every assessment.
    """

    def __init__(self, definition: Mapping[str, Any], name_hint: str = "legrules") -> None:
        if any(name.startswith(_INTERNAL_PREFIX) for name in definition):
            raise EngineError(f"rule names starting with {_INTERNAL_PREFIX!r} are reserved")
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
                message = json.loads(started[1]) if started else None
                while message:
                    ((rule_name, matched),) = message.items()
                    activations += 1
                    fired = (
                        []
                        if rule_name.startswith(_INTERNAL_PREFIX)
                        else on_fire(rule_name, matched)
                    )
                    for derived in fired:
                        session_derived = dict(derived)
                        session_derived["sid"] = sid
                        result = _durable.assert_fact(
                            handle, json.dumps(session_derived, ensure_ascii=False)
                        )[0]
                        if result != _OK:
                            raise EngineError(
                                f"durable-rules refused a derived fact (code {result})"
                            )
                    following = _durable.complete_and_start_action(handle, state_handle)
                    message = json.loads(following) if following else None
            except _durable.error as error:
                raise EngineError(f"durable-rules failed during an assessment: {error}") from None
            finally:
                _durable.delete_state(handle, sid)
            return activations

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
