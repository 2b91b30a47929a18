"""What withholds what: one set of rules for the outcome, lint and the questionnaire."""

from __future__ import annotations

from legrules.logic.partial import PartialState
from legrules.logic.withholding import Withholders, certain_referrals, suppresses
from legrules.run.engine import Engine
from tests.rulekit import SHIPPED, make_rule, pack_of

ALWAYS: dict[str, list[object]] = {"all": []}


def test_a_suppressor_keeps_its_own_recommendation() -> None:
    """Rule A recommends leg_extension and suppresses every exercise; B recommends
    leg_curl. A's own recommendation survives its suppression; B's does not."""
    a = make_rule(
        "a-instead",
        ALWAYS,
        {"recommend": [{"id": "leg_extension"}], "suppress": {"kinds": ["exercise"]}},
    )
    b = make_rule("b-curls", ALWAYS, {"recommend": [{"id": "leg_curl"}]}, priority=1)
    pack = pack_of(a, b)
    result = Engine(pack).assess({})
    assert [r.id for r in result.recommendations if r.kind == "exercise"] == ["leg_extension"]
    assert [(s.recommendation, s.by, s.made_by) for s in result.suppressed] == [
        ("leg_curl", "a-instead", ["b-curls"])
    ]
    assert Withholders(pack).of(a, "leg_extension") == []
    assert Withholders(pack).of(b, "leg_curl") == [a]
    assert not suppresses(a, "leg_extension", "exercise")
    assert suppresses(a, "leg_curl", "exercise")


def test_a_referral_withdraws_its_own_rules_exercises_too() -> None:
    refer = make_rule(
        "refer-and-curl", ALWAYS, {"recommend": [{"id": "see_professional"}, {"id": "leg_curl"}]}
    )
    pack = pack_of(refer)
    result = Engine(pack).assess({})
    assert result.status == "referral"
    assert ("leg_curl", "refer-and-curl") in [(s.recommendation, s.by) for s in result.suppressed]
    assert Withholders(pack).of(refer, "leg_curl") == [refer]


def test_a_referral_that_can_be_suppressed_is_not_certain() -> None:
    """Skipping the rest of the questionnaire needs a referral that nothing can take back."""
    refer = make_rule("refer", ALWAYS, {"recommend": [{"id": "see_professional"}]})
    cancel = make_rule(
        "cancel",
        {"fact": "age", "gt": 45},
        {"recommend": [{"id": "leg_curl"}], "suppress": {"recommendations": ["see_professional"]}},
    )
    pack = pack_of(refer, cancel)
    assert certain_referrals(pack, PartialState(pack, {})) == []
    assert certain_referrals(pack, PartialState(pack, {"age": 30})) == ["refer"]
    # on the shipped pack, the suppressors of see_professional refer (emergency_care) too
    state = PartialState(SHIPPED, {"pain_type": "sharp"})
    assert certain_referrals(SHIPPED, state) == ["sharp-or-escalating-pain"]
