"""The reasoning as a graph: questions -> rules -> findings -> recommendations.

Two graphs, each as Mermaid (renders on GitHub, GitLab and most Markdown viewers) or
Graphviz DOT:

* :func:`pack_graph`: everything a rule pack can conclude, so a coach can see at a glance
  which answers lead where. Edges from a question carry the rule's test on it.
* :func:`assessment_graph`: the chain behind one assessment: the answers that mattered,
  the rules that fired, the findings they derived, the recommendations made, and what a
  suppression or referral withheld.

Node ids are derived from the pack's ids with a kind prefix, so they are stable between
runs and safe for both formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from legrules.logic.conditions import describe
from legrules.pack.model import RulePack
from legrules.pack.schema import FactLeaf, FindingLeaf, walk
from legrules.pack.values import show_value
from legrules.run.assessment import Assessment

NodeKind = Literal["question", "rule", "finding", "recommendation", "safety", "withheld"]

_PREFIX = {
    "question": "q",
    "rule": "r",
    "finding": "f",
    "recommendation": "rec",
    "safety": "rec",
    "withheld": "rec",
}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: NodeKind


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Graph:
    """Nodes and edges in insertion order (so the output is deterministic)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def node(self, kind: NodeKind, name: str, label: str | None = None) -> str:
        node_id = f"{_PREFIX[kind]}_{name.replace('-', '_')}"
        if node_id not in self.nodes:
            self.nodes[node_id] = Node(node_id, label if label is not None else name, kind)
        return node_id

    def edge(self, source: str, target: str, label: str = "", *, dashed: bool = False) -> None:
        edge = Edge(source, target, label, dashed)
        if edge not in self.edges:
            self.edges.append(edge)


def _test_on(leaf: FactLeaf) -> str:
    """A leaf without its fact name: ``squat_felt_most is glutes`` -> ``is glutes``."""
    return describe(leaf).removeprefix(leaf.fact).strip()


def pack_graph(pack: RulePack) -> Graph:
    """Every question a rule reads, every rule, finding and recommendation in the pack."""
    catalogue = pack.recommendations()
    graph = Graph()
    for rule in pack.rules:
        rule_node = graph.node("rule", rule.id)
        tests: dict[str, list[str]] = {}
        for node, negated in walk(rule.when):
            if isinstance(node, FactLeaf):
                text = _test_on(node)
                tests.setdefault(node.fact, []).append(f"not {text}" if negated else text)
            elif isinstance(node, FindingLeaf):
                graph.edge(graph.node("finding", node.finding), rule_node)
        for fact, texts in tests.items():
            label = " / ".join(dict.fromkeys(texts))
            graph.edge(graph.node("question", fact), rule_node, label)
        for name in rule.then.derive:
            graph.edge(rule_node, graph.node("finding", name), "derives")
        for rec in rule.then.recommend:
            kind: NodeKind = "safety" if catalogue[rec.id].kind == "safety" else "recommendation"
            graph.edge(rule_node, graph.node(kind, rec.id), rec.urgency or "")
        if rule.then.suppress is not None:
            for rec_id in rule.then.suppress.recommendations:
                kind = "safety" if catalogue[rec_id].kind == "safety" else "recommendation"
                graph.edge(rule_node, graph.node(kind, rec_id), "withholds", dashed=True)
            for kind_name in rule.then.suppress.kinds:
                target = graph.node("withheld", f"every_{kind_name}", f"every {kind_name}")
                graph.edge(rule_node, target, "withholds", dashed=True)
    for rule in pack.rules:
        if rule.then.plan is not None:
            graph.edge(graph.node("rule", rule.id), _plan_node(graph, withheld=False), "shapes")
    for definition in pack.catalogue.recommendations:
        if definition.withholds_plan and f"rec_{definition.id}" in graph.nodes:
            graph.edge(
                f"rec_{definition.id}",
                _plan_node(graph, withheld=False),
                "withholds",
                dashed=True,
            )
    return graph


def _plan_node(graph: Graph, *, withheld: bool) -> str:
    if withheld:
        return graph.node("withheld", "training_plan", "training plan (withheld)")
    return graph.node("recommendation", "training_plan", "weekly plan")


