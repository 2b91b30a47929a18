"""The import contract in pyproject.toml holds, and a wrong-way import breaks it.

``.ci/run`` runs ``lint-imports`` (import-linter) on the tree; these tests run the same
contract on the tree and on altered copies, so a contract that could never fail (a typo
in a layer name, a layer list that no longer covers the package) is caught here.
Imports inside functions count as edges: a lazy import only hides a cycle. Imports under
``if TYPE_CHECKING:`` do not, as they never run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (the dev extra has it)"
)


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(
        REPO / "legrules", root / "legrules", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + code, encoding="utf-8")


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_lazy_wrong_way_import_breaks_the_layers_and_makes_a_cycle(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(
        root / "legrules" / "pack" / "model.py",
        "def _late():\n    from legrules.run.engine import Engine\n\n    return Engine\n",
    )
    result = _lint(root)
    assert result.returncode == 1, result.stdout
    assert "legrules.pack is not allowed to import legrules.run" in result.stdout
    assert "legrules.pack.model -> legrules.run.engine" in result.stdout
    assert "No import cycles between the modules of any subpackage BROKEN" in result.stdout


def test_an_import_only_for_type_checking_is_allowed(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(
        root / "legrules" / "audit" / "log.py",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import legrules.api\n",
    )
    result = _lint(root)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "code", "broken"),
    [
        ("run/engine.py", "import durable_rules_engine\n", "Only the durable adapter"),
        ("run/durable.py", "import durable.lang\n", "Nothing uses durable's Python layer"),
        ("report/assessment.py", "import click\n", "Only the command line uses click"),
        ("run/batch.py", "import sqlite3\n", "Only the audit log opens SQLite"),
    ],
)
def test_protected_libraries_stay_in_their_module(
    tmp_path: Path, module: str, code: str, broken: str
) -> None:
    root = _copy(tmp_path)
    _append(root / "legrules" / module, code)
    result = _lint(root)
    assert result.returncode == 1, result.stdout
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout.split(broken, 1)[1].splitlines()[0]


def test_a_new_module_must_be_given_a_layer(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "legrules" / "newthing.py").write_text('"""Not placed."""\n', encoding="utf-8")
    result = _lint(root)
    assert result.returncode == 1, result.stdout
    assert "legrules.newthing" in result.stdout


def test_documented_module_paths_still_work() -> None:
    """The README of earlier releases named these paths; they moved but keep working."""
    import legrules.packcache
    import legrules.run.packcache

    assert legrules.packcache.compiled_pack is legrules.run.packcache.compiled_pack
    result = subprocess.run(
        [sys.executable, "-m", "legrules.kbmap"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPO / "docs" / "knowledge-base-map.md").read_text(encoding="utf-8")
