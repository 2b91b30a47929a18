"""Rule packs are checked completely at load time, with file:line and rule id in every error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import Engine, RulePackError, load_pack
from legrules.logic.conditions import evaluate
from legrules.paths import default_rules_dir
from legrules.run.compiler import _terms_bound, compile_condition
from tests.conftest import RuleWriter
from tests.profiles import examples
from tests.strategies import deep_chain, fact_tree, wide_negation

DEFAULT_PACK = load_pack(default_rules_dir())

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


def chain(levels: int) -> str:
    """A ``when`` nested ``levels`` deep: any of (the level below, one more leaf)."""
    node = "{fact: age, gt: 30}"
    for level in range(levels):
        node = f"{{any: [{node}, {{fact: pain_score, eq: {level % 10}}}]}}"
    return f"      {node}"


def pairs(count: int) -> str:
    """``all`` of ``count`` two-way ``any`` groups (2**count alternatives in DNF)."""
    groups = ", ".join(
        f"{{any: [{{fact: pain_score, gte: {k % 10}}}, {{fact: age, lt: {20 + k}}}]}}"
        for k in range(count)
    )
    return f"      all: [{groups}]"


def test_too_deep_a_condition_is_refused_with_its_rule_and_line(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    # 100 levels used to take longer than any timeout (fingerprinting was 2**depth
    # work); deeper YAML (two levels per condition level) the reader refuses itself
    path = write_rules(rule_text(when=chain(100)))
    error = load_error(pack_copy)
    assert [p.render() for p in error.problems] == [
        f"{path}:2 (rule extra-rule): the condition is nested 100 levels deep; "
        "at most 32 levels of all/any/not are allowed"
    ]


def test_a_deep_but_allowed_condition_loads_and_runs(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    # 30 levels: 2**30 serialisations of the rule before fingerprinting was linear
    write_rules(rule_text(when=chain(30)))
    with Engine(pack_copy) as engine:
        assert "extra-rule" in engine.fired_rules(engine.validate({"age": 31}))
        assert "extra-rule" not in engine.fired_rules(engine.validate({"pain_score": 10}))


def test_a_condition_with_too_many_alternatives_is_refused(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    # all of 40 any pairs: 2**40 terms in disjunctive normal form (MemoryError before)
    path = write_rules(rule_text(when=pairs(40)))
    message = str(load_error(pack_copy))
    assert f"{path}:2 (rule extra-rule): the condition expands to more than 512 " in message


def test_twenty_any_pairs_load_and_agree_with_the_evaluator(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    # 21 $and/$or nodes: over durable's 15, so the compiler splits it (MemoryError before)
    write_rules(rule_text(when=pairs(20)))
    pack = load_pack(pack_copy)
    with Engine(pack) as engine:
        for raw in ({}, {"age": 19, "pain_score": 0}, {"age": 30, "pain_score": 9}):
            answers = engine.validate(raw)
            expected = evaluate(pack.rule("extra-rule").when, answers)
            assert ("extra-rule" in engine.fired_rules(answers)) is expected


def test_int_question_bounds_must_be_exact_for_every_engine(pack_copy: Path) -> None:
    questionnaire = pack_copy / "questionnaire.yaml"
    text = questionnaire.read_text(encoding="utf-8")
    questionnaire.write_text(text.replace("    max: 100\n", "    max: 9223372036854775808\n"))
    line = text[: text.index("  - id: age")].count("\n") + 1
    message = str(load_error(pack_copy))
    assert f"{questionnaire}:{line}" in message
    assert "int question bounds must lie within -9007199254740991 to 9007199254740991" in message


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_loaders_quick_size_bound_never_undercounts(data: st.DataObject) -> None:
    """The loader skips compiling a condition whose DNF term count is within the limit;
    that is sound only if the compiler never makes more engine rules than that."""
    questions = DEFAULT_PACK.questionnaire.questions
    when = data.draw(
        st.one_of(fact_tree(questions), wide_negation(questions), deep_chain(questions))
    )
    by_id = DEFAULT_PACK.questions()
    assert len(compile_condition(when, by_id)) <= _terms_bound(when, by_id, negated=False)


def add_many_option_question(pack: Path, options: int) -> Path:
    questionnaire = pack / "questionnaire.yaml"
    values = ", ".join(f"v{k}" for k in range(options))
    questionnaire.write_text(
        questionnaire.read_text(encoding="utf-8")
        + "\n  - id: zz_many\n    group: symptoms\n    type: multi\n    prompt: Which?\n"
        f"    why: A test.\n    values: [{values}]\n",
        encoding="utf-8",
    )
    return questionnaire


@pytest.mark.parametrize("options", [170, 190])
def test_rules_may_read_only_as_many_answer_fields_as_one_engine_fact_holds(
    pack_copy: Path, write_rules: RuleWriter, options: int
) -> None:
    # durable holds 255 properties per fact: beyond, assessing failed with a raw
    # engine error ("could not delete state, error code 309"), an internal error.
    # The shipped rules read 70 fields; the extra rule reads the options and a count.
    add_many_option_question(pack_copy, options)
    tests = ", ".join(f"{{fact: zz_many, contains: v{k}}}" for k in range(options))
    path = write_rules(rule_text(when=f"      any: [{tests}]"))
    if 70 + options + 1 > 250:
        message = str(load_error(pack_copy))
        assert f"{path}:2 (rule extra-rule): with this rule the pack's rules read more " in message
        return
    with Engine(pack_copy) as engine:
        for chosen in ([], ["v7"], [f"v{k}" for k in range(options)]):
            answers = engine.validate({"zz_many": chosen})
            assert ("extra-rule" in engine.fired_rules(answers)) is bool(chosen)


def chain_rules(length: int, *, loop: bool) -> str:
    """A derivation chain c-0 -> ... -> c-<length-1>, closed into a cycle if ``loop``."""
    text = ""
    for k in range(length):
        needs = (
            ("{finding: back}" if loop else "{fact: age, gt: 20}")
            if k == 0
            else f"{{finding: f_{k - 1}}}"
        )
        derives = f"f_{k}, back" if loop and k == length - 1 else f"f_{k}"
        text += rule_text(
            rule_id=f"c-{k}", when=f"      {needs}", then=f"      derive: [{derives}]"
        ).replace("rules:\n", "" if k else "rules:\n")
    return text


def test_derivation_cycles_are_found_in_chains_of_any_length(
    pack_copy: Path, write_rules: RuleWriter
) -> None:
    # the cycle check recursed once per link: RecursionError past about 1,000 rules
    path = write_rules(chain_rules(1100, loop=True))
    error = load_error(pack_copy)
    assert len(error.problems) == 1
    assert error.problems[0].location == f"{path}:2 (rule c-0)"
    assert error.problems[0].message.startswith("derivation cycle: c-0 -> c-1 -> c-2 -> ")
    write_rules(chain_rules(1100, loop=False))
    assert load_pack(pack_copy).rule("c-1099")
