"""The questionnaire's library side: what is skipped, how typed text is read, WHY asked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from legrules import Engine, load_pack
from legrules.errors import UnknownIdError
from legrules.explain.whyasked import why_asked
from legrules.interview.skips import answered, next_pending, skip_reason, walk
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import AnswerValue
from legrules.pack.schema import FactLeaf
from legrules.pack.typed import (
    AnswerParseError,
    dump_answers,
    leaf_in_words,
    parse_strict,
    parse_typed,
)
from legrules.paths import default_rules_dir
from legrules.run.answers import parse_answers_document, validate_answers

# ----------------------------------------------------------------------- skipping


def status(pack: RulePack, given: dict[str, AnswerValue], question: str) -> str:
    step = next(s for s in walk(pack, given) if s.question.id == question)
    return step.status if step.skip is None else f"{step.status}:{step.skip.kind}"


def test_skip_if_takes_the_default(engine: Engine) -> None:
    pack = engine.pack
    assert status(pack, {"pain_type": "none"}, "pain_score") == "skipped:skip_if"
    assert status(pack, {"pain_type": "dull_ache"}, "pain_score") == "pending"
    step = next(s for s in walk(pack, {"pain_type": "none"}) if s.question.id == "pain_score")
    assert step.value == 0  # its default


def test_a_hard_red_flag_skips_everything_but_safety(engine: Engine) -> None:
    pack = engine.pack
    steps = walk(pack, {"pain_type": "sharp"})
    later = [step for step in steps if step.question.group != "safety"]
    assert later
    assert all(step.status == "skipped" for step in later)
    referral = [s.skip for s in later if s.skip is not None and s.skip.kind == "referral"]
    # the ones not skipped by their own skip_if (equipment at a commercial gym) are
    # skipped because of the referral, naming the rule that refers
    assert len(referral) >= len(later) - sum(1 for s in later if s.question.skip_if)
    assert all("sharp-or-escalating-pain" in skip.rules for skip in referral)
    # the rest of the safety screen is still asked
    assert any(s.status == "pending" and s.question.group == "safety" for s in steps)
    # a dull ache is not a red flag: the symptoms are asked
    steps = walk(pack, {"pain_type": "dull_ache"})
    assert any(s.status == "pending" and s.question.group == "symptoms" for s in steps)


@pytest.fixture
def small_pack(tmp_path: Path) -> RulePack:
    """The shipped questionnaire and catalogue with two rules of this test's own."""
    root = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests", "rules"))
    (root / "rules").mkdir()
    (root / "rules" / "mine.yaml").write_text(
        """
rules:
  - id: both-glutes-and-back
    title: Glutes in squats and lower back in hinges
    version: 1
    provenance: inferred
    when:
      all:
        - {fact: squat_felt_most, eq: glutes}
        - {fact: hinge_felt_most, eq: lower_back}
    then:
      recommend: [{id: leg_curl}]
    because: Test rule.
    sources: [{ref: TABLE}]
  - id: anyone
    title: Everyone
    version: 1
    provenance: article
    when: {all: []}
    then:
      recommend: [{id: leg_extension}]
    because: Test rule.
    sources: [{ref: WEEKLY}]
""",
        encoding="utf-8",
    )
    return load_pack(root)


def test_questions_that_cannot_change_the_outcome_are_skipped(small_pack: RulePack) -> None:
    # quads, not glutes: the rule is certainly false, so the hinge question cannot matter
    assert status(small_pack, {"squat_felt_most": "quads"}, "hinge_felt_most") == (
        "skipped:no_effect"
    )
    assert status(small_pack, {"squat_felt_most": "glutes"}, "hinge_felt_most") == "pending"
    # nothing reads the heart-condition question in this pack
    assert status(small_pack, {}, "parq_heart_condition") == "skipped:no_effect"
    # ... unless asked for everything
    question = small_pack.questions()["parq_heart_condition"]
    assert skip_reason(small_pack, question, {}, ask_all=True) is None


def test_the_plan_and_defaults_keep_equipment_questions(small_pack: RulePack) -> None:
    # no rule reads either, but the plan reads equipment and location sets its default
    assert status(small_pack, {}, "training_location") == "pending"
    given: dict[str, AnswerValue] = {"training_location": "home_gym"}
    assert status(small_pack, given, "equipment") == "pending"
    given = {"training_location": "commercial_gym"}
    assert status(small_pack, given, "equipment") == "skipped:skip_if"


def test_a_changed_answer_drops_answers_that_no_longer_apply(engine: Engine) -> None:
    given: dict[str, AnswerValue] = {"pain_type": "dull_ache", "pain_score": 4}
    assert answered(walk(engine.pack, given))["pain_score"] == 4
    given["pain_type"] = "none"
    steps = walk(engine.pack, given)
    assert "pain_score" not in answered(steps)
    pending = next_pending(steps)
    assert pending is not None
    assert pending.question.id != "pain_score"


# ----------------------------------------------------------------------- typed answers


