"""The answer documents every honest benchmark runs on: varied, valid, reproducible.

One answer set flatters whichever side its path happens to suit (the old target 1 used
one, with twelve firings). These are the shipped examples plus seeded random documents:
each question is left out, null, or given a value, numbers and choices drawn half the
time from the values the pack's rules test (each threshold and its neighbours), so
documents fire few rules, many, chains and referrals alike; a third of them answer the
screening questions at random (most of those are referred). The seed fixes them, so two
runs (and the byte-identity test) see the same documents.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

from legrules.logic.partial import leaves_by_fact, value_domain
from legrules.pack.model import RulePack
from legrules.pack.questionnaire import Question

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = 20261129


def shipped_examples() -> list[dict[str, Any]]:
    """The answer documents in examples/ (JSON and YAML), in name order."""
    documents: list[dict[str, Any]] = []
    for path in sorted(EXAMPLES.glob("*.json")) + sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        documents.append(json.loads(text) if path.suffix == ".json" else yaml.safe_load(text))
    return documents


def _value(rng: random.Random, question: Question, named: list[Any]) -> Any:
    if named and question.type in ("int", "enum") and rng.random() < 0.5:
        return rng.choice(named)
    if question.type == "bool":
        return rng.random() < 0.5
    if question.type == "int":
        assert question.min is not None
        assert question.max is not None
        return rng.randint(question.min, question.max)
    values = list(question.values or ())
    if question.type == "enum":
        return rng.choice(values)
    # a multi-select: often few values, sometimes many
    return rng.sample(values, rng.randint(0, len(values)))


def random_documents(pack: RulePack, count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``count`` valid raw answer documents for ``pack``'s questionnaire."""
    rng = random.Random(seed)
    questions = pack.questionnaire.questions
    leaves = leaves_by_fact(pack, [q.id for q in questions])
    named = {
        q.id: [v for v in value_domain(q, leaves.get(q.id, [])) if v is not None] for q in questions
    }
    documents = []
    for _ in range(count):
        answered = rng.random()  # how much of the questionnaire this person answers
        # answering every screening question at random refers nearly everyone; most
        # people answering report no red flag, so a third of the documents may
        alarming = rng.random() < 1 / 3
        document: dict[str, Any] = {}
        for question in questions:
            roll = rng.random()
            if question.group == "safety" and not alarming and question.type != "int":
                continue
            if roll < answered:
                document[question.id] = _value(rng, question, named[question.id])
            elif roll < answered + 0.05:
                document[question.id] = None
        documents.append(document)
    return documents


def varied_documents(pack: RulePack, count: int = 400, seed: int = SEED) -> list[dict[str, Any]]:
    """The shipped examples, then random documents up to ``count`` in all."""
    examples = shipped_examples()
    return examples + random_documents(pack, max(0, count - len(examples)), seed)
