"""Hotspots on H3 cells: counts, Gi* with FDR, emerging trend and kernel density, for one set of filters.

Every report inside the study area is counted exactly once, in the cell that contains it;
cells with no reports are part of the area too, because Gi* needs them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb
import h3
import numpy as np
import pandas as pd

from analysis import hexes, kde, settings, study_area, trends
from analysis.filters import Filters, reports_where
from analysis.gistar import gi_star, neighbour_weights

COLUMNS = ["h3", "reports", "gi_z", "gi_p", "gi_bin", "trend", "kde", "lat", "lon"]


@dataclass
class HotspotResult:
    cells: pd.DataFrame        # one row per study-area cell: COLUMNS
    resolution: int
    area_note: str             # how the study area was drawn
    incidents: int             # reports counted inside the area
    outside_area: int          # geocoded reports that fell outside it
    warning: str | None        # e.g. too few incidents for a reliable statistic


def report_points(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Geocoded reports that pass the filters; flagged points (outside, swapped) are never counted."""
    where, params = reports_where(f)
    return con.execute(f"""
        SELECT lat, lon, received_on FROM reports r
        WHERE {where} AND lat IS NOT NULL AND location_flag IS NULL
    """, params).df()


def compute(con: duckdb.DuckDBPyConnection, f: Filters, resolution: int | None = None) -> HotspotResult:
    """Counts per cell and period come from DuckDB (GROUP BY the stored H3 cells); only the study
    area's cells, and distinct points for the kernel density, reach Python."""
    cfg = settings.method()
    resolution = resolution or cfg["aggregation"]["resolution"]
    trend_filters = _trend_window(f, cfg["trend"])
    wide = replace(f, date_from=min(f.date_from, trend_filters.date_from))
    where, params = reports_where(wide, "r")
    placed = f"{where} AND r.lat IS NOT NULL AND r.location_flag IS NULL"
    cell = hexes.cell_sql(con, resolution, "r")
    periods, length = cfg["trend"]["periods"], cfg["trend"]["period_days"]
    # One row per (cell, period, in the filter window): the trend counts and the window's counts at once.
    grouped = con.execute(f"""
        SELECT {cell} AS cell, ? - 1 - date_diff('day', r.received_on, ?::DATE) // ? AS period,
               r.received_on >= ?::DATE AS in_window, count(*) AS n
        FROM reports r WHERE {placed}
        GROUP BY ALL
    """, [periods, trend_filters.date_to, length, f.date_from, *params]).fetchnumpy()
    g_cells = np.asarray(grouped["cell"], dtype=np.uint64)
    g_period = np.asarray(grouped["period"], dtype=np.int64)
    g_window = np.asarray(grouped["in_window"], dtype=bool)
    g_n = np.asarray(grouped["n"], dtype=np.int64)
    cells, note = study_area.study_area_cells(con, resolution, *_hull_points(con, placed, params),
                                              cfg["aggregation"]["hull_buffer_m"])
    cell_ints = np.array(hexes.to_ints(cells), dtype=np.uint64)   # ascending, like the sorted strings
    index = _positions(cell_ints, g_cells)
    inside = index >= 0
    counts = np.bincount(index[inside & g_window], weights=g_n[inside & g_window],
                         minlength=len(cells)).astype(float)
    table = pd.DataFrame({"h3": cells, "reports": counts.astype(int)})
    centres = np.array([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    table["lat"], table["lon"] = centres[:, 0], centres[:, 1]
    if len(cells) > 1:
        w = neighbour_weights(cells, cfg["gi_star"]["rings"])
        result = gi_star(counts, w, cfg["gi_star"]["alpha"])
        table["gi_z"], table["gi_p"], table["gi_bin"] = result.z, result.p, result.gi_bin
        keep = inside & (g_period >= 0) & (g_period < periods)
        matrix = np.zeros((len(cells), periods))
        np.add.at(matrix, (index[keep], g_period[keep]), g_n[keep])
        table["trend"] = trends.classify(matrix, w, cfg["gi_star"]["alpha"], cfg["trend"]["persistent_share"],
                                         cfg["trend"]["mk_alpha"])
    else:
        table["gi_z"], table["gi_p"], table["gi_bin"], table["trend"] = 0.0, 1.0, 0, None
    table["kde"] = _density(con, f, resolution, cell_ints, table, cfg["kde"]["bandwidth_m"])
    incidents = int(counts.sum())
    minimum = cfg["gi_star"]["min_incidents"]
    warning = (f"Only {incidents} reports in this view: fewer than {minimum}, so the hotspot statistics are "
               f"unreliable. Treat the map as a list of places, not a pattern.") if incidents < minimum else None
    return HotspotResult(cells=table[COLUMNS], resolution=resolution, area_note=note, incidents=incidents,
                         outside_area=int(g_n[~inside & g_window].sum()), warning=warning)


def _hull_points(con, placed: str, params: list) -> tuple[np.ndarray, np.ndarray]:
    """Distinct points of the reports, only needed when no boundaries are loaded (the study area is then their hull)."""
    if study_area.has_districts(con):
        return np.array([]), np.array([])
    pts = con.execute(f"SELECT DISTINCT r.lat, r.lon FROM reports r WHERE {placed}", params).fetchnumpy()
    return np.asarray(pts["lat"], dtype=float), np.asarray(pts["lon"], dtype=float)


def _density(con, f: Filters, resolution: int, cell_ints: np.ndarray, table: pd.DataFrame,
             bandwidth_m: float) -> np.ndarray:
    """Kernel density at the cell centres from the window's reports inside the area (distinct points, weighted)."""
    where, params = reports_where(f, "r")
    cell = hexes.cell_sql(con, resolution, "r")
    pts = con.execute(f"""
        SELECT r.lat, r.lon, any_value({cell}) AS cell, count(*) AS n FROM reports r
        WHERE {where} AND r.lat IS NOT NULL AND r.location_flag IS NULL
        GROUP BY r.lat, r.lon
    """, params).fetchnumpy()
    inside = _positions(cell_ints, np.asarray(pts["cell"], dtype=np.uint64)) >= 0
    return kde.quartic_density(table["lat"].to_numpy(), table["lon"].to_numpy(),
                               np.asarray(pts["lat"], dtype=float)[inside], np.asarray(pts["lon"], dtype=float)[inside],
                               bandwidth_m, weights=np.asarray(pts["n"], dtype=float)[inside])


def _positions(cells: np.ndarray, point_cells: np.ndarray) -> np.ndarray:
    """Index of each point's cell in the sorted study area, or -1 outside it."""
    if len(cells) == 0:
        return np.full(len(point_cells), -1)
    pos = np.searchsorted(cells, point_cells)
    pos = np.clip(pos, 0, len(cells) - 1)
    return np.where(cells[pos] == point_cells, pos, -1)


def _trend_window(f: Filters, cfg: dict) -> Filters:
    days = cfg["periods"] * cfg["period_days"]
    return replace(f, date_from=f.date_to - dt.timedelta(days=days - 1))
