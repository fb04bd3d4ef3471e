"""Every read of the warehouse from the dashboard: one shared read-only connection per version of
the warehouse file, and a cache keyed by that version and the filters.

An analyst's load never touches the live file: it builds a copy and swaps it in with a rename
(etl/warehouse.py). The version token (inode, mtime) of the file changes with every swap. The
dashboard keeps one read-only connection open per version (opening one and loading the spatial
extension costs ~0.2 s, more than most queries) and gives each query its own cursor on it. A
connection opened on a file keeps reading that file after a swap (the old inode stays readable
while open; each version is its own DuckDB instance, see `_open_instance`), so:

- each page run pins the version it starts with (`inspect()`, called first on every run) and
  every query of that run reads that version, never a mix of old and new;
- the next run pins the new version and opens a connection to it; the old connection is closed
  once no query uses it and RETIRE_SECONDS have passed.

Cached answers are keyed by the version, so those from the old file are never served for the
new one. Results also expire after TTL_SECONDS.
"""
from __future__ import annotations

import contextlib
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
# cache key; a function the analysis package does not have yet raises NotReady, not an ImportError.
QUERIES: dict[str, tuple[str, str]] = {
    "report_hexes": ("analysis.map_layers", "report_hexes"),
    "hmo_markers": ("analysis.map_layers", "hmo_markers"),
    "hmo_marker_layer": ("analysis.map_layers", "hmo_marker_layer"),
    "report_points": ("analysis.map_layers", "report_points"),
    "case_hexes": ("analysis.map_layers", "case_hexes"),
    "district_geojson": ("analysis.map_layers", "district_geojson"),
    "cell_detail": ("analysis.map_layers", "cell_detail"),
    "marker_detail": ("analysis.map_layers", "marker_detail"),
    "visit_list": ("analysis.visits", "visit_list"),
    "hotspots": ("analysis.hotspots", "compute"),
    "backtest": ("analysis.backtest", "run"),
    "headline": ("analysis.overview", "headline"),
    "weekly_trend": ("analysis.overview", "weekly_trend"),
    "breakdown": ("analysis.overview", "breakdown"),
    "nationality_languages": ("analysis.overview", "nationality_languages"),
    "source_health": ("analysis.data_health", "source_health"),
    "filter_options": ("dashboard.options", "filter_options"),
}

# The tables that tell a usable warehouse from an empty or half-made one.
DATA_TABLES = ("reports", "cases", "hmo_licences")
KNOWN_TABLES = ("meta", "loads", "rejects", "reports", "cases", "hmo_licences", "hmo_licence_history",
                "boundaries", "postcodes")


class NotReady(Exception):
    """A query the analysis package does not provide (yet)."""


@dataclass(frozen=True)
class WarehouseInfo:
    path: Path
    state: str                      # missing | ok | refreshing | unreadable
    token: tuple[int, int] | None = None
    synthetic: bool = False
    tables: frozenset[str] = frozenset()
    rows: dict[str, int] = field(default_factory=dict)   # rows in each of DATA_TABLES that exists
    error: str | None = None

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


def version_token(path: Path | None = None) -> tuple[int, int] | None:
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

    def acquire(self, path: str, token: tuple[int, int] | None, retries: int = 40) -> _Version:
        """The connection for `token` if it is open, else one to the file as it is now (its token may differ)."""
        with self._lock:
            versions = self._open.setdefault(path, {})
            version = versions.get(token) if token is not None else None
            if version is None:
                version = self._connect(path, versions, retries)
            version.users += 1
            return version

    def _connect(self, path: str, versions: dict, retries: int) -> _Version:
        """Open the file as it is now, as its own DuckDB instance (see `_open_instance`)."""
        last: Exception | None = None
        for _ in range(max(retries, 1)):
            before = Warehouse(path).version_token()
            if before is None:
                raise WarehouseError(f"no warehouse at {path}")
            if before in versions:
                return versions[before]
            try:
                con = _open_instance(path)
            except duckdb.IOException as exc:  # a swap in progress, or a legacy writer holding the file
                last = exc
                time.sleep(0.05)
                continue
            if Warehouse(path).version_token() != before:  # swapped while opening: which file did we get?
                con.close()
                continue
            now = time.monotonic()
            for other in versions.values():
                other.retired_at = other.retired_at or now
            versions[before] = _Version(before, con)
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
# The (path, version) the current page run reads; set by `inspect()` at the start of every run.
_PINNED: contextvars.ContextVar[tuple[str, tuple[int, int]] | None] = contextvars.ContextVar(
    "hotspots_pinned_version", default=None)


class _Moved(WarehouseError):
    """The pinned version's connection is gone (closed long after a swap): re-pin and ask again."""


