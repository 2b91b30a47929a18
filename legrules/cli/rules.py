"""``legrules rules``: list, show, lint, test and graph the rules of a pack."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from legrules.cli._common import (
    echo_json,
    engine_for,
    format_options,
    handle_errors,
    rules_option,
)
from legrules.errors import EXIT_CHECK_FAILED
from legrules.paths import pack_dir


@click.group()
def rules() -> None:
    """Inspect, check and test the rules.

    \b
    Example:
      legrules rules show glute-dominance

    Exit codes: 0 done, 1 lint or test found problems, 2 invalid rules or usage.
    """


@rules.command("list")
@click.option("--tag", "tags", multiple=True, help="Only rules with this tag (repeatable: any).")
@click.option(
    "--provenance",
    type=click.Choice(["article", "inferred", "safety"]),
    help="Only rules from the article, inferred from it, or from safety screening.",
)
@click.option(
    "--status",
    type=click.Choice(["stable", "experimental", "deprecated"]),
    help="Only this status.",
)
@format_options("text", "json", help="A table for a person, or JSON for tools.")
@rules_option
@handle_errors
def rules_list(
    tags: tuple[str, ...],
    provenance: str | None,
    status: str | None,
    fmt: str,
    rules_dir: Path | None,
) -> None:
    """List the rules in firing order (priority, then file order).

    \b
    Examples:
      legrules rules list
      legrules rules list --provenance safety
      legrules rules list --tag hamstrings --format json

    Exit codes: 0 done (also when nothing matches), 2 invalid rules.
    """
    from legrules.report.ruledoc import filter_rules, rule_rows, rule_summary
    from legrules.run.loader import load_pack
    from legrules.text import table

    pack = load_pack(pack_dir(rules_dir))
    found = filter_rules(pack, tags=tags, provenance=provenance, status=status)
    if fmt == "json":
        data = [rule_summary(r) for r in found]
        echo_json(data)
        return
    if not found:
        click.echo("legrules: no rule matches these filters", err=True)
        return
    headers = ["ID", "PROVENANCE", "STATUS", "PRIORITY", "TITLE"]
    click.echo("\n".join(table([headers, *rule_rows(found)])))


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@format_options("text", "json", help="The rule explained for a person, or JSON for tools.")
@rules_option
@handle_errors
def rules_show(rule_id: str, fmt: str, rules_dir: Path | None) -> None:
    """One rule explained: why, when, what it does, what it reads, sources.

    \b
    Example:
      legrules rules show lowback-compensation-in-hinges

    Exit codes: 0 done, 2 unknown rule id (with a did-you-mean) or invalid rules.
    """
    from legrules.explain.whyasked import find_rule
    from legrules.report.ruledoc import rule_text, rule_to_dict
    from legrules.run.loader import load_pack

    pack = load_pack(pack_dir(rules_dir))
    rule = find_rule(pack, rule_id)
    if fmt == "json":
        echo_json(rule_to_dict(pack, rule))
    else:
        click.echo(rule_text(pack, rule), nl=False)


@rules.command("lint", short_help="Check a pack: loader problems, unreachable or shadowed rules.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
@format_options("text", "json", help="One line per finding, or a JSON list of them.")
@rules_option
@handle_errors
def rules_lint(strict: bool, fmt: str, rules_dir: Path | None) -> None:
    """Check a pack: loader problems, unreachable or shadowed rules, unused parts.

    \b
    Examples:
      legrules rules lint
      legrules rules lint --rules my-pack --strict

    \b
    Checks:
      LR001 invalid-pack             (error)   what the loader refuses, with file:line
      LR002 invalid-test-case        (error)   a malformed rule test case file
      LR101 unreachable-rule         (error)   no answers can make the rule fire
      LR102 shadowed-rule            (warning) its advice is always withheld
      LR103 shadowed-recommendation  (warning) one of its recommendations always is
      LR201 unread-question          (warning) no rule reads the question
      LR202 unread-finding           (warning) a finding no rule matches
      LR203 never-recommended        (warning) a catalogue id nothing can produce
      LR204 unused-source            (warning) a pack.yaml reference no rule cites
      LR901 not-checked              (warning) too many combinations to decide

    Exit codes: 0 no errors (warnings allowed unless --strict), 1 problems found,
    2 the directory is not a rule pack.
    """
    from legrules.authoring.lint import lint_pack

    issues = lint_pack(pack_dir(rules_dir))
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    if fmt == "json":
        echo_json([i.to_dict() for i in issues])
    else:
        for issue in issues:
            click.echo(issue.render())
        click.echo(
            f"{len(errors)} error{'s' * (len(errors) != 1)}, "
            f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"
        )
    if errors or (strict and warnings):
        sys.exit(EXIT_CHECK_FAILED)


@rules.command("test")
@click.option("-v", "--verbose", is_flag=True, help="Also list the cases that pass.")
@click.option(
    "--tests",
    "tests_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Test case directory (default: the pack's tests/ folder).",
)
@click.option(
    "--require-coverage",
    is_flag=True,
    help="Fail unless every rule has a case where it fires and one where it does not.",
)
@format_options("text", "json", help="A report for a person, or JSON for tools.")
@rules_option
@handle_errors
def rules_test(
    verbose: bool,
    tests_dir: Path | None,
    require_coverage: bool,
    fmt: str,
    rules_dir: Path | None,
) -> None:
    """Run the rule test cases (<pack>/tests/*.yaml); report coverage.

    \b
    Examples:
      legrules rules test
      legrules rules test --rules my-pack -v

    Each case is an answers document with the rules that must (and must not) fire and
    the outcome expected. A rule is covered when some case shows it firing and some
    case shows it not firing.

    Exit codes: 0 every case passed, 1 a case failed (or coverage is missing with
    --require-coverage), 2 invalid rules or a malformed test case file.
    """
    from legrules.authoring.ruletests import run_all

    engine = engine_for(rules_dir)
    results, coverage = run_all(engine, tests_dir)
    gaps = coverage.uncovered(list(engine.pack.rules))
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        data = {
            "passed": len(results) - len(failed),
            "failed": len(failed),
            "cases": [asdict(r) | {"passed": r.passed} for r in results],
            "uncovered": gaps,
        }
        echo_json(data)
    else:
        for result in results:
            if result.passed and not verbose:
                continue
            mark = "PASS" if result.passed else "FAIL"
            click.echo(f"{mark} {result.file}: {result.name}")
            for failure in result.failures:
                click.echo(f"     {failure}")
        total = len(engine.pack.rules)
        click.echo(
            f"{len(results) - len(failed)} passed, {len(failed)} failed "
            f"({len(results)} cases); rule coverage {total - len(gaps)} of {total}"
        )
        for rule_id, missing in gaps.items():
            click.echo(f"  not covered: {rule_id} ({'; '.join(missing)})")
    if failed or (require_coverage and gaps):
        sys.exit(EXIT_CHECK_FAILED)


@rules.command("graph")
@format_options(
    "mermaid",
    "dot",
    "json",
    help="Mermaid (renders in GitHub/GitLab Markdown), Graphviz DOT, or JSON (nodes and "
    "edges) for tools.",
)
@rules_option
@handle_errors
def rules_graph(fmt: str, rules_dir: Path | None) -> None:
    """Draw the pack: questions -> rules -> findings -> recommendations.

    \b
    Examples:
      legrules rules graph > rules.mmd
      legrules rules graph --format dot | dot -Tsvg > rules.svg
      legrules rules graph --json

    Edges from a question carry the rule's test on it; dashed edges withhold.

    Exit codes: 0 done, 2 invalid rules.
    """
    from legrules.report.graph import pack_graph, render_graph
    from legrules.run.loader import load_pack

    graph = pack_graph(load_pack(pack_dir(rules_dir)))
    if fmt == "json":
        data = {
            "nodes": [asdict(node) for node in graph.nodes.values()],
            "edges": [asdict(edge) for edge in graph.edges],
        }
        echo_json(data)
        return
    click.echo(render_graph(graph, fmt), nl=False)