def assessment_graph(assessment: Assessment, pack: RulePack) -> Graph:
    """The chain behind one assessment, from its trace (``pack`` says what withholds)."""
    catalogue = pack.recommendations()
    graph = Graph()
    kinds = {rec.id: rec.kind for rec in assessment.recommendations}
    for firing in assessment.trace:
        rule_node = graph.node("rule", firing.rule)
        for question, value in firing.matched.answers.items():
            label = f"{question} = {show_value(value)}"
            graph.edge(graph.node("question", question, label), rule_node)
        for name in firing.matched.findings:
            graph.edge(graph.node("finding", name), rule_node)
        for name in firing.asserted.derive:
            graph.edge(rule_node, graph.node("finding", name), "derives")
    for rec in assessment.recommendations:
        kind: NodeKind = "safety" if kinds[rec.id] == "safety" else "recommendation"
        target = graph.node(kind, rec.id)
        for reason in rec.because:
            graph.edge(graph.node("rule", reason.rule), target)
    for item in assessment.suppressed:
        target = graph.node("withheld", item.recommendation, f"{item.recommendation} (withheld)")
        for rule in item.made_by:
            graph.edge(graph.node("rule", rule), target)
        graph.edge(graph.node("rule", item.by), target, "withholds", dashed=True)
    rules = pack.rules_by_id()
    withheld = assessment.status == "referral"
    for firing in assessment.trace:
        fired = rules.get(firing.rule)
        if fired is not None and fired.then.plan is not None:
            graph.edge(graph.node("rule", fired.id), _plan_node(graph, withheld=withheld), "shapes")
    if withheld:
        for rec in assessment.recommendations:
            if rec.id in catalogue and catalogue[rec.id].withholds_plan:
                graph.edge(
                    f"rec_{rec.id}", _plan_node(graph, withheld=True), "withholds", dashed=True
                )
    return graph


_MERMAID_SHAPES = {
    "question": ('["', '"]'),
    "rule": ('("', '")'),
    "finding": ('{{"', '"}}'),
    "recommendation": ('[["', '"]]'),
    "safety": ('[["', '"]]'),
    "withheld": ('[/"', '"/]'),
}

_CLASSES = {
    "question": "fill:#e8eefc,stroke:#4a5f9a",
    "rule": "fill:#fff5d6,stroke:#9a7a1a",
    "finding": "fill:#e6f4ea,stroke:#2f7a45",
    "recommendation": "fill:#f1f1f1,stroke:#555",
    "safety": "fill:#fde2e1,stroke:#b3261e",
    "withheld": "fill:#ffffff,stroke:#999,stroke-dasharray:4 3,color:#777",
}


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#38;").replace('"', "#34;").replace("<", "#60;").replace(">", "#62;")


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``flowchart LR`` text (paste into a Markdown ```mermaid block)."""
    lines = ["flowchart LR"]
    for node in graph.nodes.values():
        start, end = _MERMAID_SHAPES[node.kind]
        lines.append(f"  {node.id}{start}{_mermaid_text(node.label)}{end}:::{node.kind}")
    for edge in graph.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    used = dict.fromkeys(node.kind for node in graph.nodes.values())
    lines.extend(f"  classDef {kind} {_CLASSES[kind]}" for kind in used)
    return "\n".join(lines) + "\n"


_DOT_STYLE = {
    "question": 'shape=box, style="rounded,filled", fillcolor="#e8eefc"',
    "rule": 'shape=ellipse, style=filled, fillcolor="#fff5d6"',
    "finding": 'shape=hexagon, style=filled, fillcolor="#e6f4ea"',
    "recommendation": 'shape=box, style=filled, fillcolor="#f1f1f1"',
    "safety": 'shape=box, style="filled,bold", fillcolor="#fde2e1", color="#b3261e"',
    "withheld": 'shape=box, style=dashed, fontcolor="#777777", color="#999999"',
}


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph, name: str = "legrules") -> str:
    """Graphviz DOT text (``dot -Tsvg graph.dot > graph.svg``)."""
    lines = [
        f"digraph {_dot_text(name)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in graph.nodes.values():
        lines.append(f"  {node.id} [label={_dot_text(node.label)}, {_DOT_STYLE[node.kind]}];")
    for edge in graph.edges:
        attrs = []
        if edge.label:
            attrs.append(f"label={_dot_text(edge.label)}")
        if edge.dashed:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(graph: Graph, fmt: str) -> str:
    """``fmt`` is ``mermaid`` or ``dot``."""
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    raise ValueError(f"unknown graph format {fmt!r}: use mermaid or dot")
