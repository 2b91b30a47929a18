"""The default pack ships inside the wheel: build it, install it elsewhere, assess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO


@pytest.mark.slow
def test_wheel_installed_outside_the_repo_finds_its_rules(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("legrules-*.whl")
    (sdist,) = dist.glob("legrules-*.tar.gz")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "docs/CONTRACT.md"} <= in_sdist
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert "legrules/CONTRACT.md" in in_wheel
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in in_wheel)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    answers = outside / "answers.json"
    answers.write_text((EXAMPLES / "glute-dominant.json").read_text(encoding="utf-8"))
    env = {k: v for k, v in os.environ.items() if k not in ("LEGRULES_RULES", "PYTHONPATH")}
    done = subprocess.run(
        [str(env_dir / "bin" / "legrules"), "assess", "--answers", str(answers), "--json"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["trace"]
    assert "heel_elevated_squat" in [r["id"] for r in data["recommendations"]]
    where = subprocess.run(
        [str(python), "-c", "import legrules.paths as p; print(p.default_rules_dir())"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    shipped = Path(where.stdout.strip())
    assert shipped.name == "_rules"
    assert env_dir in shipped.parents
    contract = subprocess.run(
        [str(python), "-c", "import legrules.paths as p; print(p.contract_file())"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    installed = Path(contract.stdout.strip())
    assert installed == shipped.parent / "CONTRACT.md"
    assert installed.read_bytes() == (REPO / "docs" / "CONTRACT.md").read_bytes()
