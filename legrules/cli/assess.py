"""``legrules assess``: answers in (asked at the terminal, or given), a report out."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from legrules.cli import _common
from legrules.cli._common import (
    NO_ANSWERS_HELP,
    answers_given,
    answers_options,
    audit_log_option,
    fail,
    format_options,
    handle_errors,
    iso_date,
    rules_option,
)
from legrules.cli._recording import assess_audit_log, note_recorded, redact_option
from legrules.errors import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from legrules.api import Engine
    from legrules.output import Output
    from legrules.pack.questionnaire import AnswerValue
    from legrules.run.answers import Answers
    from legrules.traininglog.assessing import MeasuredLogs
    from legrules.traininglog.model import TrainingLog


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
    help="A report for a person (text, markdown) or JSON for programs "
    "(docs/CONTRACT.md section 3).",
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
    help="Keep the answers in FILE (YAML, or JSON if it ends in .json) for later runs; "
    "on Ctrl-C at the terminal, the answers given so far (go on with --resume FILE).",
)
@click.option(
    "--resume",
    "resume_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="At the terminal, go on with the questionnaire saved in FILE (by --save, also on "
    "Ctrl-C): its answers are kept, only the rest is asked, and all are saved back to FILE.",
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
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="OUT.jsonl|-",
    help="With --batch: where to write one Assessment (or error record) per input line "
    "(- for stdout). Never one of the inputs.",
)
@click.option(
    "--compact",
    "compact_form",
    is_flag=True,
    help="With --batch: write each Assessment in the compact form (docs/CONTRACT.md): "
    "the rule pack's text is referenced by rule id and the pack's fingerprint.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --batch: worker processes (default: one per CPU).",
)
@click.option(
    "--log",
    "training_logs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A training log (Strong, Hevy, FitNotes or legrules CSV/JSON export; "
    "repeatable): the answers it measures (stalls, heavy sessions, sessions a week, "
    "hamstring work, exercises, tracking, dominant leg) replace your own and are not "
    "asked; the report shows the evidence, and where the log and your answer disagree.",
)
@click.option(
    "--units",
    type=click.Choice(["kg", "lb"]),
    default=None,
    help="With --log: the weight unit, for an export that does not say (Strong's classic CSV).",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    callback=iso_date,
    help="With --log: judge the log as of this date (YYYY-MM-DD) instead of today; a log "
    "answers habit questions only while its last leg session is recent.",
)
@rules_option
@audit_log_option(
    "Also record this assessment in the audit log at PATH (SQLite, created if missing)."
)
@redact_option
@handle_errors
def assess(
    *,
    answers_path: str | None,
    answer_pairs: tuple[str, ...],
    defaults: bool,
    no_input: bool,
    fmt: str,
    explain: bool,
    save_path: Path | None,
    resume_path: Path | None,
    all_questions: bool,
    batch_path: Path | None,
    out_path: Path | None,
    workers: int | None,
    training_logs: tuple[Path, ...],
    units: str | None,
    as_of: dt.date | None,
    compact_form: bool,
    rules_dir: Path | None,
    log_path: Path | None,
    redact: tuple[str, ...],
) -> None:
    """Answer the questionnaire; get explained recommendations.

    \b
    Examples:
      legrules assess                                  # asks at the terminal
      legrules assess --save my-answers.yaml           # ... and keeps the answers
      legrules assess --resume my-answers.yaml         # go on after Ctrl-C
      legrules assess --answers my-answers.yaml --explain
      legrules assess --answer squat_felt_most=glutes --answer age=34 --json
      cat answers.json | legrules assess --answers - --format markdown
      legrules assess --log strong-export.csv --answers my-answers.yaml --explain
      legrules assess --batch clients.jsonl --out assessments.jsonl

    On a terminal with no answers given, it asks the questions (grouped, with a
    progress count; Enter takes the default shown; ? explains why a question is asked;
    yes/no questions in a row come as one checklist) and shows a review screen before
    the result. Without a terminal, or with
    --no-input, answers must come from --answers, --answer or --defaults.

    The report goes to stdout; questions and messages go to stderr.

    With --log, the training log is read first (an unreadable one stops here, exit
    2, naming the line and column): the answers it measures are not asked, and they
    replace any you give. Where the log and your answer disagree, a note near the top
    of the report (and training_log.measured[].note in the JSON) shows both; the
    assessment uses the measured value. Without --answers or a terminal, the rest take
    their defaults. With --audit-log, the record keeps each log's digest and the
    measured answers with their evidence.

    With --batch, each input line is assessed in a worker process and written, in
    order, to --out; a bad line becomes an error record there and is reported on stderr
    with its line number, without stopping the batch.

    Exit codes: 0 done (a referral to a professional is a valid result), 1 a batch
    could not finish (a worker died, the output could not be written), 2 invalid
    answers, options, rules or --log (with --batch: any bad line), 130 interrupted (Ctrl-C),
    143/129 a batch stopped by SIGTERM/SIGHUP.
    """
    if batch_path is not None or out_path is not None:
        _run_batch(
            batch_path, out_path, workers=workers, rules_dir=rules_dir, compact_form=compact_form
        )
        return
    if workers is not None:
        fail("--workers only applies with --batch", EXIT_BAD_INPUT)
    if (units is not None or as_of is not None) and not training_logs:
        fail("--units and --as-of only apply with --log", EXIT_BAD_INPUT)
    if compact_form:
        fail("--compact only applies with --batch", EXIT_BAD_INPUT)
    given = answers_given(answers_path, answer_pairs, defaults)
    if resume_path is not None:
        _check_resume(given=given, no_input=no_input)
    # checked before any question is asked: a refused --save is better known first
    save_to = save_path if save_path is not None else resume_path
    save: Output | None = None
    if save_to is not None:
        # imported only when a file is to be written (not to print a result)
        from legrules.output import output

        save = output(
            save_to, "the answers", inputs=[answers_path, *training_logs], logs=[log_path]
        )
    interactive = (resume_path is not None or not given) and not no_input and _common.stdin_is_tty()
    if not given and not interactive and not training_logs:
        why = "--no-input forbids asking" if no_input else "stdin is not a terminal to ask on"
        fail(f"no answers given, and {why}. {NO_ANSWERS_HELP}", EXIT_BAD_INPUT)
    log = assess_audit_log(log_path, redact)
    engine = _common.engine_for(rules_dir, audit_log=log)
    err_style = _common.styler(_common.color_allowed(err=True))
    measured = _measure_logs(engine, training_logs, units, as_of) if training_logs else None
    from_log = measured.values() if measured is not None else {}
    if interactive:
        answers = _ask(engine, resume_path, save, from_log, all_questions=all_questions)
    else:
        answers = _common.gather_answers(engine, answers_path, answer_pairs)
    own = {key: answers[key] for key in answers if key in answers.provided}
    if measured is not None:
        _common.warn_unanswered(engine.pack, engine.validate({**own, **from_log}), err_style)
    else:
        _common.warn_unanswered(engine.pack, answers, err_style)
    if save is not None:
        _save(save, own)
    result = engine.assess(answers, log=measured)
    note_recorded(log, result.assessment_id)
    if fmt == "json":
        click.echo(result.to_json())
        return
    # the report renderers (and the explanation machinery behind them) are imported
    # only when a report is asked for: JSON output does not need them
    from legrules.report.assessment import render_markdown, render_text

    if fmt == "markdown":
        click.echo(render_markdown(result, engine.pack, explain=explain), nl=False)
    else:
        style = _common.styler(_common.color_allowed())
        text = render_text(
            result, engine.pack, explain=explain, style=style, width=_common.report_width()
        )
        click.echo(text, nl=False)


def _ask(
    engine: Engine,
    resume_path: Path | None,
    save: Output | None,
    from_log: Mapping[str, AnswerValue],
    *,
    all_questions: bool,
) -> Answers:
    """The questionnaire at the terminal: what was saved before and what the log
    measured are kept, the rest is asked; the person's own answers come back."""
    from legrules.cli import _questionnaire

    earlier = _earlier_answers(engine, resume_path) if resume_path is not None else {}
    try:
        raw = _questionnaire.run(
            engine.pack,
            ask_all=all_questions,
            style=_common.styler(_common.color_allowed(err=True)),
            given={**earlier, **from_log},
            measured=frozenset(from_log),
        )
    except _questionnaire.Interrupted as stop:
        _save_so_far(save, _own(stop.answers, from_log, earlier))
        raise
    click.echo(err=True)
    return engine.validate(_own(raw, from_log, earlier), "your answers")


