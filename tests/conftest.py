"""Shared fixtures: the default engine (built once), and throwaway copies of the pack."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from legrules import Engine
from legrules.paths import default_rules_dir
from tests import profiles  # noqa: F401  (registers and loads the hypothesis profile)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session", autouse=True)
def _private_pack_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CLI runs (in-process and child processes) cache compiled packs in a throwaway
    directory, never in the user's own cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEGRULES_CACHE_DIR", str(tmp_path_factory.mktemp("pack-cache")))
        patch.delenv("LEGRULES_NO_CACHE", raising=False)
        yield


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    with Engine() as built:
        yield built


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A writable copy of the default pack, for tests that break it on purpose."""
    target = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("tests"))
    return target


RuleWriter = Callable[[str], Path]


@pytest.fixture
def write_rules(pack_copy: Path) -> RuleWriter:
    """Add one extra rule file (YAML text) to the pack copy; returns its path."""

    def write(text: str, name: str = "zz-extra.yaml") -> Path:
        path = pack_copy / "rules" / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite examples/expected/*.json from the current rules (review the diff!)",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
