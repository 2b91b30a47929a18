"""Canonical JSON: the one text a value is hashed as.

Hashes are compared across processes, machines and legrules versions (the audit chain,
the redaction HMAC, the pack fingerprint, the stored pack's hash), so the text they are
computed over is fixed here once:

* ``sort_keys``: a dict's insertion order is an accident of how it was built;
* ``separators=(",", ":")``: no whitespace to vary;
* ``allow_nan=False``: ``NaN`` and ``Infinity`` are not JSON, and ``NaN != NaN`` would
  make two equal-looking values hash differently; refusing them is safer than hashing
  them (no model legrules hashes holds a float);
* ``ensure_ascii=False``: text stays UTF-8, so a hash can be recomputed from an export
  with any JSON library that writes UTF-8.

One caller keeps ``ensure_ascii=True``: the stored rule pack's ``content_hash``
(:mod:`legrules.run.snapshot`). Existing audit logs hold that hash over the ASCII-escaped
text, and the shipped pack has non-ASCII characters, so UTF-8 text would stop those
logs from verifying. Changing a hashed text is a log format change, never a cleanup.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(data: Any, *, ascii_only: bool = False) -> str:
    """The canonical JSON text of ``data``: sorted keys, no spaces, no NaN, UTF-8.

    ``ascii_only`` escapes non-ASCII characters, for the one hash that was always
    computed that way (see the module docstring). Raises ValueError on NaN or infinity
    and TypeError on a value JSON cannot hold.
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only, allow_nan=False
    )
