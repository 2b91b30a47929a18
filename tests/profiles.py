"""Hypothesis profiles: ``dev`` (the default) runs about a fifth of the examples, so the
whole suite stays under five minutes on two busy cores; ``ci`` (``.ci/run`` exports
``HYPOTHESIS_PROFILE=ci``) runs every property test at full strength, derandomized.

A test that names its own ``max_examples`` writes ``max_examples=examples(1500)``, the
``ci`` count, so both profiles scale it the same way.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
_SCALE = {"ci": 1.0, "dev": 0.2}

# CI is derandomized: the same examples on every run and machine, so a CI result is
# reproducible and never depends on which random examples a run happened to draw. The
# dev profile keeps exploring with fresh random examples; what it finds is pinned here
# with @example (as in tests/test_report_length.py).
settings.register_profile("ci", max_examples=100, derandomize=True, print_blob=True)
settings.register_profile("dev", max_examples=20)
settings.load_profile(PROFILE)  # an unknown name fails here, at collection


def examples(ci_count: int) -> int:
    """``ci_count`` examples under ``ci``; a fifth (at least ten) under ``dev``."""
    return max(10, round(ci_count * _SCALE[PROFILE])) if PROFILE != "ci" else ci_count