def _measure_logs(
    engine: Engine, paths: tuple[Path, ...], units: str | None, as_of: dt.date | None
) -> MeasuredLogs:
    """Read and measure every --log before a question is asked: a bad log is known
    first, and what it measures is not asked."""
    from legrules.traininglog.assessing import measure_logs
    from legrules.traininglog.readers import read_log

    logs = [read_log(path, units=units, today=as_of) for path in paths]
    measured = measure_logs(logs, engine, today=as_of)
    for log in logs:
        click.echo(f"legrules: read {log.source}: {len(log.sets)} sets{_skipped(log)}", err=True)
    names = ", ".join(measured.values()) or "none"
    click.echo(f"legrules: measured from the log: {names}", err=True)
    return measured


def _skipped(log: TrainingLog) -> str:
    """How many rows were skipped and why (the first reason): "0 sets, 1 rows skipped"
    left a lifter whose dates were all in the future guessing."""
    from legrules.traininglog.analysis import count

    if not log.skipped:
        return ""
    first = log.skipped[0]
    return (
        f", {count(len(log.skipped), 'row')} skipped (line {first.line}: {first.reason}; "
        f"`legrules log summary {log.source}` lists them)"
    )


def _own(
    answers: Mapping[str, AnswerValue],
    from_log: Mapping[str, AnswerValue],
    earlier: Mapping[str, AnswerValue],
) -> dict[str, AnswerValue]:
    """The person's own answers from the questionnaire's: not the measured ones it was
    given (unless changed at the review), but what an earlier --resume file said."""
    own = {k: v for k, v in answers.items() if k not in from_log or v != from_log[k]}
    return {**{k: v for k, v in earlier.items() if k in from_log}, **own}


