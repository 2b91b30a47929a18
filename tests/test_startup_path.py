"""What a one-shot `legrules assess --answers FILE.json --format json` loads and builds.

Start-up is most of that command's time (benchmarks/bench_startup.py), so what it does
not need must stay out of it: these run the command in a child process, as a user
would, on a warm compiled-pack cache, and list what it imported and which pydantic
models it built validators or serializers for.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES

PROBE = """
import json, sys
sys.argv = ["legrules", "assess", "--answers", sys.argv[1], "--format", "json"]
from legrules.cli import cli
try:
    cli()
except SystemExit:
    pass
from pydantic import BaseModel

def built(cls):
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("legrules") and sub.__dict__.get("__pydantic_complete__"):
            yield sub.__name__
        yield from built(sub)

print(json.dumps({"modules": sorted(sys.modules), "built": sorted(set(built(BaseModel)))}),
      file=sys.stderr)
"""

#: Modules the JSON path must not import: the renderers and explanations (text reports
#: only), the other commands and what only they use, YAML for a JSON file, the audit
#: log and SQLite without --audit-log, training logs without --log, batches, output
#: files without --save, the other commands' modules, ctypes (durable's malloc settings
#: wait for a second session).
NOT_LOADED = [
    "yaml",
    "sqlite3",
    "legrules.report",
    "legrules.explain",
    "legrules.interview",
    "legrules.audit",
    "legrules.authoring",
    "legrules.traininglog",
    "legrules.serve",
    "legrules.spark",
    "legrules.kbmap",
    "legrules.run.batch",
    "legrules.run.compact",
    "legrules.run.rescore",
    "legrules.run.snapshot",
    "legrules.output",
    "ctypes",
    "legrules.cli._questionnaire",
    "legrules.cli.audit",
    "legrules.cli.log",
    "legrules.cli.explain",
    "legrules.cli.questions",
    "legrules.cli.rescore",
    "legrules.cli.rules",
    "legrules.cli.schema",
    "legrules.cli.serve",
]


@pytest.fixture(scope="module")
def probe() -> dict[str, list[str]]:
    example = str(EXAMPLES / "glute-dominant.json")
    for _ in range(2):  # the first run may fill the compiled-pack cache
        done = subprocess.run(
            [sys.executable, "-c", PROBE, example], capture_output=True, text=True, check=False
        )
    assert done.returncode == 0, done.stderr
    assert '"status"' in done.stdout
    loaded: dict[str, list[str]] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", NOT_LOADED)
def test_the_json_path_does_not_import(probe: dict[str, list[str]], module: str) -> None:
    loaded = [m for m in probe["modules"] if m == module or m.startswith(module + ".")]
    assert loaded == []


def test_the_json_path_builds_only_the_answers_and_output_schemas(
    probe: dict[str, list[str]],
) -> None:
    """Building a model's validator and serializer costs 0.3-7 ms each: the answers
    are validated, the Assessment's models build their serializer to write the JSON,
    and nothing else (the pack's models come from the cache, the output is made from
    validated data by run/construct.py) builds one."""
    from legrules.run import assessment

    output_models = {
        name
        for name, value in vars(assessment).items()
        if isinstance(value, type) and value.__module__ == assessment.__name__
    }
    assert "AnswersDocument" in probe["built"]
    assert set(probe["built"]) - {"AnswersDocument"} <= output_models, probe["built"]


@pytest.mark.parametrize(
    "module",
    [
        "legrules.pack.catalogue",
        "legrules.pack.questionnaire",
        "legrules.pack.schema",
        "legrules.run.assessment",
    ],
)
def test_model_modules_annotate_without_strings(module: str) -> None:
    """Postponed annotations make pydantic compile each field's annotation string when
    the class is made, 3.5 ms over these modules' models on every start-up."""
    assert "annotations" not in vars(importlib.import_module(module))


#: Runs ``legrules assess`` through the console script's entry point, recording every
#: entry-point scan (pydantic's plugin lookup is one, for the group "pydantic").
SCAN_PROBE = """
import importlib.metadata, json, os, sys
scanned = []
scan = importlib.metadata.entry_points

def recording(**params):
    scanned.append(params.get("group"))
    return scan(**params)

importlib.metadata.entry_points = recording
sys.argv = ["legrules", "assess", "--answers", sys.argv[1], "--format", "json"]
from legrules.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps({"scanned": scanned, "variable": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}),
      file=sys.stderr)
"""


def _scan_probe(variable: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if variable is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = variable
    done = subprocess.run(
        [sys.executable, "-c", SCAN_PROBE, str(EXAMPLES / "glute-dominant.json")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert '"status"' in done.stdout
    seen: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return seen


def test_the_command_skips_pydantic_plugin_discovery() -> None:
    """Looking for pydantic plugins reads every installed distribution's entry points
    (3.5 ms of start-up); the command line uses none, so it turns the lookup off for
    its own process when the user has not said otherwise."""
    seen = _scan_probe(None)
    assert "pydantic" not in seen["scanned"]  # type: ignore[operator]
    assert seen["variable"] == "__all__"


@pytest.mark.parametrize("variable", ["", "some_plugin"])
def test_a_plugin_setting_of_the_user_is_kept(variable: str) -> None:
    """An empty value (or a list of plugins to leave out) loads the user's plugins."""
    seen = _scan_probe(variable)
    assert "pydantic" in seen["scanned"]  # type: ignore[operator]
    assert seen["variable"] == variable
