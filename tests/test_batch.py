"""Batch assessment with worker processes: order kept, bad lines reported, atomic output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from legrules import InputFileError
from legrules.batch import run_batch

LINES = [
    '{"squat_felt_most": "glutes"}',
    "not json at all",
    '{"pain_type": "sharp"}',
    "",
    '{"squat_felt_mots": "glutes"}',
    '{"hinge_felt_most": "lower_back"}',
]


def test_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    seen: list[int] = []
    report = run_batch(source, target, workers=2, progress=seen.append)
    assert report.total == 5  # the empty line is skipped
    assert report.assessed == 3
    assert [n for n, _ in report.bad_lines] == [2, 5]
    assert "did you mean 'squat_felt_most'" in report.bad_lines[1][1]
    assert sum(seen) == 5
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 5
    assert out[0]["status"] == "ok"
    assert "heel_elevated_squat" in [r["id"] for r in out[0]["recommendations"]]
    assert out[1] == {"line": 2, "error": out[1]["error"]}
    assert out[2]["status"] == "referral"
    assert out[3]["line"] == 5
    assert out[4]["findings"]


def test_batch_missing_input_leaves_no_output(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(InputFileError, match="cannot read"):
        run_batch(tmp_path / "absent.jsonl", target, workers=1)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_batch_writes_output_and_exits_2_on_bad_lines(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["assess", "--batch", str(source), "--out", str(target), "--workers", "2"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{source}:2:" in result.stderr
    assert f"{source}:5:" in result.stderr
    assert "3 of 5 lines assessed" in result.stderr
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5


def test_cli_batch_needs_out(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    result = CliRunner().invoke(cli, ["assess", "--batch", str(tmp_path / "in.jsonl")])
    assert result.exit_code == 2
    assert "--out" in result.stderr


def test_cli_batch_with_a_broken_pack_reports_it_once_without_starting_workers(
    tmp_path: Path, pack_copy: Path
) -> None:
    # Regression: each worker used to load the pack itself, so a broken pack died in
    # every worker's initializer and surfaced as an internal BrokenProcessPool error.
    from click.testing import CliRunner

    from legrules.cli import cli

    rule_file = pack_copy / "rules" / "baseline.yaml"
    text = rule_file.read_text(encoding="utf-8")
    rule_file.write_text(text.replace("priority:", "priority: banana #", 1), encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text(LINES[0] + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli,
        ["assess", "--batch", str(source), "--out", str(target), "--rules", str(pack_copy)],
    )
    assert result.exit_code == 2, result.stderr
    assert "invalid rule pack" in result.stderr
    assert f"{rule_file}:" in result.stderr
    assert "priority" in result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert not target.exists()


def test_batch_accepts_a_compiled_pack(tmp_path: Path) -> None:
    from legrules.compiler import compile_pack
    from legrules.loader import load_pack
    from legrules.paths import default_rules_dir

    source = tmp_path / "in.jsonl"
    source.write_text(LINES[0] + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    report = run_batch(
        source, target, rules=compile_pack(load_pack(default_rules_dir())), workers=1
    )
    assert (report.total, report.assessed) == (1, 1)
    assert json.loads(target.read_text(encoding="utf-8"))["status"] == "ok"


class _LazyPool:
    """A stand-in executor that runs each task only when its result is asked for, and
    counts how many were submitted but not yet consumed."""

    def __init__(self, max_workers: int, initializer: Any, initargs: tuple[Any, ...]) -> None:
        initializer(*initargs)
        self.waiting = 0
        self.peak = 0
        _LazyPool.last = self

    last: _LazyPool | None = None

    def submit(self, fn: Any, *args: Any) -> Any:
        self.waiting += 1
        self.peak = max(self.peak, self.waiting)
        pool = self

        class _Later:
            def result(self) -> Any:
                pool.waiting -= 1
                return fn(*args)

        return _Later()

    def __enter__(self) -> _LazyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_batch_keeps_a_bounded_number_of_chunks_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Submitting every chunk up front (Executor.map) read the whole input into memory
    # and held every result until the parent caught up.
    from legrules import batch

    monkeypatch.setattr(batch, "ProcessPoolExecutor", _LazyPool)
    lines = [LINES[0]] * (batch.CHUNK_LINES * 12 + 7)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    report = run_batch(source, target, workers=2)
    assert (report.total, report.assessed) == (len(lines), len(lines))
    assert _LazyPool.last is not None
    assert 1 < _LazyPool.last.peak <= 3 * 2
    assert len(target.read_text(encoding="utf-8").splitlines()) == len(lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
