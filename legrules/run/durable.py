"""The only module that touches durable-rules.

It drives durable's C extension (``durable_rules_engine``) directly rather than through
``durable.engine.Host``, for reasons measured on durable-rules 2.0.28:

* ``Host.__init__`` starts two timer threads that never stop and that dispatch *other
  threads'* actions; with them, concurrent assessments crashed the interpreter. Driving
  the C functions ourselves starts no thread at all.
* Errors raised inside Host actions are swallowed into the returned state; here the
  agenda loop is ours, so an exception propagates to the caller unchanged.
* The Python layer around the C calls costs most of an assessment's time.

Each assessment is one session (a fresh sid), asserted, run to quiescence and deleted
from every shard however the assessment ends, so no state is left behind (durable keeps
a fixed index of 1,024 live sessions per ruleset and ~125 KiB each). The C code holds
the GIL, so one lock around a whole session costs no parallelism and keeps sessions from
interleaving on the shared ruleset handle; :class:`_Gate` explains how that lock is kept
from ever waiting for itself.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NoReturn, SupportsIndex

from pydantic_core import to_json

from legrules.errors import EngineError
from legrules.run.facts import ANSWERS_KIND, FINDING_KIND, KIND_KEY

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

#: Called for each activation with the durable rule name. Returns the ids of new
#: findings to assert into the same session (each at most once per session: durable
#: refuses a fact it holds). The matched facts are not passed: which facts a compiled
#: rule matches is fixed by its patterns, so the caller knows them, and decoding
#: durable's JSON message (the whole answers fact, every time) was the single largest
#: cost of an assessment. Ids rather than facts: a finding's fact is always
#: ``{"_t": "finding", "id": ...}``, and its JSON is made here once per finding.
OnFire = Callable[[str], Iterable[str]]

_names = itertools.count(1)


def _encode(fact: Mapping[str, Any]) -> str:
    """A fact as the JSON text durable parses. pydantic_core's serialiser: the standard
    library's encoder took 13 us of an assessment for the answers fact alone (77 fields),
    this takes about a tenth of that; both write UTF-8 as is and keep the key order."""
    return to_json(fact).decode()


def _with_sid(encoded: str, sid: str) -> str:
    """A fact's JSON with the session id added as its last field (durable reads the
    session from the fact): spliced into the text rather than into a copy of the
    fact's dict."""
    if encoded == "{}":
        return '{"sid":"' + sid + '"}'
    return encoded[:-1] + ',"sid":"' + sid + '"}'


#: glibc's malloc settings while a durable ruleset exists in the process (see
#: :func:`keep_heap`): allocations up to 4 MiB come from the heap rather than their own
#: mmap, and up to 16 MiB of free heap is kept rather than handed back to the kernel.
HEAP_MMAP_THRESHOLD = 4 * 2**20
HEAP_TRIM_THRESHOLD = 16 * 2**20
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
#: Set to 0 to leave malloc's settings alone.
KEEP_HEAP_ENV = "LEGRULES_MALLOPT"
_heap_kept: bool | None = None


def keep_heap() -> bool:
    """Stop glibc returning durable's per-session memory to the kernel after every
    assessment; True if the settings were applied (once per process, before its second
    session, or by a caller such as a benchmark's baseline).

    durable allocates and frees large buffers for every session. With glibc's default,
    adaptive thresholds, once the process holds other memory (a caller keeping its
    results, a web app's state) those buffers went back to the kernel at every session
    end and were faulted in again at the next: durable's C engine alone took 335 us per
    assessment instead of 100 us on the benchmark documents, assess 800 us instead of
    580 us (benchmarks/README.md). Fixed thresholds keep that memory in the heap, where
    the next session reuses it; memory stays flat (benchmarks/bench_memory.py).

    Not applied where the process already chose (``MALLOC_MMAP_THRESHOLD_`` or
    ``MALLOC_TRIM_THRESHOLD_`` set), where ``LEGRULES_MALLOPT=0``, or where the C library
    is not glibc.
    """
    global _heap_kept  # noqa: PLW0603 - once per process, by design
    if _heap_kept is None:
        _heap_kept = _apply_heap_settings()
    return _heap_kept


_first_session_begun = False


def _keep_heap_from_the_second_session() -> None:
    """:func:`keep_heap` before a process's second session (called under the gate).

    The settings matter from the second session on (the first finds no memory of an
    earlier one to reuse), and applying them imports ctypes: 1.5 ms of a one-shot
    ``legrules assess``, which runs one session. A process that runs more gets them
    before its second, as it did when they were applied with the first ruleset.
    """
    global _first_session_begun  # noqa: PLW0603 - once per process, by design
    if _first_session_begun:
        if _heap_kept is None:
            keep_heap()
    else:
        _first_session_begun = True


