"""Every read of the warehouse from the dashboard: one version of the file per page run, one shared
read-only connection per version, and a cache keyed by that version and the filters.

An analyst's load never touches the live file: it builds a copy and swaps it in with a rename
(etl/warehouse.py). A page asks several questions, and a swap can land between two of them; had
each question opened the file by its name, one page could show the old file's numbers next to the
new file's. So every page run pins one version (`pinned()`, entered by app.py): it opens the file
once, and every query of the run reads that version, even after a load has renamed a newer one over
it. The version token (inode, mtime) comes from the same open file, so a cached answer is always
filed under the version it was computed from. The next run pins the new file: the dashboard picks
up a load by itself. Results also expire after TTL_SECONDS.

Opening a connection and loading the spatial extension costs ~0.2 s, more than most queries, so each
version gets one read-only connection, opened through the pinned file (`/proc/self/fd/N`) and shared
by every session as cursors; an old version's connection is closed once no query uses it and
RETIRE_SECONDS have passed since a newer one opened. Each is its own in-memory DuckDB instance with
the file attached (see `_open_instance`), with memory and threads capped.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import contextvars
import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import streamlit as st

from analysis import report_index
from analysis.filters import Filters
from etl.config import warehouse_path
from etl.warehouse import Warehouse, WarehouseError, load_spatial

TTL_SECONDS = 600
RETIRE_SECONDS = TTL_SECONDS      # an old version's connection outlives the newest page run that pinned it
# DuckDB's own default is 80% of RAM per open file; the dashboard shares the machine.
READER_CONFIG = {"memory_limit": os.environ.get("HOTSPOTS_DASHBOARD_MEMORY", "1GB"),
                 "threads": os.environ.get("HOTSPOTS_DASHBOARD_THREADS", str(min(os.cpu_count() or 2, 4)))}
CATALOG = "wh"
log = logging.getLogger("hotspots.dashboard")

# Name → (module, function) of every analysis function the pages call. Names, not objects, make the
# cache key (st.cache_data hashes its arguments, and a name is cheap and stable). A name missing here, a
# module that does not import or a function it lacks is a bug in the dashboard: `_resolve` raises, and
# tests/test_dashboard_connection.py resolves every entry, so a misspelt one fails the tests.
QUERIES: dict[str, tuple[str, str]] = {
    "report_hexes": ("analysis.map_layers", "report_hexes"),
    "report_hexes_by_resolution": ("analysis.map_layers", "report_hexes_by_resolution"),
    "hmo_markers": ("analysis.map_layers", "hmo_markers"),
    "hmo_marker_layer": ("analysis.map_layers", "hmo_marker_layer"),
    "report_points": ("analysis.map_layers", "report_points"),
    "reports_off_the_map": ("analysis.map_layers", "reports_off_the_map"),
    "case_hexes": ("analysis.map_layers", "case_hexes"),
    "case_points": ("analysis.map_layers", "case_points"),  # exact positions: pages ask only when auth.may()
    "district_geojson": ("analysis.map_layers", "district_geojson"),
    "cell_detail": ("analysis.map_layers", "cell_detail"),
    "marker_detail": ("analysis.map_layers", "marker_detail"),
    "visit_list": ("analysis.visits", "visit_list"),
    "reports_without_a_door": ("analysis.visits", "reports_without_a_door"),
    "hotspots": ("analysis.hotspots", "compute"),
    "backtest": ("analysis.backtest", "run"),
    "headline": ("analysis.overview", "headline"),
    "report_trend": ("analysis.overview", "report_trend"),
    "breakdown": ("analysis.overview", "breakdown"),
    "nationality_languages": ("analysis.overview", "nationality_languages"),
    "reports_around": ("analysis.overview", "reports_around"),
    "reported_dates": ("analysis.overview", "reported_dates"),
    "report_coverage": ("analysis.overview", "report_coverage"),
    "source_health": ("analysis.data_health", "source_health"),
    "reject_loads": ("analysis.rejects", "reject_loads"),
    "rejected_rows": ("analysis.rejects", "rejected_rows"),
    "filter_options": ("dashboard.options", "filter_options"),
    "stop_reports": ("analysis.briefing", "stop_reports"),
    "district_outlines": ("analysis.briefing", "district_outlines"),
    "row_counts": ("dashboard.warehouse_view", "counts"),
    "districts_of": ("analysis.visit_outcomes", "districts_of"),
    "reference": ("analysis.placing", "reference"),
    "districts_without_reports": ("analysis.placing", "districts_without_reports"),
}

# The tables that tell a usable warehouse from an empty or half-made one.
DATA_TABLES = ("reports", "cases", "hmo_licences")
KNOWN_TABLES = ("meta", "loads", "rejects", "reports", "cases", "hmo_licences", "hmo_licence_history",
                "boundaries", "postcodes")


def query_modules() -> list[str]:
    """The modules the pages' queries live in (QUERIES), for importing them once at start-up."""
    return sorted({module for module, _ in QUERIES.values()})


