"""The reasoning graph: questions -> rules -> findings -> recommendations, Mermaid and DOT."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from legrules import Engine
from legrules.report.graph import (
    Graph,
    assessment_graph,
    pack_graph,
    render_graph,
    to_dot,
    to_mermaid,
)

SAFE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def test_pack_graph_has_every_rule_and_what_it_reads(engine: Engine) -> None:
    graph = pack_graph(engine.pack)
    for rule in engine.pack.rules:
        assert f"r_{rule.id.replace('-', '_')}" in graph.nodes
    assert all(SAFE_ID.match(node_id) for node_id in graph.nodes)
    edges = {(e.source, e.target): e for e in graph.edges}
    assert edges[("q_squat_felt_most", "r_glute_dominance")].label == "is glutes"
    lowback = "r_lowback_compensation_in_hinges"
    assert edges[("q_pain_type", lowback)].label == "not is sharp"
    assert ("f_hamstrings_underused", "r_hamstrings_underused_keep_hinges_honest") in edges
    for name in engine.pack.index.derived_by:
        assert f"f_{name}" in graph.nodes
    assert edges[("rec_see_professional", "rec_training_plan")].dashed


def test_assessment_graph_is_the_chain_behind_one_result(engine: Engine) -> None:
    result = engine.assess({"hinge_felt_most": "lower_back"})
    graph = assessment_graph(result, engine.pack)
    fired = {f"r_{f.rule.replace('-', '_')}" for f in result.trace}
    rule_nodes = {n for n, node in graph.nodes.items() if node.kind == "rule"}
    assert rule_nodes == fired  # only rules that fired
    assert graph.nodes["q_hinge_felt_most"].label == "hinge_felt_most = lower_back"
    assert ("r_lowback_compensation_in_hinges", "f_hamstrings_underused") in {
        (e.source, e.target) for e in graph.edges
    }
    made = {n for n, node in graph.nodes.items() if node.kind in ("recommendation", "safety")}
    assert {f"rec_{r.id}" for r in result.recommendations} <= made


def test_referral_graph_shows_what_was_withheld(engine: Engine) -> None:
    result = engine.assess({"pain_type": "sharp"})
    graph = assessment_graph(result, engine.pack)
    withheld = {n for n, node in graph.nodes.items() if node.kind == "withheld"}
    assert "rec_leg_curl" in withheld
    assert graph.nodes["rec_training_plan"].label == "training plan (withheld)"
    dashed = {(e.source, e.target) for e in graph.edges if e.dashed}
    assert ("r_sharp_or_escalating_pain", "rec_leg_curl") in dashed


def test_labels_are_escaped() -> None:
    graph = Graph()
    a = graph.node("question", "q", 'say "hi" <b> & more')
    b = graph.node("rule", "r-1")
    graph.edge(a, b, 'a "quoted" > label')
    mermaid = to_mermaid(graph)
    assert '"' not in mermaid.split("[", 1)[1].split("]")[0].strip('"')
    assert "#34;hi#34;" in mermaid
    assert "#60;b#62;" in mermaid
    dot = to_dot(graph)
    assert r'label="say \"hi\" <b> & more"' in dot
    assert "r_r_1" in dot
    with pytest.raises(ValueError, match="unknown graph format"):
        render_graph(graph, "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_both_graphs(engine: Engine) -> None:
    result = engine.assess({"pain_type": "sharp", "squat_felt_most": "glutes"})
    for graph in (pack_graph(engine.pack), assessment_graph(result, engine.pack)):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=to_dot(graph), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "<svg" in done.stdout


def test_mermaid_lines_are_well_formed(engine: Engine) -> None:
    text = to_mermaid(pack_graph(engine.pack))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node = re.compile(
        r'^  [a-z]+_\w+(\["|\("|\{\{"|\[\["|\[/")[^"]*("\]|"\)|"\}\}|"\]\]|"/\]):::\w+$'
    )
    edge = re.compile(r'^  \w+ (-->|-\.->)(\|"[^"]*"\|)? \w+$')
    classdef = re.compile(r"^  classDef \w+ .+$")
    for line in lines[1:]:
        assert node.match(line) or edge.match(line) or classdef.match(line), line
