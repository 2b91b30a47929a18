"""Target 7: ``rules lint`` on 5,000 rules in under 30 s, and linear in the rule count.

The packs are the chained synthetic packs of target 3 (``bench_scale.synthetic_pack``),
written out as a rule file beside the shipped rules, so lint reads, checks and analyses
them as it would a real pack. The same-run baseline is loading the pack (reading,
parsing and cross-checking it, which lint does first): lint's own analysis should cost a
small multiple of that, at every size. Lint was quadratic before (1,000 rules 24 s, 5,000
rules over 600 s): every search walked the whole pack for its value domains, and the
domains themselves grew with every threshold any rule named.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from benchmarks.bench_scale import synthetic_pack
from legrules.authoring.lint import lint_pack
from legrules.paths import default_rules_dir
from legrules.run.loader import load_pack

TARGET_SECONDS = 30.0


def write_pack(size: int, root: Path) -> Path:
    """The shipped pack plus ``size`` synthetic rules in one rule file."""
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("tests"))
    rules = [
        rule.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
        for rule in synthetic_pack(size).rules
    ]
    (root / "rules" / "zz-synthetic.yaml").write_text(
        yaml.safe_dump({"rules": rules}, sort_keys=False), encoding="utf-8"
    )
    return root


def _seconds(func: Callable[[Path], object], root: Path) -> float:
    start = time.perf_counter()
    func(root)
    return time.perf_counter() - start


def test_lint_scales_linearly(full: bool, results: Callable[..., None], tmp_path: Path) -> None:
    small, large = (1000, 5000) if full else (250, 1000)
    figures: dict[int, tuple[float, float, int]] = {}
    for size in (small, large):
        root = write_pack(size, tmp_path / f"pack-{size}")
        issues = lint_pack(root)  # also the warm-up (pydantic builds its validators once)
        assert not [i for i in issues if i.code in ("LR001", "LR901")]
        loads: list[float] = []
        lints: list[float] = []
        for _ in range(2):  # alternating, fastest of each: machine noise hits both
            loads.append(_seconds(load_pack, root))
            lints.append(_seconds(lint_pack, root))
        load_s, lint_s = min(loads), min(lints)
        figures[size] = (lint_s, load_s, len(issues))
    (small_lint, small_load, _), (large_lint, large_load, large_issues) = (
        figures[small],
        figures[large],
    )
    growth = (large_lint / large) / (small_lint / small)
    results(
        "lint_scale",
        rules=[small, large],
        lint_s=[round(small_lint, 2), round(large_lint, 2)],
        load_s=[round(small_load, 2), round(large_load, 2)],
        lint_over_load=[round(small_lint / small_load, 2), round(large_lint / large_load, 2)],
        per_rule_growth=round(growth, 2),
        issues=large_issues,
        target_s=TARGET_SECONDS if full else None,
    )
    # linear: the time per rule may not grow much with the pack (it grew 7.6x from 300
    # to 1,000 rules before), and the analysis stays a small multiple of loading
    assert growth < 2.0, f"lint time per rule grew {growth:.2f}x from {small} to {large} rules"
    assert large_lint < 6 * large_load, f"lint {large_lint:.1f} s vs load {large_load:.1f} s"
    if full:
        assert large_lint < TARGET_SECONDS, f"lint of {large} rules took {large_lint:.1f} s"
