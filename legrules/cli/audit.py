"""``legrules audit``: read the decision log (list, show, explain, replay, export, verify).

Every subcommand here only reads: the log is opened with SQLite's read-only mode, so
none of them can modify it, whatever goes wrong. Records are written by
``legrules assess --audit-log PATH`` (the options for that are in ``_recording``, which
``assess`` imports without this module's commands).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from legrules.cli._common import (
    audit_log_option,
    echo_json,
    engine_for,
    fail,
    format_options,
    handle_errors,
    rules_option,
)
from legrules.errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED
from legrules.output import STDOUT
from legrules.output import output as checked_output
from legrules.paths import ENV_AUDIT_LOG

if TYPE_CHECKING:
    from legrules.audit import AuditLog

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_read_log_option = audit_log_option("The audit log to read (SQLite).")


def _open(path: Path | None) -> AuditLog:
    if path is None:
        fail(
            f"no audit log given: pass --audit-log PATH (or set {ENV_AUDIT_LOG})",
            EXIT_BAD_INPUT,
        )
    from legrules.audit import AuditLog

    return AuditLog(path, readonly=True)


def _bound(text: str | None, end: bool) -> str | None:
    """A --since/--until value: a date covers the whole day (UTC), or an ISO time."""
    if text is None:
        return None
    if _DATE.match(text.strip()):
        return text.strip() + ("T23:59:59Z" if end else "T00:00:00Z")
    return text


def _filters(
    since: str | None,
    until: str | None,
    recommendation: str | None,
    rule: str | None,
    status: str | None,
) -> dict[str, Any]:
    return {
        "since": _bound(since, end=False),
        "until": _bound(until, end=True),
        "recommendation": recommendation,
        "rule": rule,
        "status": status,
    }


def _filter_options(func: Any) -> Any:
    options = [
        click.option("--since", metavar="DATE", help="Assessed on or after (UTC date or time)."),
        click.option("--until", metavar="DATE", help="Assessed on or before (UTC date or time)."),
        click.option(
            "--recommendation", "recommendation", metavar="ID", help="Made this recommendation."
        ),
        click.option("--rule", "rule", metavar="ID", help="This rule fired."),
        click.option("--status", type=click.Choice(["ok", "referral"]), help="Result status."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(short_help="The decision log: what was recommended, by which rules, why.")
def audit() -> None:
    """The decision log: what was recommended, to whom, by which rules, and why.

    \b
    Examples:
      legrules assess --answers answers.json --audit-log decisions.db
      legrules audit list --audit-log decisions.db --since 2026-01-01 --status referral
      legrules audit show 3f2a9c1e --audit-log decisions.db
      legrules audit explain 3f2a9c1e --why-not leg_curl --audit-log decisions.db
      legrules audit replay 3f2a9c1e --audit-log decisions.db
      legrules audit verify --audit-log decisions.db

    Commands here only read the log (SQLite read-only mode). Exit codes: 0 done,
    1 verify found a break in the chain, 2 bad input (no such log, not a log, damaged,
    written by a newer legrules, no such record).
    """


@audit.command("list")
@_read_log_option
@_filter_options
@click.option("--limit", type=click.IntRange(min=1), help="At most this many records.")
@format_options(
    "text", "json", help="A table for a person, or one JSON summary per record per line."
)
@handle_errors
def audit_list(
    *,
    log_path: Path | None,
    since: str | None,
    until: str | None,
    recommendation: str | None,
    rule: str | None,
    status: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """List records, oldest first, optionally filtered.

    \b
    Examples:
      legrules audit list --audit-log decisions.db
      legrules audit list --since 2026-01-01 --until 2026-03-31 --rule glute-dominance
      legrules audit list --recommendation leg_curl --status ok --json

    Exit codes: 0 done (also when nothing matches), 2 no readable audit log.
    """
    from legrules.report.audit import LIST_HEADER, summary_row
    from legrules.text import table

    with _open(log_path) as log:
        records = log.records(**_filters(since, until, recommendation, rule, status), limit=limit)
        if fmt == "json":
            for record in records:
                summary = {
                    "seq": record.seq,
                    "assessment_id": record.assessment_id,
                    "timestamp": record.timestamp,
                    "status": record.status,
                    "ruleset": record.ruleset.model_dump(mode="json"),
                    "recommendations": record.recommendation_ids(),
                    "rules_fired": record.fired_rules(),
                    "redacted": record.redacted,
                }
                echo_json(summary, indent=None)
            return
        rows = [summary_row(record) for record in records]
        if not rows:
            click.echo("no records match", err=True)
            return
        click.echo("\n".join(table([LIST_HEADER, *rows])))


@audit.command("show", short_help="Show one record: answers, recommendations, reasons, trace.")
@click.argument("assessment_id", metavar="ID")
@_read_log_option
@format_options("text", "json", help="A report for a person, or the stored record as JSON.")
@handle_errors
def audit_show(assessment_id: str, log_path: Path | None, fmt: str) -> None:
    """Show one record: answers, recommendations with rationale and sources, plan, trace.

    \b
    Examples:
      legrules audit show 3f2a9c1e-5b7d-4c11-9a0e-2f6b1c3d4e5f --audit-log decisions.db
      legrules audit show 3f2a9c --json

    ID is an assessment id, or a unique prefix of one (6 characters or more).

    Exit codes: 0 done, 2 no such record (or the prefix matches several), no readable
    audit log.
    """
    from legrules.report.audit import record_text

    with _open(log_path) as log:
        record = log.get(assessment_id)
        if fmt == "json":
            echo_json(record.model_dump(mode="json"))
        else:
            click.echo(record_text(record), nl=False)


@audit.command("explain", short_help="Why a recommendation was (or was not) made for a record.")
@click.argument("assessment_id", metavar="ID")
@click.option(
    "--why-not",
    "why_not_ids",
    required=True,
    multiple=True,
    metavar="REC",
    help="A recommendation to explain, made or not (repeatable). Ids or titles.",
)
@_read_log_option
@format_options("text", "json", help="Explanation as text, or JSON for tools.")
@handle_errors
def audit_explain(
    *,
    assessment_id: str,
    why_not_ids: tuple[str, ...],
    log_path: Path | None,
    fmt: str,
) -> None:
    """Why a recommendation was (or was not) made for a record, with the rules stored for it.

    \b
    Example:
      legrules audit explain 3f2a9c --why-not leg_curl --audit-log decisions.db

    The same WHY NOT as `legrules explain --why-not`, computed from the rule pack the log
    stored with the record, so it still holds after the rules have changed. Where a rule
    reads a redacted answer, it says so instead of guessing which condition failed.
    For an assessment made with a training log (assess --log), the answers those rules
    read that were measured from the log follow, with the log's digest and the evidence.

    Exit codes: 0 done, 2 no such record or recommendation, no readable audit log.
    """
    from dataclasses import asdict

    from legrules.audit import explain_record
    from legrules.report.audit import why_not_log_lines

    with _open(log_path) as log:
        record = log.get(assessment_id)
        answers = [explain_record(log, record.assessment_id, text) for text in why_not_ids]
    if fmt == "json":
        data = {
            "assessment_id": record.assessment_id,
            "status": record.status,
            "ruleset": record.ruleset.model_dump(mode="json"),
            "why_not": [asdict(answer) for answer in answers],
            "uncertain": [
                {v.rule: v.redacted for v in answer.verdicts if v.redacted is not None}
                for answer in answers
            ],
            "training_log": record.assessment.get("training_log"),
        }
        echo_json(data)
        return
    result = record.result()
    click.echo(
        "\n".join(
            answer.text() + "".join(f"{line}\n" for line in why_not_log_lines(result, answer))
            for answer in answers
        ),
        nl=False,
    )


@audit.command("replay", short_help="Re-run a record with today's rules: what changed, and why.")
@click.argument("assessment_id", metavar="ID")
@_read_log_option
@rules_option
@click.option(
    "--value",
    "value_pairs",
    multiple=True,
    metavar="ID=VALUE",
    help="A redacted answer, checked against its stored hash before use (repeatable; "
    "written as for assess --answer: lists as a,b).",
)
@format_options("text", "json", help="A report for a person, or JSON.")
@handle_errors
def audit_replay(
    *,
    assessment_id: str,
    log_path: Path | None,
    rules_dir: Path | None,
    value_pairs: tuple[str, ...],
    fmt: str,
) -> None:
    """Re-run a record's answers against today's rules: what changed, and why.

    \b
    Examples:
      legrules audit replay 3f2a9c --audit-log decisions.db
      legrules audit replay 3f2a9c --rules new-rules/ --json
      legrules audit replay 3f2a9c --value pain_type=sharp --value age=41

    The report names the rule changes that caused each difference. Redacted answers
    are replayed as unanswered (the question's default) unless you supply them with
    --value; the report then says the replay is not faithful.

    Exit codes: 0 done (whether or not the result changed), 2 no such record, a --value
    that is invalid or not the recorded one, invalid rules, no readable audit log.
    """
    from legrules.audit import replay
    from legrules.pack.typed import parse_answer_options

    with _open(log_path) as log, engine_for(rules_dir) as engine:
        record = log.get(assessment_id)
        # typed by the questions the record was answered with, as the replay checks them
        stored = log.pack(record.ruleset.fingerprint).questionnaire
        values = parse_answer_options(stored, value_pairs, option="--value")
        result = replay(log, record.assessment_id, engine, values)
        if fmt == "json":
            echo_json(result.to_dict())
        else:
            click.echo("\n".join(result.lines()))


@audit.command("export")
@_read_log_option
@format_options("jsonl", help="JSON lines: one record per line, with seq, prev_hash and hash.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="Write to this file instead of stdout (never the log itself).",
)
@_filter_options
@handle_errors
def audit_export(
    *,
    log_path: Path | None,
    fmt: str,
    output: Path | None,
    since: str | None,
    until: str | None,
    recommendation: str | None,
    rule: str | None,
    status: str | None,
) -> None:
    """Export records as JSON lines (same filters as `audit list`).

    \b
    Examples:
      legrules audit export --format jsonl --audit-log decisions.db > decisions.jsonl
      legrules audit export --since 2026-01-01 -o q1.jsonl

    Each line is a whole record. Without its prev_hash and hash, a line's canonical JSON
    (sorted keys, no spaces) is exactly what was hashed, so the chain can be checked from
    an export alone.

    Exit codes: 0 done, 2 no readable audit log, or -o names the log or cannot be
    written.
    """
    # checked before the log is opened: the export must never be written over it
    target = checked_output(output or STDOUT, "the export", logs=[log_path])
    with _open(log_path) as log, target.open() as out:
        count = log.export_jsonl(out, **_filters(since, until, recommendation, rule, status))
    if target.given != STDOUT:
        click.echo(f"legrules: exported {count} records to {target}", err=True)


@audit.command(
    "verify", short_help="Check the hash chain: the first edited, deleted or moved record."
)
@_read_log_option
@click.option(
    "--expect-head",
    metavar="HASH",
    help="A head hash printed by an earlier verify: the chain must still contain it.",
)
@format_options("text", "json", help="The report for a person, or as JSON.")
@handle_errors
def audit_verify(log_path: Path | None, expect_head: str | None, fmt: str) -> None:
    """Check the hash chain: report the first edited, deleted or reordered record.

    \b
    Examples:
      legrules audit verify --audit-log decisions.db
      legrules audit verify --expect-head sha256:9f1c... --json

    Exit codes: 0 the chain is intact, 1 it is broken (the first break is named),
    2 the file is not a readable audit log.
    """
    with _open(log_path) as log:
        report = log.verify(expect_head)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo("\n".join(report.lines()))
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)
