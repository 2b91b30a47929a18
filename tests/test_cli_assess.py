"""``legrules assess``: answers from options, the questionnaire under CliRunner, exit codes.

stdout and stderr are asserted separately: the report (or JSON) is the only thing on
stdout; prompts, warnings and errors are on stderr. The questionnaire is driven here
through CliRunner with stdin declared a terminal; tests/test_interactive_pty.py drives it
in a real pseudo-terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules import Engine
from legrules.cli import cli
from legrules.interview.skips import default_for, next_prompt, walk
from legrules.pack.questionnaire import AnswerValue
from tests.conftest import EXAMPLES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `assess` believe stdin is a terminal, so it runs the questionnaire."""
    monkeypatch.setattr("legrules.cli._common.stdin_is_tty", lambda: True)


def typed(value: AnswerValue) -> str:
    """What a person types for ``value`` (the questionnaire's own spelling)."""
    if isinstance(value, bool):
        return "y" if value else "n"
    if isinstance(value, list):
        return ",".join(value) or "none"
    return "" if value is None else str(value)


def script(engine: Engine, answers: dict[str, AnswerValue]) -> list[list[str]]:
    """The prompts the questionnaire shows, in order, as the ids each asks (several for a
    checklist of yes/no questions), when each gets ``answers`` or its default.

    Uses the library's own walk, so a test can type exactly one line per prompt
    however the rule pack grows.
    """
    given: dict[str, AnswerValue] = {}
    asked: list[list[str]] = []
    while batch := next_prompt(steps := walk(engine.pack, given)):
        asked.append([step.question.id for step in batch])
        for step in batch:
            question = step.question
            given[question.id] = answers.get(question.id, default_for(question, steps))
    return asked


def typed_prompt(batch: list[str], answers: dict[str, AnswerValue]) -> str:
    """What a person types at one prompt: a checklist takes the numbers that apply."""
    if len(batch) == 1:
        return typed(answers.get(batch[0]))
    return ",".join(str(n) for n, q in enumerate(batch, 1) if answers.get(q) is True)


# ----------------------------------------------------------------- non-interactive