def _apply_heap_settings() -> bool:
    chosen = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    if os.environ.get(KEEP_HEAP_ENV) == "0" or any(name in os.environ for name in chosen):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (AttributeError, ValueError, OSError):  # not glibc, or not POSIX
        return False
    import ctypes  # noqa: PLC0415 - only where the settings apply

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:  # pragma: no cover - every glibc has it
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD)
        and mallopt(_M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD)
    )


class _Gate:
    """The one lock around durable's C engine, and the clean-up owed by whoever holds it.

    durable is not re-entrant and its handles are shared, so every call into it happens
    under this lock, and the lock must never be waited for where it cannot be released:

    * by a finalizer: the cyclic GC can free an engine inside an assessment, in the
      thread holding the lock, which would then wait for itself;
    * by a clean-up cut short: a signal handler's exception (Ctrl-C) in the middle of
      deleting a session's shards left the rest behind;
    * in a child process: fork copies a lock another thread holds, and that thread does
      not exist in the child to release it.

    So clean-up is data, not control flow: sessions to delete and rulesets to free are
    queued here, by anyone, at any moment, and whoever holds the lock works through the
    queues before letting go (an interrupted clean-up is finished by the next holder);
    and fork is coordinated through ``os.register_at_fork``.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None
        # Handles of rulesets nobody can use any more. Appended without the lock (by
        # finalizers, in any thread, at any moment); list.extend and list.pop are atomic.
        self.doomed_rulesets: list[int] = []
        # (handle, sid) of sessions to delete; appended under the lock.
        self.doomed_sessions: list[tuple[int, str]] = []
        # Rulesets created and not yet freed (changed under the lock).
        self.live_rulesets: set[int] = set()
        self.acquired_for_fork = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock; leave nothing queued behind. Refuses re-entry (a signal handler
        or finalizer assessing inside an assessment) instead of deadlocking."""
        me = threading.get_ident()
        if self.owner == me:
            raise EngineError(
                "durable-rules was called from inside an assessment in the same thread "
                "(a signal handler or finalizer?); it is not re-entrant"
            )
        with self.lock:
            try:
                self.owner = me
                self.tidy()
                yield
            finally:
                try:
                    self.tidy()
                finally:
                    self.owner = None

    def tidy_now(self) -> None:
        """Work through the queues now (waiting for a running assessment to end); from
        inside an assessment, leave them to its end."""
        if self.owner != threading.get_ident():
            with self.held():
                pass

    def tidy(self) -> None:
        """Delete the queued sessions, then free the queued rulesets (sessions first: a
        session of a freed ruleset cannot be deleted). Caller holds the lock.

        An exception from a signal handler (KeyboardInterrupt) does not stop the work: it
        is raised once everything is done. A session is dequeued only after its delete
        returned, so an interrupted delete is repeated; durable answers a second delete
        with an error, which is ignored. A ruleset is dequeued before it is freed, since
        freeing one twice corrupts memory (an interrupt in between leaks it instead).
        """
        interrupted: BaseException | None = None
        sessions, rulesets = self.doomed_sessions, self.doomed_rulesets
        while sessions or rulesets:
            try:
                if sessions:
                    handle, sid = sessions[-1]
                    # durable answers a sid it does not hold (deleted already, or a shard
                    # the assessment never reached) with error 309
                    with contextlib.suppress(_durable.error):
                        _durable.delete_state(handle, sid)
                    sessions.pop()
                else:
                    handle = rulesets.pop()
                    if handle in self.live_rulesets:
                        self.live_rulesets.discard(handle)
                        _durable.delete_ruleset(handle)
            except BaseException as error:  # re-raised below, once all is done
                interrupted = interrupted or error
        if interrupted is not None:
            raise interrupted

    def before_fork(self) -> None:
        """Fork only between assessments, so the child's copy of durable's native state
        holds no half-run session of a thread the child does not have. (A fork from
        inside an assessment, by the thread running it, goes ahead: that thread goes on
        in the child and finishes its own session there.)"""
        if self.owner != threading.get_ident():
            self.lock.acquire()
            self.acquired_for_fork = True

    def after_fork_in_parent(self) -> None:
        if self.acquired_for_fork:
            self.acquired_for_fork = False
            self.lock.release()

    def after_fork_in_child(self) -> None:
        """A fresh lock: the child has one thread, and a lock is not to be trusted after
        fork. Unless the forking thread was inside an assessment: it still holds the
        lock it will release when that assessment ends."""
        if self.acquired_for_fork:
            self.acquired_for_fork = False
            self.lock = threading.Lock()
            self.owner = None


