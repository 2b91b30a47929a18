"""Answers validation: every problem reported, each naming the field, value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legrules import AnswersError, Engine, InputFileError, load_answers_file, validate_answers
from legrules.paths import default_rules_dir
from legrules.run.answers import parse_answers_document
from legrules.run.loader import load_pack
from tests.profiles import examples

QUESTIONNAIRE = load_pack(default_rules_dir()).questionnaire


def problems_of(raw: object) -> AnswersError:
    with pytest.raises(AnswersError) as caught:
        validate_answers(raw, QUESTIONNAIRE, source="answers.json")
    return caught.value


def test_empty_document_takes_every_default() -> None:
    answers = validate_answers({}, QUESTIONNAIRE)
    assert list(answers) == QUESTIONNAIRE.ids()
    assert answers["pain_type"] == "none"
    assert answers["leg_sessions_per_week"] == 2
    assert answers["age"] is None, "age has no default: it stays unanswered"
    assert "age" in answers.unanswered()
    assert answers.provided == frozenset()


def test_commercial_gym_defaults_to_all_equipment_home_gym_does_not() -> None:
    commercial = validate_answers({}, QUESTIONNAIRE)
    equipment = next(q for q in QUESTIONNAIRE.questions if q.id == "equipment")
    assert commercial["equipment"] == equipment.values
    home = validate_answers({"training_location": "home_gym"}, QUESTIONNAIRE)
    assert home["equipment"] is None


def test_null_means_unanswered_and_takes_the_default() -> None:
    answers = validate_answers({"pain_type": None}, QUESTIONNAIRE)
    assert answers["pain_type"] == "none"
    assert "pain_type" not in answers.provided


def test_multi_values_are_kept_in_questionnaire_order() -> None:
    answers = validate_answers({"pain_locations": ["quad", "knee"]}, QUESTIONNAIRE)
    assert answers["pain_locations"] == ["knee", "quad"]


def test_unknown_question_id_suggests_the_closest() -> None:
    error = problems_of({"squat_felt_mots": "glutes"})
    (problem,) = error.problems
    assert problem.location == "squat_felt_mots"
    assert problem.message == "unknown question id"
    assert problem.suggestion == "squat_felt_most"
    assert "answers.json" in str(error)


def test_misspelt_enum_value_lists_allowed_values_and_suggests() -> None:
    (problem,) = problems_of({"squat_felt_most": "glute"}).problems
    assert problem.location == "squat_felt_most"
    assert problem.given == '"glute"'
    assert problem.allowed is not None
    assert "glutes" in problem.allowed
    assert problem.suggestion == "glutes"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("age", 7, "out of range"),
        ("age", 101, "out of range"),
        ("pain_score", 11, "out of range"),
        ("age", 30.5, "whole number"),
        ("age", "30", "whole number"),
        ("age", True, "whole number"),
        ("parq_chest_pain", "yes", "true or false"),
        ("parq_chest_pain", 1, "true or false"),
        ("pain_locations", "knee", "expected a list"),
        ("pain_locations", ["knee", "knee"], "listed twice"),
        ("pain_locations", ["knees"], "not an allowed value"),
    ],
)
def test_wrong_types_and_ranges(field: str, value: Any, fragment: str) -> None:
    (problem,) = problems_of({field: value}).problems
    assert problem.location == field
    assert fragment in problem.message
    assert problem.allowed


def test_every_problem_is_listed_at_once() -> None:
    error = problems_of({"age": 200, "pain_type": "stabbing", "nope": 1})
    assert {p.location for p in error.problems} == {"age", "pain_type", "nope"}
    assert "3 problems" in str(error)


@pytest.mark.parametrize("raw", [[], "text", 3, None])
def test_document_must_be_a_mapping(raw: object) -> None:
    (problem,) = problems_of(raw).problems
    assert "mapping" in problem.message


def test_yaml_file_no_stays_a_string(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("tracks_progress: no\nsquat_form_breaks: true\n", encoding="utf-8")
    answers = load_answers_file(path, QUESTIONNAIRE)
    assert answers["tracks_progress"] == "no"
    path.write_text("squat_form_breaks: yes\n", encoding="utf-8")
    with pytest.raises(AnswersError, match="true or false"):
        load_answers_file(path, QUESTIONNAIRE)


def test_malformed_json_and_yaml_name_file_and_line(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{\n  "age": 30,\n}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.json:3: not valid JSON"):
        load_answers_file(bad_json, QUESTIONNAIRE)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("age: 30\npain_type: [sharp\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_answers_file(bad_yaml, QUESTIONNAIRE)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_answers_file(tmp_path / "absent.json", QUESTIONNAIRE)


def test_engine_validate_matches_module_function(engine: Engine) -> None:
    raw = {"age": 40, "goal": "quad_development"}
    assert engine.validate(raw).to_dict() == validate_answers(raw, QUESTIONNAIRE).to_dict()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.sampled_from(QUESTIONNAIRE.ids()) | st.text(max_size=20)


@settings(max_examples=examples(1500), deadline=None)
@given(doc=st.one_of(st.dictionaries(ids, json_values, max_size=8), json_values))
def test_fuzz_any_json_document_is_valid_or_the_documented_error(doc: object) -> None:
    error: AnswersError | None = None
    try:
        answers = validate_answers(doc, QUESTIONNAIRE)
    except AnswersError as caught:  # the one documented failure
        error = caught
    if error is not None:
        assert error.problems, "an AnswersError always lists its problems"
        assert all(p.location and p.message for p in error.problems)
        return
    # accepted: then it must be exactly a valid document, every value checked
    assert isinstance(doc, dict)
    for question in QUESTIONNAIRE.questions:
        value = answers[question.id]
        if value is not None:
            assert question.check_value(value) is None
    json.dumps(answers.to_dict())


EMPTY_DOCUMENTS = {
    "empty.yaml": "",
    "blank.yaml": "  \n\n\t\n",
    "comments.yaml": "# my answers\n# (none yet)\n",
    "null.yaml": "null\n",
    "empty.json": "",
}


@pytest.mark.parametrize("name", list(EMPTY_DOCUMENTS))
def test_an_empty_answers_file_is_an_error_not_every_default(name: str, tmp_path: Path) -> None:
    """An empty file is a failed redirect or a truncated save far more often than a
    choice; ``{}`` is how to choose every default."""
    path = tmp_path / name
    path.write_text(EMPTY_DOCUMENTS[name], encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        load_answers_file(path, QUESTIONNAIRE)
    assert caught.value.source == str(path)
    assert "empty" in caught.value.problems[0].message
    assert "{}" in str(caught.value)


@pytest.mark.parametrize("text", list(EMPTY_DOCUMENTS.values()))
def test_empty_answers_text_is_an_error(text: str) -> None:
    with pytest.raises(AnswersError, match="empty"):
        validate_answers(parse_answers_document(text, "<stdin>"), QUESTIONNAIRE, source="<stdin>")


def test_an_empty_mapping_still_means_every_default(tmp_path: Path) -> None:
    path = tmp_path / "defaults.yaml"
    path.write_text("{}\n", encoding="utf-8")
    assert load_answers_file(path, QUESTIONNAIRE).provided == frozenset()
