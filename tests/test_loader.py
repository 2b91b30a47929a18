"""Rule packs are checked completely at load time, with file:line and rule id in every error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from legrules import Engine, RulePackError, load_pack
from legrules.paths import default_rules_dir
from tests.conftest import RuleWriter

RULE = """\
rules:
  - id: {id}
    title: A test rule
    version: 1
    provenance: inferred
    when:
{when}
    then:
{then}
    because: Because a test says so.
    sources:
      - ref: {ref}
"""


def rule_text(
    rule_id: str = "extra-rule",
    when: str = "      all:\n        - {fact: squat_felt_most, eq: glutes}",
    then: str = "      recommend:\n        - id: leg_extension",
    ref: str = "WEEKLY",
) -> str:
    return RULE.format(id=rule_id, when=when, then=then, ref=ref)


def load_error(pack: Path) -> RulePackError:
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    return caught.value


def test_default_pack_loads() -> None:
    pack = load_pack(default_rules_dir())
    assert pack.rules, "the default pack must contain rules"
    assert [r.priority for r in pack.rules] == sorted(r.priority for r in pack.rules)


def test_typo_in_fact_names_file_line_rule_and_suggestion(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    path = write_rules(rule_text(when="      all:\n        - {fact: squat_felt_mots, eq: glutes}"))
    error = load_error(pack_copy)
    message = str(error)
    assert f"{path}:2" in message
    assert "rule extra-rule" in message
    assert "unknown fact 'squat_felt_mots'" in message
    assert "did you mean 'squat_felt_most'" in message


def test_unknown_operator_is_rejected_with_suggestion(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    path = write_rules(rule_text(when="      all:\n        - {fact: squat_felt_most, eqq: glutes}"))
    message = str(load_error(pack_copy))
    assert re.search(rf"{re.escape(str(path))}:\d+ \(rule extra-rule\)", message)
    assert "unknown key 'eqq'" in message
    assert "did you mean 'eq'" in message


def test_duplicate_rule_id(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(rule_id="glute-dominance"))
    message = str(load_error(pack_copy))
    assert "duplicate rule id" in message
    assert "glute-dominance" in message
    assert "compensation.yaml" in message  # where the first one is


def test_enum_value_outside_allowed_values(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      all:\n        - {fact: squat_felt_most, eq: glute}"))
    message = str(load_error(pack_copy))
    assert "value 'glute' for 'squat_felt_most'" in message
    assert "one of: quads, glutes" in message
    assert "did you mean 'glutes'" in message


def test_operator_must_fit_the_question_type(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      all:\n        - {fact: squat_felt_most, gte: 3}"))
    message = str(load_error(pack_copy))
    assert "operator 'gte' does not apply to enum question 'squat_felt_most'" in message


def test_yaml_no_is_not_a_boolean(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      all:\n        - {fact: squat_form_breaks, eq: no}"))
    message = str(load_error(pack_copy))
    assert "value 'no' for 'squat_form_breaks'" in message
    assert "true or false" in message


def test_derivation_cycle_is_named(pack_copy: Path, write_rules: RuleWriter) -> None:
    text = rule_text(
        rule_id="cycle-a",
        when="      all:\n        - {finding: from_b}",
        then="      derive: [from_a]",
    ) + rule_text(
        rule_id="cycle-b",
        when="      all:\n        - {finding: from_a}",
        then="      derive: [from_b]",
    ).replace("rules:\n", "")
    write_rules(text)
    message = str(load_error(pack_copy))
    assert "derivation cycle" in message
    assert "cycle-a" in message
    assert "cycle-b" in message


def test_finding_that_nobody_derives(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      all:\n        - {finding: hamstrings_underuse}"))
    message = str(load_error(pack_copy))
    assert "finding 'hamstrings_underuse' is matched but no rule derives it" in message
    assert "did you mean 'hamstrings_underused'" in message


def test_finding_under_not_is_rejected(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      not: {finding: hamstrings_underused}"))
    assert "can only be matched positively" in str(load_error(pack_copy))


def test_python_object_tag_is_refused_not_constructed(
    pack_copy: Path, write_rules: RuleWriter, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    write_rules(f"rules: !!python/object/apply:os.system\n  - 'touch {marker}'\n")
    message = str(load_error(pack_copy))
    assert "zz-extra.yaml:1" in message
    assert "tag !!python/object/apply:os.system is not accepted" in message
    assert not marker.exists()


def test_unknown_recommendation_and_source(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(then="      recommend:\n        - id: leg_extensions", ref="WEEKLYY"))
    message = str(load_error(pack_copy))
    assert "recommends unknown id 'leg_extensions'" in message
    assert "did you mean 'leg_extension'" in message
    assert "source ref 'WEEKLYY'" in message


def test_every_problem_is_reported_at_once(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(
        rule_text(rule_id="first", when="      all:\n        - {fact: nope, eq: 1}")
        + rule_text(rule_id="second", when="      all:\n        - {fact: nope2, eq: 1}").replace(
            "rules:\n", ""
        )
    )
    error = load_error(pack_copy)
    assert len(error.problems) == 2
    assert {"first", "second"} <= {
        m.group(1) for p in error.problems if (m := re.search(r"rule ([a-z0-9-]+)", p.location))
    }


def test_bad_pack_leaves_no_engine_half_built(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules(rule_text(when="      all:\n        - {fact: nope, eq: 1}"))
    with pytest.raises(RulePackError):
        Engine(pack_copy)


def test_not_a_pack_directory(tmp_path: Path) -> None:
    message = str(load_error(tmp_path))
    assert "not a rule pack" in message
    assert str(tmp_path) in message


def test_malformed_yaml_names_the_line(pack_copy: Path, write_rules: RuleWriter) -> None:
    write_rules("rules:\n  - id: x\n    title: [unclosed\n")
    message = str(load_error(pack_copy))
    assert "zz-extra.yaml" in message
    assert "not valid YAML" in message