_GATE = _Gate()


def native_ruleset_count() -> int:
    """How many native rulesets this process holds (tests check that freeing happens)."""
    return len(_GATE.live_rulesets)


def _free_rulesets(handles: list[int]) -> None:
    """Finalizer of a :class:`DurableRuleset`. It only queues the handles: it can run in
    any thread at any moment (the cyclic GC), also inside an assessment, so it must not
    wait for the lock. The next holder of the lock frees them."""
    _GATE.doomed_rulesets.extend(handles)


class DurableRuleset:
    """A compiled pack inside durable's C engine: one or more rulesets ("shards").

    Build it once per loaded pack and call :meth:`run` for every assessment; it is
    reusable and thread-safe (:data:`RULESETS` keeps one per pack per process). A large
    pack is split into shards by the compiler because durable-rules overflows a 64-entry
    match stack (error 303, and at a slightly larger size heap corruption) when one fact
    satisfies too many conditions of one ruleset, and caps a ruleset at 4,096 rules.
    Shards are run in order, each to quiescence, and a finding derived in one shard is
    asserted into every shard, repeating until no shard has anything new: the same fixed
    point as one ruleset. Shards hold contiguous priority ranges, so firing order stays
    priority order except when a chain runs from a later shard back into an earlier one.

    It cannot be pickled or copied: its handles name native state that exists only in
    this process (in another process they name nothing, or another pack's rules). Pickle
    the :class:`~legrules.Engine` or its compiled pack instead.
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
        # finding id -> (its fact's JSON up to the session id, the shards that read it);
        # filled on first use, under the lock (see _drain)
        self._findings: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._handles: list[int] = []
        self._closed = False
        # Frees the native rulesets when this object goes, however it goes (close(),
        # refcount, the cyclic GC); see _free_rulesets for why it never blocks.
        self._finalizer = weakref.finalize(self, _free_rulesets, self._handles)
        try:
            for index, definition in enumerate(definitions):
                self._handles.append(
                    self._create(definition, f"{name_hint}-{next(_names)}-{index}")
                )
        except EngineError:
            self.close()
            raise

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError(
            "a DurableRuleset cannot be pickled or copied: its handles name native "
            "durable-rules state that exists only in this process; pickle the Engine "
            "(or its CompiledPack) and it rebuilds its ruleset where it is unpickled"
        )

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
        with _GATE.held():
            try:
                handle: int = _durable.create_ruleset(name, payload)
            except _durable.error as error:
                raise EngineError(f"durable-rules rejected the compiled ruleset: {error}") from None
            _GATE.live_rulesets.add(handle)
        return handle

    @property
    def closed(self) -> bool:
        return self._closed

    def run(self, fact: Mapping[str, Any], on_fire: OnFire) -> int:
        """Assert ``fact`` in a fresh session and run every activation to quiescence.

        Returns the number of activations run. Any exception from ``on_fire`` (or from
        the engine, or a signal handler) propagates after the session is deleted from
        every shard.
        """
        with _GATE.held():
            _keep_heap_from_the_second_session()
            handles = self._require_handles()
            sid = str(next(self._sids))
            # Queued for deletion before it exists: the lock's holder deletes it from
            # every shard when it lets go, whatever cuts this assessment short.
            _GATE.doomed_sessions.extend([(handle, sid) for handle in handles])
            first = _with_sid(_encode(fact), sid)
            pending: list[list[str]] = [[first] for _ in handles]
            activations = 0
            try:
                progress = True
                while progress:
                    progress = False
                    for index, handle in enumerate(handles):
                        queue = pending[index]
                        while queue:
                            progress = True
                            activations += self._drain(
                                handle, queue.pop(0), index, pending, on_fire=on_fire, sid=sid
                            )
            except _durable.error as error:
                raise EngineError(f"durable-rules failed during an assessment: {error}") from None
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
        stays in priority order) and queued for every other shard that reads them.
        This loop runs once per activation, about twenty times an assessment, so it is
        kept as close as it can be to the least Python that drives durable
        (benchmarks/baselines.CEngineAlone): a derived finding's JSON is spliced from a
        prefix made once per finding, and where it goes from a table made with it.
        """
        code, state_handle = _durable.assert_fact(handle, payload)
        if code != _OK:
            raise EngineError(f"durable-rules refused a fact (code {code})")
        started = _durable.start_action_for_state(handle, state_handle)
        message: str | None = started[1] if started else None
        activations = 0
        findings = self._findings
        while message:
            activations += 1
            # an activation message is {"<rule name>":{...matched facts...}}, and rule
            # names are checked at construction to hold no quote or backslash
            rule_name = message[2 : message.index('"', 2)]
            if rule_name[:1] != _INTERNAL_PREFIX:
                for finding in on_fire(rule_name):
                    known = findings.get(finding)
                    if known is None:
                        known = findings[finding] = self._finding_entry(finding)
                    text = known[0] + sid + '"}'
                    result = _durable.assert_fact(handle, text)[0]
                    if result != _OK:
                        raise EngineError(f"durable-rules refused a derived fact (code {result})")
                    for other in known[1]:
                        if other != index:
                            pending[other].append(text)
            message = _durable.complete_and_start_action(handle, state_handle) or None
        return activations

    def _finding_entry(self, finding: str) -> tuple[str, tuple[int, ...]]:
        """A derived finding's fact as JSON up to its session id, and the shards that
        read it (every shard when no routes were given)."""
        prefix = _encode({KIND_KEY: FINDING_KIND, "id": finding})[:-1] + ',"sid":"'
        shards = range(len(self._handles))
        if self._routes is not None:
            return prefix, tuple(i for i in shards if finding in self._routes[i])
        return prefix, tuple(shards)

    def live_sessions(self) -> int:
        """How many sessions the engine still holds (always 0 between assessments).

        Probes, in every shard, the session ids this engine has used; durable answers an
        unknown sid with an error and a live one with its state.
        """
        with _GATE.held():
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
        """Free the native rulesets (durable leaks ~350 KiB per ruleset otherwise).

        Waits for an assessment running in another thread to end; called from inside an
        assessment, the rulesets are freed when that assessment ends.
        """
        self._closed = True
        self._finalizer()
        _GATE.tidy_now()

    def _require_handles(self) -> list[int]:
        if self._closed:
            raise EngineError("this engine was closed")
        return self._handles