def _write_answers(save: Output, values: Mapping[str, object]) -> None:
    from legrules.pack.typed import dump_answers

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    json_format = save.given.lower().endswith(".json")
    text = dump_answers(values, json_format=json_format, stamp=stamp)
    with save.open() as out:
        out.write(text)


def _save(save: Output, values: Mapping[str, object]) -> None:
    _write_answers(save, values)
    click.echo(f"legrules: saved your answers to {save}", err=True)
    click.echo(f"legrules: next time: legrules assess --answers {save}", err=True)
    sys.stderr.flush()


def _save_so_far(save: Output | None, values: Mapping[str, AnswerValue]) -> None:
    """On Ctrl-C with --save: keep what was answered, so no one types it twice.

    Nothing answered yet leaves the file as it was (it may hold an earlier run's)."""
    if save is None:
        return
    click.echo(err=True)
    if not values:
        click.echo(f"legrules: no answers given yet; {save} left as it was", err=True)
        return
    _write_answers(save, values)
    noun = "answer" if len(values) == 1 else "answers"
    click.echo(f"legrules: saved the {len(values)} {noun} given so far to {save}", err=True)
    click.echo(f"legrules: to go on where you stopped: legrules assess --resume {save}", err=True)


def _check_resume(*, given: bool, no_input: bool) -> None:
    if given or no_input:
        fail(
            "--resume asks the questions not answered yet, so it does not combine with "
            "--answers, --answer, --defaults or --no-input",
            EXIT_BAD_INPUT,
        )
    if not _common.stdin_is_tty():
        fail(
            "--resume asks the remaining questions, but stdin is not a terminal; "
            "--answers FILE takes the saved answers and the defaults for the rest",
            EXIT_BAD_INPUT,
        )


def _earlier_answers(engine: Engine, path: Path) -> dict[str, AnswerValue]:
    """The answers saved in ``path`` (none if it does not exist yet), validated; a
    question left unanswered there stays unanswered (it was asked), not defaulted."""
    from legrules.run.answers import read_answers_document, validate_answers

    if not path.exists():
        return {}
    raw, source = read_answers_document(path)
    answers = validate_answers(raw, engine.questionnaire, source)
    assert isinstance(raw, Mapping)  # validate_answers refuses anything else
    return {key: None if raw[key] is None else answers[key] for key in raw}


# what --batch reads: its lines are the answers, so any other option would be ignored
_BATCH_OPTIONS = {"batch_path", "out_path", "workers", "rules_dir", "no_input", "compact_form"}


def _ignored_by_batch() -> list[str]:
    """The options given (on the command line or from the environment) that --batch
    would silently ignore: each is a usage error instead."""
    ctx = click.get_current_context()
    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    return [
        param.opts[0]
        for param in ctx.command.params
        if param.name not in _BATCH_OPTIONS
        and param.name is not None
        and ctx.get_parameter_source(param.name) in given
    ]


def _run_batch(
    batch_path: Path | None,
    out_path: Path | None,
    *,
    workers: int | None,
    rules_dir: Path | None,
    compact_form: bool = False,
) -> None:
    from legrules.run.batch import Terminated, count_lines, run_batch

    if batch_path is None or out_path is None:
        fail("--batch IN.jsonl and --out OUT.jsonl go together", EXIT_BAD_INPUT)
    ignored = _ignored_by_batch()
    if ignored:
        fail(
            f"--batch takes every answer from {batch_path} and does not combine with "
            f"{', '.join(ignored)}",
            EXIT_BAD_INPUT,
        )
    from legrules.output import output

    out = output(out_path, "the batch output", inputs=[batch_path])
    # compiled here, once: a broken pack is reported before any worker starts
    compiled = _common.compiled_for(rules_dir)
    try:
        with out.open(binary=True) as stream:
            if sys.stderr.isatty():
                total = count_lines(batch_path)
                with click.progressbar(length=total, label="assessing", file=sys.stderr) as bar:
                    report = run_batch(
                        batch_path,
                        stream,
                        rules=compiled,
                        workers=workers,
                        progress=bar.update,
                        compact_form=compact_form,
                    )
            else:
                report = run_batch(
                    batch_path, stream, rules=compiled, workers=workers, compact_form=compact_form
                )
    except Terminated as stop:
        fail(f"{stop}: the batch was stopped and its partial output removed", stop.exit_code)
    for number, message in report.bad_lines:
        click.echo(f"legrules: {batch_path}:{number}: {message}", err=True)
    bad = f"; {len(report.bad_lines)} bad" if report.bad_lines else ""
    click.echo(
        f"legrules: {report.assessed} of {report.total} lines assessed into {out}{bad}",
        err=True,
    )
    if report.bad_lines:
        sys.exit(EXIT_BAD_INPUT)