def test_answer_options_alone(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answer", "squat_felt_most=glutes", "--answer", "age=34", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["answers"]["squat_felt_most"] == "glutes"
    assert data["answers"]["age"] == 34
    assert "heel_elevated_squat" in [r["id"] for r in data["recommendations"]]


def test_answer_overrides_the_file(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "assess",
            "--answers",
            str(EXAMPLES / "glute-dominant.json"),
            "--answer",
            "squat_felt_most=quads",
            "--answer",
            "pain_locations=knee,hip",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers["squat_felt_most"] == "quads"
    assert answers["pain_locations"] == ["knee", "hip"]
    assert answers["age"] == 29  # still from the file


def test_bad_answer_options_list_every_problem(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "assess",
            "--answer",
            "squat_felt_mots=glutes",
            "--answer",
            "age=3x",
            "--answer",
            "tracks_progress=yes please",
            "--answer",
            "nonsense",
        ],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "3 problems" not in result.stderr  # four problems, all reported
    assert "4 problems" in result.stderr
    assert "did you mean 'squat_felt_most'" in result.stderr
    assert "age: expected a whole number" in result.stderr
    assert "tracks_progress" in result.stderr
    assert "expected ID=VALUE" in result.stderr
    assert "Traceback" not in result.stderr


def test_answer_yaml_words_are_not_booleans(runner: CliRunner) -> None:
    bad = runner.invoke(cli, ["assess", "--answer", "squat_form_breaks=yes"])
    assert bad.exit_code == 2
    assert "expected true or false" in bad.stderr
    good = runner.invoke(cli, ["assess", "--answer", "tracks_progress=no", "--json"])
    assert good.exit_code == 0, good.stderr
    assert json.loads(good.stdout)["answers"]["tracks_progress"] == "no"


@pytest.mark.parametrize("extra", [[], ["--no-input"]])
def test_no_answers_and_no_terminal_exit_2(runner: CliRunner, extra: list[str]) -> None:
    result = runner.invoke(cli, ["assess", *extra])
    assert result.exit_code == 2
    assert result.stdout == ""
    for option in ("--answers", "--answer", "--defaults"):
        assert option in result.stderr


def test_no_input_wins_over_a_terminal(runner: CliRunner, tty: None) -> None:
    result = runner.invoke(cli, ["assess", "--no-input"], input="n\n")
    assert result.exit_code == 2
    assert "--no-input forbids asking" in result.stderr
    assert "Safety screening" not in result.stderr


def test_unanswered_without_default_is_a_warning_naming_the_rules(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--defaults", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert "age" in data["unanswered"]
    assert "warning" in result.stderr
    assert "age (How old are you?)" in result.stderr
    assert (
        "rules that cannot fire without it: youth-supervised-technique, "
        "over-45-not-used-to-vigorous" in result.stderr
    )
    # no warning once it is answered
    quiet = runner.invoke(cli, ["assess", "--defaults", "--answer", "age=30", "--json"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_save_round_trips(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    saved = tmp_path / f"answers{suffix}"
    first = runner.invoke(
        cli,
        [
            "assess",
            "--answers",
            str(EXAMPLES / "lowback-hinges.yaml"),
            "--answer",
            "alignment_issues=knees_cave",
            "--save",
            str(saved),
            "--json",
        ],
    )
    assert first.exit_code == 0, first.stderr
    assert f"saved your answers to {saved}" in first.stderr
    assert "saved" not in first.stdout
    text = saved.read_text(encoding="utf-8")
    if suffix == ".yaml":
        assert text.startswith("# legrules answers")
        assert "tracks_progress: 'no'" in text  # quoted: read back as the enum value
    else:
        assert json.loads(text)["tracks_progress"] == "no"
    second = runner.invoke(cli, ["assess", "--answers", str(saved), "--json"])
    assert second.exit_code == 0, second.stderr
    assert json.loads(second.stdout)["answers"] == json.loads(first.stdout)["answers"]


def test_save_to_an_unwritable_place_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["assess", "--defaults", "--save", str(tmp_path / "no" / "such" / "dir.yaml")]
    )
    assert result.exit_code == 2
    assert "cannot write the answers: no directory" in result.stderr
    assert result.stdout == ""


# ----------------------------------------------------------------- output formats


def test_text_report_reads_like_a_report(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--answers", str(EXAMPLES / "glute-dominant.json")])
    assert result.exit_code == 0
    assert result.stderr == ""
    out = result.stdout
    order = [
        out.index("Safety first"),
        out.index("What we found"),
        out.index("This week's plan"),
        out.index("Habits to fix"),
    ]
    assert order == sorted(order)
    assert "Glutes take over in squats" in out
    assert "Why" in out
    assert '"not given" means no numbers from the article' in " ".join(out.split())
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "glute-dominance" not in out  # rule ids are for --explain


def test_explain_adds_the_reasoning_chain(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", str(EXAMPLES / "lowback-hinges.yaml"), "--explain"]
    )
    assert result.exit_code == 0
    out = result.stdout
    assert "How each recommendation was reached" in out
    assert "- lowback-compensation-in-hinges (v1, article)" in out
    flat = " ".join(out.split())
    assert "lowback-compensation-in-hinges matched: hinge_felt_most = lower_back" in flat
    assert "Source: " in out
    assert "finding hamstrings_underused, derived by lowback-compensation" in flat
    assert "Your exercises in detail" in out


def test_markdown_report(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answers", str(EXAMPLES / "glute-dominant.json"), "--format", "markdown"]
    )
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("# Your leg-training assessment\n")
    assert "## This week's plan" in out
    assert "| Exercise | Sets x reps | Cue | Why |" in out
    assert "| Heel-elevated squats | not given |" in out
    assert '"not given" means no numbers from the article' in out


def test_referral_report_withholds_the_plan(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--answers", str(EXAMPLES / "sharp-knee-pain.json")])
    assert result.exit_code == 0
    out = result.stdout
    assert "no training plan" in out
    assert "This week's plan" not in out
    assert "Held back" in out
    assert out.index("See a qualified professional") < out.index("What we found")


def test_json_flag_and_format_json_agree(runner: CliRunner) -> None:
    a = runner.invoke(cli, ["assess", "--defaults", "--answer", "age=40", "--json"])
    b = runner.invoke(cli, ["assess", "--defaults", "--answer", "age=40", "--format", "json"])
    strip = {"assessment_id", "created_at"}
    da = {k: v for k, v in json.loads(a.stdout).items() if k not in strip}
    db = {k: v for k, v in json.loads(b.stdout).items() if k not in strip}
    assert da == db


# ----------------------------------------------------------------- the questionnaire


def test_questionnaire_all_defaults(runner: CliRunner, tty: None) -> None:
    result = runner.invoke(cli, ["assess", "--json"], input="\n" * 200)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)  # stdout is only the result
    assert data["status"] == "ok"
    assert "Safety screening - questions 1-7 of" in result.stderr  # a yes/no checklist
    assert "Review your answers" in result.stderr
    assert "Your answer" not in result.stdout


def test_questionnaire_wrong_answer_why_review_and_change(
    runner: CliRunner, tty: None, engine: Engine
) -> None:
    asked = script(engine, {})
    first = engine.pack.questionnaire.questions[0]
    assert first.type == "bool"  # the safety screen starts with yes/no questions
    lines = ["maybe", "?", "n"] + [""] * (len(asked) - 1)  # then the review screen
    lines += ["x", "1", "y", ""]  # bad choice, change answer 1 to yes, then the result
    result = runner.invoke(cli, ["assess", "--json"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert "'maybe' is not a list of numbers from 1 to 7, or none" in err
    assert "Why we ask:" in err
    assert err.count("Review your answers") == 2
    assert "Type a number from 1 to" in err
    data = json.loads(result.stdout)
    assert data["answers"][first.id] is True
    assert data["status"] == "referral"  # a PAR-Q+ yes refers (the parq screening rule)


def test_questionnaire_skips_what_cannot_matter(
    runner: CliRunner, tty: None, engine: Engine
) -> None:
    answers: dict[str, AnswerValue] = {"pain_type": "sharp"}
    asked = script(engine, answers)
    questions = engine.pack.questions()
    # sharp pain refers: after it, only the rest of the safety screen can matter
    flat = [q for batch in asked for q in batch]
    after = flat[flat.index("pain_type") + 1 :]
    assert all(questions[q].group == "safety" for q in after)
    lines = [typed_prompt(batch, answers) for batch in asked] + [""]
    result = runner.invoke(cli, ["assess", "--json"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "referral"
    assert "Symptoms - question" not in result.stderr
    assert "questions were skipped" in result.stderr
    # with no pain, the symptoms are asked
    everything = runner.invoke(cli, ["assess", "--json"], input="\n" * 200)
    assert "Symptoms - question 1 of" in everything.stderr


def test_questionnaire_saves_answers(
    runner: CliRunner, tty: None, tmp_path: Path, engine: Engine
) -> None:
    saved = tmp_path / "mine.yaml"
    result = runner.invoke(cli, ["assess", "--save", str(saved), "--json"], input="\n" * 200)
    assert result.exit_code == 0, result.stderr
    again = runner.invoke(cli, ["assess", "--answers", str(saved), "--json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["answers"] == json.loads(result.stdout)["answers"]
    first = engine.pack.questionnaire.questions[0].id
    assert f"{first}: false" in saved.read_text(encoding="utf-8")


def test_questionnaire_end_of_input_is_an_interruption(runner: CliRunner, tty: None) -> None:
    result = runner.invoke(cli, ["assess"], input="n\n")
    assert result.exit_code == 130
    assert result.stdout == ""
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_in_the_questionnaire_exits_130(
    runner: CliRunner, tty: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    def readline(*args: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return "\n"

    monkeypatch.setattr("legrules.cli._questionnaire._read_line", readline)
    result = runner.invoke(cli, ["assess"])
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr.rstrip().endswith("legrules: interrupted")
    assert "Traceback" not in result.stderr


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from legrules.cli._common import color_allowed, styler

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert color_allowed()
    assert styler(True)("x", "safety") != "x"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_allowed()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not color_allowed()
    assert styler(False)("x", "safety") == "x"


def test_all_questions_asks_what_cannot_matter(
    runner: CliRunner, tty: None, tmp_path: Path
) -> None:
    """A pack of one rule: only its question (and the plan's) is asked, unless asked for all."""
    import shutil

    from legrules.paths import default_rules_dir

    root = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests", "rules"))
    (root / "rules").mkdir()
    (root / "rules" / "one.yaml").write_text(
        """
rules:
  - id: only-rule
    title: Glutes take over - add quad work
    version: 1
    provenance: article
    when: {all: [{fact: squat_felt_most, eq: glutes}]}
    then: {recommend: [{id: leg_extension}]}
    because: Test rule.
    sources: [{ref: TABLE}]
""",
        encoding="utf-8",
    )
    few = runner.invoke(cli, ["assess", "--rules", str(root), "--json"], input="\n" * 100)
    assert few.exit_code == 0, few.stderr
    assert "Where do you feel squats and lunges working the most?" in few.stderr
    assert "heart condition" not in few.stderr
    every = runner.invoke(
        cli, ["assess", "--rules", str(root), "--all-questions", "--json"], input="\n" * 100
    )
    assert every.exit_code == 0, every.stderr
    assert "heart condition" in every.stderr
    assert every.stderr.count("- question ") > few.stderr.count("- question ")


def test_arrow_keys_typed_into_an_answer_are_ignored(runner: CliRunner, tty: None) -> None:
    # "1" ticks the first question of the screening checklist
    result = runner.invoke(cli, ["assess", "--json"], input="\x1b[D1\x1b[C\n" + "\n" * 200)
    assert result.exit_code == 0, result.stderr
    first = next(iter(json.loads(result.stdout)["answers"]))
    assert json.loads(result.stdout)["answers"][first] is True
    assert "is not a list of numbers" not in result.stderr
