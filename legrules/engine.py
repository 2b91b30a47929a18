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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    """A compiled pack inside durable's C engine: one or more rulesets ("shards").

    Build it once per loaded pack and call :meth:`run` for every assessment; it is
    reusable and thread-safe. A large pack is split into shards by the compiler because
    durable-rules overflows a 64-entry match stack (error 303, and at a slightly larger
    size heap corruption) when one fact satisfies too many conditions of one ruleset, and
    caps a ruleset at 4,096 rules. Shards are run in order, each to quiescence, and a
    finding derived in one shard is asserted into every shard, repeating until no shard
    has anything new: the same fixed point as one ruleset. Shards hold contiguous
    priority ranges, so firing order stays priority order except when a chain runs from
    a later shard back into an earlier one.
    """

    def __init__(
        self,
        shards: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        name_hint: str = "legrules",
        routes: Sequence[frozenset[str]] | None = None,
    ) -> None:
        definitions = [shards] if isinstance(shards, Mapping) else list(shards)
        if not definitions:
            raise EngineError("a ruleset needs at least one shard")
        # routes[i]: the finding ids shard i can match; a derived finding is asserted
        # only where it can matter (None: everywhere).
        self._routes = list(routes) if routes is not None else None
        self._sids = itertools.count(1)
        self._handles: list[int] = []
        self._closed = False
        try:
            for index, definition in enumerate(definitions):
                self._handles.append(
                    self._create(definition, f"{name_hint}-{next(_names)}-{index}")
                )
        except EngineError:
            self.close()
            raise

    @staticmethod
    def _create(definition: Mapping[str, Any], name: str) -> int:
        for rule_name in definition:
            if rule_name.startswith(_INTERNAL_PREFIX) or '"' in rule_name or "\\" in rule_name:
                raise EngineError(
                    f"invalid rule name {rule_name!r}: names may not start with "
                    f"{_INTERNAL_PREFIX!r} or contain quotes or backslashes"
                )
        lowest = max((int(rule.get("pri", 0)) for rule in definition.values()), default=0) + 1
        full = dict(definition)
        for kind in (ANSWERS_KIND, FINDING_KIND):
            full[f"{_INTERNAL_PREFIX}catch-all-{kind}"] = {
                "pri": lowest,
                "all": [{"m": {KIND_KEY: kind}}],
            }
        payload = json.dumps(full, ensure_ascii=False, sort_keys=True)
        with _GLOBAL_LOCK:
            try:
                handle: int = _durable.create_ruleset(name, payload)
            except _durable.error as error:
                raise EngineError(f"durable-rules rejected the compiled ruleset: {error}") from None
        return handle

    @property
    def shard_count(self) -> int:
        return len(self._handles)

    def run(self, fact: Mapping[str, Any], on_fire: OnFire) -> int:
        """Assert ``fact`` in a fresh session and run every activation to quiescence.

        Returns the number of activations run. Any exception from ``on_fire`` (or from
        the engine) propagates after the session is deleted from every shard.
        """
        with _GLOBAL_LOCK:
            handles = self._require_handles()
            sid = str(next(self._sids))
            first = dict(fact)
            first["sid"] = sid
            first_payload = json.dumps(first, ensure_ascii=False)
            pending: list[list[str]] = [[first_payload] for _ in handles]
            activations = 0
            try:
                progress = True
                while progress:
                    progress = False
                    for index, handle in enumerate(handles):
                        while pending[index]:
                            progress = True
                            payload = pending[index].pop(0)
                            activations += self._drain(
                                handle, payload, index, pending, on_fire=on_fire, sid=sid
                            )
            except _durable.error as error:
                raise EngineError(f"durable-rules failed during an assessment: {error}") from None
            finally:
                # Only shards that received a fact have a session to delete (durable
                # answers error 309 for an unknown sid).
                for handle, queue in zip(handles, pending):
                    if not queue or queue[0] is not first_payload:
                        _durable.delete_state(handle, sid)
            return activations

    def _drain(
        self,
        handle: int,
        payload: str,
        index: int,
        pending: list[list[str]],
        *,
        on_fire: OnFire,
        sid: str,
    ) -> int:
        """Assert one fact into one shard and run that shard's agenda to quiescence.

        Facts derived meanwhile are asserted into this shard at once (so its agenda
        stays in priority order) and queued for every other shard.
        """
        code, state_handle = _durable.assert_fact(handle, payload)
        if code != _OK:
            raise EngineError(f"durable-rules refused a fact (code {code})")
        started = _durable.start_action_for_state(handle, state_handle)
        message: str | None = started[1] if started else None
        activations = 0
        while message:
            rule_name = _rule_name(message)
            activations += 1
            if not rule_name.startswith(_INTERNAL_PREFIX):
                for derived in on_fire(rule_name):
                    session_fact = dict(derived)
                    session_fact["sid"] = sid
                    text = json.dumps(session_fact, ensure_ascii=False)
                    result = _durable.assert_fact(handle, text)[0]
                    if result != _OK:
                        raise EngineError(f"durable-rules refused a derived fact (code {result})")
                    finding = derived.get("id")
                    for other, queue in enumerate(pending):
                        if other != index and (
                            self._routes is None or finding in self._routes[other]
                        ):
                            queue.append(text)
            message = _durable.complete_and_start_action(handle, state_handle) or None
        return activations

    def live_sessions(self) -> int:
        """How many sessions the engine still holds (always 0 between assessments).

        Probes, in every shard, the session ids this engine has used; durable answers an
        unknown sid with an error and a live one with its state.
        """
        with _GLOBAL_LOCK:
            handles = self._require_handles()
            used = next(self._sids)
            self._sids = itertools.count(used)
            live = 0
            for handle in handles:
                for sid in range(1, used):
                    try:
                        _durable.get_state(handle, str(sid))
                    except _durable.error:
                        continue
                    live += 1
            return live

    def close(self) -> None:
        """Free the native rulesets (durable leaks ~350 KiB per ruleset otherwise)."""
        with _GLOBAL_LOCK:
            for handle in self._handles:
                _durable.delete_ruleset(handle)
            self._handles = []
            self._closed = True

    def _require_handles(self) -> list[int]:
        if self._closed:
            raise EngineError("this engine was closed")
        return self._handles

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            return
