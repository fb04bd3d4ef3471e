"""Steps shared by the loaders of tabular files (HMO registers, reports, cases).

stage → parse (one SQL SELECT per kind, with a `reason` column) → rejects →
geocode → collapse duplicates → the kind's own merge into its table.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import duckdb

from etl import geocode
from etl.loaders import checks
from etl.reading.headers import require
from etl.reading.stage import StagedFile, require_rows, stage_file
from etl.summary import LoadSummary


def stage(con: duckdb.DuckDBPyConnection, path: Path, kind: str, summary: LoadSummary, *,
          required: list[tuple[str, ...]], mapping: Path | None, sheet: str | None,
          progress: Callable[[int], None] | None) -> StagedFile:
    staged = stage_file(con, path, kind, mapping, sheet, progress)
    require(path, kind, staged.match, required)
    require_rows(staged)
    summary.rows_read = staged.rows_read
    summary.warnings += staged.notes.warnings
    if staged.match.ignored_duplicates:
        summary.warnings.append("ignored second column(s) for the same field: " + ", ".join(staged.match.ignored_duplicates))
    return staged


def parse(con: duckdb.DuckDBPyConnection, select_sql: str, content: list[str]) -> None:
    """`select_sql` reads `stage` and yields one row per data row, with `row_number` and `reason`.

    `content` names the parsed columns whose values make a row "changed" on a re-load.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS SELECT *, {checks.row_hash(content)} AS row_hash "
                f"FROM ({select_sql})")


def record_rejects(con: duckdb.DuckDBPyConnection, summary: LoadSummary, staged: StagedFile,
                   raw_sql: tuple[str, list] | None = None) -> None:
    raw_expr, params = raw_sql or staged.raw_json_sql()
    con.execute(f"""
        INSERT INTO rejects (load_id, row_number, reason, raw)
        SELECT ?, p.row_number, p.reason, {raw_expr}
        FROM parsed p JOIN stage ON stage._row = p.row_number
        WHERE p.reason IS NOT NULL
        ORDER BY p.row_number
    """, [summary.load_id, *params])
    summary.rows_rejected = con.execute("SELECT count(*) FROM parsed WHERE reason IS NOT NULL").fetchone()[0]


def accepted_and_geocoded(con: duckdb.DuckDBPyConnection, summary: LoadSummary, key: str) -> None:
    """Valid rows, geocoded, with duplicates of one reference collapsed into the last one in the file."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT * EXCLUDE (reason),
               CASE WHEN lat IS NOT NULL THEN 'coordinates' END AS geocode_status,
               NULL::VARCHAR AS location_flag, NULL::VARCHAR AS district_code, NULL::VARCHAR AS lsoa_code
        FROM parsed WHERE reason IS NULL
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY row_number DESC) = 1
    """)
    accepted = con.execute("SELECT count(*) FROM parsed WHERE reason IS NULL").fetchone()[0]
    summary.rows_collapsed = accepted - con.execute("SELECT count(*) FROM incoming").fetchone()[0]
    geocode.geocode(con, "incoming")
    summary.rows_ungeocoded = con.execute(
        "SELECT count(*) FROM incoming WHERE geocode_status = 'not_geocoded'").fetchone()[0]
    flagged = con.execute("SELECT location_flag, count(*) FROM incoming WHERE location_flag IS NOT NULL "
                          "GROUP BY 1 ORDER BY 1").fetchall()
    for flag, n in flagged:
        summary.warnings.append(f"{n} row(s) flagged {flag}: loaded without a district; check their coordinates")


def upsert_by_reference(con: duckdb.DuckDBPyConnection, summary: LoadSummary, table: str, key: str,
                        columns: list[str]) -> None:
    """Reports and cases: a corrected re-export updates rows by reference within a source."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE merge_plan AS
        SELECT i.{key}, CASE WHEN t.{key} IS NULL THEN 'new'
                             WHEN t.row_hash = i.row_hash THEN 'unchanged' ELSE 'updated' END AS action
        FROM incoming i LEFT JOIN {table} t ON t.source = i.source AND t.{key} = i.{key}
    """)
    counts = dict(con.execute("SELECT action, count(*) FROM merge_plan GROUP BY 1").fetchall())
    summary.rows_loaded = counts.get("new", 0)
    summary.rows_updated = counts.get("updated", 0)
    summary.rows_unchanged = counts.get("unchanged", 0)
    cols = ", ".join(columns)
    con.execute(f"""
        DELETE FROM {table} WHERE source = ? AND {key} IN (SELECT {key} FROM merge_plan WHERE action = 'updated')
    """, [summary.source])
    con.execute(f"""
        INSERT INTO {table} ({cols})
        SELECT {cols} FROM incoming
        WHERE {key} IN (SELECT {key} FROM merge_plan WHERE action <> 'unchanged')
    """)
