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


def study_area_cells(con: duckdb.DuckDBPyConnection, resolution: int, lat: np.ndarray, lon: np.ndarray,
                     buffer_m: float = 2000) -> tuple[np.ndarray, str]:
    """Sorted cell ids, and how the area was drawn (said on the map and in exports)."""
    shapes = district_shapes(con)
    if shapes:
        area, how = shapely.union_all(shapes), "the loaded district boundaries"
    elif len(lat):
        area, how = _buffered_hull(lat, lon, buffer_m), f"the reports' extent plus {buffer_m / 1000:g} km (no boundaries loaded)"
    else:
        return np.array([], dtype=object), "no boundaries and no geocoded reports"
    cells = set()
    for polygon in getattr(area, "geoms", [area]):
        cells |= set(h3.h3shape_to_cells_experimental(h3.geo_to_h3shape(mapping(polygon)), resolution,
                                                      contain="overlap"))
    return np.array(sorted(cells), dtype=object), how


def _buffered_hull(lat: np.ndarray, lon: np.ndarray, buffer_m: float):
    """Buffer in metres (British National Grid), then back to WGS84."""
    x, y = _TO_BNG.transform(lon, lat)
    hull = shapely.MultiPoint(np.column_stack([x, y])).convex_hull.buffer(buffer_m)
    return shapely.transform(hull, lambda xy: np.column_stack(_FROM_BNG.transform(xy[:, 0], xy[:, 1])))


def to_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    return hexes.cells_for(lat, lon, resolution)
