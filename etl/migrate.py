"""Versioned schema migrations, so an older warehouse is upgraded in place rather than rebuilt.

Each `migrations/NNNN_name.sql` runs once, in order, inside the caller's transaction;
`schema_migrations` records which have run.
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


def available() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _NAME.match(path.name)
        if m:
            found.append((int(m.group(1)), m.group(2), path))
    return found


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def latest_version() -> int:
    return max((v for v, _, _ in available()), default=0)


def upgrade(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration newer than the warehouse; return the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    have = current_version(con)
    if have < latest_version():
        from etl import address_keys, h3cells

        h3cells.register(con)        # a migration may compute H3 cells (0002)
        address_keys.register(con)   # ... or address keys (0003)
    applied = []
    for version, name, path in available():
        if version <= have:
            continue
        con.execute(path.read_text())
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name])
        applied.append(f"{version:04d}_{name}")
    return applied
