"""durable-rules' alpha network, modelled, so compiled rulesets stay inside its tables.

durable matches a fact by walking its ruleset's alpha network depth first: one node per
distinct test (patterns that start alike share nodes, ``$or`` alternatives meet again at a
join node), and when a node comes off the walk's stack every child the fact satisfies is
pushed at once. The stack has 64 entries; past that durable reports error 303 and then
corrupts its heap. The shipped pack aborted the process that way on answers that said
yes to nearly everything: 64 of its patterns begin with a test one fact can satisfy
together. Other tables are fixed too: per node, 512 children, 128 "missing" tests and
joins, 256 patterns ending there; per ruleset, 4,096 rules (durable's ``rete.c`` and
``events.c``, 2.0.28).

:class:`AlphaNet` builds the network durable would build (``createAlpha``/``findAlpha``)
and bounds the walk's deepest stack over every possible fact: the compiler fills each
ruleset ("shard") only while the bound stays under :data:`STACK_LIMIT`.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from typing import Any

Expr = dict[str, Any]
#: (operator, property, value with its type): 1 == True in Python, not in the engine.
LeafKey = tuple[str, str, tuple[str, Any]]

#: The deepest match stack a shard may need in the worst case (durable has 64 entries).
#: The margin covers what the model might miss; the shipped pack needed 68 in one shard.
STACK_LIMIT = 56
_MAX_CHILDREN = 500  # children tested on a fact property: a 512-slot table (error 106)
_MAX_JOINS = 120  # "missing" tests and $or joins below one node: 128 entries (error 107)
_MAX_ENDS = 250  # patterns ending at one node: 256 entries (error 108)
_MAX_RULES = 4000  # rules per ruleset: 4,096 (error 106), with the engine's catch-alls

_RANGE_OPS = ("$lt", "$lte", "$gt", "$gte")


def leaf_parts(leaf: Expr) -> tuple[str, str, Any]:
    """(operator, property, value) of a compiled leaf such as {"$neq": {"q_age": 30}}."""
    ((key, body),) = leaf.items()
    if key.startswith("$"):
        ((prop, value),) = body.items()
        return key, prop, value
    return "$eq", key, body


def leaf_key(leaf: Expr) -> LeafKey:
    op, prop, value = leaf_parts(leaf)
    return op, prop, (type(value).__name__, value)


def most_matched(tests: list[tuple[str, Any]]) -> int:
    """How many of these (operator, value) tests on one property one value can pass.

    Exact: for whole numbers every value behaves like one of the constants or a
    neighbour of one; for other values, like a constant or like none of them.
    """
    present = sum(1 for op, _ in tests if op == "$ex")
    equal = Counter(value for op, value in tests if op == "$eq")
    unequal = Counter(value for op, value in tests if op == "$neq")
    bounds = {op: sorted(value for o, value in tests if o == op) for op in _RANGE_OPS}
    numbers = [value for op, value in tests if op != "$ex" and type(value) is int]
    candidates: list[Any] = [*equal, *unequal, *(n + d for n in numbers for d in (-1, 0, 1))]
    best = present + sum(unequal.values()) if not any(bounds.values()) else 0
    for value in candidates:
        passed = present + equal[value] + sum(unequal.values()) - unequal[value]
        if type(value) is int:
            passed += len(bounds["$lt"]) - bisect.bisect_right(bounds["$lt"], value)
            passed += len(bounds["$lte"]) - bisect.bisect_left(bounds["$lte"], value)
            passed += bisect.bisect_left(bounds["$gt"], value)
            passed += bisect.bisect_right(bounds["$gte"], value)
        best = max(best, passed)
    return best


class _Node:
    """One test of the network: its children, and the walk's worst case below it."""

    __slots__ = ("children", "ends", "height", "joins", "missing", "pushed", "tests")

    def __init__(self) -> None:
        self.children: dict[LeafKey, _Node] = {}  # tests on a property the fact has
        self.tests: dict[str, list[tuple[str, Any]]] = {}  # those tests, by property
        self.pushed: dict[str, int] = {}  # most of them one fact passes, by property
        self.missing: dict[str, _Node] = {}  # $nex tests, by property
        self.joins: list[_Node] = []  # $or join nodes after this one (always pushed)
        self.ends = 0  # patterns ending here
        self.height = 0  # deepest stack while the walk is below this node

    def pushes(self) -> int:
        """Most children one fact can push when this node comes off the stack."""
        props = self.pushed.keys() | self.missing.keys()
        # a property is there (its tests may pass) or missing (its $nex passes)
        most = sum(max(self.pushed.get(p, 0), 1 if p in self.missing else 0) for p in props)
        return most + len(self.joins)

    def kids(self) -> list[_Node]:
        return [*self.children.values(), *self.missing.values(), *self.joins]


