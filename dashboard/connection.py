"""Every read of the warehouse from the dashboard: a fresh read-only connection per query, and a
cache keyed by the warehouse file's version and the filters.

An analyst's load never touches the live file: it builds a copy and swaps it in with a rename
(etl/warehouse.py). So the dashboard opens a read-only connection, asks, and closes it; the
version token (inode, mtime) of the file changes with every swap, so cached answers from the
old file are never served for the new one. Results also expire after TTL_SECONDS.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
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


@contextlib.contextmanager
def read_only(path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one question, closed afterwards (retries briefly during a swap)."""
    con = Warehouse(path or resolve_path()).connect_read_only(retries=40, delay=0.05)
    try:
        yield con
    finally:
        con.close()


def warehouse_state(path: Path) -> str:
    """missing | ok | refreshing | unreadable (analysis.data_health decides; see its docstring)."""
    from analysis.data_health import warehouse_state as analysis_state

    return analysis_state(path)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=32)
def _inspect(path: str, token: tuple[int, int], retries: int = 40) -> dict:
    con = Warehouse(path).connect_read_only(retries=retries, delay=0.05)
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
    """What the warehouse is like right now. Cheap: a stat, plus a cached look inside per version."""
    path = resolve_path()
    try:
        state = warehouse_state(path)
    except Exception:  # noqa: BLE001 - a state probe must never break the page
        log.exception("warehouse_state")
        state = "unreadable"
    token = version_token(path)
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
    with read_only(path) as con:
        if filters is None:
            return func(con, **dict(kwargs))
        return func(con, Filters.from_params(dict(filters)), **dict(kwargs))


def query(name: str, f: Filters | None = None, **kwargs: Any) -> Any:
    """`analysis` function `name` over a fresh read-only connection; cached per (file version, filters, args)."""
    path = resolve_path()
    token = version_token(path)
    if token is None:
        raise WarehouseError(f"no warehouse at {path}")
    filters = tuple(sorted(f.to_params().items())) if f is not None else None
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
