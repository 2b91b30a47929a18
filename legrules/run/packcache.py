"""A per-user cache of compiled rule packs, so a one-shot command skips YAML and compiling.

Parsing, validating, cross-checking and compiling the shipped pack takes tens of
milliseconds, which is most of what ``legrules assess`` does per run. The compiled pack
is a pure function of the pack's files and of the code that compiled it, so it is kept
in the user's cache directory under a key made of both: the bytes of every file the
loader reads, the pack's resolved location (paths appear in messages), and the versions
of legrules (with its source files), pydantic and Python. durable-rules is not part of
it: the rulesets are created from the compiled definitions on every run. A changed
rule file, an upgrade or an edited checkout gives a new key; nothing is ever
invalidated by hand. Where the cache lives: :func:`legrules.paths.default_cache_dir`.

The cache is pickled, so it is only read from a directory the current user owns and
nobody else can write to (the way Jinja2's bytecode cache guards itself), and any
entry that cannot be read is ignored and rebuilt. An entry names the key it was written
for and the fingerprint of the pack it holds, checked on every read: a file name is only
a name, and an entry copied (or renamed) to another pack's name would otherwise be
served for that pack; such an entry counts as damaged. The cache is an optimisation only:
every failure to read or write it falls back to compiling, and a pack with errors is
never cached, so its problems are reported on every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path

from legrules._version import __version__
from legrules.errors import LegrulesError
from legrules.pack.yamlio import open_regular, read_bytes
from legrules.paths import default_cache_dir
from legrules.run.compiler import CompiledPack, compile_pack
from legrules.run.loader import load_pack, pack_files

__all__ = ["cache_key", "compiled_pack", "default_cache_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the legrules package
# bump when the cache's own layout changes
_FORMAT = 2
# entries kept per cache directory (about 130 KB each for the shipped pack)
KEEP_ENTRIES = 16


def _code_identity() -> bytes:
    """What the pickled classes and the compiler's output depend on.

    Versions alone miss an edited checkout (an editable install keeps its version), so
    the size and modification time of legrules' own modules go in too; stat-ing them
    costs far less than the compile it guards. They are listed with ``os.walk`` and
    plain strings: ``Path.rglob`` and a ``Path`` per module took 1.5 ms of every
    command's start-up for the same names, os.walk 0.6 ms.
    """
    import pydantic  # noqa: PLC0415  (cheap: pydantic's top level is lazy)

    modules = []
    for directory, _, names in os.walk(_PACKAGE_DIR):
        relative = os.path.relpath(directory, _PACKAGE_DIR)
        for name in names:
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                module = name if relative == os.curdir else os.path.join(relative, name)
                modules.append(f"{module}:{info.st_size}:{info.st_mtime_ns}")
    parts = [
        f"format={_FORMAT}",
        f"legrules={__version__}",
        f"pydantic={pydantic.VERSION}",
        f"python={sys.version}",
        *sorted(modules),
    ]
    return "\n".join(parts).encode("utf-8")


def cache_key(root: Path) -> str | None:
    """The key of the pack in ``root`` as it is on disk now; None if it cannot be read
    (the loader then reports why)."""
    digest = hashlib.sha256(_code_identity())
    resolved = Path(root).resolve()
    digest.update(str(resolved).encode("utf-8", "surrogateescape"))
    try:
        for path in pack_files(resolved):
            data = read_bytes(path)  # bounded, regular files only: the loader's reader
            name = path.relative_to(resolved).as_posix().encode("utf-8", "surrogateescape")
            digest.update(b"\0%s\0%d\0" % (name, len(data)))
            digest.update(data)
    except (OSError, LegrulesError):
        return None
    return digest.hexdigest()


def _private_dir(directory: Path) -> bool:
    """Create ``directory`` if needed; true only if it is ours and closed to others
    (never on a platform without user ids to check)."""
    if not hasattr(os, "getuid"):
        return False
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _read(path: Path, key: str) -> CompiledPack | None:
    try:
        # a regular file only: a FIFO planted as an entry hung every run
        with open_regular(path) as (handle, info):
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            loaded = pickle.load(handle)
    except Exception:  # missing or damaged: rebuilt, whatever is wrong with it
        return None
    compiled = _unwrap(loaded, key)
    if compiled is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries are the ones pruning keeps
    return compiled


def _entry(key: str, compiled: CompiledPack) -> dict[str, object]:
    return {"key": key, "fingerprint": compiled.fingerprint, "pack": compiled}


def _unwrap(loaded: object, key: str) -> CompiledPack | None:
    """The pack in an entry, if the entry was written for ``key``; None (damaged) if not."""
    if not isinstance(loaded, dict) or loaded.get("key") != key:
        return None
    compiled = loaded.get("pack")
    if not isinstance(compiled, CompiledPack) or compiled.fingerprint != loaded.get("fingerprint"):
        return None
    return compiled


def _write(path: Path, key: str, compiled: CompiledPack) -> None:
    """Write the entry atomically: readers see the old file, the new one, or none.

    Its own atomic write rather than :mod:`legrules.output`'s, which is for files a user
    asked for: a cache entry is private (mkstemp's 0600 is kept, where an output gets
    the usual 0666 less the umask), has no inputs to protect and no device or stdout to
    write to, and a failure to write it is silent (no cache, the pack is compiled
    again), where an output's failure is an OutputWriteError and exit 1.
    """
    try:
        blob = pickle.dumps(_entry(key, compiled), protocol=pickle.HIGHEST_PROTOCOL)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except Exception:  # an unpicklable pack or a full disk: just no cache
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return
    _prune(path.parent)


def _prune(directory: Path) -> None:
    """Keep the most recently used entries: a rule author who edits and re-runs makes
    a new entry every time."""
    try:
        entries = sorted(
            directory.glob("pack-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
        )
    except OSError:
        return
    for stale in entries[KEEP_ENTRIES:]:
        with contextlib.suppress(OSError):
            stale.unlink()


def compiled_pack(root: Path, cache_dir: Path | None) -> CompiledPack:
    """The compiled pack in ``root``, from ``cache_dir`` when it holds the same pack.

    With ``cache_dir`` None this is exactly ``compile_pack(load_pack(root))``; loading
    errors are raised the same way in both cases.
    """
    root = Path(root)
    if cache_dir is None:
        return compile_pack(load_pack(root))
    key = cache_key(root)
    if key is None or not _private_dir(cache_dir):
        return compile_pack(load_pack(root))
    entry = cache_dir / f"pack-{key}.pickle"
    cached = _read(entry, key)
    if cached is not None:
        return cached
    # pickled before anything can attach unpicklable state (a generated answers model)
    compiled = compile_pack(load_pack(root))
    # built now so that it is pickled with the pack (a cached_property keeps it in the
    # pack's __dict__): every engine asks for it; unpickled it costs 0.08 ms, built 0.6 ms
    compiled.pack.index  # noqa: B018
    if cache_key(root) == key:  # not if a file changed while it was compiled
        _write(entry, key, compiled)
    return compiled
