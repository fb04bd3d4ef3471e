"""Owner-only SQLite files for operational records that several processes write in turn.

The dashboard (one process per server, many sessions) and the CLI both write accounts, the audit
log, plans and outcomes; WAL mode and a busy timeout let them take turns. The file is created 0600
before its first byte is written: it holds password hashes and notes about potential victims.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Callable, Iterator


def now(at: dt.datetime | None = None) -> str:
    """A timestamp for a record: UTC, to the second, ISO 8601 (of `at`, else of this moment). Timestamps written
    this way sort as text in time order, so SQL compares them as strings."""
    at = at or dt.datetime.now(dt.timezone.utc)
    return at.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def append_only(table: str, hint: str = "") -> str:
    """DDL: triggers that refuse UPDATE and DELETE on `table` (a record is corrected by a newer one)."""
    message = f"{table} is append-only{': ' + hint if hint else ''}"
    return "\n".join(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table}\n"
                     f"BEGIN SELECT RAISE(ABORT, '{message}'); END;" for verb in ("UPDATE", "DELETE"))


@contextlib.contextmanager
def transaction(path: Path, schema: str,
                upgrade: Callable[[sqlite3.Connection], None] | None = None) -> Iterator[sqlite3.Connection]:
    """One short connection in one IMMEDIATE transaction: committed on success, rolled back on error.

    `schema` is idempotent DDL run first; `upgrade` brings an older file's tables up to date inside
    the transaction.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout = 10000")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA foreign_keys = ON")
        con.executescript(schema)
        con.execute("BEGIN IMMEDIATE")
        try:
            if upgrade is not None:
                upgrade(con)
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(f"{path}{suffix}", 0o600)
