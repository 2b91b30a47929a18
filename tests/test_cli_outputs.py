"""No command writes over what it reads: every output (--save, --out, audit export -o)
goes through legrules.output, which refuses an input or the audit log (by path and
by inode), replaces regular files atomically through symlinks, and writes straight to
devices and pipes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules import Engine
from legrules.audit import AuditLog
from legrules.cli import cli
from legrules.output import OutputError, output

ANSWERS_LINE = json.dumps({"squat_felt_most": "glutes", "age": 34})


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """An audit log with one record."""
    path = tmp_path / "decisions.db"
    with Engine(audit_log=AuditLog(path)) as engine:
        engine.assess({"squat_felt_most": "glutes"})
    return path


def _files(directory: Path) -> set[str]:
    return {entry.name for entry in directory.iterdir()}


# -- audit export -o: never the log ------------------------------------------------------


def _log_as(kind: str, log: Path) -> Path:
    if kind == "itself":
        return log
    if kind == "relative":
        return Path(os.path.relpath(log))
    other = log.with_name(f"other-name-{kind}.db")
    if kind == "symlink":
        other.symlink_to(log)
    elif kind == "hardlink":
        os.link(log, other)
    else:  # an SQLite side file of the log
        return log.with_name(log.name + "-wal")
    return other


@pytest.mark.parametrize("kind", ["itself", "relative", "symlink", "hardlink", "wal"])
def test_audit_export_never_writes_over_the_log(runner: CliRunner, log: Path, kind: str) -> None:
    before = log.read_bytes()
    target = _log_as(kind, log)
    result = runner.invoke(cli, ["audit", "export", "--audit-log", str(log), "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "the audit log" in result.stderr
    assert "Traceback" not in result.stderr
    assert log.read_bytes() == before
    assert runner.invoke(cli, ["audit", "verify", "--audit-log", str(log)]).exit_code == 0


def test_audit_export_to_a_file_and_to_dash(runner: CliRunner, log: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    result = runner.invoke(cli, ["audit", "export", "--audit-log", str(log), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1
    dashed = runner.invoke(cli, ["audit", "export", "--audit-log", str(log), "-o", "-"])
    assert dashed.exit_code == 0
    assert dashed.stdout == target.read_text(encoding="utf-8")


# -- assess --save: never the log, never the answers read --------------------------------


def test_save_onto_the_audit_log_is_refused(runner: CliRunner, log: Path) -> None:
    before = log.read_bytes()
    result = runner.invoke(
        cli, ["assess", "--defaults", "--audit-log", str(log), "--save", str(log)]
    )
    assert result.exit_code == 2
    assert "the audit log" in result.stderr
    assert result.stdout == ""
    assert log.read_bytes() == before


def test_save_onto_a_log_not_created_yet_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    same = tmp_path / "same.db"
    result = runner.invoke(
        cli, ["assess", "--defaults", "--audit-log", str(same), "--save", str(same)]
    )
    assert result.exit_code == 2
    assert not same.exists()


def test_save_onto_the_answers_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "mine.yaml"
    answers.write_text("# my notes\nage: 34\n", encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--answers", str(answers), "--save", str(answers)])
    assert result.exit_code == 2
    assert "an input" in result.stderr
    assert answers.read_text(encoding="utf-8") == "# my notes\nage: 34\n"


def test_save_onto_the_file_stdin_reads_is_refused(tmp_path: Path) -> None:
    """``--answers - < mine.yaml --save mine.yaml``: stdin is that file."""
    answers = tmp_path / "mine.yaml"
    answers.write_text("age: 34\n", encoding="utf-8")
    with answers.open("rb") as stdin, _StdinFrom(stdin.fileno()):
        with pytest.raises(OutputError, match="stdin"):
            output(answers, "the answers", inputs=["-"])
        assert output(tmp_path / "other.yaml", "the answers", inputs=["-"])


class _StdinFrom:
    """Descriptor 0 pointed at ``fd`` for a block, as ``< file`` does for a command."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.saved = -1

    def __enter__(self) -> None:
        self.saved = os.dup(0)
        os.dup2(self.fd, 0)

    def __exit__(self, *exc: object) -> None:
        os.dup2(self.saved, 0)
        os.close(self.saved)


