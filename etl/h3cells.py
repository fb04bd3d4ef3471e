"""H3 cells of stored points, computed once at load time so readers can GROUP BY them in SQL.

DuckDB's h3 community extension needs the internet, so cells come from h3ronpy (h3o, a Rust port
of H3 that gives the same cells as h3-py: tests/test_h3_cells.py compares them), called from DuckDB
as a vectorised Python function over whole chunks of rows. h3ronpy converts a whole array per call
and lets go of Python's lock while it does, so DuckDB's threads compute cells side by side; h3-py,
one Python call per point, took 7.0 s for 2,000,000 points at three resolutions, h3ronpy 2.8-3.1 s
(two cores). Each resolution
is computed from the point itself: H3 is not exactly nested, so the res-7 cell holding a point
is not always the parent of its res-9 cell. Cells are UBIGINT, h3-py's integer form
(`h3.str_to_int`).
"""
from __future__ import annotations

import duckdb
import duckdb.sqltypes as sqltypes
import numpy as np
import pyarrow as pa
from h3ronpy import vector

RESOLUTIONS = (7, 8, 9)
FINEST = max(RESOLUTIONS)
COLUMNS = tuple(f"h3_{r}" for r in RESOLUTIONS)
FUNCTION = "h3_latlng_to_cell"
ALL_FUNCTION = "h3_cells_of_point"     # (lat, lon) → STRUCT(h3_7, h3_8, h3_9): what the loads use

def _usable_points(lat: pa.Array, lon: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One chunk's points read from Arrow: which are usable (finite, in range), and those points' lats and lons."""
    lats = lat.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    lons = lon.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    ok = np.isfinite(lats) & np.isfinite(lons) & (np.abs(lats) <= 90) & (np.abs(lons) <= 180)
    return ok, np.ascontiguousarray(lats[ok]), np.ascontiguousarray(lons[ok])


def _cell_array(points: tuple[np.ndarray, np.ndarray, np.ndarray], resolution: int) -> pa.Array:
    """The cell of each usable point at `resolution`; NULL for the others."""
    ok, lats, lons = points
    out = np.zeros(len(ok), dtype=np.uint64)
    if len(lats):
        out[ok] = pa.array(vector.coordinates_to_cells(lats, lons, resolution)).to_numpy(zero_copy_only=False)
    return pa.array(out, type=pa.uint64(), mask=~ok)


def _cells(lat: pa.Array, lon: pa.Array, res: pa.Array) -> pa.Array:
    """One chunk: the cell of each (lat, lon) at `res` (a constant: the first row's); NULL without a usable point."""
    resolution = int(res[0].as_py()) if len(res) and res[0].is_valid else FINEST
    return _cell_array(_usable_points(lat, lon), resolution)


_ALL = pa.struct([(column, pa.uint64()) for column in COLUMNS])


def _all_cells(lat: pa.Array, lon: pa.Array) -> pa.StructArray:
    """One chunk: the cells of each (lat, lon) at every resolution, as a struct (h3_7, h3_8, h3_9).

    One call for the three resolutions reads the points from Arrow once; three calls of `_cells` read
    them three times, and a load spends a fifth of its H3 time doing that.
    """
    points = _usable_points(lat, lon)
    return pa.StructArray.from_arrays([_cell_array(points, r) for r in RESOLUTIONS], fields=list(_ALL))


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define h3_latlng_to_cell(lat, lon, res) and h3_string(cell) on this connection (idempotent)."""
    try:
        con.create_function(FUNCTION, _cells, [sqltypes.DOUBLE, sqltypes.DOUBLE, sqltypes.INTEGER],
                            sqltypes.UBIGINT, type="arrow", null_handling="special", side_effects=False)
    except duckdb.NotImplementedException:
        pass  # already defined on this connection
    except duckdb.CatalogException:
        pass
    try:
        con.create_function(ALL_FUNCTION, _all_cells, [sqltypes.DOUBLE, sqltypes.DOUBLE],
                            duckdb.struct_type({column: sqltypes.UBIGINT for column in COLUMNS}),
                            type="arrow", null_handling="special", side_effects=False)
    except (duckdb.NotImplementedException, duckdb.CatalogException):
        pass  # already defined on this connection
    con.execute("CREATE OR REPLACE TEMP MACRO h3_string(cell) AS lower(hex(cell))")


def set_cells(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give a temp working table the cell columns (last, replacing any it has), computed from its lat/lon.

    The table is rebuilt rather than updated: on 1.8 million points an UPDATE of three columns cost
    a second more than writing the table again with them."""
    have = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                      "WHERE database_name = 'temp' AND table_name = ?", [table]).fetchall()}
    drop = [c for c in COLUMNS if c in have]
    keep = f"* EXCLUDE ({', '.join(drop)}, _h3)" if drop else "* EXCLUDE (_h3)"
    cells = ", ".join(f"_h3.{c} AS {c}" for c in COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {keep}, {cells} "
                f"FROM (SELECT *, {ALL_FUNCTION}(lat, lon) AS _h3 FROM {table})")


def to_strings(cells) -> np.ndarray:
    """h3-py's string form of integer cells (object array; None stays None)."""
    return np.array([None if c is None or (isinstance(c, float) and np.isnan(c)) else format(int(c), "x")
                     for c in cells], dtype=object)


def to_ints(cells) -> np.ndarray:
    return np.array([int(c, 16) for c in cells], dtype=np.uint64)
