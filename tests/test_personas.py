"""Golden personas: every answers file in examples/ against its expected assessment.

The expected outputs in examples/expected/ are regenerated only on purpose, with
``python -m pytest tests/test_personas.py --update-goldens``, and the diff reviewed like
any other change to what legrules tells people.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legrules import Engine, load_answers_file
from tests.conftest import EXAMPLES

EXPECTED = EXAMPLES / "expected"
PERSONAS = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".json", ".yaml"})


def _comparable(engine: Engine, path: Path) -> str:
    result = engine.assess(load_answers_file(path, engine.questionnaire))
    blank = {"assessment_id": "<varies>", "created_at": "<varies>"}
    return result.model_copy(update=blank).to_json() + "\n"


def test_there_are_enough_personas() -> None:
    assert len(PERSONAS) >= 12


@pytest.mark.parametrize("path", PERSONAS, ids=[p.name for p in PERSONAS])
def test_persona_matches_golden(engine: Engine, path: Path, update_goldens: bool) -> None:
    golden = EXPECTED / f"{path.stem}.json"
    actual = _comparable(engine, path)
    if update_goldens:
        EXPECTED.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden for {path.name}: run with --update-goldens"
    expected = golden.read_text(encoding="utf-8")
    assert json.loads(actual) == json.loads(expected), (
        f"{path.name} changed; if intended, regenerate with --update-goldens and review"
    )


# What each persona is for, checked independently of the golden files so a wrong golden
# cannot be regenerated into passing.
EXPECTATIONS: dict[str, tuple[str, set[str], set[str]]] = {
    "no-symptoms": ("ok", {"leg_extension", "leg_curl"}, {"heel_elevated_squat"}),
    "glute-dominant": ("ok", {"heel_elevated_squat", "leg_extension"}, set()),
    "lowback-hinges": ("ok", {"leg_curl", "prioritize_hamstrings"}, set()),
    "one-leg-dominant": ("ok", {"unilateral_work"}, set()),
    "all-three-patterns": (
        "ok",
        {"heel_elevated_squat", "prioritize_hamstrings", "unilateral_work"},
        set(),
    ),
    "heavy-and-rushing": (
        "ok",
        {"split_power_and_structure", "controlled_tempo", "track_progression"},
        set(),
    ),
    "home-gym-no-machines": ("ok", {"home_isolation_station"}, set()),
    "sharp-knee-pain": ("referral", {"see_professional"}, {"leg_extension"}),
    "nerve-signs": ("referral", {"see_professional"}, {"leg_curl"}),
    "surgery-not-cleared": ("referral", {"see_professional"}, {"squat_or_leg_press"}),
    "one-leg-day": ("ok", {"second_leg_day"}, {"compounds_first"}),
    "home-gym-no-equipment": (
        "ok",
        {"isolation_without_machines", "home_isolation_station"},
        {"use_machines"},
    ),
    "home-gym-bands-only": (
        "ok",
        {"hip_hinge", "prioritize_hamstrings", "isolation_without_machines"},
        {"use_machines"},
    ),
    "over-50-new-to-hard-training": ("ok", {"consult_before_vigorous"}, set()),
    "contradictory": ("ok", {"clarify_answers"}, set()),
    # issue 13: a teenager, effort that is not pain, a mild lower-back ache
    "teenager": ("ok", {"youth_supervision"}, {"see_professional", "consult_before_vigorous"}),
    "doms-sore-next-day": ("ok", {"squat_or_leg_press"}, {"see_professional", "train_around_ache"}),
    "lowback-ache": (
        "ok",
        {"train_around_ache", "romanian_deadlift", "alignment_check", "heel_elevated_squat"},
        {"see_professional"},
    ),
}


@pytest.mark.parametrize("stem", sorted(EXPECTATIONS))
def test_persona_intent(engine: Engine, stem: str) -> None:
    (path,) = [p for p in PERSONAS if p.stem == stem]
    result = engine.assess(load_answers_file(path, engine.questionnaire))
    status, present, absent = EXPECTATIONS[stem]
    ids = {r.id for r in result.recommendations}
    assert result.status == status
    assert present <= ids, present - ids
    assert not (absent & ids), absent & ids
    assert (result.plan is None) == (status == "referral")
