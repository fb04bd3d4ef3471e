"""Hotspots on H3 cells: counts, Gi* with FDR, emerging trend and kernel density, for one set of filters.

Every report inside the study area is counted exactly once, in the cell that contains it;
cells with no reports are part of the area too, because Gi* needs them. The kernel density
(`kde`) is computed only when asked for (`compute(..., density=True)`); otherwise it is NaN.
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

_cell_latlng = h3.api.basic_int.cell_to_latlng

COLUMNS = ["h3", "reports", "gi_z", "gi_p", "gi_bin", "trend", "kde", "lat", "lon"]   # kde: NaN unless asked for


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


def compute(con: duckdb.DuckDBPyConnection, f: Filters, resolution: int | None = None,
            density: bool = False, trend: bool = True) -> HotspotResult:
    """Counts per cell and period come from DuckDB (GROUP BY the stored H3 cells); only the study
    area's cells reach Python.

    `density=True` also fills `kde`, the kernel density (reports per km² around each cell centre). It
    costs a second pass over the window's distinct report positions, so only the map's kernel layer
    asks for it. Without it `kde` is NaN, meaning "not computed": a computed density is never NaN, and
    0 means no report within the bandwidth. `trend=False` leaves `trend` None (not computed): the
    visit list needs only the Gi* bins. With district boundaries it then reads only the filter
    window's reports, not the trend's 336 days.
    """
    cfg = settings.method()
    resolution = int(resolution or cfg["aggregation"]["resolution"])
    # Without the trend, only the filter window is read, unless the study area is drawn from the cells
    # of every report the trend would read (no boundaries), as the map's is.
    identity = study_area.districts_identity(con, f.districts)
    districts = bool(identity)
    widen = trend or not districts
    g = _grouped(con, f, resolution, _counting_resolution(districts, resolution, cfg["aggregation"]), cfg["trend"],
                 widen, periods=trend)
    cells, note = study_area.study_area_cells(con, resolution, g["fine"], cfg["aggregation"]["hull_buffer_m"],
                                              f.districts, identity)
    cell_ints, centres = study_area.ints_and_centres(cells)
    index = _positions(cell_ints, g["cell"])
    inside = index >= 0
    window = inside & g["in_window"]
    counts = np.bincount(index[window], weights=g["n"][window], minlength=len(cells)).astype(float)
    table = pd.DataFrame({"h3": cells, "reports": counts.astype(int)})
    table["lat"], table["lon"] = centres[:, 0], centres[:, 1]
    _statistics(table, counts, _period_matrix(index, g, len(cells), cfg["trend"]["periods"]) if trend else None, cfg)
    table["kde"] = (_density(con, f, resolution, cell_ints, table, cfg["kde"]["bandwidth_m"]) if density
                    else np.full(len(table), np.nan))
    incidents = int(counts.sum())
    minimum = cfg["gi_star"]["min_incidents"]
    warning = None
    if incidents == 0:
        warning = _why_no_incidents(con, f)
    elif incidents < minimum:
        warning = (f"Only {incidents} reports in this view: fewer than {minimum}, so the hotspot statistics are "
                   f"unreliable. Treat the map as a list of places, not a pattern.")
    return HotspotResult(cells=table[COLUMNS], resolution=resolution, area_note=note, incidents=incidents,
                         outside_area=int(g["n"][~inside & g["in_window"]].sum()), warning=warning)


def _why_no_incidents(con, f: Filters) -> str:
    """No report in the filters at all reads differently from reports there without a place: the first is
    answered by other dates (an export of 2019's police.uk data over the last 90 days), the second by geocoding."""
    where, params = reports_where(f)
    if con.execute(f"SELECT count(*) FROM reports r WHERE {where}", params).fetchone()[0]:
        return "No report in this view has a place on the map, so there are no hotspots to show."
    return (f"No report falls in these filters ({f.date_from:%d %b %Y} to {f.date_to:%d %b %Y}), so there are no "
            "hotspots to show.")


def _counting_resolution(districts: bool, resolution: int, aggregation: dict) -> int:
    """The cells to count in: `resolution`'s own, or without boundaries (`districts` false) finer ones
    (`hull_resolution`), whose hull is the study area and hugs the reports more closely."""
    if districts:
        return resolution
    return max(resolution, int(aggregation.get("hull_resolution", resolution)))


def _grouped(con, f: Filters, resolution: int, fine: int, trend: dict, widen: bool = True,
             periods: bool = True) -> dict[str, np.ndarray]:
    """One row per (cell, trend period, in the filter window) over the filters widened to the trend's
    periods (unless not `widen`): the trend counts and the window's counts from one scan. Also per
    cell at resolution `fine` (`fine`, for the study area's hull; the same as `cell` when `fine` is
    `resolution`). `period` counts from the oldest (0) to the final period; dates are day
    differences, which DuckDB computes faster than `date_diff`. Without `periods` (no trend wanted)
    `period` is not counted (all the final period), and there are several times fewer groups."""
    trend_filters = _trend_window(f, trend)
    wide = replace(f, date_from=min(f.date_from, trend_filters.date_from)) if widen else f
    where, params = reports_where(wide, "r")
    cell = hexes.cell_sql(con, resolution, "r")
    fine_cell = hexes.cell_sql(con, fine, "r") if fine != resolution else "NULL::UBIGINT"
    back, back_params = ("(?::DATE - r.received_on) // ?", [f.date_to, int(trend["period_days"])]) if periods \
        else ("0", [])
    got = con.execute(f"""
        SELECT {cell} AS cell, {fine_cell} AS fine, {back} AS back,
               r.received_on >= ?::DATE AS in_window, count(*) AS n
        FROM reports r WHERE {where} AND r.lat IS NOT NULL AND r.location_flag IS NULL
        GROUP BY ALL
    """, [*back_params, f.date_from, *params]).fetchnumpy()
    cells = np.asarray(got["cell"], dtype=np.uint64)
    return {"cell": cells, "fine": np.asarray(got["fine"], dtype=np.uint64) if fine != resolution else cells,
            "period": trend["periods"] - 1 - np.asarray(got["back"], dtype=np.int64),
            "in_window": np.asarray(got["in_window"], dtype=bool),
            "n": np.asarray(got["n"], dtype=np.int64)}


def _period_matrix(index: np.ndarray, g: dict, cells: int, periods: int) -> np.ndarray:
    """Reports per study-area cell (rows) and trend period (columns, oldest first)."""
    keep = (index >= 0) & (g["period"] >= 0) & (g["period"] < periods)
    matrix = np.zeros((cells, periods))
    np.add.at(matrix, (index[keep], g["period"][keep]), g["n"][keep])
    return matrix


def _statistics(table: pd.DataFrame, counts: np.ndarray, matrix: np.ndarray | None, cfg: dict) -> None:
    """Gi* (gi_z, gi_p, gi_bin) on the window's counts and the emerging trend on the periods (None
    without `matrix`), into `table`."""
    if len(table) < 2:
        table["gi_z"], table["gi_p"], table["gi_bin"], table["trend"] = 0.0, 1.0, 0, None
        return
    w = neighbour_weights(table["h3"].to_numpy(), cfg["gi_star"]["rings"],
                          latlng=table[["lat", "lon"]].to_numpy())
    result = gi_star(counts, w)
    table["gi_z"], table["gi_p"], table["gi_bin"] = result.z, result.p, result.gi_bin
    table["trend"] = None if matrix is None else trends.classify(
        matrix, w, cfg["gi_star"]["alpha"], cfg["trend"]["persistent_share"], cfg["trend"]["mk_alpha"])


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