@dataclass(frozen=True)
class WarehouseInfo:
    path: Path
    state: str                      # missing | ok | refreshing | unreadable
    token: tuple[int, int] | None = None
    synthetic: bool = False         # the demo's made-up data, alone or with files loaded since
    mixed: bool = False             # the demo with files loaded into it since (meta synthetic = 'mixed')
    tables: frozenset[str] = frozenset()
    rows: dict[str, int] = field(default_factory=dict)   # rows in each of DATA_TABLES that exists
    error: str | None = None
    schema: int = 0                 # the newest migration applied to it (etl/migrations)
    reports_span: tuple[dt.date, dt.date] | None = None   # the first and the newest report's date received

    @property
    def outdated(self) -> bool:
        """Made by an older Hotspots: the pages' queries need columns a migration adds."""
        from etl.migrate import latest_version

        return 0 < self.schema < latest_version()  # 0: not made by our migrations (the pages name what is missing)

    @property
    def readable(self) -> bool:
        return self.token is not None and self.error is None and self.state in ("ok", "refreshing")

    @property
    def empty(self) -> bool:
        """Readable, but no reports, cases or licences at all."""
        return self.readable and not any(self.rows.values())

    def missing(self, *tables: str) -> list[str]:
        return [t for t in tables if t not in self.tables]


def resolve_path() -> Path:
    """$HOTSPOTS_DB, else data/hotspots.duckdb, read on every run (never cached)."""
    return warehouse_path(None)


# Where a process sees its own open files as names DuckDB can open; None: open by path (no pinning).
FD_DIR = next((d for d in ("/proc/self/fd", "/dev/fd") if os.path.isdir(d)), None)


@dataclass(frozen=True)
class Snapshot:
    """One version of the warehouse file, held open for one page run."""
    path: Path                               # the live name, for messages and the state probe
    token: tuple[int, int] | None            # (inode, mtime) of the open file; None: no file
    fd: int | None = None

    @classmethod
    def take(cls, path: Path) -> "Snapshot":
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return cls(path, None)
        except OSError:  # there but not readable: the pages say so when they try to open it by name
            return cls(path, Warehouse(path).version_token())
        st_ = os.fstat(fd)
        return cls(path, (st_.st_ino, st_.st_mtime_ns), fd)

    @property
    def source(self) -> str:
        """The name DuckDB opens: this very version, whatever has been renamed over `path` since."""
        if self.fd is None or FD_DIR is None or os.path.exists(f"{self.path}.wal"):
            # No open file, no fd folder, or a WAL that DuckDB only replays beside the real name:
            # open by name (a legacy writer's WAL is rare; copy-and-swap writers never leave one).
            return str(self.path)
        return f"{FD_DIR}/{self.fd}"

    def close(self) -> None:
        # Only after every connection to `source` is closed (read_only() sits inside pinned()): DuckDB caches
        # open databases by name, and the fd's number, hence the name, is reused by the next snapshot.
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)


_PINNED: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar("hotspots_snapshot", default=None)


@contextlib.contextmanager
def pinned(path: Path | None = None) -> Iterator[Snapshot]:
    """Every query inside reads the same version of the warehouse; app.py wraps each page run in it.

    Nested calls share the outer snapshot. The file is closed at the end, so an idle session never
    keeps an old version's disk space alive.
    """
    current = _PINNED.get()
    if current is not None and (path is None or Path(path) == current.path):
        yield current
        return
    snap = Snapshot.take(path or resolve_path())
    reset = _PINNED.set(snap)
    try:
        yield snap
    finally:
        _PINNED.reset(reset)
        snap.close()


