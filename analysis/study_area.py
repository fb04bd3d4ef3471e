"""The study area: every H3 cell that overlaps the six districts.

Gi* compares each neighbourhood with the whole area, so empty cells matter as much as busy
ones: the area is fixed by geography (the district boundaries) rather than by where reports
happen to be. Without boundaries, the data's convex hull buffered by a margin stands in.
"""
from __future__ import annotations

import json

import duckdb
import h3
import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import ConvexHull, QhullError
from shapely.geometry import mapping, shape

from analysis import hexes
from etl import vocab

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
_FROM_BNG = Transformer.from_crs(27700, 4326, always_xy=True)


def district_shapes(con: duckdb.DuckDBPyConnection) -> list:
    rows = con.execute("""
        SELECT ST_AsGeoJSON(geometry) FROM boundaries
        WHERE level = 'district' AND list_contains(?, code)
    """, [list(vocab.area_districts())]).fetchall()
    return [shape(json.loads(r[0])) for r in rows]


def _districts_identity(con: duckdb.DuckDBPyConnection) -> tuple:
    """Which district boundaries are loaded (code, load, size of the shape): a new load changes it."""
    return tuple(con.execute("""
        SELECT code, load_id, ST_NPoints(geometry), ST_Area(geometry) FROM boundaries
        WHERE level = 'district' AND list_contains(?, code) ORDER BY code
    """, [list(vocab.area_districts())]).fetchall())


def has_districts(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_districts_identity(con))


_AREA_CACHE: dict[tuple, np.ndarray] = {}   # (boundaries identity, resolution) → sorted cells; small


def _cells_of(area, resolution: int) -> np.ndarray:
    cells = set()
    for polygon in getattr(area, "geoms", [area]):
        cells |= set(h3.h3shape_to_cells_experimental(h3.geo_to_h3shape(mapping(polygon)), resolution,
                                                      contain="overlap"))
    return np.array(sorted(cells), dtype=object)


def study_area_cells(con: duckdb.DuckDBPyConnection, resolution: int, lat: np.ndarray, lon: np.ndarray,
                     buffer_m: float = 2000) -> tuple[np.ndarray, str]:
    """Sorted cell ids, and how the area was drawn (said on the map and in exports).

    With district boundaries the area depends only on them, so it is computed once per set of
    boundaries and resolution (cached by their identity); `lat`/`lon` are then not used.
    """
    identity = _districts_identity(con)
    if identity:
        key = (identity, int(resolution))
        if key not in _AREA_CACHE:
            if len(_AREA_CACHE) >= 16:
                _AREA_CACHE.clear()
            _AREA_CACHE[key] = _cells_of(shapely.union_all(district_shapes(con)), int(resolution))
        return _AREA_CACHE[key].copy(), "the loaded district boundaries"
    if len(lat):
        area, how = _buffered_hull(lat, lon, buffer_m), f"the reports' extent plus {buffer_m / 1000:g} km (no boundaries loaded)"
    else:
        return np.array([], dtype=object), "no boundaries and no geocoded reports"
    return _cells_of(area, resolution), how


def _buffered_hull(lat: np.ndarray, lon: np.ndarray, buffer_m: float):
    """Buffer in metres (British National Grid), then back to WGS84.

    The hull of a million points is the hull of its vertices: qhull finds those cheaply, and GEOS
    then draws the hull from them alone (the same polygon it would draw from every point).
    """
    x, y = _TO_BNG.transform(lon, lat)
    xy = np.column_stack([x, y])
    if len(xy) > 1000:
        try:
            xy = xy[ConvexHull(xy).vertices]
        except QhullError:   # all points on a line, or too few distinct: GEOS copes with those
            pass
    hull = shapely.MultiPoint(xy).convex_hull.buffer(buffer_m)
    return shapely.transform(hull, lambda xy: np.column_stack(_FROM_BNG.transform(xy[:, 0], xy[:, 1])))


def to_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    return hexes.cells_for(lat, lon, resolution)
