"""Run one load: hash the file, stage it, hand it to its loader, record the attempt.

The whole load changes a private copy of the warehouse, swapped in only when it succeeds
(`Warehouse.transaction`): it lands completely or not at all. Failed attempts are
recorded afterwards by a write of their own, so `loads` lists every attempt, with the rows it
rejected (`KeptRejects`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import duckdb

from etl import (address_keys, address_matches, counts, date_spans, filter_values, h3cells, indicator_bits,
                 indicator_rematch, migrate, no_value, reference_keys)
from etl.errors import FileProblem, LoadError
from etl.loaders import boundaries, cases, hmo, postcodes, reports
from etl.summary import LoadSummary
from etl.warehouse import REJECTS_SUFFIX, Warehouse

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
    date_spans.register(con)
    reference_keys.register(con)
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
    a failed one included, with its rejected rows. A file of which every row is rejected fails: nothing of it
    could be loaded. Returns the summary an analyst reads: rows loaded and rejected, warnings,
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
    kept = KeptRejects(wh.path)
    try:
        with wh.transaction() as con:
            prepare(con)
            earlier = _already_loaded(con, kind, source, sha, options)
            summary.load_id = con.execute("SELECT nextval('load_id_seq')").fetchone()[0]
            if earlier:
                summary.status = "already_loaded"
                summary.message = (f"same content as load {earlier[0]}, source {earlier[1]!r}; if that source was "
                                   f"loaded wrongly, `python -m etl remove {kind} {shlex.quote(earlier[1])}` "
                                   "takes it out")
            else:
                # Stored reports' signs follow a changed indicator vocabulary, in this write: all or nothing with it.
                vocabulary_note = indicator_rematch.follow_vocabulary(con)
                _load_or_refuse(con, kind, path, summary, kept, mapping=Path(mapping) if mapping else None,
                                sheet=sheet, progress=progress, **({"whole_register": True} if whole_register else {}))
                if vocabulary_note:
                    summary.warnings.append(vocabulary_note)
                address_matches.refresh(con, kind, summary.load_id)
                filter_values.refresh(con, kind, summary.load_id)
                _mark_a_demo_mixed(con, summary)
            _record(con, summary, sha, options, started)
    except duckdb.Error as exc:
        see = _record_failure(wh, summary, sha, options, started, str(exc), kept)
        raise FileProblem(path, f"the warehouse refused the data: {exc}{see}") from exc
    except FileProblem as exc:
        see = _record_failure(wh, summary, sha, options, started, f"{exc.__class__.__name__}: {exc}", kept)
        if not see:
            raise
        raise FileProblem(exc.path, exc.problem + see, exc.row) from exc
    except Exception as exc:
        _record_failure(wh, summary, sha, options, started, f"{exc.__class__.__name__}: {exc}", kept)
        raise
    finally:
        kept.discard()
    return summary


DEMO_MIXED_NOTE = ("this is the synthetic demo warehouse: the file is loaded beside its made-up data, and the "
                   "dashboard now says the two are mixed. For operational use, load real files into a warehouse of "
                   "their own (--db, or HOTSPOTS_DB)")


def _mark_a_demo_mixed(con, summary: LoadSummary) -> None:
    """A file loaded into the demo warehouse (by an analyst trying a real export) makes it demo data mixed with
    that file's: meta `synthetic` 'true' becomes 'mixed'. The dashboard's banner said "No real person or address
    is shown", which was no longer so; it now says what the warehouse holds. The demo's own build loads into a
    warehouse not yet marked, so it never takes this path."""
    marked = con.execute("SELECT value FROM meta WHERE key = 'synthetic'").fetchone()
    if marked and marked[0] in ("true", "mixed"):
        con.execute("UPDATE meta SET value = 'mixed' WHERE key = 'synthetic'")
        summary.warnings.append(DEMO_MIXED_NOTE)


# Kinds read by etl/loaders/tabular.py, whose loaders carry on when every row is rejected (a register would
# then end every licence of its source). A postcodes or boundaries load that stores nothing refuses itself,
# naming its first rejects.
ROW_BY_ROW = ("hmo", "reports", "cases")


def _load_or_refuse(con, kind: str, path: Path, summary: LoadSummary, kept: KeptRejects, **options) -> None:
    """Run the kind's loader; a file of which no row could be loaded fails as a whole. Either way a failure's
    rejected rows are saved first (`kept`), for the record of the failed attempt.

    Loaded, such a file would leave a source of no rows in every list of sources, and a register would end
    every licence of its source. The rejects say why each row was refused, which is what the analyst fixes,
    so the failure says where to read them. A refusal of the loader's own (a register that would end most
    of its source's licences) is then reworded: its rejects are the thing to fix first."""
    try:
        LOADERS[kind].load(con, path, summary, **options)
    except Exception as exc:
        kept.save(con, summary.load_id)
        if isinstance(exc, LoadError) and _every_row_rejected(kind, summary):
            raise _nothing_loaded(con, path, summary) from exc
        raise
    if _every_row_rejected(kind, summary):
        kept.save(con, summary.load_id)
        raise _nothing_loaded(con, path, summary)


