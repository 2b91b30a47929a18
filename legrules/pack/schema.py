"""The rule-file format: pydantic models for rules, conditions and their consequences.

Strict and closed (``extra="forbid"``) so that a typo in a key is an error rather than a
rule that silently never fires. Cross-file checks (does a fact exist, does a value fit
its question) need the questionnaire and live in :mod:`legrules.run.loader`; this module only
knows the shape. :func:`rule_file_json_schema` exports the format for editors and tools.
"""

# No ``from __future__ import annotations`` here: pydantic would compile every field's
# string annotation again when the class is made (3.5 ms of start-up over the pack and
# output models, tests/test_startup_path.py); names not yet defined are quoted instead.

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    Tag,
    model_validator,
)

from legrules.strict import StrictModel, empty_list

RULE_ID_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

Scalar = StrictBool | StrictInt | str
Kind = Literal["exercise", "guidance", "safety"]

#: The leaf operators, in the order they are documented.
OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "contains",
    "empty",
    "exists",
    "missing",
)


class FactLeaf(StrictModel):
    """A test on one answer: ``{fact: pain_score, gte: 6}``.

    Exactly one operator per leaf. Every operator except ``missing`` (and ``not``
    around a leaf) is false when the question was not answered, so an unanswered
    question never triggers advice by accident.
    """

    fact: str = Field(pattern=NAME_PATTERN)
    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: StrictInt | None = None
    lte: StrictInt | None = None
    gt: StrictInt | None = None
    gte: StrictInt | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    contains: str | list[str] | None = Field(
        default=None, description="multi: the list contains this value (or any of these)"
    )
    empty: StrictBool | None = Field(default=None, description="multi: nothing selected")
    exists: Literal[True] | None = Field(default=None, description="the question was answered")
    missing: Literal[True] | None = Field(default=None, description="the question was not answered")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _one_operator(self) -> "FactLeaf":
        used = self.operators_used()
        if len(used) != 1:
            got = ", ".join(used) if used else "none"
            raise ValueError(
                f"a condition on fact {self.fact!r} needs exactly one operator "
                f"({', '.join(OPERATORS)}); got {got}"
            )
        return self

    def operators_used(self) -> list[str]:
        return [op for op in OPERATORS if getattr(self, _attr(op)) is not None]

    @cached_property
    def op(self) -> str:
        """The leaf's one operator (cached: explanations read it for every firing)."""
        return self.operators_used()[0]

    @cached_property
    def value(self) -> Any:
        return getattr(self, _attr(self.op))


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


class FindingLeaf(StrictModel):
    """True when an earlier rule derived this finding: ``{finding: hamstrings_underused}``.

    Findings can only be matched positively. Derivation is monotonic (a finding, once
    derived, stays), so "finding absent" would depend on firing order; the loader
    rejects a finding under ``not``.
    """

    finding: str = Field(pattern=NAME_PATTERN)


class AllOf(StrictModel):
    all: "list[Condition]" = Field(
        description="True when every condition holds; an empty list is always true."
    )


class AnyOf(StrictModel):
    any: "list[Condition]" = Field(min_length=1)


class NotOf(StrictModel):
    not_: "Condition" = Field(alias="not")

    model_config = ConfigDict(populate_by_name=True)


def _condition_tag(value: Any) -> str | None:
    """The union member for raw data (validation) or a model (serialisation).

    A model is tagged by its class: dumping it to find its tag would serialise its whole
    subtree once per level, exponential in the nesting depth.
    """
    if isinstance(value, BaseModel):
        return _MODEL_TAGS.get(type(value))
    if not isinstance(value, dict):
        return None
    for key in ("all", "any", "not", "finding", "fact"):
        if key in value:
            return key
    return None


_MODEL_TAGS: dict[type[BaseModel], str] = {
    AllOf: "all",
    AnyOf: "any",
    NotOf: "not",
    FindingLeaf: "finding",
    FactLeaf: "fact",
}

Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[FindingLeaf, Tag("finding")]
    | Annotated[FactLeaf, Tag("fact")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_shape",
        custom_error_message=(
            "a condition is a mapping with one of the keys all, any, not, finding or fact"
        ),
    ),
]


# Walking condition trees: with the models, so that every module can walk a rule
# without importing the evaluator (legrules.logic.conditions).


def children(condition: Condition) -> list[Condition]:
    if isinstance(condition, AllOf):
        return list(condition.all)
    if isinstance(condition, AnyOf):
        return list(condition.any)
    if isinstance(condition, NotOf):
        return [condition.not_]
    return []


#: Deepest nesting of all/any/not a rule may use. Hand-written rules stay under ten
#: levels; the evaluator, explanations and the compiler walk conditions recursively, so an
#: unbounded depth is a crash (and, before the compiler splits it, an exponential one).
MAX_CONDITION_DEPTH = 32


def depth(condition: Condition) -> int:
    """Levels of all/any/not above the deepest leaf (a bare leaf is 0).

    Iterative, so a condition can be measured before anything recursive walks it.
    """
    deepest = 0
    pending = [(condition, 0)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in children(node))
    return deepest