def test_save_through_a_symlink_keeps_the_link(runner: CliRunner, tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    result = runner.invoke(cli, ["assess", "--answer", "age=34", "--save", str(link), "--json"])
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert "age: 34" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert _files(tmp_path) == {"real.yaml", "link.yaml"}  # no temporary file left


# -- assess --batch --out ----------------------------------------------------------------


def _batch_input(tmp_path: Path) -> Path:
    source = tmp_path / "in.jsonl"
    source.write_text(ANSWERS_LINE + "\n", encoding="utf-8")
    return source


@pytest.mark.parametrize("kind", ["itself", "symlink", "hardlink"])
def test_batch_out_onto_its_input_is_refused(runner: CliRunner, tmp_path: Path, kind: str) -> None:
    source = _batch_input(tmp_path)
    target = _log_as(kind, source) if kind != "itself" else source
    result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", str(target)])
    assert result.exit_code == 2
    assert "an input" in result.stderr
    assert source.read_text(encoding="utf-8") == ANSWERS_LINE + "\n"


def test_batch_out_through_a_symlink_replaces_the_target_not_the_link(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = _batch_input(tmp_path)
    elsewhere = tmp_path / "results"
    elsewhere.mkdir()
    real = elsewhere / "out.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "out-link.jsonl"
    link.symlink_to(real)
    result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", str(link)])
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8"))["status"] == "ok"
    assert _files(elsewhere) == {"out.jsonl"}


def test_batch_out_dash_is_stdout(runner: CliRunner, tmp_path: Path) -> None:
    source = _batch_input(tmp_path)
    result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", "-"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"
    assert "into stdout" in result.stderr


@pytest.fixture
def char_device(tmp_path: Path) -> Path:
    """A private null device node (needs root, as the bug did: only root could
    replace a device node)."""
    node = tmp_path / "null-device"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return node


def test_batch_out_to_a_character_device_writes_to_it(
    runner: CliRunner, tmp_path: Path, char_device: Path
) -> None:
    source = _batch_input(tmp_path)
    result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", str(char_device)])
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(char_device.lstat().st_mode), "the device node was replaced"


def test_batch_out_to_a_fifo_writes_into_the_pipe(runner: CliRunner, tmp_path: Path) -> None:
    source = _batch_input(tmp_path)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    # a reader that never blocks: the command's open for writing then succeeds at once
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", str(fifo)])
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a file"
        received = b""
        while chunk := os.read(reader, 1 << 16):
            received += chunk
    finally:
        os.close(reader)
    assert json.loads(received)["status"] == "ok"


# -- the mechanism itself -------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("precious\n", encoding="utf-8")
    checked = output(target, "the output")

    def write_half() -> None:
        with checked.open() as stream:
            stream.write("half of the new")
            raise RuntimeError("stopped halfway")

    with pytest.raises(RuntimeError):
        write_half()
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert _files(tmp_path) == {"out.txt"}


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with output(target, "the output").open() as stream:
        stream.write("x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_directory_is_not_an_output(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a directory"):
        output(tmp_path, "the output")


# -- options --batch would ignore, and --answer given twice ------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--answer", "pain_type=sharp"],
        ["--defaults"],
        ["--answers", "x.json"],
        ["--save", "x.yaml"],
        ["--json"],
        ["--explain"],
    ],
)
def test_batch_with_an_option_it_would_ignore_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, extra: list[str]
) -> None:
    source = _batch_input(tmp_path)
    target = tmp_path / "out.jsonl"
    result = runner.invoke(cli, ["assess", "--batch", str(source), "--out", str(target), *extra])
    assert result.exit_code == 2
    assert extra[0] in result.stderr
    assert not target.exists()


def test_workers_without_batch_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assess", "--defaults", "--workers", "2"])
    assert result.exit_code == 2
    assert "--batch" in result.stderr


def test_the_same_answer_given_twice_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["assess", "--answer", "pain_type=sharp", "--answer", "pain_type=none", "--json"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "pain_type" in result.stderr
    assert "twice" in result.stderr
