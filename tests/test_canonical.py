"""Canonical JSON: one encoder for every hash, and the exact bytes each hash is over.

The expected hashes below were computed by the encoders each caller had before they
shared :func:`legrules.canonical.canonical_json`; an audit log written then must still
verify, so these bytes may never change.
"""

from __future__ import annotations

import math

import pytest

from legrules.audit.model import genesis_hash, redaction_hash
from legrules.canonical import canonical_json
from legrules.run.snapshot import PackSnapshot


def test_sorted_compact_utf8() -> None:
    value = {"b": [1, "Grüße", None], "a": {"d": False, "c": True}}
    assert canonical_json(value) == '{"a":{"c":true,"d":false},"b":[1,"Grüße",null]}'


def test_ascii_only_escapes_and_changes_nothing_else() -> None:
    value = {"b": "é", "a": 1}
    assert canonical_json(value, ascii_only=True) == '{"a":1,"b":"\\u00e9"}'


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_not_a_number_is_refused_not_hashed(number: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": number})


def test_the_audit_chain_hashes_the_same_bytes_as_before() -> None:
    meta = {
        "format": "legrules-audit",
        "created_at": "2026-01-01T00:00:00Z",
        "salt": "c2FsdA==",
        "note": "Grüße",
    }
    assert genesis_hash(meta, 2) == (
        "sha256:543a2823ba9952d1a5bbe3bcfde5aeebb605f90c52bcc805254b0d24bb0c8137"
    )


def test_redaction_hashes_the_same_bytes_as_before() -> None:
    assert redaction_hash(b"salt", "pain_type", "sharp") == (
        "redacted:hmac-sha256:df9b480b42a85756db2b33b7795e7e514ef7779e99884eccb34cdf586cae5c26"
    )
    assert redaction_hash(b"salt", "pain_locations", ["knee", "hip"]) == (
        "redacted:hmac-sha256:7af51c3488cc838d8ade3b286bc1c0255050af6b254c988cb09bd90d0d60335f"
    )


def test_a_stored_pack_hashes_its_ascii_escaped_text_as_before() -> None:
    files = {"pack.yaml": "name: Grüße\n", "questionnaire.yaml": "", "catalogue.yaml": ""}
    snapshot = PackSnapshot(files=files)
    assert snapshot.to_json() == canonical_json(files, ascii_only=True)
    assert snapshot.content_hash == (
        "sha256:fdac75fb39be63740dcc9fee9272fea8e0f1efd5abe88f33765346cbdfd0c755"
    )
