"""Load a rule pack from a directory and check it completely before anything runs it.

Layout of a pack directory::

    pack.yaml            name, version, source references
    questionnaire.yaml   the questions (docs/CONTRACT.md section 1)
    catalogue.yaml       recommendation ids, exercise prescriptions, the plan template
    rules/*.yaml         the rules, one file per topic
    tests/*.yaml         rule test cases (read by the test driver, not by the loader)

Every problem in every file is collected and reported together, each with ``file:line``
and the rule id, so one run of the loader is enough to fix a pack. Nothing is returned
unless everything passed: there is no half-loaded pack.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from legrules.errors import InputFileError, Problem, RulePackError, closest
from legrules.pack.catalogue import Catalogue
from legrules.pack.index import index_rules
from legrules.pack.model import RuleLocation, RulePack, firing_order
from legrules.pack.problems import validation_problems
from legrules.pack.questionnaire import Question, Questionnaire
from legrules.pack.schema import OPERATORS, FactLeaf, FindingLeaf, PackMeta, Rule, RuleFile, walk
from legrules.pack.yamlio import LineMap, parse_yaml, read_text
from legrules.run.compiler import condition_problem, fields_problem, nesting_problem

M = TypeVar("M", bound=BaseModel)

_KNOWN_KEYS = sorted(
    {*OPERATORS, "fact", "finding", "all", "any", "not"}
    | set(Rule.model_fields)
    | {"recommend", "derive", "suppress", "detail", "urgency", "emphasis", "ref", "quote", "note"}
)

# Which operators make sense for which question type.
_OPS_BY_TYPE: dict[str, set[str]] = {
    "bool": {"eq", "ne", "exists", "missing"},
    "int": {"eq", "ne", "lt", "lte", "gt", "gte", "in", "exists", "missing"},
    "enum": {"eq", "ne", "in", "exists", "missing"},
    "multi": {"contains", "empty", "exists", "missing"},
}


def _rule_named(data: Any, path: Sequence[str | int]) -> str | None:
    """``rule <id>`` when ``path`` lies inside a rule that has an id."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(data, Mapping):
        rules = data.get("rules")
        index = path[1]
        if isinstance(rules, list) and isinstance(index, int) and index < len(rules):
            entry = rules[index]
            if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
                return f"rule {entry['id']}"
    return None


def _parse_model(
    path: Path, model: type[M], problems: list[Problem]
) -> tuple[M | None, Any, LineMap]:
    try:
        text = read_text(path)
        data, lines = parse_yaml(text, str(path))
    except InputFileError as error:
        problems.append(Problem(location=error.where, message=error.reason))
        return None, None, LineMap()
    if not isinstance(data, Mapping):
        problems.append(
            Problem(location=str(path), message="expected a YAML mapping at the top level")
        )
        return None, data, lines
    try:
        return model.model_validate(data), data, lines
    except ValidationError as exc:
        problems.extend(
            validation_problems(
                exc,
                data,
                str(path),
                lines,
                known_keys=_KNOWN_KEYS,
                context=lambda place: _rule_named(data, place),
            )
        )
        return None, data, lines


def _rule_files(root: Path) -> list[Path]:
    return sorted((root / "rules").glob("*.yaml"))


def pack_files(root: Path) -> list[Path]:
    """Every file :func:`load_pack` reads, in a stable order (the compiled-pack cache
    hashes exactly these, so the two lists cannot drift apart)."""
    root = Path(root)
    return [
        root / "pack.yaml",
        root / "questionnaire.yaml",
        root / "catalogue.yaml",
        *_rule_files(root),
    ]


def load_questionnaire(root: str | os.PathLike[str]) -> Questionnaire:
    """The questionnaire of the pack in ``root`` alone, validated as :func:`load_pack`
    validates it; RulePackError listing every problem otherwise. For readers that need
    the questions but not the rules (training-log answers), so a pack whose rules are
    being edited still has its questions read the one way."""
    problems: list[Problem] = []
    questionnaire, _, _ = _parse_model(Path(root) / "questionnaire.yaml", Questionnaire, problems)
    if questionnaire is None:
        raise RulePackError(problems)
    return questionnaire


