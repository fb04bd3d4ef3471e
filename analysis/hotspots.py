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

from analysis import kde, settings, study_area, trends
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
    cfg = settings.method()
    resolution = resolution or cfg["aggregation"]["resolution"]
    trend_filters = _trend_window(f, cfg["trend"])
    points = report_points(con, replace(f, date_from=min(f.date_from, trend_filters.date_from)))
    in_window = (points["received_on"] >= pd.Timestamp(f.date_from)).to_numpy()
    cells, note = study_area.study_area_cells(con, resolution, points["lat"].to_numpy(), points["lon"].to_numpy(),
                                              cfg["aggregation"]["hull_buffer_m"])
    point_cells = study_area.to_cells(points["lat"].to_numpy(), points["lon"].to_numpy(), resolution)
    index = _positions(cells, point_cells)
    inside = index >= 0
    counts = np.bincount(index[inside & in_window], minlength=len(cells)).astype(float)
    table = pd.DataFrame({"h3": cells, "reports": counts.astype(int)})
    centres = np.array([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    table["lat"], table["lon"] = centres[:, 0], centres[:, 1]
    if len(cells) > 1:
        w = neighbour_weights(cells, cfg["gi_star"]["rings"])
        result = gi_star(counts, w, cfg["gi_star"]["alpha"])
        table["gi_z"], table["gi_p"], table["gi_bin"] = result.z, result.p, result.gi_bin
        table["trend"] = _trends(points, index, inside, trend_filters, len(cells), w, cfg)
    else:
        table["gi_z"], table["gi_p"], table["gi_bin"], table["trend"] = 0.0, 1.0, 0, None
    window = points[inside & in_window]
    table["kde"] = kde.quartic_density(table["lat"].to_numpy(), table["lon"].to_numpy(), window["lat"].to_numpy(),
                                       window["lon"].to_numpy(), cfg["kde"]["bandwidth_m"])
    incidents = int(counts.sum())
    minimum = cfg["gi_star"]["min_incidents"]
    warning = (f"Only {incidents} reports in this view: fewer than {minimum}, so the hotspot statistics are "
               f"unreliable. Treat the map as a list of places, not a pattern.") if incidents < minimum else None
    return HotspotResult(cells=table[COLUMNS], resolution=resolution, area_note=note, incidents=incidents,
                         outside_area=int((~inside & in_window).sum()), warning=warning)


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


def _trends(points: pd.DataFrame, index: np.ndarray, inside: np.ndarray, window: Filters, n_cells: int, w,
            cfg: dict) -> np.ndarray:
    """Counts per cell per period (oldest first), then the emerging hot spot category of each cell."""
    periods, length = cfg["trend"]["periods"], cfg["trend"]["period_days"]
    age = (pd.Timestamp(window.date_to) - pd.to_datetime(points["received_on"])).dt.days.to_numpy()
    period = periods - 1 - age // length
    keep = inside & (period >= 0) & (period < periods)
    matrix = np.zeros((n_cells, periods))
    np.add.at(matrix, (index[keep], period[keep]), 1)
    return trends.classify(matrix, w, cfg["gi_star"]["alpha"], cfg["trend"]["persistent_share"],
                           cfg["trend"]["mk_alpha"])
