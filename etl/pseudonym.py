"""Keyed hashing of case references.

A case reference could be looked up in a police system, so the warehouse holds only
HMAC-SHA256(key, reference). The key is generated on first use and kept outside the repo
and the warehouse (see `config.pseudonym_key_path`), owner-readable only.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from etl.config import pseudonym_key_path

KEY_ENV = "HOTSPOTS_PSEUDONYM_KEY"


def load_key() -> bytes:
    """`$HOTSPOTS_PSEUDONYM_KEY` (hex) if set, else the key file, created on first use."""
    if os.environ.get(KEY_ENV):
        return bytes.fromhex(os.environ[KEY_ENV])
    path = pseudonym_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def case_key(reference: str, key: bytes) -> str:
    """References differing only in case or spacing are the same case, and so are a number's with and without
    its leading zeros ('000123' and the '123' Excel makes of it)."""
    canonical = "".join(reference.split()).upper()
    if canonical.isdigit():
        canonical = canonical.lstrip("0") or "0"
    return _hashed(canonical, key)


def zero_padded_case_key(reference: str, key: bytes) -> str | None:
    """The key a number with leading zeros was stored under before `case_key` dropped them, else None: a
    reload finds those cases by it and gives them their key of today (etl/loaders/cases.py)."""
    canonical = "".join(reference.split()).upper()
    if canonical.isdigit() and canonical.startswith("0") and canonical.strip("0"):
        return _hashed(canonical, key)
    return None


def _hashed(canonical: str, key: bytes) -> str:
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
