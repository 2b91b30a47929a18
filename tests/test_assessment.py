"""The Assessment matches CONTRACT section 3 and explains every recommendation."""

from __future__ import annotations

import json

from legrules import Engine, assess

CONTRACT_KEYS = {
    "schema_version",
    "assessment_id",
    "status",
    "ruleset",
    "answers",
    "recommendations",
    "plan",
    "trace",
}


def test_json_has_the_contract_fields(engine: Engine) -> None:
    data = json.loads(engine.assess({"squat_felt_most": "glutes"}).to_json())
    assert set(data) >= CONTRACT_KEYS
    assert data["schema_version"] == 1
    assert set(data["ruleset"]) >= {"name", "version", "fingerprint"}
    for rec in data["recommendations"]:
        assert rec["kind"] in {"exercise", "guidance", "safety"}
        assert rec["title"]
        assert rec["detail"]
        for reason in rec["because"]:
            assert {"rule", "rationale", "source", "answers"} <= set(reason)
            assert reason["rationale"]
            assert reason["source"]
    for day in data["plan"]["days"]:
        for item in day["items"]:
            assert {"exercise", "sets", "reps", "per_leg", "cue", "because"} <= set(item)
            assert item["sets"] is None or isinstance(item["sets"], str)
    for seq, firing in enumerate(data["trace"], start=1):
        assert firing["seq"] == seq
        assert firing["rule"]


def test_answers_are_validated_with_defaults(engine: Engine) -> None:
    result = engine.assess({"age": 44})
    assert result.answers["age"] == 44
    assert result.answers["goal"] == "balanced"


def test_because_shows_the_answers_that_mattered(engine: Engine) -> None:
    result = engine.assess({"squat_felt_most": "glutes", "age": 30})
    rec = result.recommendation("heel_elevated_squat")
    assert rec is not None
    (reason,) = rec.because
    assert reason.rule == "glute-dominance"
    assert reason.answers == {"squat_felt_most": "glutes"}
    assert "Article section" in reason.source


def test_merged_recommendation_keeps_every_reason(engine: Engine) -> None:
    rec = engine.assess({"squat_felt_most": "glutes"}).recommendation("leg_extension")
    assert rec is not None
    assert [r.rule for r in rec.because] == ["glute-dominance", "two-day-baseline"]


def test_plan_items_cite_their_rules_and_article_numbers(engine: Engine) -> None:
    plan = engine.assess({"squat_felt_most": "glutes"}).plan
    assert plan is not None
    items = {item.exercise: item for day in plan.days for item in day.items}
    assert (items["squat_or_leg_press"].sets, items["squat_or_leg_press"].reps) == ("4", "5-8")
    assert items["walking_lunge"].per_leg
    assert items["leg_extension"].because == ["glute-dominance", "two-day-baseline"]
    heel = items["heel_elevated_squat"]
    assert heel.prescription_source == "not_specified"
    assert heel.sets is None
    assert heel.reps is None
    assert heel.note


def test_sharp_pain_is_a_referral_without_plan_or_exercises(engine: Engine) -> None:
    result = engine.assess({"pain_type": "sharp", "squat_felt_most": "glutes"})
    assert result.status == "referral"
    assert result.plan is None
    kinds = {rec.kind for rec in result.recommendations}
    assert kinds == {"safety"}
    withheld = {s.recommendation for s in result.suppressed}
    assert {"leg_extension", "heel_elevated_squat", "squat_or_leg_press"} <= withheld
    assert all(s.by == "sharp-or-escalating-pain" for s in result.suppressed)


def test_fatigue_is_not_pain(engine: Engine) -> None:
    """Low-back fatigue routes to hamstring work only when there is no sharp pain or nerve sign."""
    tired = engine.fired_rules({"low_back_tires_in_hinges": "often"})
    assert "lowback-compensation-in-hinges" in tired
    nerve = engine.fired_rules(
        {"low_back_tires_in_hinges": "often", "nerve_signs": ["leg_weakness"]}
    )
    assert "lowback-compensation-in-hinges" not in nerve


def test_top_level_assess_convenience() -> None:
    result = assess({"squat_felt_most": "glutes"})
    assert result.recommendation("heel_elevated_squat") is not None


def test_output_is_identical_apart_from_id_and_time(engine: Engine) -> None:
    raw = {"squat_felt_most": "glutes", "hinge_felt_most": "lower_back", "age": 50}
    first, second = engine.assess(raw), engine.assess(raw)
    assert first.assessment_id != second.assessment_id
    blank = {"assessment_id": "", "created_at": ""}
    assert first.model_copy(update=blank).to_json() == second.model_copy(update=blank).to_json()


def test_a_source_section_is_named_once_per_reason(engine: Engine) -> None:
    """Four shipped rules quote two passages of one section; the reason named the
    section twice ("Article section: Machines ...; Article section: Machines ...")."""
    from legrules.run.recommend import source_text

    twice = [r for r in engine.pack.rules if len({s.ref for s in r.sources}) < len(r.sources)]
    assert twice, "the shipped pack has rules quoting one section twice"
    for rule in twice:
        text = source_text(engine.pack, rule)
        for ref in {s.ref for s in rule.sources}:
            assert text.count(engine.pack.meta.references[ref].title) == 1, text
        for source in rule.sources:
            assert source.note is None or source.note in text
