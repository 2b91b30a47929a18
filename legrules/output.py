"""Every file legrules writes for a caller (``--save``, ``--out``, ``audit export -o``, a
batch's output) goes through here, so that nothing can destroy what it reads.

Three rules, each from a way a command once lost data:

* An output that is one of the command's inputs or its audit log is refused before
  any work, compared both by resolved path and by (device, inode), so a symlink or a
  hard link to the input is caught too (``audit export -o log.db`` truncated the log).
* A regular file is written to a temporary name in the directory of the file it
  finally names and renamed over it when complete: a failure leaves the old file
  whole, and a symlink stays a symlink (its target is replaced, not the link).
* A character device or a pipe (``/dev/stdout``, a FIFO) is written straight to: a
  rename would replace the device node itself. ``-`` is stdout.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from legrules.errors import EXIT_CHECK_FAILED, LegrulesError

STDOUT = "-"

# an SQLite database is its file plus these beside it while it is open or recovering
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class OutputError(LegrulesError):
    """An output refused before any work: it would destroy an input, or cannot be a
    file (exit code 2, the caller named the wrong place)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}", location=where)


class OutputWriteError(OutputError):
    """An output that failed while being written (a full disk, a file-size limit): the
    machine's fault, not the caller's, so exit code 1; what was written is removed."""

    exit_code = EXIT_CHECK_FAILED


def sqlite_files(path: Path) -> list[Path]:
    """A database and the side files SQLite keeps beside it: none may be overwritten."""
    return [path, *(path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES)]


def _identity(path: str | Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _same_file(target: str, target_stat: os.stat_result | None, other: Path) -> bool:
    if target_stat is not None and stat.S_ISCHR(target_stat.st_mode):
        return False  # /dev/null or a terminal: writing there destroys nothing
    if os.path.realpath(target) == os.path.realpath(other):
        return True
    other_stat = _identity(other)
    return (
        target_stat is not None
        and other_stat is not None
        and (target_stat.st_dev, target_stat.st_ino) == (other_stat.st_dev, other_stat.st_ino)
    )


@dataclass(frozen=True)
class Output:
    """Where a command writes: a path, or ``-`` for stdout, and what it must not be."""

    given: str
    what: str = "the output"
    protected: tuple[tuple[str, Path], ...] = ()

    def __str__(self) -> str:
        return "stdout" if self.given == STDOUT else self.given

    def check(self) -> None:
        """Refuse an output that is an input or the log, or that cannot be a file."""
        if self.given == STDOUT:
            return
        target_stat = _identity(self.given)
        for role, path in self.protected:
            if _same_file(self.given, target_stat, path):
                raise OutputError(
                    self.given,
                    f"is {role} ({path}); refusing to write {self.what} over it: name another file",
                )
        if target_stat is None:
            parent = os.path.dirname(os.path.realpath(self.given)) or "."
            if not os.path.isdir(parent):
                raise OutputError(self.given, f"cannot write {self.what}: no directory {parent}")
            return
        mode = target_stat.st_mode
        if stat.S_ISDIR(mode):
            raise OutputError(self.given, "is a directory, expected a file")
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise OutputError(
                self.given,
                f"cannot write {self.what} here: not a regular file, character device or pipe",
            )

    def directory(self) -> str | None:
        """The directory the output finally lands in, for working files that should be on
        its file system (None for stdout, a device or a pipe: use the temporary one)."""
        if self.given == STDOUT:
            return None
        target_stat = _identity(self.given)
        if target_stat is not None and not stat.S_ISREG(target_stat.st_mode):
            return None
        return os.path.dirname(os.path.realpath(self.given)) or "."

    @contextmanager
    def open(self, *, binary: bool = False) -> Iterator[IO[Any]]:
        """The stream to write; the output is complete only when the block ends
        without an exception (a regular file is then renamed into place)."""
        self.check()
        if self.given == STDOUT:
            stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
            yield stream
            stream.flush()
            return
        target_stat = _identity(self.given)
        try:
            if target_stat is not None and not stat.S_ISREG(target_stat.st_mode):
                with open(
                    self.given, "wb" if binary else "w", encoding=None if binary else "utf-8"
                ) as device:
                    yield device
                return
            with _replacing(os.path.realpath(self.given), target_stat, binary) as stream:
                yield stream
        except BrokenPipeError:
            raise  # a pipe's reader left: the CLI stops quietly (exit 141)
        except OSError as error:
            raise OutputWriteError(
                self.given, f"cannot write {self.what} ({error.strerror})"
            ) from None


@contextmanager
def _replacing(final: str, existing: os.stat_result | None, binary: bool) -> Iterator[IO[Any]]:
    """Write ``final`` through a temporary file beside it, renamed over it at the end.

    The new file keeps the old one's permissions, or gets the usual ones for a new file
    (0666 less the umask) rather than the temporary file's private 0600.
    """
    directory, name = os.path.split(final)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory or ".")
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask())
        os.replace(temp, final)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output(
    given: str | os.PathLike[str],
    what: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    logs: Iterable[str | os.PathLike[str] | None] = (),
) -> Output:
    """The checked output for ``given`` (``what`` it holds, for messages); ``inputs``
    are files the command reads (``-`` for stdin), ``logs`` audit logs (with their
    SQLite side files). Raises OutputError now, before any work, if it would overwrite
    one of them."""
    protected: list[tuple[str, Path]] = []
    for source in inputs:
        if source is None:
            continue
        if os.fspath(source) == STDOUT:
            # stdin redirected from a file (`< answers.yaml`) is that file
            protected.append(("the input read from stdin", Path("/dev/stdin")))
        else:
            protected.append(("an input of this command", Path(source)))
    for log in logs:
        if log is not None:
            protected.extend(("the audit log", path) for path in sqlite_files(Path(log)))
    result = Output(os.fspath(given), what, tuple(protected))
    result.check()
    return result
