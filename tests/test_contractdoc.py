"""docs/CONTRACT.md is current, covers the whole pack, and is where messages point."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import legrules.errors
from legrules import Engine
from legrules.authoring.contract import (
    ASSESSMENT_INTRO,
    COMMAND,
    MEANINGS,
    assessment_models,
    render,
)
from legrules.cli import cli
from legrules.errors import EXIT_CODES, EXIT_HANGUP, EXIT_TERMINATED, LegrulesError
from legrules.paths import contract_file
from legrules.run.batch import Terminated
from legrules.run.loader import load_pack
from tests.conftest import REPO

CONTRACT = REPO / "docs" / "CONTRACT.md"


def test_committed_contract_is_current(engine: Engine) -> None:
    committed = CONTRACT.read_text(encoding="utf-8")
    assert committed == render(engine.pack), f"docs/CONTRACT.md is stale: {COMMAND}"


def _rows(text: str) -> set[str]:
    return {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")}


def test_every_question_and_recommendation_has_a_row(engine: Engine) -> None:
    rows = _rows(render(engine.pack))
    assert set(engine.pack.questionnaire.ids()) <= rows
    assert {rec.id for rec in engine.pack.catalogue.recommendations} <= rows


def test_every_assessment_field_has_a_row(engine: Engine) -> None:
    rows = _rows(render(engine.pack))
    for model, _path in assessment_models():
        assert {f"`{name}`" for name in model.model_fields} <= rows, model.__name__


def test_the_example_names_only_real_fields() -> None:
    """The hand-written JSON example cannot promise a field the model does not have."""
    example = ASSESSMENT_INTRO.split("```")[1]
    keys = set(re.findall(r'"([a-z_]+)":', example))
    fields = {name for model, _ in assessment_models() for name in model.model_fields}
    assert keys
    assert keys <= fields, keys - fields


def _add_guidance(pack: Path, rec_id: str) -> None:
    catalogue = pack / "catalogue.yaml"
    data = yaml.safe_load(catalogue.read_text(encoding="utf-8"))
    data["recommendations"].append(
        {"id": rec_id, "kind": "guidance", "title": "New", "detail": "A new guidance."}
    )
    catalogue.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_recommendation_without_a_meaning_is_refused(pack_copy: Path) -> None:
    _add_guidance(pack_copy, "brand_new_guidance")
    with pytest.raises(LegrulesError, match="'brand_new_guidance' has no meaning"):
        render(load_pack(pack_copy))


def test_a_contract_id_missing_from_the_pack_is_refused(pack_copy: Path) -> None:
    """Regenerating cannot quietly drop an id the contract promised."""
    for path in [pack_copy / "catalogue.yaml", *(pack_copy / "rules").glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("clarify_answers", "clarify_answerz"), encoding="utf-8")
    pack = load_pack(pack_copy)
    assert "clarify_answers" in MEANINGS
    with pytest.raises(LegrulesError, match="describes recommendations the pack lacks: "):
        render(pack)


def test_exit_codes_are_one_ordered_table() -> None:
    assert list(EXIT_CODES) == sorted(EXIT_CODES)
    assert set(EXIT_CODES) == {0, 1, 2, 129, 130, 141, 143}
    constants = {
        value
        for name, value in vars(legrules.errors).items()
        if name.startswith("EXIT_") and isinstance(value, int)
    }
    assert constants == set(EXIT_CODES)


def test_signal_exit_codes_match_the_batch() -> None:
    assert Terminated(signal.SIGTERM).exit_code == EXIT_TERMINATED == 128 + signal.SIGTERM
    assert Terminated(signal.SIGHUP).exit_code == EXIT_HANGUP == 128 + signal.SIGHUP


def test_top_level_help_lists_the_exit_codes_and_where_the_contract_is() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for code, meaning in EXIT_CODES.items():
        assert any(line.split()[:1] == [str(code)] for line in lines), code
        assert " ".join(meaning.split()[:4]) in " ".join(result.stdout.split())
    flat = " ".join(result.stdout.split())
    assert f"docs/CONTRACT.md (here: {contract_file()})" in flat


def test_the_contract_file_is_where_messages_say() -> None:
    assert contract_file() == CONTRACT


def test_unknown_why_not_names_the_contract_file() -> None:
    result = CliRunner().invoke(cli, ["explain", "--defaults", "--why-not", "nope"])
    assert result.exit_code == 2
    assert f"section 2 of {contract_file()}" in result.stderr


_BARE = re.compile(r"CONTRACT(?!\.md)\W+(section|§|JSON)")


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *(REPO / "legrules").rglob("*.py"),
            *(REPO / "rules").rglob("*.yaml"),
            REPO / "README.md",
        ]
    ),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_references_to_the_contract_name_its_file(path: Path) -> None:
    """'CONTRACT section 3' pointed at a document nobody could find."""
    bare = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _BARE.search(line)
    ]
    assert not bare
