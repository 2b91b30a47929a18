"""``legrules rules lint``: everything the loader checks, plus what only analysis can find.

The loader already refuses a pack that is inconsistent (unknown facts, values that do not
fit a question, unknown ids, derivation cycles...); lint reports those problems as
errors instead of refusing, and then looks for rules that are valid but cannot work:

======  ======================  =======  ==============================================
code    name                    level    meaning
======  ======================  =======  ==============================================
LR001   invalid-pack            error    a problem the loader reports (file:line, rule)
LR002   invalid-test-case       error    a rule test case file is malformed or names an
                                         unknown rule
LR101   unreachable-rule        error    no answers can make the rule fire
LR102   shadowed-rule           warning  whenever the rule fires, everything it
                                         recommends is withheld by a suppression or a
                                         referral, and it has no other effect
LR103   shadowed-recommendation warning  one recommendation of a rule is always withheld
                                         when the rule fires
LR201   unread-question         warning  no rule reads the question (and the plan does
                                         not use it)
LR202   unread-finding          warning  a finding is derived but no rule matches it
LR203   never-recommended       warning  no rule recommends a catalogue id, and no plan
                                         day lists it
LR204   unused-source           warning  a pack.yaml reference no rule cites
LR901   not-checked             warning  the search gave up (too many answer
                                         combinations) before deciding LR101-LR103
======  ======================  =======  ==============================================

"No answers can make it fire" is decided by searching the answers that matter to the
rule (through findings, to the rules that derive them) with three-valued pruning, over a
small set of representative values per question (see :mod:`legrules.logic.partial`): exact for
this rule language, not a sampling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from legrules.authoring.ruletests import load_cases
from legrules.errors import Problem, RulePackError
from legrules.logic.partial import (
    PartialState,
    Search,
    SearchCache,
    Tri,
    find_answers,
    tri_all,
    tri_any,
    tri_not,
)
from legrules.logic.withholding import Withholders
from legrules.pack.model import RulePack
from legrules.pack.schema import Condition, Rule
from legrules.run.loader import load_pack
from legrules.run.plan import PLAN_FACTS

Severity = Literal["error", "warning"]

CHECKS: dict[str, tuple[str, Severity]] = {
    "LR001": ("invalid-pack", "error"),
    "LR002": ("invalid-test-case", "error"),
    "LR101": ("unreachable-rule", "error"),
    "LR102": ("shadowed-rule", "warning"),
    "LR103": ("shadowed-recommendation", "warning"),
    "LR201": ("unread-question", "warning"),
    "LR202": ("unread-finding", "warning"),
    "LR203": ("never-recommended", "warning"),
    "LR204": ("unused-source", "warning"),
    "LR901": ("not-checked", "warning"),
}


@dataclass(frozen=True)
class LintIssue:
    code: str
    location: str
    message: str
    rule: str | None = None

    @property
    def name(self) -> str:
        return CHECKS[self.code][0]

    @property
    def severity(self) -> Severity:
        return CHECKS[self.code][1]

    def render(self) -> str:
        where = f"{self.location} (rule {self.rule})" if self.rule else self.location
        return f"{where}: {self.code} [{self.severity}] {self.name}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name, "severity": self.severity}


def lint_pack(root: Path, *, budget: int = 200_000) -> list[LintIssue]:
    """Lint the pack in ``root``. Raises RulePackError only if ``root`` is not a pack."""
    root = Path(root)
    if not (root / "pack.yaml").is_file():
        raise RulePackError(
            [Problem(location=str(root), message="not a rule pack: no pack.yaml here")]
        )
    try:
        pack = load_pack(root)
    except RulePackError as error:
        return [_from_problem("LR001", problem) for problem in error.problems]
    issues = _test_cases(pack)
    issues += _rule_checks(pack, budget)
    issues += _unused(pack)
    return issues


def _from_problem(code: str, problem: Problem) -> LintIssue:
    location, _, message = problem.render().partition(": ")
    return LintIssue(code=code, location=location, message=message)


def _where(pack: RulePack, rule: Rule) -> str:
    return str(pack.locations.get(rule.id, pack.root / "rules"))


def _test_cases(pack: RulePack) -> list[LintIssue]:
    tests = pack.root / "tests"
    if not tests.is_dir():
        return []
    try:
        cases = load_cases(tests)
    except RulePackError as error:
        return [_from_problem("LR002", problem) for problem in error.problems]
    known = pack.rules_by_id()
    issues = []
    for file, case in cases:
        for rule_id in [*case.fires, *case.not_fires]:
            if rule_id not in known:
                issues.append(
                    LintIssue(
                        code="LR002",
                        location=str(tests / file),
                        message=f"case {case.name!r} names unknown rule {rule_id!r}",
                    )
                )
    return issues


def _fires(rule: Rule) -> Callable[[PartialState], Tri]:
    def goal(state: PartialState) -> Tri:
        return state.rule(rule)

    return goal


def _escapes(rule: Rule, blockers: list[Rule]) -> Callable[[PartialState], Tri]:
    """Goal: ``rule`` fires and none of ``blockers`` does."""

    def goal(state: PartialState) -> Tri:
        # Kleene "fires and not (any blocker fires)"; this runs at every node of the
        # search, so the blockers are not looked at once the rule surely does not fire.
        fires = state.rule(rule)
        if fires is False:
            return False
        return tri_all((fires, tri_not(tri_any(state.rule(other) for other in blockers))))

    return goal


def _rule_checks(pack: RulePack, budget: int) -> list[LintIssue]:
    issues: list[LintIssue] = []
    index = SearchCache(pack)
    blocking = Withholders(pack)
    for rule in pack.rules:
        where = _where(pack, rule)
        reach = _search(index, _fires(rule), [rule.when], budget)
        if reach.satisfiable is False:
            issues.append(
                LintIssue(
                    "LR101",
                    where,
                    "no answers can make this rule fire (its conditions contradict each "
                    "other, or a finding it needs can never be derived)",
                    rule.id,
                )
            )
            continue
        if reach.satisfiable is None:
            issues.append(
                LintIssue("LR901", where, "gave up deciding whether it can fire", rule.id)
            )
            continue
        shadowed: list[tuple[str, list[str]]] = []
        undecided = False
        for rec in rule.then.recommend:
            blockers = blocking.of(rule, rec.id)
            if not blockers:
                continue

            conditions = [rule.when, *(other.when for other in blockers)]
            result = _search(index, _escapes(rule, blockers), conditions, budget)
            if result.satisfiable is False:
                shadowed.append((rec.id, _who_withholds(index, rule, blockers)))
            elif result.satisfiable is None:
                undecided = True
        if undecided:
            issues.append(
                LintIssue(
                    "LR901", where, "gave up deciding whether its advice is withheld", rule.id
                )
            )
        effects = rule.then.derive or rule.then.plan or rule.then.suppress
        if shadowed and len(shadowed) == len(rule.then.recommend) and not effects:
            names = ", ".join(rec for rec, _ in shadowed)
            by = ", ".join(dict.fromkeys(b for _, blockers in shadowed for b in blockers))
            issues.append(
                LintIssue(
                    "LR102",
                    where,
                    f"whenever it fires, everything it recommends ({names}) is withheld by {by}",
                    rule.id,
                )
            )
        else:
            issues.extend(
                LintIssue(
                    "LR103",
                    where,
                    f"{rec_id} is always withheld by {', '.join(blockers)} when this rule fires",
                    rule.id,
                )
                for rec_id, blockers in shadowed
            )
    return issues


def _search(
    index: SearchCache,
    goal: Callable[[PartialState], Tri],
    conditions: list[Condition],
    budget: int = 200_000,
) -> Search:
    """Answers that make ``goal`` true, searched over what ``conditions`` read."""
    leaves = index.closure_leaves(conditions)
    return find_answers(index.pack, goal, list(leaves), budget=budget, index=index, leaves=leaves)


def _who_withholds(index: SearchCache, rule: Rule, blockers: list[Rule]) -> list[str]:
    """The blockers that fire whenever ``rule`` fires (the ones worth naming)."""
    named = []
    for other in blockers:
        escape = _search(index, _escapes(rule, [other]), [rule.when, other.when])
        if escape.satisfiable is False:
            named.append(other.id)
    return named or [other.id for other in blockers]


def _unused(pack: RulePack) -> list[LintIssue]:
    issues: list[LintIssue] = []
    questionnaire_file = str(pack.root / "questionnaire.yaml")
    read = set(pack.index.asked_by)
    used = read | PLAN_FACTS
    changed = True
    while changed:  # a question whose answer sets a used question's default is used too
        changed = False
        for question in pack.questionnaire.questions:
            source = question.default_from.question if question.default_from else None
            if question.id in used and source is not None and source not in used:
                used.add(source)
                changed = True
    for question in pack.questionnaire.questions:
        if question.id not in used:
            issues.append(
                LintIssue(
                    "LR201",
                    questionnaire_file,
                    f"no rule reads question {question.id!r}: its answer changes nothing",
                )
            )
    matched = set(pack.index.read_by)
    for rule in pack.rules:
        for name in rule.then.derive:
            if name not in matched:
                issues.append(
                    LintIssue(
                        "LR202",
                        _where(pack, rule),
                        f"derives {name!r}, which no rule matches",
                        rule.id,
                    )
                )
    catalogue_file = str(pack.root / "catalogue.yaml")
    recommended = {rec.id for rule in pack.rules for rec in rule.then.recommend}
    in_plan = {
        item
        for day in [*pack.catalogue.template, *pack.catalogue.optional_days]
        for item in day.items
    }
    for definition in pack.catalogue.recommendations:
        if definition.id not in recommended and definition.id not in in_plan:
            issues.append(
                LintIssue(
                    "LR203",
                    catalogue_file,
                    f"no rule recommends {definition.id!r} and no plan day lists it",
                )
            )
    cited = {source.ref for rule in pack.rules for source in rule.sources}
    for ref in pack.meta.references:
        if ref not in cited:
            issues.append(
                LintIssue("LR204", str(pack.root / "pack.yaml"), f"no rule cites reference {ref!r}")
            )
    return issues