class AlphaNet:
    """The alpha network of one ruleset, grown one rule at a time."""

    def __init__(self) -> None:
        self._root = _Node()
        self._rules = 0

    def add(self, rule: dict[str, Any], stack_limit: int = STACK_LIMIT) -> bool:
        """Add a compiled rule (``{"pri": .., "all": [{alias: pattern}, ...]}``); False
        when the ruleset no longer fits durable's tables (the net is then spoilt: start
        a new one)."""
        self._rules += 1
        touched: list[_Node] = [self._root]
        for pattern in rule["all"]:
            (expr,) = pattern.values()
            self._insert(expr, self._root, touched).ends += 1
        _refresh(touched)
        return (
            self._rules <= _MAX_RULES
            and max(1, self._root.height) <= stack_limit
            and all(
                len(node.children) <= _MAX_CHILDREN
                and len(node.missing) + len(node.joins) <= _MAX_JOINS
                and node.ends <= _MAX_ENDS
                for node in touched
            )
        )

    def _insert(self, expr: Expr, parent: _Node, touched: list[_Node]) -> _Node:
        """Where ``expr`` ends, below ``parent`` (durable's createAlpha and findAlpha)."""
        if "$and" in expr:
            node = parent
            for part in expr["$and"]:
                node = self._insert(part, node, touched)
            return node
        if "$or" in expr:
            join = _Node()
            for alternative in expr["$or"]:
                end = self._insert(alternative, parent, touched)
                end.joins.append(join)
                touched.append(end)
            touched.append(join)
            return join
        key = leaf_key(expr)
        op, prop, (_, value) = key
        if op == "$nex":
            node = parent.missing.setdefault(prop, _Node())
        elif key in parent.children:
            node = parent.children[key]
        else:
            node = parent.children[key] = _Node()
            parent.tests.setdefault(prop, []).append((op, value))
            parent.pushed[prop] = most_matched(parent.tests[prop])
        touched.append(parent)
        touched.append(node)
        return node


def _refresh(touched: list[_Node]) -> None:
    """Recompute the walk's worst case at the nodes a rule changed (children first).

    When a node comes off the stack it pushes up to ``pushes`` children; the walk then
    takes them one at a time, the others waiting beneath, so the deepest stack below it
    is ``pushes - 1`` plus the deepest below any one child (or ``pushes`` itself).
    """
    stale = {id(node) for node in touched}
    done: set[int] = set()

    def visit(node: _Node) -> int:
        if id(node) not in stale or id(node) in done:
            return node.height
        done.add(id(node))
        kids = node.kids()
        if kids:
            pushed = node.pushes()
            node.height = max(pushed, pushed - 1 + max(visit(kid) for kid in kids))
        return node.height

    for node in touched:
        visit(node)


def fits_alone(pattern: Expr, stack_limit: int = STACK_LIMIT) -> bool:
    """Whether one answers pattern fits a ruleset of its own."""
    return AlphaNet().add({"all": [{"a": pattern}]}, stack_limit)


def shard(
    definition: dict[str, Any],
    stack_limit: int = STACK_LIMIT,
    quiet: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Split a definition (already in priority order) into contiguous rulesets that each
    fit durable's tables (each rule must fit on its own: see :func:`fits_alone`).

    ``quiet[b]`` says that a ruleset may end before rule ``b`` without changing the
    order rules fire in (the caller knows: nothing derived on one side is read on the
    other, and no rule is cut in two). A full ruleset ends at the last quiet place that
    keeps at least a quarter of it, or, when there is none, where it filled up.
    """
    names = list(definition)
    shards: list[dict[str, Any]] = []
    start = 0
    while start < len(names):
        net = AlphaNet()
        net.add(definition[names[start]], stack_limit)  # the first rule always goes in
        end = start + 1
        while end < len(names) and net.add(definition[names[end]], stack_limit):
            end += 1
        if end < len(names) and quiet is not None:
            # a quiet place keeping a quarter of what fits, so that there are at most
            # four times as many rulesets as filling each up would make
            least = start + max(1, (end - start) // 4)
            end = max((b for b in range(least, end + 1) if quiet[b]), default=end)
        shards.append({name: definition[name] for name in names[start:end]})
        start = end
    return shards or [{}]  # a pack whose rules can never hold still gets a ruleset
