"""Inspecting and explaining: questions, rules list/show/lint/test/graph, explain, schema.

Every command, every exit code it can give, stdout and stderr asserted separately. Only
the stable rule ids are named; everything else is read from the pack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules import Engine
from legrules.cli import cli
from tests.conftest import EXAMPLES

GLUTES = str(EXAMPLES / "glute-dominant.json")
SHARP = str(EXAMPLES / "sharp-knee-pain.json")
NO_SYMPTOMS = str(EXAMPLES / "no-symptoms.json")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    """Text with line wrapping undone, for phrases a report may wrap."""
    return " ".join(text.split())


# ------------------------------------------------------------------------ questions


def test_questions_text_lists_every_question(runner: CliRunner, engine: Engine) -> None:
    code, out, err = run(runner, "questions")
    assert code == 0
    assert err == ""
    for question in engine.pack.questionnaire.questions:
        assert f"\n{question.id}\n" in out
    assert out.index("Safety screening") < out.index("Symptoms")
    assert "default: not_sure (Not sure)" in out


def test_question_detail_says_why_it_is_asked(runner: CliRunner) -> None:
    code, out, err = run(runner, "questions", "squat_felt_most")
    assert code == 0
    assert err == ""
    assert "Why we ask:" in out
    assert "glute-dominance" in out
    assert "glutes: Glutes" in out


def test_questions_json(runner: CliRunner, engine: Engine) -> None:
    code, out, _ = run(runner, "questions", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [q["id"] for q in data["questions"]] == engine.questionnaire.ids()
    assert data["groups"]["safety"] == "Safety screening"


def test_questions_schema_describes_an_answers_file(runner: CliRunner, engine: Engine) -> None:
    code, out, _ = run(runner, "questions", "--format", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == engine.questionnaire.ids()
    squat = schema["properties"]["squat_felt_most"]
    assert {"const": "glutes", "title": "Glutes"} in squat["oneOf"]
    assert squat["default"] == "not_sure"
    age = schema["properties"]["age"]
    assert age["minimum"] == 12
    assert "null" in age["type"]
    # `schema answers` is the same document
    code2, out2, _ = run(runner, "schema", "answers")
    assert code2 == 0
    assert json.loads(out2) == schema


def test_schema_accepts_the_shipped_examples(runner: CliRunner) -> None:
    """A hand check of the examples against the schema's keys, types and choices."""
    schema = json.loads(run(runner, "schema", "answers")[1])
    kinds = {"boolean": bool, "integer": int, "array": list}
    for path in [GLUTES, SHARP, NO_SYMPTOMS]:
        for key, value in json.loads(Path(path).read_text(encoding="utf-8")).items():
            prop = schema["properties"][key]
            if "oneOf" in prop:
                assert value in [c.get("const") for c in prop["oneOf"]], (key, value)
            else:
                main = next(t for t in prop["type"] if t != "null")
                assert isinstance(value, kinds[main]), (key, value)
                if isinstance(value, list):
                    allowed = [c["const"] for c in prop["items"]["oneOf"]]
                    assert set(value) <= set(allowed)


def test_unknown_question_exit_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "questions", "squat_felt_mots")
    assert code == 2
    assert out == ""
    assert "did you mean 'squat_felt_most'" in err


# ---------------------------------------------------------------------------- rules


def test_rules_list_in_firing_order(runner: CliRunner, engine: Engine) -> None:
    code, out, err = run(runner, "rules", "list")
    assert code == 0
    assert err == ""
    ids = [line.split()[0] for line in out.splitlines()[1:]]
    assert ids == [rule.id for rule in engine.pack.rules]


