"""Where the default rule pack is, from a source checkout or from an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

ENV_RULES = "LEGRULES_RULES"
ENV_AUDIT_LOG = "LEGRULES_AUDIT_LOG"

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
