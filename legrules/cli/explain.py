"""``legrules explain``: HOW each recommendation was reached, WHY NOT, and the graph."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from legrules.cli._common import (
    NO_ANSWERS_HELP,
    answers_given,
    answers_options,
    echo_json,
    engine_for,
    fail,
    format_options,
    gather_answers,
    handle_errors,
    rules_option,
)
from legrules.errors import EXIT_BAD_INPUT, UnknownIdError
from legrules.paths import contract_file

GRAPH_FORMATS = ("mermaid", "dot")


@click.command()
@answers_options
@click.option(
    "--why-not",
    "why_not_ids",
    multiple=True,
    metavar="ID",
    help="Why a recommendation was not made (repeatable): each rule that could have made "
    "it and the first condition that failed. Ids or titles: leg_curl, 'leg curls'.",
)
@format_options(
    "text",
    "json",
    *GRAPH_FORMATS,
    help="The explanation as text or JSON for tools; or the reasoning chain as a graph "
    "(answers -> rules -> findings -> advice) in Mermaid (renders in Markdown) or "
    "Graphviz DOT.",
    shortcuts={"--graph": ("mermaid", "Shortcut for --format mermaid.")},
)
@click.option(
    "--graph-format",
    type=click.Choice(GRAPH_FORMATS),
    default=None,
    hidden=True,
    help="Deprecated: with --graph, the graph's syntax; use --format mermaid|dot.",
)
@rules_option
@handle_errors
def explain(
    *,
    answers_path: str | None,
    answer_pairs: tuple[str, ...],
    defaults: bool,
    why_not_ids: tuple[str, ...],
    graph_format: str | None,
    fmt: str,
    rules_dir: Path | None,
) -> None:
    """How each recommendation was reached, or why one was not.

    \b
    Examples:
      legrules explain --answers client.yaml
      legrules explain --answers client.yaml --why-not leg_curl
      legrules explain --answers client.yaml --graph > chain.mmd
      legrules explain --answers client.yaml --format dot | dot -Tsvg > chain.svg
      legrules explain --answers client.yaml --json

    HOW (the default): for each recommendation, every rule that made it, the answers
    that matched, findings and the rules that derived them, the rationale and the
    source. --why-not ID: for each rule that could have made the recommendation, either
    it fired (and what withheld it) or the first condition that failed, with the answer
    that failed it.

    Exit codes: 0 done, 2 invalid answers, unknown recommendation id or invalid rules.
    """
    from legrules.explain.whyasked import find_recommendation
    from legrules.explain.whynot import why_not
    from legrules.report.assessment import explanation_lines
    from legrules.report.graph import assessment_graph, render_graph

    if not answers_given(answers_path, answer_pairs, defaults):
        fail(f"explain needs the answers to explain. {NO_ANSWERS_HELP}", EXIT_BAD_INPUT)
    engine = engine_for(rules_dir)
    recommendation_ids = []
    for text in why_not_ids:
        try:
            recommendation_ids.append(find_recommendation(engine.pack, text))
        except UnknownIdError as error:
            hint = f" (did you mean {error.suggestion!r}?)" if error.suggestion else ""
            fail(
                f"--why-not {text!r}: unknown recommendation{hint}; the ids are listed in "
                f"section 2 of {contract_file()} and by `legrules rules graph`",
                EXIT_BAD_INPUT,
            )
    answers = gather_answers(engine, answers_path, answer_pairs)
    result = engine.assess(answers)
    if fmt in GRAPH_FORMATS:
        # the deprecated spelling, --graph --graph-format dot, still means --format dot
        syntax = graph_format if graph_format is not None else fmt
        click.echo(render_graph(assessment_graph(result, engine.pack), syntax), nl=False)
        return
    verdicts = [why_not(engine.pack, answers, rec_id, result) for rec_id in recommendation_ids]
    if fmt == "json":
        data: dict[str, object] = {
            "assessment_id": result.assessment_id,
            "status": result.status,
            "ruleset": result.ruleset.model_dump(mode="json"),
        }
        if verdicts:
            data["why_not"] = [asdict(v) for v in verdicts]
        else:
            data["how"] = [
                {"id": rec.id, "because": [r.model_dump(mode="json") for r in rec.because]}
                for rec in result.recommendations
            ]
            data["suppressed"] = [s.model_dump(mode="json") for s in result.suppressed]
            data["trace"] = [f.model_dump(mode="json") for f in result.trace]
        echo_json(data)
        return
    if verdicts:
        click.echo("\n".join(verdict.text() for verdict in verdicts), nl=False)
        return
    status = "referral (no training plan)" if result.status == "referral" else "ok"
    click.echo(f"Assessment: {status}; {len(result.recommendations)} recommendations")
    click.echo()
    click.echo("\n".join(explanation_lines(result, engine.pack)))
