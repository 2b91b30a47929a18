"""Batch assessment with worker processes: order kept, bad lines reported, atomic output."""

from __future__ import annotations

import io
import json
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from legrules import InputFileError
from legrules.errors import BatchError
from legrules.output import OutputError
from legrules.run.batch import _assess_all, run_batch

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
    from legrules.paths import default_rules_dir
    from legrules.run.compiler import compile_pack
    from legrules.run.loader import load_pack

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

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def test_batch_keeps_a_bounded_number_of_chunks_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Submitting every chunk up front (Executor.map) read the whole input into memory
    # and held every result until the parent caught up.
    from legrules.run import batch

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


GOOD = LINES[0].encode()


def test_a_hostile_line_is_its_own_error_record_and_the_batch_goes_on(tmp_path: Path) -> None:
    # Regression: an integer of 5,000 digits (json's int-to-text limit) or a line that
    # is not UTF-8 aborted the whole batch with "internal error" and no output at all.
    source = tmp_path / "in.jsonl"
    lines = [GOOD, b'{"age": ' + b"7" * 5000 + b"}", b'{"pain_type": "\xff"}', GOOD]
    source.write_bytes(b"\n".join(lines) + b"\n")
    target = tmp_path / "out.jsonl"
    report = run_batch(source, target, workers=2)
    assert (report.total, report.assessed) == (4, 2)
    assert [n for n, _ in report.bad_lines] == [2, 3]
    assert "digits is too long" in report.bad_lines[0][1]
    assert "not UTF-8" in report.bad_lines[1][1]
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [record.get("status") for record in out] == ["ok", None, None, "ok"]
    assert out[1] == {"line": 2, "error": report.bad_lines[0][1]}
    assert out[2] == {"line": 3, "error": report.bad_lines[1][1]}


def test_cli_batch_reports_hostile_lines_without_an_internal_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([b"\xfe\xff", b'{"age": ' + b"1" * 4400 + b"}", GOOD]))
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["assess", "--batch", str(source), "--out", str(target)])
    assert result.exit_code == 2, result.stderr
    assert f"{source}:1: line 1: not UTF-8 text" in result.stderr
    assert f"{source}:2: line 2:1: an integer of 4400 digits is too long" in result.stderr
    assert "internal error" not in result.stderr
    assert "1 of 3 lines assessed" in result.stderr


