"""Every YAML file of a pack reports a schema error the same way: file, line, field.

The rule files, the rule test cases and the training-log settings all go through
``legrules.pack.problems.validation_problems``; these tests pin what that one
translation promises for each of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from legrules.authoring.ruletests import load_cases
from legrules.errors import RulePackError
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from legrules.traininglog.packfiles import load_settings


def _pack(tmp_path: Path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), root)
    return root


def _problems(error: pytest.ExceptionInfo[RulePackError]) -> list[str]:
    return [f"{p.location}: {p.message}" for p in error.value.problems]


def test_an_unknown_key_in_a_rule_names_file_line_rule_and_a_suggestion(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    rule_file = sorted((root / "rules").glob("*.yaml"))[0]
    text = rule_file.read_text(encoding="utf-8")
    first = text.index("\n  - id: ")
    rule_id = text[first + len("\n  - id: ") :].split("\n", 1)[0].strip()
    line = text[: first + 1].count("\n") + 2
    rule_file.write_text(
        text[: first + 1] + text[first + 1 :].replace("\n", "\n    titel: typo\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(RulePackError) as error:
        load_pack(root)
    [problem] = error.value.problems
    assert problem.location == f"{rule_file}:{line} (rule {rule_id}) rules.0"
    assert problem.message == "unknown key 'titel'"
    assert problem.suggestion == "title"


def test_a_bad_rule_test_case_names_its_line(tmp_path: Path) -> None:
    cases = tmp_path / "tests"
    cases.mkdir()
    (cases / "bad.yaml").write_text(
        "cases:\n  - name: first\n    answers: {}\n  - name: second\n    answers: []\n",
        encoding="utf-8",
    )
    with pytest.raises(RulePackError) as error:
        load_cases(cases)
    assert _problems(error) == [
        f"{cases / 'bad.yaml'}:5 cases.1.answers: Input should be a valid dictionary"
    ]


def test_a_bad_log_setting_names_its_line(tmp_path: Path) -> None:
    root = _pack(tmp_path)
    settings = root / "training-log.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("    value: 10\n", "    value: ten\n", 1), encoding="utf-8")
    line = text[: text.index("    value: 10\n")].count("\n") + 1
    with pytest.raises(RulePackError) as error:
        load_settings(root)
    [problem] = error.value.problems
    assert problem.location.startswith(f"{settings}:{line} settings.e1rm_max_reps.value")