def load_pack(root: str | os.PathLike[str]) -> RulePack:
    """Load and cross-check the pack in ``root``; raise RulePackError listing all problems."""
    root = Path(root)
    if not (root / "pack.yaml").is_file():
        raise RulePackError(
            [
                Problem(
                    location=str(root),
                    message="not a rule pack: expected pack.yaml, questionnaire.yaml, "
                    "catalogue.yaml and a rules/ folder",
                )
            ]
        )
    problems: list[Problem] = []
    meta, _, _ = _parse_model(root / "pack.yaml", PackMeta, problems)
    questionnaire, _, _ = _parse_model(root / "questionnaire.yaml", Questionnaire, problems)
    catalogue, _, _ = _parse_model(root / "catalogue.yaml", Catalogue, problems)
    rule_files = _rule_files(root)
    if not rule_files:
        problems.append(Problem(location=str(root / "rules"), message="no rule files (*.yaml)"))
    rules: list[Rule] = []
    locations: dict[str, RuleLocation] = {}
    for path in rule_files:
        parsed, _, lines = _parse_model(path, RuleFile, problems)
        if parsed is None:
            continue
        for index, rule in enumerate(parsed.rules):
            location = RuleLocation(str(path), lines.line(("rules", index)))
            if rule.id in locations:
                problems.append(
                    Problem(
                        location=f"{location} (rule {rule.id})",
                        message=f"duplicate rule id; first defined at {locations[rule.id]}",
                    )
                )
                continue
            locations[rule.id] = location
            rules.append(rule)
    if meta is None or questionnaire is None or catalogue is None or problems:
        raise RulePackError(problems or [Problem(str(root), "pack could not be read")])
    problems.extend(_cross_check(rules, locations, meta, questionnaire, catalogue))
    if problems:
        raise RulePackError(problems)
    return RulePack(
        root=root,
        meta=meta,
        questionnaire=questionnaire,
        catalogue=catalogue,
        rules=firing_order(rules),
        locations=locations,
    )


def _check_leaf(leaf: FactLeaf, question: Question) -> str | None:
    """Why this leaf does not fit its question (operator or value), or None."""
    op, value = leaf.op, leaf.value
    allowed_ops = _OPS_BY_TYPE[question.type]
    if op not in allowed_ops:
        return (
            f"operator {op!r} does not apply to {question.type} question {question.id!r}; "
            f"allowed: {', '.join(sorted(allowed_ops))}"
        )
    if op in ("exists", "missing", "empty"):
        return None
    values = value if isinstance(value, list) else [value]
    for item in values:
        if question.type == "multi":
            problem = question.check_value([item])
        else:
            problem = question.check_value(item)
        if problem:
            hint = ""
            if question.values and isinstance(item, str):
                close = closest(item, question.values)
                hint = f" (did you mean {close!r}?)" if close else ""
            return (
                f"value {item!r} for {question.id!r}: {problem}; "
                f"allowed: {question.allowed_text()}{hint}"
            )
    return None


