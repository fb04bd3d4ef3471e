"""Versioned schema migrations, so an older warehouse is upgraded in place rather than rebuilt.

Each `migrations/NNNN_name.sql` runs once, in order, on the caller's connection;
`schema_migrations` records which have run.

DuckDB refuses to commit a transaction that alters a table and also updates it ("another
transaction has altered this table"). So when the caller has a transaction open, each migration is
committed on its own, and one that adds columns and fills them splits itself with a line
`-- commit`: the part before it is committed and a new transaction begins. Writers' connections
run in autocommit (etl/warehouse.py), where every statement is committed anyway. Either way is safe
because writers only ever work on a private copy of the warehouse, which is swapped in only when
the whole load succeeds.
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
COMMIT_MARK = re.compile(r"^--\s*commit\s*$", re.MULTILINE | re.IGNORECASE)


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
    applied = []
    for version, name, path in available():
        if version <= have:
            continue
        parts = COMMIT_MARK.split(path.read_text())
        for i, part in enumerate(parts):
            for function, register in _functions().items():
                if function in part:   # some read tables: defined only where used, after any ALTER
                    register(con)
            if part.strip():
                con.execute(part)
            if i < len(parts) - 1:
                _commit_and_begin(con)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name])
        applied.append(f"{version:04d}_{name}")
        _commit_and_begin(con)  # the next migration may alter a table this one updated
    return applied


def _functions() -> dict:
    """SQL function or macro a migration may call → what defines it (the loaders' own definitions)."""
    from etl import address_keys, address_matches, filter_values, h3cells, indicator_bits, report_refs

    return {"h3_latlng_to_cell": h3cells.register, "address_key": address_keys.register,
            "names_no_place": address_keys.register, "full_postcode": address_keys.register,
            "house_number": address_keys.register, "named_street": address_keys.register,
            "address_match_rows": address_matches.register, "filter_value_rows": filter_values.register,
            "indicator_mask": indicator_bits.register, "report_identity": report_refs.register}


def _commit_and_begin(con: duckdb.DuckDBPyConnection) -> None:
    """End the caller's transaction and open a new one (a connection in autocommit mode has none to end)."""
    try:
        con.execute("COMMIT")
    except duckdb.TransactionException as exc:
        if "no transaction is active" in str(exc).lower():
            return  # autocommit: every statement is already committed
        raise
    con.execute("BEGIN TRANSACTION")