@contextlib.contextmanager
def read_only(path: Path | str | None = None, token: tuple[int, int] | None = None,
              retries: int = 40) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the shared read-only connection to version `token` of the file (default: as it is now).

    Raises _Moved when `token` is given and that version is no longer open.
    """
    key = str(path or resolve_path())
    version = _READERS.acquire(key, token, retries)
    try:
        if token is not None and version.token != token:
            raise _Moved(key)
        cursor = version.con.cursor()
        try:
            cursor.execute(f"USE {CATALOG}")   # a cursor starts in the in-memory catalog
            yield cursor
        finally:
            cursor.close()
    finally:
        _READERS.release(key, version)


def pinned_token(path: Path) -> tuple[int, int] | None:
    """The version this page run reads: pinned by `inspect()`, else the file's current one (then pinned)."""
    pinned = _PINNED.get()
    if pinned is not None and pinned[0] == str(path):
        return pinned[1]
    token = version_token(path)
    if token is not None:
        _PINNED.set((str(path), token))
    return token


def warehouse_state(path: Path) -> str:
    """missing | ok | refreshing | unreadable (analysis.data_health decides; see its docstring)."""
    from analysis.data_health import warehouse_state as analysis_state

    return analysis_state(path)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _inspect(path: str, token: tuple[int, int], retries: int = 40) -> dict:
    with read_only(path, token, retries) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND list_contains(?, table_name)", [list(KNOWN_TABLES)]).fetchall()}
        synthetic = False
        if "meta" in tables:
            row = con.execute("SELECT value FROM meta WHERE key = ?", ["synthetic"]).fetchone()
            synthetic = row is not None and str(row[0]).strip().lower() == "true"
        rows = {}
        for table in DATA_TABLES:  # names from the constant above, never from input
            if table in tables:
                rows[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return {"tables": frozenset(tables), "synthetic": synthetic, "rows": rows}


def inspect() -> WarehouseInfo:
    """What the warehouse is like right now. Cheap: a stat, plus a cached look inside per version."""
    path = resolve_path()
    try:
        state = warehouse_state(path)
    except Exception:  # noqa: BLE001 - a state probe must never break the page
        log.exception("warehouse_state")
        state = "unreadable"
    token = version_token(path)
    _PINNED.set((str(path), token) if token is not None else None)   # this run reads this version
    if token is None:
        return WarehouseInfo(path, "refreshing" if state == "refreshing" else "missing")
    try:
        # A file the probe called unreadable gets one quick try of our own: a warehouse that merely lacks a
        # table opens fine, and each page then names the table it needs instead of calling the file broken.
        seen = _inspect(str(path), token, 1 if state == "unreadable" else 40)
    except (WarehouseError, duckdb.Error) as exc:
        if version_token(path) is None:
            return WarehouseInfo(path, "missing")
        return WarehouseInfo(path, "refreshing" if state == "refreshing" else "unreadable", token,
                             error=_first_line(exc))
    if state in ("unreadable", "missing"):
        state = "ok"
    return WarehouseInfo(path, state, token, synthetic=seen["synthetic"], tables=seen["tables"], rows=seen["rows"])


def _resolve(name: str) -> Callable[..., Any]:
    if name not in QUERIES:
        raise NotReady(f"unknown query {name!r}")
    module_name, attr = QUERIES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise NotReady(f"{module_name} is not installed yet") from exc
        raise
    func = getattr(module, attr, None)
    if func is None:
        raise NotReady(f"{module_name}.{attr} is not available yet")
    return func


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(name: str, path: str, token: tuple[int, int] | None, filters: tuple | None, kwargs: tuple) -> Any:
    func = _resolve(name)
    with read_only(path, token) as con:
        if filters is None:
            return func(con, **dict(kwargs))
        return func(con, Filters.from_params(dict(filters)), **dict(kwargs))


def query(name: str, f: Filters | None = None, **kwargs: Any) -> Any:
    """`analysis` function `name` on the version of the warehouse this page run reads (see the module
    docstring); cached per (file version, filters, args)."""
    path = resolve_path()
    token = pinned_token(path)
    if token is None:
        raise WarehouseError(f"no warehouse at {path}")
    filters = tuple(sorted(f.to_params().items())) if f is not None else None
    try:
        return _cached(name, str(path), token, filters, tuple(sorted(kwargs.items())))
    except _Moved:
        _PINNED.set(None)
        token = pinned_token(path)
        if token is None:
            raise WarehouseError(f"no warehouse at {path}")
        return _cached(name, str(path), token, filters, tuple(sorted(kwargs.items())))


def available(name: str) -> bool:
    try:
        _resolve(name)
    except (NotReady, ImportError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