def version_token(path: Path | None = None) -> tuple[int, int] | None:
    """The pinned version's token in a page run; else the file's current one."""
    snap = _PINNED.get()
    if path is None and snap is not None:
        return snap.token
    return Warehouse(path or resolve_path()).version_token()


@dataclass
class _Version:
    """The open read-only connection to one version of the file."""
    token: tuple[int, int]
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired_at: float | None = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()


def _open_instance(path: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB instance with the file attached read-only as `wh` (the default catalog).

    Not `duckdb.connect(path)`: DuckDB keeps one instance per file path in a process, so that would
    hand back the connection to the previous file after a swap. Spatial is loaded, and memory and
    threads capped (READER_CONFIG), before attaching.
    """
    con = duckdb.connect(":memory:", config=dict(READER_CONFIG))
    try:
        load_spatial(con)
        con.execute(f"ATTACH '{_quoted(path)}' AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def _quoted(path: str) -> str:
    """ATTACH takes no parameters: a path as a SQL string literal's body."""
    return str(path).replace("'", "''")


class _Readers:
    """Open connections per (file, version); thread-safe (Streamlit runs each session in its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, dict[tuple[int, int], _Version]] = {}

    def acquire(self, path: str, token: tuple[int, int] | None, source: str, retries: int = 40) -> _Version:
        """The connection to version `token`: the open one, else a new one through `source`.

        `source` is a pinned snapshot's open file (`/proc/self/fd/N`): it is that version, whatever has
        been renamed over `path` since. Opened by name instead (no fd folder), the file as it is now is
        taken, and filed under its own token.
        """
        with self._lock:
            versions = self._open.setdefault(path, {})
            version = versions.get(token) if token is not None else None
            if version is None:
                version = self._connect(path, token, source, versions, retries)
            version.users += 1
            return version

    def _connect(self, path: str, token: tuple[int, int] | None, source: str, versions: dict,
                 retries: int) -> _Version:
        last: Exception | None = None
        by_name = source == path or token is None
        for _ in range(max(retries, 1)):
            before = Warehouse(path).version_token() if by_name else token
            if before is None:
                raise WarehouseError(f"no warehouse at {path}")
            if before in versions:
                return versions[before]
            try:
                con = _open_instance(source)
            except duckdb.IOException as exc:  # a swap in progress, or a legacy writer holding the file
                last = exc
                time.sleep(0.05)
                continue
            if by_name and Warehouse(path).version_token() != before:  # swapped while opening: which file?
                con.close()
                continue
            now = time.monotonic()
            for other in versions.values():
                other.retired_at = other.retired_at or now
            versions[before] = _Version(before, con)
            report_index.make_in_background(con)    # the version's copy of the reports (analysis/report_index.py)
            return versions[before]
        raise WarehouseError(f"could not open {path} for reading: {last or 'it keeps changing'}")

    def release(self, path: str, version: _Version) -> None:
        with self._lock:
            version.users -= 1
            now = time.monotonic()
            versions = self._open.get(path, {})
            for token, v in list(versions.items()):
                if v.users == 0 and v.retired_at is not None and now - v.retired_at >= RETIRE_SECONDS:
                    del versions[token]
                    v.close()

    def close_all(self) -> None:
        with self._lock:
            for versions in self._open.values():
                for v in versions.values():
                    v.close()
            self._open.clear()


_READERS = _Readers()


@contextlib.contextmanager
def read_only(path: Path | str | None = None, token: tuple[int, int] | None = None,
              source: str | None = None, retries: int = 40) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the shared read-only connection to one version: the pinned one unless `path` is given.

    `token` and `source` name the version and the file to open it through (a pinned snapshot's).
    """
    with contextlib.ExitStack() as stack:
        if path is None:
            snap = stack.enter_context(pinned())
            path, token, source = snap.path, snap.token, snap.source
        key = str(path)
        version = _READERS.acquire(key, token, source or key, retries)
        try:
            cursor = version.con.cursor()
            try:
                cursor.execute(f"USE {CATALOG}")   # a cursor starts in the in-memory catalog
                yield cursor
            finally:
                cursor.close()
        finally:
            _READERS.release(key, version)


def warehouse_state(path: Path) -> str:
    """missing | ok | refreshing | unreadable (analysis.data_health decides; see its docstring)."""
    from analysis.data_health import warehouse_state as analysis_state

    return analysis_state(path)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _inspect(path: str, token: tuple[int, int], retries: int = 40, _source: str | None = None) -> dict:
    """Keyed by (path, token); `_source` is the open file of that version (not part of the key)."""
    with read_only(path, token, _source, retries) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND list_contains(?, table_name)", [list(KNOWN_TABLES)]).fetchall()}
        mark = None
        if "meta" in tables:
            row = con.execute("SELECT value FROM meta WHERE key = ?", ["synthetic"]).fetchone()
            mark = str(row[0]).strip().lower() if row is not None else None
        schema = 0
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
                       ).fetchone()[0]:
            schema = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
        rows = {}
        for table in DATA_TABLES:  # names from the constant above, never from input
            if table in tables:
                rows[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        span = None
        if rows.get("reports"):
            span = con.execute("SELECT min(received_on), max(received_on) FROM reports").fetchone()
    return {"tables": frozenset(tables), "synthetic": mark in ("true", "mixed"), "mixed": mark == "mixed",
            "rows": rows, "schema": schema,
            "reports_span": tuple(span) if span and span[1] is not None else None}


def inspect() -> WarehouseInfo:
    """What the pinned version of the warehouse is like. Cheap: a stat, plus a cached look inside per version."""
    with pinned() as snap:
        return _inspect_snapshot(snap)


def _inspect_snapshot(snap: Snapshot) -> WarehouseInfo:
    path = snap.path
    try:
        state = warehouse_state(path)
    except Exception:  # noqa: BLE001 - a state probe must never break the page
        log.exception("warehouse_state")
        state = "unreadable"
    token = snap.token
    if token is None:
        return WarehouseInfo(path, "refreshing" if state == "refreshing" else "missing")
    try:
        # A file the probe called unreadable gets one quick try of our own: a warehouse that merely lacks a
        # table opens fine, and each page then names the table it needs instead of calling the file broken.
        seen = _inspect(str(path), token, 1 if state == "unreadable" else 40, _source=snap.source)
    except (WarehouseError, duckdb.Error) as exc:
        if Warehouse(path).version_token() is None:
            return WarehouseInfo(path, "missing")
        return WarehouseInfo(path, "refreshing" if state == "refreshing" else "unreadable", token,
                             error=_first_line(exc))
    if state in ("unreadable", "missing"):
        state = "ok"
    return WarehouseInfo(path, state, token, synthetic=seen["synthetic"], mixed=seen.get("mixed", False),
                         tables=seen["tables"], rows=seen["rows"], schema=seen.get("schema", 0),
                         reports_span=seen.get("reports_span"))


def _resolve(name: str) -> Callable[..., Any]:
    """The function behind query `name`. Strict: a name, module or function that is not there raises (KeyError,
    ImportError, AttributeError), and the page's section reports it as an error in the dashboard, logged with
    its traceback; it is never taken for a feature still to come."""
    try:
        module_name, attr = QUERIES[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in dashboard/connection.py's QUERIES") from None
    return getattr(importlib.import_module(module_name), attr)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(name: str, path: str, token: tuple[int, int] | None, filters: tuple | None, kwargs: tuple,
            _source: str | None = None) -> Any:
    """Keyed by (query, path, token, filters, args); `_source` is the open file of that version (not in the key)."""
    func = _resolve(name)
    with read_only(path, token, _source) as con:
        if filters is None:
            return func(con, **dict(kwargs))
        return func(con, Filters.from_params(dict(filters)), **dict(kwargs))


def query(name: str, f: Filters | None = None, **kwargs: Any) -> Any:
    """`analysis` function `name` over the pinned version; cached per (file version, filters, args)."""
    with pinned() as snap:
        if snap.token is None:
            raise WarehouseError(f"no warehouse at {snap.path}")
        filters = tuple(sorted(f.to_params().items())) if f is not None else None
        return _cached(name, str(snap.path), snap.token, filters, tuple(sorted(kwargs.items())), _source=snap.source)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