def test_count_lines_counts_what_the_batch_assesses(tmp_path: Path) -> None:
    # The progress bar's count read the input as UTF-8 text: a non-UTF-8 line made the
    # batch fail with "internal error" before it started, on a terminal only.
    from legrules.run.batch import count_lines

    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([GOOD, b"  ", b"\xff\n", GOOD]))
    assert count_lines(source) == 3
    assert run_batch(source, tmp_path / "out.jsonl", workers=1).total == 3


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_run_batch_refuses_to_write_over_its_input(tmp_path: Path, how: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(GOOD + b"\n")
    target = {"same path": source, "symlink": tmp_path / "link", "hard link": tmp_path / "hard"}[
        how
    ]
    if how == "symlink":
        target.symlink_to(source)
    elif how == "hard link":
        target.hardlink_to(source)
    with pytest.raises(OutputError, match="is an input of this command"):
        run_batch(source, target, workers=1)
    assert source.read_bytes() == GOOD + b"\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"in.jsonl", target.name})


def test_batch_through_a_symlink_writes_the_file_it_points_at(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(GOOD + b"\n")
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "out.jsonl"
    link.symlink_to(real)
    run_batch(source, link, workers=1)
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8"))["status"] == "ok"


def test_a_full_disk_while_splicing_is_a_plain_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: ENOSPC escaped as "internal error ... please report it".
    import errno
    import shutil

    from click.testing import CliRunner

    from legrules.cli import cli

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    source = tmp_path / "in.jsonl"
    source.write_bytes(GOOD + b"\n")
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["assess", "--batch", str(source), "--out", str(target)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"legrules: {target}: cannot write the batch output (No space left on device)\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


def test_a_device_target_is_written_straight_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A character device (here a private copy of /dev/full) is opened and written, never
    # replaced by a renamed temporary file; writing it fails with ENOSPC, exit 1, and the
    # chunk files (in the temporary directory, not beside the device) are removed.
    import os
    import stat
    import tempfile

    from click.testing import CliRunner

    from legrules.cli import cli

    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 7))
        device.open("wb").close()
    except OSError as error:
        pytest.skip(f"cannot make a device node here ({error.strerror})")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    source = tmp_path / "in.jsonl"
    source.write_bytes(GOOD + b"\n")
    result = CliRunner().invoke(cli, ["assess", "--batch", str(source), "--out", str(device)])
    assert result.exit_code == 1, result.stderr
    assert "No space left on device" in result.stderr
    assert "internal error" not in result.stderr
    assert stat.S_ISCHR(device.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "in.jsonl", "tmp"]
    assert list(scratch.iterdir()) == []


@pytest.fixture(scope="module")
def compiled() -> Any:
    from legrules.paths import default_rules_dir
    from legrules.run.compiler import compile_pack
    from legrules.run.loader import load_pack

    return compile_pack(load_pack(default_rules_dir()))


def _hostile_lines() -> Any:
    from hypothesis import strategies as st

    from legrules.paths import default_rules_dir
    from legrules.run.loader import load_pack
    from tests.strategies import answers_strategy

    questionnaire = load_pack(default_rules_dir()).questionnaire
    ids = [q.id for q in questionnaire.questions]
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(ids),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(ids), st.text(max_size=8)), inner),
        ),
        max_leaves=12,
    )
    json_lines = st.one_of(answers_strategy(questionnaire), values).map(
        lambda doc: json.dumps(doc).encode()
    )
    return st.one_of(
        json_lines,
        st.binary(max_size=60).map(lambda raw: raw.replace(b"\n", b" ")),
        st.sampled_from(ids).map(lambda key: f'{{"{key}": {"9" * 4400}}}'.encode()),
        st.integers(900, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.sampled_from([b'{"age": NaN}', b'{"age": 1e999}', b'{"\\ud800": 1}', b"\xef\xbb\xbf{}"]),
    )


def test_no_batch_line_escapes_as_anything_but_its_own_record(compiled: Any) -> None:
    # The batch part of the hardening fuzz: whatever a line holds, the batch finishes,
    # and every non-blank line gets one output record in its place.
    import tempfile

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from legrules.run import batch

    @settings(max_examples=40, deadline=None)
    @given(st.lists(_hostile_lines(), min_size=1, max_size=6))
    def check(lines: list[bytes]) -> None:
        with tempfile.TemporaryDirectory() as directory, pytest.MonkeyPatch.context() as patch:
            patch.setattr(batch, "ProcessPoolExecutor", _LazyPool)
            source = Path(directory) / "in.jsonl"
            source.write_bytes(b"\n".join(lines))
            target = Path(directory) / "out.jsonl"
            report = run_batch(source, target, rules=compiled, workers=1)
            numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
            out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
            assert report.total == len(out) == len(numbers)
            bad = dict(report.bad_lines)
            for number, record in zip(numbers, out, strict=True):
                if number in bad:
                    assert record == {"line": number, "error": bad[number]}
                else:
                    assert record["status"] in ("ok", "referral")

    check()


def test_compact_batch_output_expands_to_the_full_output(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from legrules import Engine
    from legrules.cli import cli
    from legrules.run.compact import expand, is_compact

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    full, small = tmp_path / "full.jsonl", tmp_path / "small.jsonl"
    run_batch(source, full, workers=1)
    result = CliRunner().invoke(
        cli, ["assess", "--batch", str(source), "--out", str(small), "--compact"]
    )
    assert result.exit_code == 2  # the two bad lines, reported as without --compact
    assert small.stat().st_size < full.stat().st_size / 2
    pack = Engine().pack
    volatile = ("assessment_id", "created_at")
    for wide, narrow in zip(
        full.read_text(encoding="utf-8").splitlines(),
        small.read_text(encoding="utf-8").splitlines(),
        strict=True,
    ):
        expected, stored = json.loads(wide), json.loads(narrow)
        if "error" in expected:
            assert stored == expected
            continue
        assert is_compact(stored)
        expanded = expand(stored, pack)
        for key in volatile:
            expanded.pop(key), expected.pop(key)
        assert json.dumps(expanded) == json.dumps(expected)


def test_compact_needs_batch() -> None:
    from click.testing import CliRunner

    from legrules.cli import cli

    result = CliRunner().invoke(cli, ["assess", "--defaults", "--compact"])
    assert result.exit_code == 2
    assert "--compact only applies with --batch" in result.stderr


class _BrokenPool(ProcessPoolExecutor):
    """A pool that saw its worker die before the next chunk was submitted (no process is
    ever started: a ProcessPoolExecutor spawns its workers on the first submit)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise BrokenProcessPool("A child process terminated abruptly")


def test_a_pool_broken_at_submit_is_the_same_plain_error(tmp_path: Path) -> None:
    # Regression: which call notices a killed worker first is a race; when it was
    # submit(), BrokenProcessPool escaped as "internal error ... please report it"
    # (tests/test_batch_stops.py hit it about one run in five on a busy machine).
    lines = iter([(1, b"{}"), (2, b"{}")])
    with _BrokenPool(max_workers=1) as pool, pytest.raises(BatchError, match="worker process died"):
        _assess_all(lines, io.BytesIO(), str(tmp_path), pool, count=1, progress=None)