def _every_row_rejected(kind: str, s: LoadSummary) -> bool:
    return kind in ROW_BY_ROW and s.rows_read > 0 and s.rows_rejected >= s.rows_read


def _nothing_loaded(con, path: Path, s: LoadSummary) -> FileProblem:
    """The first reason is shown, except a victim case's (a case's values stay out of messages, as out of
    load summaries)."""
    rows = "its only row was" if s.rows_rejected == 1 else f"all {s.rows_rejected:,} rows were"
    first = con.execute("SELECT row_number, reason FROM rejects WHERE load_id = ? ORDER BY row_number LIMIT 1",
                        [s.load_id]).fetchone()
    more = "; …" if s.rows_rejected > 1 else ""
    shown = f" (row {first[0]}: {first[1]}{more})" if first and s.kind != "cases" else ""
    return FileProblem(path, f"{rows} rejected{shown}: nothing was loaded")


class KeptRejects:
    """The rejected rows of a failed attempt, saved from its private copy before the copy is thrown away, so
    the second write that records the failure keeps them too: the analyst reads why each row was refused
    (`etl rejects --load N`, the Data page), as for a load that succeeded.

    Saved as a Parquet file in a private folder beside the warehouse, which holds the same data: a file of
    millions of rejected rows never passes through Python."""

    def __init__(self, warehouse: Path):
        self.warehouse = warehouse
        self.folder: Path | None = None
        self.rows = 0

    @property
    def file(self) -> Path | None:
        return self.folder / "rejects.parquet" if self.folder else None

    def save(self, con, load_id: int | None) -> None:
        if load_id is None or self.folder:
            return
        try:
            rows = con.execute("SELECT count(*) FROM rejects WHERE load_id = ?", [load_id]).fetchone()[0]
            if not rows:
                return
            self.folder = Path(tempfile.mkdtemp(prefix=f"{self.warehouse.name}{REJECTS_SUFFIX}{os.getpid()}-",
                                                dir=self.warehouse.parent))
            con.execute(f"COPY (SELECT row_number, reason, raw FROM rejects WHERE load_id = {int(load_id)} "
                        f"ORDER BY row_number) TO {_sql_text(self.file)} (FORMAT parquet)")
            self.rows = int(rows)
        except Exception:  # keeping them must never hide the failure itself
            self.discard()

    def insert(self, con, load_id: int) -> None:
        con.execute(f"INSERT INTO rejects (load_id, row_number, reason, raw) SELECT ?, row_number, reason, raw "
                    f"FROM read_parquet({_sql_text(self.file)})", [load_id])

    def discard(self) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder, self.rows = None, 0


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# Kinds whose loads add rows (kept by reference); the others replace what is stored: a council's register by
# its source, boundaries and postcodes whatever the source.
ADDED_TO = ("reports", "cases")


def _already_loaded(con, kind: str, source: str, sha: str, options: str | None) -> tuple | None:
    """(load_id, source) of the load this file's content already is, if loading it again would change nothing.

    Reports and cases are added to by each load: a file loaded before, under any source, is in. A register,
    boundaries or postcodes are replaced by each load, so a file is "in" only while its load is the latest of
    its source (its kind): after a wrong file replaced it, or under another --source, loading it again is the
    way back and must not be refused. So it is too after a later load was removed (`etl remove`): removing a
    wrong lookup or boundaries file takes out what it overwrote of this file's, which loading this file puts
    back."""
    if kind in ADDED_TO:
        return con.execute(
            "SELECT load_id, source FROM loads WHERE kind = ? AND file_sha256 = ? AND status = 'loaded' "
            "AND load_options IS NOT DISTINCT FROM ? ORDER BY load_id DESC LIMIT 1", [kind, sha, options]).fetchone()
    by_source = kind == "hmo"
    latest = con.execute(
        f"SELECT load_id, source, file_sha256, load_options, status FROM loads WHERE kind = ? "
        f"AND status IN ('loaded', 'removed') {'AND source = ?' if by_source else ''} ORDER BY load_id DESC LIMIT 1",
        [kind, source] if by_source else [kind]).fetchone()
    if latest and latest[4] == "loaded" and latest[2] == sha and latest[3] == options and latest[1] == source:
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
                    message: str, kept: KeptRejects) -> str:
    """A failed attempt leaves the data as it was, but `loads` still says it happened, and keeps its rejected rows
    under its own load id. Returns what the error adds to say where they are ("" when none were kept)."""
    for with_rejects in ((True, False) if kept.rows else (False,)):   # without them if they can't be kept
        failed = LoadSummary(kind=s.kind, source=s.source, file_name=s.file_name, status="failed", message=message)
        try:
            with wh.transaction() as con:
                prepare(con)
                failed.load_id = con.execute("SELECT nextval('load_id_seq')").fetchone()[0]
                see = f"; see the rejected rows: python -m etl rejects --load {failed.load_id}" if with_rejects else ""
                if with_rejects:
                    kept.insert(con, failed.load_id)
                    failed.rows_read, failed.rows_rejected = s.rows_read, kept.rows
                    failed.message = message + see
                _record(con, failed, sha, options, started)
            return see
        except Exception:  # recording the failure must never hide the failure itself
            continue
    return ""
