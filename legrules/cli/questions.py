"""``legrules questions``: the questionnaire, for people and for app builders."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from legrules.cli._common import echo_json, format_options, handle_errors, rules_option


@click.command()
@click.argument("question_id", required=False, metavar="[ID]")
@format_options(
    "text",
    "json",
    "schema",
    help="text for people; json (the question definitions) or schema (JSON Schema of an "
    "answers file) for apps that render their own form.",
)
@rules_option
@handle_errors
def questions(question_id: str | None, fmt: str, rules_dir: Path | None) -> None:
    """The questions, allowed answers and defaults; or one explained.

    \b
    Examples:
      legrules questions                      # every question, by group
      legrules questions squat_felt_most      # one question, and why it is asked
      legrules questions --format schema > answers.schema.json

    With an ID, shows the question in full and why it is asked: the rules that read it
    and what they can conclude. The ids are the keys of an answers file.

    Exit codes: 0 done, 2 unknown question id or invalid rules.
    """
    from legrules.explain.whyasked import find_question, why_asked
    from legrules.pack.answerschema import answers_json_schema, question_schema
    from legrules.pack.questionnaire import GROUP_TITLES
    from legrules.paths import pack_dir
    from legrules.report.ruledoc import question_text, questions_text
    from legrules.run.loader import load_pack

    pack = load_pack(pack_dir(rules_dir))
    if question_id is not None:
        question = find_question(pack, question_id)
        why = why_asked(pack, question.id)
        if fmt == "text":
            click.echo(question_text(pack, question, why.lines()), nl=False)
        elif fmt == "schema":
            order = pack.questionnaire.ids().index(question.id) + 1
            echo_json(question_schema(question, order))
        else:
            data = question.model_dump(mode="json", exclude_none=True)
            data["why_asked"] = asdict(why)
            echo_json(data)
        return
    if fmt == "schema":
        echo_json(answers_json_schema(pack.questionnaire))
    elif fmt == "json":
        data = {
            "groups": GROUP_TITLES,
            "questions": [
                q.model_dump(mode="json", exclude_none=True) for q in pack.questionnaire.questions
            ],
        }
        echo_json(data)
    else:
        click.echo(questions_text(pack), nl=False)
