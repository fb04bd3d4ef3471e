"""Every read of the warehouse from the dashboard: one version of the file per page run, a fresh
read-only connection per query, and a cache keyed by that version and the filters.

An analyst's load never touches the live file: it builds a copy and swaps it in with a rename
(etl/warehouse.py). A page asks several questions, and a swap can land between two of them; had
each question opened the file by its name, one page could show the old file's numbers next to the
new file's. So every page run pins one version (`pinned()`, entered by app.py): it opens the file
once, and every query of the run reads that open file (`/proc/self/fd/N`), even after a load has
renamed a newer one over it. The version token (inode, mtime) comes from the same open file, so a
cached answer is always filed under the version it was computed from. The next run pins the new
file: the dashboard picks up a load by itself. Results also expire after TTL_SECONDS.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import streamlit as st

from analysis.filters import Filters
from etl.config import warehouse_path
from etl.warehouse import Warehouse, WarehouseError

TTL_SECONDS = 600
log = logging.getLogger("hotspots.dashboard")

# Name → (module, function) of every analysis function the pages call. Names, not objects, make the
# cache key; a function the analysis package does not have yet raises NotReady, not an ImportError.
QUERIES: dict[str, tuple[str, str]] = {
    "report_hexes": ("analysis.map_layers", "report_hexes"),
    "hmo_markers": ("analysis.map_layers", "hmo_markers"),
    "report_points": ("analysis.map_layers", "report_points"),
    "case_hexes": ("analysis.map_layers", "case_hexes"),
    "case_points": ("analysis.map_layers", "case_points"),  # exact positions: pages ask only when auth.may()
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
    "reject_loads": ("analysis.rejects", "reject_loads"),
    "rejected_rows": ("analysis.rejects", "rejected_rows"),
    "filter_options": ("dashboard.options", "filter_options"),
    "stop_reports": ("analysis.briefing", "stop_reports"),
    "district_outlines": ("analysis.briefing", "district_outlines"),
    "row_counts": ("dashboard.warehouse_view", "counts"),
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


@contextlib.contextmanager
def read_only(path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one question, closed afterwards: to the pinned version unless `path` is given."""
    with contextlib.ExitStack() as stack:
        if path is None:
            path = stack.enter_context(pinned()).source
        con = Warehouse(path).connect_read_only(retries=40, delay=0.05)
        try:
            yield con
        finally:
            con.close()


def warehouse_state(path: Path) -> str:
    """missing | ok | refreshing | unreadable (analysis.data_health decides; see its docstring)."""
    from analysis.data_health import warehouse_state as analysis_state

    return analysis_state(path)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _inspect(path: str, token: tuple[int, int], retries: int = 40, _source: str | None = None) -> dict:
    """Keyed by (path, token); `_source` is the open file of that version (not part of the key)."""
    con = Warehouse(_source or path).connect_read_only(retries=retries, delay=0.05)
    try:
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
    finally:
        con.close()
    return {"tables": frozenset(tables), "synthetic": synthetic, "rows": rows}


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
def _cached(name: str, path: str, token: tuple[int, int] | None, filters: tuple | None, kwargs: tuple,
            _source: str | None = None) -> Any:
    """Keyed by (query, path, token, filters, args); `_source` is the open file of that version (not in the key)."""
    func = _resolve(name)
    with read_only(_source or path) as con:
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


def available(name: str) -> bool:
    try:
        _resolve(name)
    except (NotReady, ImportError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
