"""``legrules assess``: answers in (asked at the terminal, or given), a report out."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from legrules.cli import _common
from legrules.cli._common import (
    NO_ANSWERS_HELP,
    answers_given,
    answers_options,
    fail,
    format_options,
    handle_errors,
    rules_option,
)
from legrules.cli.audit import assess_audit_log, audit_log_option, note_recorded, redact_option
from legrules.errors import EXIT_BAD_INPUT


@click.command()
@answers_options
@click.option(
    "--no-input",
    is_flag=True,
    help="Never prompt, even on a terminal (answers must come from the options).",
)
@format_options(
    "text",
    "markdown",
    "json",
    help="A report for a person (text, markdown) or CONTRACT JSON for programs.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Add the full reasoning per recommendation: rule, matched answers, rationale, "
    "source (text and markdown; the JSON always has it).",
)
@click.option(
    "--save",
    "save_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Keep the answers in FILE (YAML, or JSON if it ends in .json) for later runs.",
)
@click.option(
    "--all-questions",
    is_flag=True,
    help="At the terminal, also ask questions that cannot change the result.",
)
@click.option(
    "--batch",
    "batch_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="IN.jsonl",
    help="Assess one answers document per line (JSON Lines), using worker processes.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT.jsonl",
    help="With --batch: where to write one Assessment (or error record) per input line.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --batch: worker processes (default: one per CPU).",
)
@rules_option
@audit_log_option
@redact_option
@handle_errors
def assess(
    *,
    answers_path: str | None,
    answer_pairs: tuple[str, ...],
    defaults: bool,
    no_input: bool,
    fmt: str,
    as_json: bool,
    explain: bool,
    save_path: Path | None,
    all_questions: bool,
    batch_path: Path | None,
    out_path: Path | None,
    workers: int | None,
    rules_dir: Path | None,
    audit_log: Path | None,
    redact: tuple[str, ...],
) -> None:
    """Answer the questionnaire; get explained recommendations.

    \b
    Examples:
      legrules assess                                  # asks at the terminal
      legrules assess --save my-answers.yaml           # ... and keeps the answers
      legrules assess --answers my-answers.yaml --explain
      legrules assess --answer squat_felt_most=glutes --answer age=34 --json
      cat answers.json | legrules assess --answers - --format markdown
      legrules assess --batch clients.jsonl --out assessments.jsonl

    On a terminal with no answers given, it asks the questions (grouped, with a
    progress count; Enter takes the default shown; ? explains why a question is asked)
    and shows a review screen before the result. Without a terminal, or with
    --no-input, answers must come from --answers, --answer or --defaults.

    The report goes to stdout; questions and messages go to stderr.

    With --batch, each input line is assessed in a worker process and written, in
    order, to --out; a bad line becomes an error record there and is reported on stderr
    with its line number, without stopping the batch.

    Exit codes: 0 done (a referral to a professional is a valid result), 1 a batch
    could not finish (a worker died, the output could not be written), 2 invalid
    answers, options or rules (with --batch: any bad line), 130 interrupted (Ctrl-C),
    143/129 a batch stopped by SIGTERM/SIGHUP.
    """
    if batch_path is not None or out_path is not None:
        _run_batch(
            batch_path,
            out_path,
            workers=workers,
            rules_dir=rules_dir,
            other_inputs=audit_log is not None or bool(redact) or answers_path is not None,
        )
        return
    given = answers_given(answers_path, answer_pairs, defaults)
    interactive = not given and not no_input and _common.stdin_is_tty()
    if not given and not interactive:
        why = "--no-input forbids asking" if no_input else "stdin is not a terminal to ask on"
        fail(f"no answers given, and {why}. {NO_ANSWERS_HELP}", EXIT_BAD_INPUT)
    log = assess_audit_log(audit_log, redact)
    engine = _common.engine_for(rules_dir, audit_log=log)
    err_style = _common.styler(_common.color_allowed(err=True))
    if interactive:
        from legrules.cli import _questionnaire

        raw = _questionnaire.run(engine.pack, ask_all=all_questions, style=err_style)
        answers = engine.validate(raw, "your answers")
        click.echo(err=True)
    else:
        answers = _common.gather_answers(engine, answers_path, answer_pairs)
    _common.warn_unanswered(engine.pack, answers, err_style)
    if save_path is not None:
        _save(save_path, {key: answers[key] for key in answers if key in answers.provided})
    result = engine.assess(answers)
    note_recorded(log, result.assessment_id)
    if as_json or fmt == "json":
        click.echo(result.to_json())
        return
    # the report renderers (and the explanation machinery behind them) are imported
    # only when a report is asked for: JSON output does not need them
    from legrules.render import render_markdown, render_text

    if fmt == "markdown":
        click.echo(render_markdown(result, engine.pack, explain=explain), nl=False)
    else:
        style = _common.styler(_common.color_allowed())
        text = render_text(
            result, engine.pack, explain=explain, style=style, width=_common.report_width()
        )
        click.echo(text, nl=False)


def _save(path: Path, values: dict[str, object]) -> None:
    from legrules.interview import dump_answers

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = dump_answers(values, json_format=path.suffix.lower() == ".json", stamp=stamp)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"{path}: cannot save the answers ({error.strerror})", EXIT_BAD_INPUT)
    click.echo(f"legrules: saved your answers to {path}", err=True)
    click.echo(f"legrules: next time: legrules assess --answers {path}", err=True)
    sys.stderr.flush()


def _run_batch(
    batch_path: Path | None,
    out_path: Path | None,
    *,
    workers: int | None,
    rules_dir: Path | None,
    other_inputs: bool,
) -> None:
    from legrules.batch import Terminated, count_lines, run_batch

    if batch_path is None or out_path is None:
        fail("--batch IN.jsonl and --out OUT.jsonl go together", EXIT_BAD_INPUT)
    if other_inputs:
        fail("--batch does not combine with --answers, --audit-log or --redact", EXIT_BAD_INPUT)
    # compiled here, once: a broken pack is reported before any worker starts
    compiled = _common.compiled_for(rules_dir)
    try:
        if sys.stderr.isatty():
            total = count_lines(batch_path)
            with click.progressbar(length=total, label="assessing", file=sys.stderr) as bar:
                report = run_batch(
                    batch_path, out_path, rules=compiled, workers=workers, progress=bar.update
                )
        else:
            report = run_batch(batch_path, out_path, rules=compiled, workers=workers)
    except Terminated as stop:
        fail(f"{stop}: the batch was stopped and its partial output removed", stop.exit_code)
    for number, message in report.bad_lines:
        click.echo(f"legrules: {batch_path}:{number}: {message}", err=True)
    bad = f"; {len(report.bad_lines)} bad" if report.bad_lines else ""
    click.echo(
        f"legrules: {report.assessed} of {report.total} lines assessed into {out_path}{bad}",
        err=True,
    )
    if report.bad_lines:
        sys.exit(EXIT_BAD_INPUT)
