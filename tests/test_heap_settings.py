"""legrules keeps durable's per-session memory in the heap (glibc ``mallopt``), once per
process, unless the process already chose malloc settings or opted out.

Each case runs in a fresh interpreter: the settings are process-wide and applied once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

PROBE = (
    "from legrules import Engine\n"
    "from legrules.run import durable\n"
    "Engine().assess({})\n"
    "print(durable.keep_heap())\n"
)
GLIBC = bool(getattr(os, "confstr", None) and os.confstr("CS_GNU_LIBC_VERSION"))


def _applied(**env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEGRULES_MALLOPT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_applied_by_the_first_engine_on_glibc() -> None:
    assert _applied() == "True"


@pytest.mark.parametrize(
    "env",
    [
        {"LEGRULES_MALLOPT": "0"},
        {"MALLOC_TRIM_THRESHOLD_": "131072"},
        {"MALLOC_MMAP_THRESHOLD_": "1"},
    ],
    ids=["opted-out", "trim-chosen", "mmap-chosen"],
)
def test_left_alone_where_the_process_chose(env: dict[str, str]) -> None:
    assert _applied(**env) == "False"


def test_a_large_pack_is_frozen_out_of_the_collector_and_a_small_one_is_not() -> None:
    probe = (
        "import gc\n"
        "from legrules import Engine\n"
        "from benchmarks.bench_scale import synthetic_pack\n"
        "small = synthetic_pack(50)\n"
        "large = synthetic_pack(250)\n"
        "before = gc.get_freeze_count()\n"
        "Engine(small)\n"
        "middle = gc.get_freeze_count()\n"
        "Engine(large)\n"
        "print(before == middle, gc.get_freeze_count() > middle)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=REPO,
    )
    assert done.stdout.split() == ["True", "True"]


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_applied_before_the_second_session_not_the_first() -> None:
    """One session (a one-shot `legrules assess`) reuses no earlier memory, so it does
    not pay for importing ctypes to set them; the second session has them."""
    probe = (
        "import sys\nfrom legrules import Engine\nfrom legrules.run import durable\n"
        "engine = Engine()\nengine.assess({})\n"
        "print(durable._heap_kept, 'ctypes' in sys.modules)\n"
        "engine.assess({})\nprint(durable._heap_kept)\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEGRULES_MALLOPT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=clean, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["None", "False", "True"]
