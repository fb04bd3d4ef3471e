"""H3 cells: the stored ones (etl/h3cells.py, resolutions 7, 8 and 9) for SQL, and h3 for the rest.

Reports, cases and licences carry their cells as UBIGINT columns h3_7, h3_8 and h3_9, so
counting per cell is a GROUP BY in DuckDB. For another resolution, `cell_sql` computes the
cell in the query with the same h3 library (etl.h3cells registers it on the connection).
Cells leave this module as h3-py's strings.
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from etl import h3cells


def cell_sql(con, resolution: int, alias: str) -> str:
    """SQL for the H3 cell (UBIGINT) of `alias`'s point at `resolution`: the stored column when there is one."""
    resolution = int(resolution)
    if resolution in h3cells.RESOLUTIONS:
        return f"{alias}.h3_{resolution}"
    h3cells.register(con)
    return f"h3_latlng_to_cell({alias}.lat, {alias}.lon, {resolution})"


def to_strings(cells) -> np.ndarray:
    """h3-py's string form of UBIGINT cells (object array)."""
    return np.array([format(int(c), "x") for c in cells], dtype=object)


def to_ints(cells) -> list[int]:
    return [int(c, 16) for c in cells]


def counts_by_cell(con, table: str, alias: str, where: str, params: list, resolution: int,
                   count_col: str) -> pd.DataFrame:
    """Rows of `table` passing `where`, counted per H3 cell in DuckDB: h3, count_col, lat, lon, boundary."""
    return counts_by_cells(con, table, alias, where, params, (resolution,), count_col)[int(resolution)]


def counts_by_cells(con, table: str, alias: str, where: str, params: list, resolutions,
                    count_col: str) -> dict[int, pd.DataFrame]:
    """`counts_by_cell` at several resolutions from one scan: resolution → frame.

    One GROUP BY over the cells of every resolution at once (as many groups as cells of the finest),
    then summed per resolution. Not through H3's parents: a point's fine cell's parent is not always the
    coarse cell that contains the point, and each count must be of the reports inside its own cell.
    """
    wanted = sorted({int(r) for r in resolutions})
    if not wanted:
        return {}
    cells = [cell_sql(con, r, alias) for r in wanted]
    got = con.execute(f"""
        SELECT {", ".join(f"{c} AS c{i}" for i, c in enumerate(cells))}, count(*) AS n FROM {table} {alias}
        WHERE {where} AND {" AND ".join(f"{c} IS NOT NULL" for c in cells)}
        GROUP BY ALL
    """, params).fetchnumpy()
    n = np.asarray(got["n"], dtype="int64")
    out = {}
    for i, resolution in enumerate(wanted):
        unique, inverse = np.unique(np.asarray(got[f"c{i}"], dtype=np.uint64), return_inverse=True)
        out[resolution] = _with_geometry(unique, np.bincount(inverse, weights=n, minlength=len(unique)), count_col)
    return out


def _with_geometry(cells: np.ndarray, counts: np.ndarray, count_col: str) -> pd.DataFrame:
    """h3, count_col, lat, lon, boundary for sorted UBIGINT cells and their counts."""
    if len(cells) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HEX_COLUMNS}
                            | {count_col: pd.Series(dtype="int64")})[["h3", count_col, "lat", "lon", "boundary"]]
    out = cell_geometry(to_strings(cells))
    out.insert(1, count_col, np.asarray(counts).astype("int64"))
    return out[["h3", count_col, "lat", "lon", "boundary"]]

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


def disk_reach_km(resolution: int, k: int) -> float:
    """How far from an address a disk of `k` rings of cells around its own reaches, about: k cells' centre
    spacing plus half a cell, the words "nearby" needs to mean something to a reader."""
    spacing = h3.average_hexagon_edge_length(resolution, unit="km") * 3 ** 0.5
    return (k + 0.5) * spacing


def disk(cell: str, k: int) -> list[str]:
    return list(h3.grid_disk(cell, k))