def walk(condition: Condition, negated: bool = False) -> Iterator[tuple[Condition, bool]]:
    """Every node with whether it sits under an odd number of ``not``."""
    yield condition, negated
    inner_negated = not negated if isinstance(condition, NotOf) else negated
    for child in children(condition):
        yield from walk(child, inner_negated)


def fact_leaves(condition: Condition) -> list[FactLeaf]:
    return [node for node, _ in walk(condition) if isinstance(node, FactLeaf)]


def facts_read(condition: Condition) -> list[str]:
    """Question ids a condition reads, in first-mention order."""
    return list(dict.fromkeys(leaf.fact for leaf in fact_leaves(condition)))


def findings_read(condition: Condition) -> list[str]:
    return list(
        dict.fromkeys(node.finding for node, _ in walk(condition) if isinstance(node, FindingLeaf))
    )


class Recommend(StrictModel):
    """Make a recommendation (a docs/CONTRACT.md section 2 id), with this rule's own detail."""

    id: str = Field(pattern=NAME_PATTERN)
    detail: str | None = Field(default=None, description="Rule-specific advice text.")
    urgency: Literal["routine", "soon", "same_day", "emergency"] | None = None
    emphasis: str | None = Field(
        default=None, description="How this rule wants the exercise done (a cue)."
    )


class Suppress(StrictModel):
    """Withhold recommendations that other rules made, recorded in the trace."""

    recommendations: list[str] = Field(default_factory=empty_list)
    kinds: list[Literal["exercise", "guidance"]] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _not_empty(self) -> "Suppress":
        if not self.recommendations and not self.kinds:
            raise ValueError("suppress needs 'recommendations' or 'kinds'")
        return self


class DayNote(StrictModel):
    day: str = Field(pattern=NAME_PATTERN, description="A template day id, e.g. day1.")
    text: str = Field(min_length=1)


class PlanChange(StrictModel):
    """How a rule shapes the weekly plan, without adding sessions of its own.

    ``first`` moves exercises to the front of their day (e.g. hamstrings before quads
    when hamstrings are being skipped); ``notes`` and ``day_notes`` annotate the plan;
    ``schedule`` picks a schedule variant from the catalogue (one leg day a week, three
    or more); ``extra_day`` adds an optional day from the catalogue.
    """

    first: list[str] = Field(default_factory=empty_list)
    notes: list[str] = Field(default_factory=empty_list)
    day_notes: list[DayNote] = Field(default_factory=empty_list)
    schedule: str | None = Field(default=None, pattern=NAME_PATTERN)
    extra_day: str | None = Field(default=None, pattern=NAME_PATTERN)

    @model_validator(mode="after")
    def _not_empty(self) -> "PlanChange":
        if not (self.first or self.notes or self.day_notes or self.schedule or self.extra_day):
            raise ValueError("plan needs first, notes, day_notes, schedule or extra_day")
        return self


class Then(StrictModel):
    recommend: list[Recommend] = Field(default_factory=empty_list)
    derive: list[str] = Field(
        default_factory=empty_list, description="Findings other rules can match with {finding: id}."
    )
    suppress: Suppress | None = None
    plan: PlanChange | None = None

    @model_validator(mode="after")
    def _does_something(self) -> "Then":
        if not (self.recommend or self.derive or self.suppress or self.plan):
            raise ValueError("'then' needs at least one of recommend, derive, suppress or plan")
        return self


class SourceRef(StrictModel):
    """Where a rule's guidance comes from: a reference code from ``pack.yaml``.

    ``quote`` is a brief excerpt (the article is quoted only briefly); ``note`` says
    what the rule adds beyond the source, e.g. that a number is not from the article.
    """

    ref: str = Field(pattern=r"^[A-Z][A-Z0-9-]*$")
    quote: str | None = Field(default=None, max_length=200)
    note: str | None = None


class Rule(StrictModel):
    id: str = Field(pattern=RULE_ID_PATTERN, description="Stable id; never reused.")
    title: str = Field(min_length=1)
    version: StrictInt = Field(ge=1)
    status: Literal["stable", "experimental", "deprecated"] = "stable"
    priority: StrictInt = Field(
        default=500, ge=0, le=1000, description="Lower fires first (safety uses 0-99)."
    )
    provenance: Literal["article", "inferred", "safety"]
    kb: list[str] = Field(
        default_factory=empty_list, description="Knowledge-base items this rule encodes."
    )
    tags: list[str] = Field(default_factory=empty_list)
    when: Condition
    then: Then
    because: str = Field(min_length=1, description="Rationale, in the project's own words.")
    sources: list[SourceRef] = Field(min_length=1)


class RuleFile(StrictModel):
    """One YAML file of rules (``rules/rules/*.yaml``)."""

    rules: list[Rule] = Field(min_length=1)


class Reference(StrictModel):
    title: str
    kind: Literal["article", "screening", "evidence"]
    url: str | None = None


class PackMeta(StrictModel):
    """``rules/pack.yaml``: the pack's identity and its table of source references."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(min_length=1)
    description: str
    references: dict[str, Reference]


def rule_file_json_schema() -> dict[str, Any]:
    """JSON Schema of a rule file, for editors (yaml-language-server) and other tools."""
    schema = RuleFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "legrules rule file"
    return schema
