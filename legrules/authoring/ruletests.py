"""Rule test cases as data, beside the rules they test (``<pack>/tests/*.yaml``).

Like ``opa test`` or semgrep's rule tests: each case is an answers document and what
must (and must not) happen. One generic runner serves the pytest driver and the
``legrules rules test`` command, and coverage is measured per rule: a rule counts as
covered when some case shows it firing and some case shows it not firing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from legrules.errors import AnswersError, Problem, RulePackError
from legrules.pack.problems import validation_problems
from legrules.pack.schema import AllOf, Rule
from legrules.pack.yamlio import parse_yaml, read_text
from legrules.run.assessment import PlanDay
from legrules.run.engine import Engine
from legrules.strict import StrictModel, empty_dict, empty_list


class Expect(StrictModel):
    status: Literal["ok", "referral"] | None = None
    recommends: list[str] = Field(default_factory=empty_list)
    not_recommends: list[str] = Field(default_factory=empty_list)
    plan_first: dict[str, str] = Field(
        default_factory=empty_dict, description="day id -> the exercise that must come first"
    )
    schedule: str | None = None
    plan_options: dict[str, str] = Field(
        default_factory=empty_dict,
        description="exercise id -> the option planned in its slot (first day it is on)",
    )
    plan_days: list[str] | None = Field(
        default=None, description="the day ids the plan shows, in order"
    )


class Case(StrictModel):
    name: str = Field(min_length=1)
    answers: dict[str, Any]
    fires: list[str] = Field(default_factory=empty_list)
    not_fires: list[str] = Field(default_factory=empty_list)
    expect: Expect | None = None


class CaseFile(StrictModel):
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    failures: list[str]
    fired: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Coverage:
    fired_in: dict[str, list[str]] = field(default_factory=dict)
    silent_in: dict[str, list[str]] = field(default_factory=dict)

    def uncovered(self, rules: Sequence[Rule]) -> dict[str, list[str]]:
        """Rules missing a firing case or a non-firing case, with what is missing.

        An unconditional rule (``when: {all: []}``) cannot have a non-firing case; it
        only needs to be shown firing.
        """
        gaps: dict[str, list[str]] = {}
        for rule in rules:
            missing = []
            if not self.fired_in.get(rule.id):
                missing.append("no case where it fires")
            if not self.silent_in.get(rule.id) and not is_unconditional(rule):
                missing.append("no case where it does not fire")
            if missing:
                gaps[rule.id] = missing
        return gaps


def is_unconditional(rule: Rule) -> bool:
    return isinstance(rule.when, AllOf) and not rule.when.all


def load_cases(tests_dir: Path) -> list[tuple[str, Case]]:
    """Every case in ``tests_dir/*.yaml``, with its file name; RulePackError if malformed."""
    problems: list[Problem] = []
    cases: list[tuple[str, Case]] = []
    for path in sorted(tests_dir.glob("*.yaml")):
        data, lines = parse_yaml(read_text(path), str(path))
        try:
            parsed = CaseFile.model_validate(data)
        except ValidationError as error:
            problems.extend(validation_problems(error, data, str(path), lines))
            continue
        cases.extend((path.name, case) for case in parsed.cases)
    if problems:
        raise RulePackError(problems)
    return cases


def run_case(engine: Engine, file: str, case: Case) -> CaseResult:
    failures: list[str] = []
    known = set(engine.pack.rules_by_id())
    for rule_id in [*case.fires, *case.not_fires]:
        if rule_id not in known:
            failures.append(f"names unknown rule {rule_id!r}")
    try:
        result = engine.assess(case.answers)
    except AnswersError as error:
        return CaseResult(file, case.name, [*failures, f"answers are invalid: {error}"], [])
    fired = [f.rule for f in result.trace]
    failures += [f"expected {r!r} to fire" for r in case.fires if r not in fired]
    failures += [f"expected {r!r} not to fire" for r in case.not_fires if r in fired]
    expect = case.expect
    if expect is not None:
        recommended = {rec.id for rec in result.recommendations}
        if expect.status and result.status != expect.status:
            failures.append(f"expected status {expect.status!r}, got {result.status!r}")
        failures += [
            f"expected recommendation {r!r}" for r in expect.recommends if r not in recommended
        ]
        failures += [
            f"did not expect recommendation {r!r}"
            for r in expect.not_recommends
            if r in recommended
        ]
        days = {d.id: d for d in result.plan.days} if result.plan else {}
        for day_id, exercise in expect.plan_first.items():
            day = days.get(day_id)
            head = day.items[0].exercise if day and day.items else None
            if head != exercise:
                failures.append(f"expected {exercise!r} first on {day_id}, got {head!r}")
        if expect.schedule is not None:
            got = result.plan.schedule.id if result.plan and result.plan.schedule else None
            if got != expect.schedule:
                failures.append(f"expected schedule {expect.schedule!r}, got {got!r}")
        failures += _plan_failures(expect, list(days.values()))
    return CaseResult(file, case.name, failures, fired)


def _plan_failures(expect: Expect, days: Sequence[PlanDay]) -> list[str]:
    failures = []
    planned: dict[str, str | None] = {}
    for day in days:
        for item in day.items:
            planned.setdefault(item.exercise, item.option)
    for exercise, option in expect.plan_options.items():
        got = planned.get(exercise, "(not in the plan)")
        if got != option:
            failures.append(f"expected {option!r} planned for {exercise!r}, got {got!r}")
    shown = [day.id for day in days]
    if expect.plan_days is not None and shown != expect.plan_days:
        failures.append(f"expected plan days {expect.plan_days}, got {shown}")
    return failures


def run_all(engine: Engine, tests_dir: Path | None = None) -> tuple[list[CaseResult], Coverage]:
    """Run every case of the engine's pack; returns results and rule coverage."""
    directory = tests_dir if tests_dir is not None else engine.pack.root / "tests"
    coverage = Coverage()
    results = []
    for file, case in load_cases(directory):
        result = run_case(engine, file, case)
        results.append(result)
        if result.fired or result.passed:
            for rule_id in case.fires:
                if rule_id in result.fired:
                    coverage.fired_in.setdefault(rule_id, []).append(case.name)
            for rule_id in case.not_fires:
                if rule_id not in result.fired:
                    coverage.silent_in.setdefault(rule_id, []).append(case.name)
    return results, coverage