def test_rules_list_filters(runner: CliRunner, engine: Engine) -> None:
    code, out, _ = run(runner, "rules", "list", "--provenance", "safety", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {r["provenance"] for r in data} == {"safety"}
    assert "sharp-or-escalating-pain" in [r["id"] for r in data]
    assert len(data) == sum(1 for r in engine.pack.rules if r.provenance == "safety")
    code, out, _ = run(runner, "rules", "list", "--tag", "compensation", "--format", "json")
    assert "glute-dominance" in [r["id"] for r in json.loads(out)]
    code, out, err = run(runner, "rules", "list", "--tag", "no-such-tag")
    assert code == 0
    assert out == ""
    assert "no rule matches" in err


def test_rules_list_bad_choice_is_usage_error(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "list", "--provenance", "folklore")
    assert code == 2
    assert out == ""
    assert "folklore" in err


def test_rules_show_like_ruff_rule(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "show", "lowback-compensation-in-hinges")
    assert code == 0
    assert err == ""
    assert out.startswith("lowback-compensation-in-hinges: ")
    for section in ("Why", "When", "Then", "Reads questions", "Sources"):
        assert f"\n{section}\n" in out
    assert "hinge_felt_most is lower_back" in out
    assert "not pain_type is sharp" in out
    assert "recommends leg_curl (Leg curls, exercise)" in out
    assert "concludes finding hamstrings_underused" in out
    assert "hamstrings-underused-keep-hinges-honest" in out
    assert "compensation.yaml:" in out


def test_rules_show_json(runner: CliRunner) -> None:
    code, out, _ = run(runner, "rules", "show", "glute-dominance", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "glute-dominance"
    assert [q["id"] for q in data["reads_questions"]] == ["squat_felt_most"]
    assert "heel_elevated_squat" in [r["id"] for r in data["recommends"]]


def test_rules_show_unknown_exit_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "show", "glute-dominanse")
    assert code == 2
    assert out == ""
    assert "did you mean 'glute-dominance'" in err


def test_rules_lint_shipped_pack_has_no_errors(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "lint")
    assert code == 0, out
    assert err == ""
    assert out.splitlines()[-1].startswith("0 errors")


def test_rules_lint_exit_codes(runner: CliRunner, pack_copy: Path, tmp_path: Path) -> None:
    (pack_copy / "rules" / "zz.yaml").write_text(
        """
rules:
  - id: zz-contradiction
    title: Cannot happen
    version: 1
    provenance: inferred
    when:
      all:
        - {fact: squat_felt_most, eq: glutes}
        - {fact: squat_felt_most, eq: quads}
    then:
      recommend: [{id: leg_extension}]
    because: Test rule.
    sources: [{ref: TABLE}]
""",
        encoding="utf-8",
    )
    code, out, err = run(runner, "rules", "lint", "--rules", str(pack_copy))
    assert code == 1
    assert err == ""
    assert "zz.yaml:3 (rule zz-contradiction): LR101 [error] unreachable-rule" in out
    code, out, _ = run(runner, "rules", "lint", "--rules", str(pack_copy), "--format", "json")
    assert code == 1
    assert {"code": "LR101", "rule": "zz-contradiction"}.items() <= json.loads(out)[0].items()
    # a loader problem is reported as a lint error, not a refusal
    (pack_copy / "rules" / "zz.yaml").write_text(
        "rules:\n  - id: Bad Id\n    title: t\n", encoding="utf-8"
    )
    code, out, err = run(runner, "rules", "lint", "--rules", str(pack_copy))
    assert code == 1
    assert "LR001 [error] invalid-pack" in out
    assert "zz.yaml:2" in out
    # not a pack at all: bad input
    code, out, err = run(runner, "rules", "lint", "--rules", str(tmp_path))
    assert code == 2
    assert out == ""
    assert "not a rule pack" in err


def test_rules_lint_strict_fails_on_warnings(runner: CliRunner, pack_copy: Path) -> None:
    questionnaire = pack_copy / "questionnaire.yaml"
    questionnaire.write_text(
        questionnaire.read_text(encoding="utf-8")
        + """
  - id: favourite_colour
    group: goals
    type: enum
    prompt: Which colour do you like best?
    why: No reason at all.
    values: [red, blue]
    default: red
""",
        encoding="utf-8",
    )
    code, out, _ = run(runner, "rules", "lint", "--rules", str(pack_copy))
    assert code == 0
    assert "LR201 [warning] unread-question: no rule reads question 'favourite_colour'" in out
    code, out, _ = run(runner, "rules", "lint", "--rules", str(pack_copy), "--strict")
    assert code == 1


def test_rules_test_passes_on_the_shipped_pack(runner: CliRunner) -> None:
    code, out, err = run(runner, "rules", "test")
    assert code == 0, out
    assert err == ""
    assert " 0 failed " in out
    assert "rule coverage" in out


def test_rules_test_failure_exit_1(runner: CliRunner, pack_copy: Path) -> None:
    tests = pack_copy / "tests"
    tests.mkdir()
    (tests / "mine.yaml").write_text(
        """
cases:
  - name: glutes fire glute-dominance
    answers: {squat_felt_most: glutes}
    fires: [glute-dominance]
  - name: a wrong expectation
    answers: {squat_felt_most: quads}
    fires: [glute-dominance]
""",
        encoding="utf-8",
    )
    code, out, err = run(runner, "rules", "test", "--rules", str(pack_copy))
    assert code == 1
    assert err == ""
    assert "FAIL mine.yaml: a wrong expectation" in out
    assert "expected 'glute-dominance' to fire" in out
    assert "PASS" not in out  # passing cases only with -v
    code, out, _ = run(runner, "rules", "test", "--rules", str(pack_copy), "-v")
    assert "PASS mine.yaml: glutes fire glute-dominance" in out
    code, out, _ = run(runner, "rules", "test", "--rules", str(pack_copy), "--format", "json")
    assert code == 1
    assert json.loads(out)["failed"] == 1


def test_rules_test_malformed_case_file_exit_2(runner: CliRunner, pack_copy: Path) -> None:
    tests = pack_copy / "tests"
    tests.mkdir()
    (tests / "bad.yaml").write_text("cases:\n  - name: x\n    answer: {}\n", encoding="utf-8")
    code, out, err = run(runner, "rules", "test", "--rules", str(pack_copy))
    assert code == 2
    assert out == ""
    assert "bad.yaml" in err


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_rules_graph(runner: CliRunner, fmt: str) -> None:
    code, out, err = run(runner, "rules", "graph", "--format", fmt)
    assert code == 0
    assert err == ""
    if fmt == "mermaid":
        assert out.startswith("flowchart LR\n")
        assert 'q_squat_felt_most -->|"is glutes"| r_glute_dominance' in out
        assert 'r_lowback_compensation_in_hinges -->|"derives"| f_hamstrings_underused' in out
    else:
        assert out.startswith('digraph "legrules" {')
        assert 'q_squat_felt_most -> r_glute_dominance [label="is glutes"];' in out
        assert out.rstrip().endswith("}")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_rules_graph_dot_renders_with_graphviz(runner: CliRunner) -> None:
    _, out, _ = run(runner, "rules", "graph", "--format", "dot")
    done = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


# -------------------------------------------------------------------------- explain


def test_explain_how(runner: CliRunner) -> None:
    code, out, err = run(runner, "explain", "--answers", GLUTES)
    assert code == 0
    assert err == ""
    assert out.startswith("Assessment: ok;")
    assert "Heel-elevated squats (heel_elevated_squat)" in out
    assert "rule glute-dominance (v1, article)" in out
    assert "matched squat_felt_most = glutes\n" in out
    assert "rationale:" in out
    assert "source: Article section:" in out


def test_explain_why_not_a_coach_question(runner: CliRunner) -> None:
    """ "Why didn't it suggest leg curls?" for a referral: withheld by the safety rule."""
    code, out, err = run(runner, "explain", "--answers", SHARP, "--why-not", "leg curls")
    assert code == 0
    assert err == ""
    assert out.startswith("Leg curls (leg_curl) was not recommended:")
    assert "withheld by sharp-or-escalating-pain" in flat(out)


def test_explain_why_not_names_the_failed_condition(runner: CliRunner) -> None:
    code, out, _ = run(
        runner, "explain", "--answers", NO_SYMPTOMS, "--why-not", "prioritize_hamstrings"
    )
    assert code == 0
    assert "was not recommended" in out
    assert "- hamstrings-underused-keep-hinges-honest:" in out
    assert "it needs the finding hamstrings_underused" in flat(out)
    code, out, _ = run(
        runner, "explain", "--answers", NO_SYMPTOMS, "--why-not", "heel_elevated_squat"
    )
    assert "- glute-dominance:" in out
    assert "the condition 'squat_felt_most is glutes' failed (squat_felt_most = evenly" in flat(out)


def test_explain_why_not_json(runner: CliRunner) -> None:
    code, out, _ = run(
        runner, "explain", "--answers", SHARP, "--why-not", "leg_curl", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    (verdict,) = data["why_not"]
    assert verdict["recommendation"] == "leg_curl"
    assert verdict["made"] is False
    baseline = next(v for v in verdict["verdicts"] if v["rule"] == "two-day-baseline")
    assert baseline["suppressed_by"] == "sharp-or-escalating-pain"


def test_explain_json_how(runner: CliRunner) -> None:
    code, out, _ = run(runner, "explain", "--answers", GLUTES, "--format", "json")
    assert code == 0
    data = json.loads(out)
    heel = next(item for item in data["how"] if item["id"] == "heel_elevated_squat")
    assert "glute-dominance" in [r["rule"] for r in heel["because"]]


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_explain_graph(runner: CliRunner, fmt: str) -> None:
    code, out, err = run(runner, "explain", "--answers", SHARP, "--graph", "--graph-format", fmt)
    assert code == 0
    assert err == ""
    if fmt == "mermaid":
        assert out.startswith("flowchart LR\n")
        assert 'q_pain_type["pain_type = sharp"]:::question' in out
        assert 'r_sharp_or_escalating_pain -.->|"withholds"| rec_leg_curl' in out
    else:
        assert "q_pain_type -> r_sharp_or_escalating_pain;" in out
        assert 'rec_training_plan [label="training plan (withheld)"' in out


def test_explain_unknown_recommendation_exit_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "explain", "--answers", GLUTES, "--why-not", "leg_curlz")
    assert code == 2
    assert out == ""
    assert "did you mean 'leg_curl'" in err


def test_explain_without_answers_exit_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "explain")
    assert code == 2
    assert out == ""
    assert "--answers" in err


def test_explain_invalid_answers_exit_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "explain", "--answer", "age=200")
    assert code == 2
    assert out == ""
    assert "out of range" in err


def test_schema_rules_still_works(runner: CliRunner) -> None:
    code, out, err = run(runner, "schema", "rules")
    assert code == 0
    assert err == ""
    assert json.loads(out)["title"] == "legrules rule file"


def test_one_question_as_json_and_schema(runner: CliRunner) -> None:
    code, out, _ = run(runner, "questions", "pain_type", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "pain_type"
    assert "sharp-or-escalating-pain" in [r["rule"] for r in data["why_asked"]["readers"]]
    code, out, _ = run(runner, "questions", "pain_type", "--format", "schema")
    assert code == 0
    assert {"const": "sharp", "title": "Sharp or stabbing pain"} in json.loads(out)["oneOf"]