def _cross_check(
    rules: list[Rule],
    locations: dict[str, RuleLocation],
    meta: PackMeta,
    questionnaire: Questionnaire,
    catalogue: Catalogue,
) -> list[Problem]:
    problems: list[Problem] = []
    questions = questionnaire.by_id()
    recommendations = catalogue.by_id()
    derived_by: dict[str, list[str]] = {}
    for rule in rules:
        for finding in rule.then.derive:
            derived_by.setdefault(finding, []).append(rule.id)

    def report(rule: Rule, message: str, suggestion: str | None = None) -> None:
        problems.append(
            Problem(
                location=f"{locations[rule.id]} (rule {rule.id})",
                message=message,
                suggestion=suggestion,
            )
        )

    for rule in rules:
        too_deep = nesting_problem(rule.when)
        if too_deep is not None:
            report(rule, too_deep)
            continue
        before = len(problems)
        for node, negated in walk(rule.when):
            if isinstance(node, FactLeaf):
                question = questions.get(node.fact)
                if question is None:
                    report(
                        rule,
                        f"unknown fact {node.fact!r}: no such question",
                        closest(node.fact, questions),
                    )
                    continue
                problem = _check_leaf(node, question)
                if problem:
                    report(rule, problem)
            elif isinstance(node, FindingLeaf):
                if node.finding not in derived_by:
                    report(
                        rule,
                        f"finding {node.finding!r} is matched but no rule derives it",
                        closest(node.finding, derived_by),
                    )
                if negated:
                    report(
                        rule,
                        f"finding {node.finding!r} is under 'not': findings can only be "
                        "matched positively (derivation is monotonic)",
                    )
        if len(problems) == before:
            engine_problem = condition_problem(rule.when, questions)
            if engine_problem is not None:
                report(rule, engine_problem)
        for rec in rule.then.recommend:
            if rec.id not in recommendations:
                report(
                    rule,
                    f"recommends unknown id {rec.id!r}",
                    closest(rec.id, recommendations),
                )
        if rule.then.suppress:
            for rec_id in rule.then.suppress.recommendations:
                if rec_id not in recommendations:
                    report(
                        rule,
                        f"suppresses unknown id {rec_id!r}",
                        closest(rec_id, recommendations),
                    )
        if rule.then.plan:
            change = rule.then.plan
            for exercise in change.first:
                if recommendations.get(exercise) is None or (
                    recommendations[exercise].kind != "exercise"
                ):
                    report(rule, f"plan.first names {exercise!r}, not an exercise id")
            day_ids = {day.id for day in catalogue.template}
            for note in change.day_notes:
                if note.day not in day_ids:
                    report(
                        rule,
                        f"plan.day_notes names day {note.day!r}; "
                        f"template days: {', '.join(sorted(day_ids))}",
                    )
            if change.schedule and catalogue.schedule(change.schedule) is None:
                report(
                    rule,
                    f"plan.schedule {change.schedule!r} is not in the catalogue's schedules",
                    closest(change.schedule, [s.id for s in catalogue.schedules]),
                )
            if change.extra_day and catalogue.optional_day(change.extra_day) is None:
                report(
                    rule,
                    f"plan.extra_day {change.extra_day!r} is not in the catalogue's optional_days",
                    closest(change.extra_day, [d.id for d in catalogue.optional_days]),
                )
        for source in rule.sources:
            if source.ref not in meta.references:
                report(
                    rule,
                    f"source ref {source.ref!r} is not in pack.yaml references "
                    f"({', '.join(sorted(meta.references))})",
                    closest(source.ref, meta.references),
                )
    if not problems:
        problems.extend(_fact_capacity(rules, questions, locations))
    problems.extend(_cycles(rules, locations))
    return problems


def _fact_capacity(
    rules: list[Rule], questions: dict[str, Question], locations: dict[str, RuleLocation]
) -> list[Problem]:
    """The answer fields all rules read must fit one engine fact (checked once the
    conditions are known to be valid)."""
    too_many = fields_problem(rules, questions)
    if too_many is None:
        return []
    rule_id, message = too_many
    return [Problem(location=f"{locations[rule_id]} (rule {rule_id})", message=message)]


def _cycles(rules: list[Rule], locations: dict[str, RuleLocation]) -> list[Problem]:
    """Derivation cycles: rule A derives what B matches, ..., and something derives A's input."""
    index = index_rules(rules)
    edges = {rule.id: sorted(index.feeds(rule.id)) for rule in rules}
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    reported: set[frozenset[str]] = set()
    # Depth first without recursion: a chain of derivations may be thousands long.
    for rule in rules:
        if rule.id in state:
            continue
        state[rule.id] = 1
        path = [rule.id]
        pending = [iter(edges.get(rule.id, []))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    problems.append(
                        Problem(
                            location=f"{locations[nxt]} (rule {nxt})",
                            message="derivation cycle: " + " -> ".join([*cycle, nxt]),
                        )
                    )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(iter(edges.get(nxt, [])))
    return problems