@pytest.mark.parametrize(
    ("question", "text", "value"),
    [
        ("parq_heart_condition", "y", True),
        ("parq_heart_condition", "NO", False),
        ("age", " 34 ", 34),
        ("pain_type", "4", "sharp"),
        ("pain_type", "sharp", "sharp"),
        ("pain_type", "A dull ache", "dull_ache"),
        ("pain_type", "dull", "dull_ache"),
        ("squat_felt_most", "lower-back", "lower_back"),
        ("squat_felt_most", "g", "glutes"),
        ("pain_locations", "1, 3", ["knee", "low_back"]),
        ("pain_locations", "hip knee", ["knee", "hip"]),
        ("pain_locations", "Lower back", ["low_back"]),
        ("pain_locations", "none", []),
        ("tracks_progress", "no", "no"),
    ],
)
def test_typed_answers(engine: Engine, question: str, text: str, value: AnswerValue) -> None:
    assert parse_typed(engine.pack.questions()[question], text) == value


@pytest.mark.parametrize(
    ("question", "text", "message"),
    [
        ("parq_heart_condition", "maybe", "not yes or no"),
        ("age", "thirty", "not a whole number"),
        ("age", "130", "out of range"),
        ("pain_type", "9", "not one of the numbers 1 to 4"),
        ("pain_type", "stabbing", "not one of the choices"),
        ("goal", "b", "could be any of: quad_development, balanced"),
        ("goal", "strength", "not one of the choices"),
        ("pain_locations", "knee, elbow", "'elbow' is not one of the choices"),
    ],
)
def test_bad_typed_answers(engine: Engine, question: str, text: str, message: str) -> None:
    with pytest.raises(AnswerParseError, match=message):
        parse_typed(engine.pack.questions()[question], text)


def test_ambiguous_start_asks_for_more(engine: Engine) -> None:
    with pytest.raises(AnswerParseError, match="could be any of"):
        parse_typed(engine.pack.questions()["knee_signs"], "c")  # cannot_bear..., changed_shape


def test_strict_answers_are_exact(engine: Engine) -> None:
    questions = engine.pack.questions()
    assert parse_strict(questions["squat_form_breaks"], "true") is True
    assert parse_strict(questions["pain_locations"], "knee,hip") == ["knee", "hip"]
    assert parse_strict(questions["pain_locations"], "[]") == []
    assert parse_strict(questions["age"], "null") is None
    for question, text in [("squat_form_breaks", "yes"), ("goal", "Balanced"), ("age", "3.5")]:
        with pytest.raises(AnswerParseError):
            parse_strict(questions[question], text)


def test_conditions_in_the_words_of_the_person_answering(engine: Engine) -> None:
    questions = engine.pack.questions()

    def words(text: dict[str, object], negated: bool = False) -> str:
        leaf = FactLeaf.model_validate(text)
        return leaf_in_words(leaf, questions[leaf.fact], negated)

    assert words({"fact": "squat_felt_most", "eq": "glutes"}) == "if you answer Glutes"
    assert words({"fact": "pain_score", "gte": 6}) == "if your answer is 6 or more"
    assert words({"fact": "pain_type", "eq": "sharp"}, negated=True) == (
        "unless you answer Sharp or stabbing pain"
    )
    assert words({"fact": "nerve_signs", "empty": True}) == "if you pick none of these"
    assert words({"fact": "parq_medication", "eq": True}) == "if you answer yes"
    assert words({"fact": "knee_signs", "contains": ["locks", "gives_way"]}) == (
        "if you pick any of It locks or gets stuck, It gives way under you"
    )


def test_saved_answers_read_back_identically(engine: Engine) -> None:
    values: dict[str, object] = {
        "tracks_progress": "no",
        "age": 40,
        "pain_locations": ["knee"],
        "squat_form_breaks": False,
    }
    for as_json in (False, True):
        text = dump_answers(values, json_format=as_json, stamp="now")
        loaded = validate_answers(
            parse_answers_document(text, "saved"), engine.questionnaire, source="saved"
        )
        assert {k: loaded[k] for k in values} == values
    assert dump_answers({}, json_format=False, stamp="now").endswith("{}\n")


# ----------------------------------------------------------------------- why asked


def test_why_asked_lists_the_rules_that_read_it(engine: Engine) -> None:
    result = why_asked(engine.pack, "squat_felt_most")
    assert result.why.startswith("If your glutes take over")
    reader = next(r for r in result.readers if r.rule == "glute-dominance")
    assert reader.when == ["if you answer Glutes"]
    assert reader.alone
    assert "Leg extensions" in reader.recommends
    text = "\n".join(result.lines())
    assert "glute-dominance" in text
    assert "Why we ask:" in text


def test_why_asked_on_a_safety_question(engine: Engine) -> None:
    result = why_asked(engine.pack, "pain_type")
    reader = next(r for r in result.readers if r.rule == "sharp-or-escalating-pain")
    assert reader.withholds_plan
    assert reader.alone  # "sharp" alone refers, whatever else is answered
    lowback = next(r for r in result.readers if r.rule == "lowback-compensation-in-hinges")
    assert lowback.when == ["unless you answer Sharp or stabbing pain"]
    assert not lowback.alone


def test_why_asked_unknown_question(engine: Engine) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'pain_score'"):
        why_asked(engine.pack, "pain_scor")


def test_why_asked_for_the_plan_and_defaults(engine: Engine) -> None:
    assert why_asked(engine.pack, "equipment").plan_reads
    assert why_asked(engine.pack, "training_location").default_for == ["equipment"]
