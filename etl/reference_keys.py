"""The SQL that says two references are one ('PR-0001' and 'pr 0001', '00345' and '345'), as macros.

A loader compares a re-export's references with the stored ones by these keys, and analysis/rejects.py asks
the same question of a reader's connection (is a rejected row's reference stored by a later load?). One
definition for both, so the two can never disagree; a temporary macro needs no write access.
"""
from __future__ import annotations

from pathlib import Path

KEYS_SQL = Path(__file__).parent / "sql" / "reference_keys.sql"


def register(con) -> None:
    """Define ref_key(s) and licence_key(s) on this connection (or cursor): temporary, so read-only is enough."""
    con.execute(KEYS_SQL.read_text())
