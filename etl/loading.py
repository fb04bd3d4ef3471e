"""Run one load: hash the file, stage it, hand it to its loader, record the attempt.

The whole load changes a private copy of the warehouse, swapped in only when it succeeds
(`Warehouse.transaction`): it lands completely or not at all. Failed attempts are
recorded afterwards by a write of their own, so `loads` lists every attempt.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Callable

import duckdb

from etl import address_keys, address_matches, counts, filter_values, h3cells, indicator_bits, migrate, no_value
from etl.errors import FileProblem, LoadError
from etl.loaders import boundaries, cases, hmo, postcodes, reports
from etl.summary import LoadSummary
from etl.warehouse import Warehouse

LOADERS = {"hmo": hmo, "reports": reports, "cases": cases, "boundaries": boundaries, "postcodes": postcodes}
MACROS = Path(__file__).parent / "sql" / "macros.sql"


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Schema up to date and macros defined: every write starts here."""
    migrate.upgrade(con)
    define_value_macros(con)
    h3cells.register(con)
    address_keys.register(con)
    address_matches.register(con)
    filter_values.register(con)
    indicator_bits.register(con)


def define_value_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The value-level rules every loader shares (postcodes, dates, numbers, counts), as SQL macros."""
    con.execute(MACROS.read_text())
    counts.register(con)
    no_value.register(con)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


WHOLE_REGISTER_IS_FOR_HMO = "--whole-register is for HMO registers only"


def load_file(kind: str, path: str | Path, *, db: str | Path | None = None, source: str | None = None,
              mapping: str | Path | None = None, sheet: str | None = None,
              progress: Callable[[int], None] | None = None, whole_register: bool = False) -> LoadSummary:
    """The one way a file reaches the warehouse, for the CLI, the demo and tests alike: all or nothing.

    The load lands completely or leaves the warehouse as it was, and every attempt is in `loads`,
    a failed one included. Returns the summary an analyst reads: rows loaded and rejected, warnings,
    or status 'already_loaded' (nothing changed) when this content is in already. Raises LoadError
    for a wrong kind or option and FileProblem for a file that can't be read or loaded, each worded
    for the analyst; a failure is recorded before it is raised. `source` defaults to the file's
    name without its extension.
    """
    if kind not in LOADERS:
        raise LoadError(f"unknown kind {kind!r}; use one of {', '.join(LOADERS)}")
    if whole_register and kind != "hmo":
        raise LoadError(WHOLE_REGISTER_IS_FOR_HMO)
    path = Path(path)
    if not path.is_file():
        raise FileProblem(path, "no such file" if not path.exists() else "not a file")
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise FileProblem(path, f"the file can't be read ({exc.strerror})")
    if mapping and not Path(mapping).is_file():
        raise FileProblem(Path(mapping), "the mapping file does not exist")
    source_given, source = source is not None, source or path.stem
    options = _options(sheet, mapping)
    wh = Warehouse(db)
    summary = LoadSummary(kind=kind, source=source, file_name=path.name, source_given=source_given)
    started = dt.datetime.now()
    try:
        with wh.transaction() as con:
            prepare(con)
            earlier = _already_loaded(con, kind, source, sha, options)
            summary.load_id = con.execute("SELECT nextval('load_id_seq')").fetchone()[0]
            if earlier:
                summary.status = "already_loaded"
                summary.message = f"same content as load {earlier[0]}, source {earlier[1]!r}"
            else:
                LOADERS[kind].load(con, path, summary, mapping=Path(mapping) if mapping else None,
                                   sheet=sheet, progress=progress, **({"whole_register": True} if whole_register else {}))
                address_matches.refresh(con, kind, summary.load_id)
                filter_values.refresh(con, kind, summary.load_id)
            _record(con, summary, sha, options, started)
    except duckdb.Error as exc:
        _record_failure(wh, summary, sha, options, started, str(exc))
        raise FileProblem(path, f"the warehouse refused the data: {exc}") from exc
    except Exception as exc:
        _record_failure(wh, summary, sha, options, started, f"{exc.__class__.__name__}: {exc}")
        raise
    return summary


# Kinds whose loads add rows (kept by reference); the others replace what is stored: a council's register by
# its source, boundaries and postcodes whatever the source.
ADDED_TO = ("reports", "cases")


def _already_loaded(con, kind: str, source: str, sha: str, options: str | None) -> tuple | None:
    """(load_id, source) of the load this file's content already is, if loading it again would change nothing.

    Reports and cases are added to by each load: a file loaded before, under any source, is in. A register,
    boundaries or postcodes are replaced by each load, so a file is "in" only while its load is the latest of
    its source (its kind): after a wrong file replaced it, or under another --source, loading it again is the
    way back and must not be refused."""
    if kind in ADDED_TO:
        return con.execute(
            "SELECT load_id, source FROM loads WHERE kind = ? AND file_sha256 = ? AND status = 'loaded' "
            "AND load_options IS NOT DISTINCT FROM ? ORDER BY load_id DESC LIMIT 1", [kind, sha, options]).fetchone()
    by_source = kind == "hmo"
    latest = con.execute(
        f"SELECT load_id, source, file_sha256, load_options FROM loads WHERE kind = ? AND status = 'loaded' "
        f"{'AND source = ?' if by_source else ''} ORDER BY load_id DESC LIMIT 1",
        [kind, source] if by_source else [kind]).fetchone()
    if latest and latest[2] == sha and latest[3] == options and latest[1] == source:
        return latest[:2]
    return None


def _options(sheet: str | None, mapping: str | Path | None) -> str | None:
    parts = []
    if sheet:
        parts.append(f"sheet={sheet}")
    if mapping:
        parts.append(f"mapping sha256={file_sha256(Path(mapping))[:16]}")
    return "; ".join(parts) or None


def _record(con, s: LoadSummary, sha: str | None, options: str | None, started: dt.datetime) -> None:
    con.execute("""
        INSERT INTO loads (load_id, kind, source, file_name, file_sha256, load_options, started_at, finished_at, status,
                           rows_read, rows_loaded, rows_updated, rows_unchanged, rows_rejected, rows_ungeocoded,
                           rows_ended, rows_collapsed, dropped_columns, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    """, [s.load_id, s.kind, s.source, s.file_name, sha, options, started, s.status, s.rows_read, s.rows_loaded,
          s.rows_updated, s.rows_unchanged, s.rows_rejected, s.rows_ungeocoded, s.rows_ended, s.rows_collapsed,
          s.dropped_columns, s.message or ("\n".join(s.warnings) or None)])  # one note a line (the Data page)


def _record_failure(wh: Warehouse, s: LoadSummary, sha: str | None, options: str | None, started: dt.datetime,
                    message: str) -> None:
    """A failed attempt leaves the data as it was, but `loads` still says it happened."""
    failed = LoadSummary(kind=s.kind, source=s.source, file_name=s.file_name, status="failed", message=message)
    try:
        with wh.transaction() as con:
            prepare(con)
            failed.load_id = con.execute("SELECT nextval('load_id_seq')").fetchone()[0]
            _record(con, failed, sha, options, started)
    except Exception:  # recording the failure must never hide the failure itself
        pass
