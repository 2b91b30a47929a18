"""The command line under hostile input: never an "internal error", never a traceback.

tests/test_input_fuzz.py holds the library to "succeeds or raises LegrulesError"; this
holds the commands people run to their documented exit codes over the same generators
(aliases, odd tags, YAML 1.1 scalars, integers of thousands of digits, duplicate keys,
deep nesting, invalid UTF-8), as an answers document on stdin, as batch lines, and as a
rule file in a pack that `rules lint` and `assess --rules` read. Bounded so the suite
stays fast; the ci hypothesis profile runs more examples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules.cli import cli
from legrules.paths import default_rules_dir
from tests.profiles import examples
from tests.test_input_fuzz import json_values, rule_files, values, yaml_documents

FUZZ = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
DOCUMENTS = st.one_of(yaml_documents(), values, json_values, st.text(max_size=200))


def _held(result: Result, allowed: set[int]) -> None:
    """The exit code is a documented one and nothing escaped as an internal error."""
    said = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "internal error" not in said, said
    assert "Traceback" not in said, said
    assert result.exit_code in allowed, (result.exit_code, said, result.exception)


@FUZZ
@given(st.one_of(DOCUMENTS.map(lambda text: text.encode("utf-8")), st.binary(max_size=200)))
def test_assess_on_any_stdin_is_a_result_or_bad_input(data: bytes) -> None:
    result = CliRunner().invoke(cli, ["assess", "--answers", "-", "--json"], input=data)
    _held(result, {0, 2})


@FUZZ
@given(st.lists(st.one_of(json_values, st.binary(max_size=40).map(repr)), max_size=6))
def test_batch_on_any_lines_reports_each_bad_line(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.unlink(missing_ok=True)
    result = CliRunner().invoke(
        cli, ["assess", "--batch", str(source), "--out", str(out), "--workers", "1"]
    )
    _held(result, {0, 2})


@pytest.fixture(scope="module")
def fuzz_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clifuzz") / "pack"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("tests"))
    return target


@FUZZ
@given(rule_files())
def test_lint_and_assess_on_any_rule_file_report_it(fuzz_pack: Path, text: str) -> None:
    (fuzz_pack / "rules" / "baseline.yaml").write_text(text, encoding="utf-8")
    env = {"LEGRULES_NO_CACHE": "1"}
    _held(CliRunner().invoke(cli, ["rules", "lint", "--rules", str(fuzz_pack)], env=env), {0, 1, 2})
    assess = ["assess", "--rules", str(fuzz_pack), "--defaults", "--json"]
    _held(CliRunner().invoke(cli, assess, env=env), {0, 2})
