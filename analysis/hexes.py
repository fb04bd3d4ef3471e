"""H3 cells for points the warehouse has already aggregated.

DuckDB has no H3 extension offline, so cells are computed here with the h3 package. To keep
that cheap, callers first collapse rows to distinct (lat, lon) points with counts in DuckDB;
h3 then runs once per distinct point, never once per row.
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd

HEX_COLUMNS = ["h3", "lat", "lon", "boundary"]


def cells_for(lat, lon, resolution: int) -> np.ndarray:
    """The H3 cell (string) of each point; `lat`/`lon` are equal-length arrays without NaN."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    to_cell = h3.latlng_to_cell
    return np.array([to_cell(a, b, resolution) for a, b in zip(lat.tolist(), lon.tolist())], dtype=object)


def cell_geometry(cells) -> pd.DataFrame:
    """Centre and outline of each cell: h3, lat, lon, boundary (list of [lat, lon] pairs)."""
    cells = list(cells)
    centres = [h3.cell_to_latlng(c) for c in cells]
    return pd.DataFrame({
        "h3": pd.Series(cells, dtype=object),
        "lat": [c[0] for c in centres],
        "lon": [c[1] for c in centres],
        "boundary": [[[lat, lng] for lat, lng in h3.cell_to_boundary(c)] for c in cells],
    })


def count_by_cell(points: pd.DataFrame, resolution: int, count_col: str) -> pd.DataFrame:
    """Sum `count_col` of distinct points (columns lat, lon, count_col) per H3 cell."""
    if points.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HEX_COLUMNS}
                            | {count_col: pd.Series(dtype="int64")})[["h3", count_col, "lat", "lon", "boundary"]]
    cells = cells_for(points["lat"], points["lon"], resolution)
    sums = (pd.DataFrame({"h3": cells, count_col: points[count_col].to_numpy(dtype="int64")})
            .groupby("h3", sort=True, as_index=False)[count_col].sum())
    geo = cell_geometry(sums["h3"])
    out = sums.merge(geo, on="h3")
    out[count_col] = out[count_col].astype("int64")
    return out[["h3", count_col, "lat", "lon", "boundary"]]


def check_cell(cell: str) -> int:
    """The resolution of a valid cell; ValueError for anything else (it may come from a URL)."""
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise ValueError(f"not an H3 cell: {cell!r}")
    return h3.get_resolution(cell)


def cell_bbox(cell: str, margin: float = 1e-4) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around a cell, so SQL can pre-select its candidates."""
    pts = np.array(h3.cell_to_boundary(cell))
    return (float(pts[:, 0].min() - margin), float(pts[:, 0].max() + margin),
            float(pts[:, 1].min() - margin), float(pts[:, 1].max() + margin))


def in_cell(points: pd.DataFrame, cell: str) -> pd.DataFrame:
    """The rows of `points` (lat, lon) whose cell at the cell's resolution is `cell`."""
    if points.empty:
        return points
    res = h3.get_resolution(cell)
    return points[cells_for(points["lat"], points["lon"], res) == cell]


def disk(cell: str, k: int) -> list[str]:
    return list(h3.grid_disk(cell, k))
