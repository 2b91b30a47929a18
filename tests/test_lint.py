"""Lint: loader problems as findings, and what only analysis finds (unreachable, shadowed,
unused). Also the three-valued evaluator and the answer search lint is built on."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from legrules import Engine, RulePackError
from legrules.authoring.lint import CHECKS, lint_pack
from legrules.logic.conditions import evaluate
from legrules.logic.partial import (
    PartialState,
    SearchCache,
    evaluate3,
    find_answers,
    leaves_by_fact,
    value_domain,
)
from legrules.logic.withholding import Withholders
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import AllOf, Condition, FactLeaf
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack
from tests.conftest import RuleWriter
from tests.profiles import examples
from tests.strategies import fact_tree

DEFAULT = load_pack(default_rules_dir())


def rule_file(*rules: str) -> str:
    return "rules:\n" + "".join(rules)


def rule(rule_id: str, when: str, then: str = "recommend: [{id: leg_extension}]") -> str:
    return f"""
  - id: {rule_id}
    title: Test rule {rule_id}
    version: 1
    provenance: inferred
    when: {when}
    then: {{{then}}}
    because: Test rule.
    sources: [{{ref: TABLE}}]
"""


def codes(root: Path, rule_id: str | None = None) -> list[str]:
    return [i.code for i in lint_pack(root) if rule_id is None or i.rule == rule_id]


def test_the_shipped_pack_has_no_errors() -> None:
    issues = lint_pack(default_rules_dir())
    assert [i.render() for i in issues if i.severity == "error"] == []


def test_every_check_is_documented() -> None:
    import legrules.authoring.lint

    for code, (name, _) in CHECKS.items():
        assert code in (legrules.authoring.lint.__doc__ or "")
        assert name in (legrules.authoring.lint.__doc__ or "")


def test_contradiction_is_unreachable(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(
        rule_file(
            rule(
                "zz-never",
                "{all: [{fact: squat_felt_most, eq: glutes}, {fact: squat_felt_most, eq: quads}]}",
            ),
            rule(
                "zz-numbers",
                "{all: [{fact: leg_sessions_per_week, gt: 3},"
                " {fact: leg_sessions_per_week, lt: 4}]}",
            ),
            rule(
                "zz-fine",
                "{all: [{fact: leg_sessions_per_week, gt: 3},"
                " {fact: leg_sessions_per_week, lt: 5}]}",
            ),
        )
    )
    assert codes(pack_copy, "zz-never") == ["LR101"]
    assert codes(pack_copy, "zz-numbers") == ["LR101"]
    assert codes(pack_copy, "zz-fine") == []


def test_unreachable_through_a_finding(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(
        rule_file(
            rule(
                "zz-derive-never",
                "{all: [{fact: age, gt: 50}, {fact: age, lt: 40}]}",
                "derive: [zz_never_found]",
            ),
            rule("zz-needs-it", "{all: [{finding: zz_never_found}]}"),
        )
    )
    assert codes(pack_copy, "zz-derive-never") == ["LR101"]
    assert codes(pack_copy, "zz-needs-it") == ["LR101"]


def test_multi_select_patterns_are_searched(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(
        rule_file(
            rule(
                "zz-empty-and-full",
                "{all: [{fact: knee_signs, empty: true}, {fact: knee_signs, contains: locks}]}",
            ),
            rule(
                "zz-two-picks",
                "{all: [{fact: pain_locations, contains: knee},"
                " {fact: pain_locations, contains: hip}, {not: {fact: pain_type, eq: sharp}}]}",
            ),
        )
    )
    assert codes(pack_copy, "zz-empty-and-full") == ["LR101"]
    assert codes(pack_copy, "zz-two-picks") == []


def test_advice_always_withheld_is_shadowed(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(
        rule_file(
            # sharp pain always refers (sharp-or-escalating-pain), so this advice never shows
            rule("zz-shadowed", "{all: [{fact: pain_type, eq: sharp}]}"),
            rule(
                "zz-partly",
                "{all: [{fact: pain_type, eq: sharp}]}",
                "recommend: [{id: leg_curl}], derive: [zz_found]",
            ),
            rule(
                "zz-reads-found",
                "{all: [{finding: zz_found}]}",
                "recommend: [{id: see_professional}]",
            ),
            rule("zz-visible", "{all: [{fact: pain_type, eq: dull_ache}]}"),
        )
    )
    issues = lint_pack(pack_copy)
    shadowed = next(i for i in issues if i.rule == "zz-shadowed")
    assert shadowed.code == "LR102"
    assert "sharp-or-escalating-pain" in shadowed.message
    assert [i.code for i in issues if i.rule == "zz-partly"] == ["LR103"]
    assert [i.code for i in issues if i.rule == "zz-visible"] == []


def test_unused_parts_are_warnings(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(
        rule_file(rule("zz-derives", "{all: [{fact: age, gt: 60}]}", "derive: [zz_unread]"))
    )
    pack_yaml = pack_copy / "pack.yaml"
    pack_yaml.write_text(
        pack_yaml.read_text(encoding="utf-8")
        + '  ZZ-UNCITED:\n    kind: evidence\n    title: "Nobody cites this"\n',
        encoding="utf-8",
    )
    catalogue = pack_copy / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8").replace(
        "\ntemplate:",
        "\n  - id: zz_orphan\n    kind: guidance\n    title: Orphan\n    detail: Nobody.\n"
        "\ntemplate:",
    )
    catalogue.write_text(text, encoding="utf-8")
    issues = lint_pack(pack_copy)
    messages = {i.code: i.message for i in issues if "zz" in i.message.lower()}
    assert "zz_unread" in messages["LR202"]
    assert "zz_orphan" in messages["LR203"]
    assert "ZZ-UNCITED" in messages["LR204"]
    assert all(i.severity == "warning" for i in issues)


def test_other_rules_thresholds_do_not_make_a_rule_undecidable(
    write_rules: RuleWriter, pack_copy: Path
) -> None:
    # The search for zz-never must try its multi-selects before age shows the
    # contradiction. Its own leaves need two values per multi-select; the noise rules
    # name every option separately, and searching with values that tell all of them
    # apart (2**6 * 2**6 * 2**6 * 2**10 patterns) ran out of budget: LR901, not LR101.
    multis = {
        "knee_signs": "locks gives_way cannot_bear_weight marked_swelling changed_shape "
        "hot_red_with_fever",
        "nerve_signs": "numbness_or_tingling pain_below_knee leg_weakness saddle_numbness "
        "bladder_or_bowel_change both_legs",
        "pain_locations": "knee hip low_back hamstring quad other",
        "current_exercises": "squat leg_press split_squat lunge step_up romanian_deadlift "
        "deadlift leg_extension leg_curl heel_elevated_squat",
    }
    noise = [
        rule(f"zz-noise-{fact.replace('_', '-')}-{index}", f"{{fact: {fact}, contains: {option}}}")
        for fact, options in multis.items()
        for index, option in enumerate(options.split())
    ]
    never = ", ".join(f"{{fact: {fact}, empty: false}}" for fact in multis)
    write_rules(
        rule_file(
            rule("zz-never", f"{{all: [{never}, {{fact: age, gt: 50}}, {{fact: age, lt: 40}}]}}"),
            *noise,
        )
    )
    assert codes(pack_copy, "zz-never") == ["LR101"]


def test_loader_problems_become_lint_errors(write_rules: RuleWriter, pack_copy: Path) -> None:
    write_rules(rule_file(rule("zz-typo", "{all: [{fact: squat_felt_mots, eq: glutes}]}")))
    issues = lint_pack(pack_copy)
    assert [i.code for i in issues] == ["LR001"]
    assert "did you mean 'squat_felt_most'" in issues[0].message


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="not a rule pack"):
        lint_pack(tmp_path)


def test_withholders_of_exercise_include_every_referral(engine: Engine) -> None:
    baseline = engine.pack.rule("two-day-baseline")
    names = [r.id for r in Withholders(engine.pack).of(baseline, "leg_curl")]
    assert "sharp-or-escalating-pain" in names
    assert "two-day-baseline" not in names


# --------------------------------------------------------------- the partial evaluator


def test_three_valued_conditions(engine: Engine) -> None:
    sharp = engine.pack.rule("sharp-or-escalating-pain")

    def finding(name: str) -> None:
        return None

    assert evaluate3(sharp.when, {}, finding) is None
    assert evaluate3(sharp.when, {"pain_type": "sharp"}, finding) is True
    decided_false: dict[str, AnswerValue] = {
        "pain_type": "none",
        "pain_score": 0,
        "pain_worse_next_day": False,
    }
    assert evaluate3(sharp.when, decided_false, finding) is False
    assert evaluate3(sharp.when, {"pain_type": "none"}, finding) is None


def test_findings_follow_their_derivers(engine: Engine) -> None:
    chained = engine.pack.rule("hamstrings-underused-keep-hinges-honest")
    state = PartialState(engine.pack, {})
    assert state.rule(chained) is None
    base: dict[str, AnswerValue] = {
        "hinge_felt_most": "lower_back",
        "pain_type": "none",
        "nerve_signs": [],
    }
    assert PartialState(engine.pack, base).finding("hamstrings_underused") is True
    assert PartialState(engine.pack, base).rule(chained) is True


def test_value_domains_are_small_and_cover_thresholds(engine: Engine) -> None:
    questions = engine.pack.questions()
    leaf = FactLeaf.model_validate({"fact": "pain_score", "gte": 6})
    assert value_domain(questions["pain_score"], [leaf]) == [0, 5, 6, 7, 10]
    age = value_domain(questions["age"], [FactLeaf.model_validate({"fact": "age", "gt": 45})])
    assert None in age  # no default: unanswered is possible
    contains = [
        FactLeaf.model_validate({"fact": "knee_signs", "contains": ["locks", "gives_way"]}),
        FactLeaf.model_validate({"fact": "knee_signs", "contains": "locks"}),
    ]
    domain = value_domain(questions["knee_signs"], contains)
    assert [] in domain
    assert len(domain) <= 8  # patterns, not all 64 subsets


def test_search_finds_answers_or_proves_none(engine: Engine) -> None:
    glutes = engine.pack.rule("glute-dominance")
    found = find_answers(engine.pack, lambda s: s.rule(glutes), ["squat_felt_most"])
    assert found.found == {"squat_felt_most": "glutes"}
    never = AllOf.model_validate(
        {"all": [{"fact": "goal", "eq": "balanced"}, {"fact": "goal", "eq": "joint_friendly"}]}
    )
    none = find_answers(engine.pack, lambda s: s.condition(never), ["goal"])
    assert none.satisfiable is False
    tiny = find_answers(engine.pack, lambda s: s.condition(never), ["goal"], budget=1)
    assert tiny.satisfiable is None  # out of budget is "unknown", never a guess


@settings(max_examples=examples(150), deadline=None)
@given(when=fact_tree(DEFAULT.questionnaire.questions))
def test_searching_a_goals_own_leaves_decides_as_all_leaves_do(when: Condition) -> None:
    """The search takes each question's representative values from the leaves its goal
    reads, not from every leaf in the pack: the verdict must be the same."""
    index = SearchCache(DEFAULT)
    leaves = index.closure_leaves([when])
    facts = list(leaves)
    in_pack = leaves_by_fact(DEFAULT, facts)
    everything = {fact: [*in_pack[fact], *leaves[fact]] for fact in facts}
    own = find_answers(DEFAULT, lambda s: s.condition(when), facts, index=index, leaves=leaves)
    every = find_answers(DEFAULT, lambda s: s.condition(when), facts, leaves=everything)
    assert own.satisfiable == every.satisfiable
    if own.found is not None:
        assert evaluate(when, {fact: own.found.get(fact) for fact in facts}) is True


def chain(length: int) -> str:
    """Rules c-0 .. c-<length-1>, each deriving the finding the next one needs."""
    rules = [
        rule(
            f"c-{k}",
            "{fact: age, gt: 20}" if k == 0 else f"{{finding: f_{k - 1}}}",
            f"derive: [f_{k}]",
        )
        for k in range(length)
    ]
    return rule_file(*rules)


def test_a_long_derivation_chain_is_linted(write_rules: RuleWriter, pack_copy: Path) -> None:
    # the partial evaluator recursed once per link (RecursionError: an internal error)
    write_rules(chain(400))
    issues = lint_pack(pack_copy)
    assert [i.render() for i in issues if i.severity == "error"] == []
    assert [i.code for i in issues if i.rule == "c-399"] == ["LR202"]  # f_399: nobody reads it
