"""Where things live: the default rule pack (from a source checkout or an installed
wheel), and the per-user cache of compiled packs. Every environment variable that
names a location is defined here."""

from __future__ import annotations

import os
from pathlib import Path

ENV_RULES = "LEGRULES_RULES"
ENV_AUDIT_LOG = "LEGRULES_AUDIT_LOG"
ENV_CACHE_DIR = "LEGRULES_CACHE_DIR"
ENV_NO_CACHE = "LEGRULES_NO_CACHE"

_PACKAGE_DIR = Path(__file__).resolve().parent


def default_rules_dir() -> Path:
    """The pack to use when none is named.

    Order: ``$LEGRULES_RULES``; the copy shipped inside the wheel (``legrules/_rules``);
    the top-level ``rules/`` of a source checkout (editable installs and tests).
    """
    env = os.environ.get(ENV_RULES)
    if env:
        return Path(env)
    shipped = _PACKAGE_DIR / "_rules"
    if shipped.is_dir():
        return shipped
    return _PACKAGE_DIR.parent / "rules"


def pack_dir(given: str | os.PathLike[str] | None) -> Path:
    """The pack a caller named, or the default one (:func:`default_rules_dir`)."""
    return Path(given) if given is not None else default_rules_dir()


def default_cache_dir() -> Path | None:
    """Where compiled packs are cached: ``$LEGRULES_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/legrules``, else ``~/.cache/legrules``; None (no cache) when
    ``$LEGRULES_NO_CACHE`` is set to anything but empty or ``0``."""
    if os.environ.get(ENV_NO_CACHE, "") not in ("", "0"):
        return None
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "legrules"


def contract_file() -> Path:
    """The public contract (question and recommendation ids, JSON output, exit codes),
    for messages that refer to it: the copy inside an installed wheel
    (``legrules/CONTRACT.md``), else ``docs/CONTRACT.md`` of a source checkout."""
    shipped = _PACKAGE_DIR / "CONTRACT.md"
    if shipped.is_file():
        return shipped
    return _PACKAGE_DIR.parent / "docs" / "CONTRACT.md"