# (fingerprint, the rule names of each shard)
_RegistryKey = tuple[str, tuple[tuple[str, ...], ...]]


class RulesetRegistry:
    """One :class:`DurableRuleset` per compiled pack per process, shared by every engine
    of that pack.

    A pack's native ruleset is the same whichever engine uses it, and holding one copy
    per engine only costs memory and build time; so :class:`~legrules.Engine` (also one
    made by unpickling) takes its ruleset from :data:`RULESETS`, keyed by the pack's
    fingerprint (and its shard layout: one fingerprint compiled with another shard
    budget is another ruleset). Entries are weak: a ruleset is freed when the last
    engine using it is closed or collected.

    Across ``fork`` the child inherits the registry with its own copy of the native
    state. That copy is sound because forking waits for a running assessment to end
    (see ``_Gate.before_fork``), so the child reuses it rather than building the pack
    again; the registry's lock is replaced in the child, since a thread of the parent
    might have held it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rulesets: weakref.WeakValueDictionary[_RegistryKey, DurableRuleset] = (
            weakref.WeakValueDictionary()
        )

    def get(
        self,
        fingerprint: str,
        shards: Sequence[Mapping[str, Any]],
        *,
        routes: Sequence[frozenset[str]] | None = None,
        name_hint: str = "legrules",
    ) -> DurableRuleset:
        """The ruleset of this pack in this process, built on first use."""
        key: _RegistryKey = (fingerprint, tuple(tuple(shard) for shard in shards))
        with self._lock:
            existing = self._rulesets.get(key)
            if existing is not None and not existing.closed:
                return existing
            built = DurableRuleset(shards, name_hint=name_hint, routes=routes)
            self._rulesets[key] = built
            return built

    def fingerprints(self) -> list[str]:
        """The fingerprints of the packs with a live ruleset in this process."""
        return sorted({fingerprint for fingerprint, _ in list(self._rulesets.keys())})

    def __len__(self) -> int:
        return len(self._rulesets)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()


#: The process's rulesets, one per compiled pack (see :class:`RulesetRegistry`).
RULESETS = RulesetRegistry()


def free_unused() -> None:
    """Free the native rulesets of engines already closed or collected, now.

    Finalizers only queue their rulesets (they must never wait for the lock), and the
    queue is worked through by every assessment; this is for a caller that wants the
    memory back without assessing again.
    """
    _GATE.tidy_now()


def _after_fork_in_child() -> None:
    _GATE.after_fork_in_child()
    RULESETS._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(
        before=_GATE.before_fork,
        after_in_parent=_GATE.after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
