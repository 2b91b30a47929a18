"""A rule pack as text: the files the loader reads, kept so the pack can be rebuilt later.

The audit log stores one snapshot per pack fingerprint, so a record written months ago
can still be explained with the rules that produced it, even after ``rules/`` changed.

>>> from legrules.paths import default_rules_dir
>>> snapshot = PackSnapshot.from_dir(default_rules_dir())
>>> sorted(snapshot.files)[:3]
['catalogue.yaml', 'pack.yaml', 'questionnaire.yaml']
>>> load_pack_files(snapshot.files).meta.name  # doctest: +SKIP
'leg-training'

A snapshot holds exactly the loader's inputs (``pack.yaml``, ``questionnaire.yaml``,
``catalogue.yaml`` and ``rules/*.yaml``) as text, byte for byte; rule test cases are not
part of a pack's meaning and are left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from legrules.canonical import canonical_json
from legrules.errors import Problem, RulePackError
from legrules.pack.model import RulePack
from legrules.pack.yamlio import read_text
from legrules.run.loader import load_pack

TOP_FILES = ("pack.yaml", "questionnaire.yaml", "catalogue.yaml")
_NAME = re.compile(r"^(?:pack|questionnaire|catalogue)\.yaml$|^rules/[A-Za-z0-9_.-]+\.yaml$")


def _check_names(files: Mapping[str, str]) -> None:
    bad = [name for name in files if not _NAME.match(name) or ".." in name]
    missing = [name for name in TOP_FILES if name not in files]
    problems = [
        Problem(location=name, message="not a rule pack file name") for name in sorted(bad)
    ] + [Problem(location=name, message="missing from the snapshot") for name in missing]
    if problems:
        raise RulePackError(problems, source="pack snapshot")


@dataclass(frozen=True)
class PackSnapshot:
    """The text of a pack's files, keyed by path relative to the pack root (``/``-separated)."""

    files: Mapping[str, str]

    @classmethod
    def from_dir(cls, root: Path) -> PackSnapshot:
        """Read the loader's inputs from a pack directory (InputFileError if unreadable)."""
        root = Path(root)
        files = {name: read_text(root / name) for name in TOP_FILES}
        for path in sorted((root / "rules").glob("*.yaml")):
            files[f"rules/{path.name}"] = read_text(path)
        return cls(files=files)

    @classmethod
    def from_json(cls, text: str) -> PackSnapshot:
        """The inverse of :meth:`to_json`; RulePackError if it is not a snapshot."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise RulePackError(
                [Problem(location="pack snapshot", message=f"not JSON: {error.msg}")]
            ) from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise RulePackError(
                [Problem(location="pack snapshot", message="expected an object of file texts")]
            )
        _check_names(data)
        return cls(files=dict(data))

    def to_json(self) -> str:
        """Canonical JSON, ASCII-escaped: the stored form, and what is hashed (logs
        written so far hold hashes of this exact text; see :mod:`legrules.canonical`)."""
        return canonical_json(dict(self.files), ascii_only=True)

    @property
    def content_hash(self) -> str:
        """``sha256:`` of :meth:`to_json`: identifies these exact bytes."""
        return "sha256:" + hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def write_to(self, root: Path) -> None:
        """Write the files under ``root`` (which must exist), refusing unsafe names."""
        _check_names(self.files)
        (root / "rules").mkdir(exist_ok=True)
        for name, text in self.files.items():
            (root / name).write_bytes(text.encode("utf-8"))

    def load(self) -> RulePack:
        """Rebuild the pack with the ordinary loader (all its checks apply)."""
        return load_pack_files(self.files)


def load_pack_files(files: Mapping[str, str]) -> RulePack:
    """Load a pack from a mapping of file name to text (see :class:`PackSnapshot`).

    The files are written to a temporary directory and read by :func:`~legrules.load_pack`,
    so a snapshot is checked exactly like a pack on disk. The returned pack's ``root`` is
    that (since deleted) directory.
    """
    snapshot = PackSnapshot(files=files)
    with tempfile.TemporaryDirectory(prefix="legrules-pack-") as tmp:
        snapshot.write_to(Path(tmp))
        return load_pack(Path(tmp))
