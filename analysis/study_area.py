"""The study area: every H3 cell that overlaps the districts in view (all six, or those the filter chose).

Gi* compares each neighbourhood with the whole area, so empty cells matter as much as busy
ones: the area is fixed by geography (the district boundaries) rather than by where reports
happen to be. It follows the district filter: with one district chosen, the other five hold no
report of the view, and counting their cells as empty would lower the area's mean and raise
every z-score in the chosen one. Without boundaries, the convex hull of the reports' cells (so
of every report in them), buffered by a margin, stands in.
"""
from __future__ import annotations

import hashlib
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

_cell_latlng, _cell_boundary = h3.api.basic_int.cell_to_latlng, h3.api.basic_int.cell_to_boundary
_cell_resolution = h3.api.basic_int.get_resolution

_TO_BNG = Transformer.from_crs(4326, 27700, always_xy=True)
_FROM_BNG = Transformer.from_crs(27700, 4326, always_xy=True)


def in_view(districts: tuple[str, ...] = ()) -> list[str]:
    """The force's district codes a filter's `districts` chose (all six when it chose none). A code
    from outside the force area has no place in the study area."""
    area = vocab.area_districts()
    return [c for c in area if c in districts] if districts else list(area)


def district_shapes(con: duckdb.DuckDBPyConnection, districts: tuple[str, ...] = ()) -> list:
    rows = con.execute("""
        SELECT ST_AsGeoJSON(geometry) FROM boundaries
        WHERE level = 'district' AND list_contains(?, code)
    """, [in_view(districts)]).fetchall()
    return [shape(json.loads(r[0])) for r in rows]


def districts_identity(con: duckdb.DuckDBPyConnection, districts: tuple[str, ...] = ()) -> tuple:
    """Which boundaries of the districts in view (`districts`, a filter's; empty for all) are loaded (code,
    name, load, size of the shape): a new load changes it. Empty when the area is not drawn from boundaries.
    A caller that also draws the area passes it on to `study_area_cells`, which would otherwise ask again."""
    return tuple(con.execute("""
        SELECT code, name, load_id, ST_NPoints(geometry), ST_Area(geometry) FROM boundaries
        WHERE level = 'district' AND list_contains(?, code) ORDER BY code
    """, [in_view(districts)]).fetchall())


_AREA_CACHE: dict[tuple, object] = {}   # what an area is drawn from → its sorted cells (or facts of them); small


def _cells_of(area, resolution: int) -> np.ndarray:
    cells = set()
    for polygon in getattr(area, "geoms", [area]):
        cells |= set(h3.h3shape_to_cells_experimental(h3.geo_to_h3shape(mapping(polygon)), resolution,
                                                      contain="overlap"))
    return np.array(sorted(cells), dtype=object)


def _remembered(key: tuple, draw):
    """The area for `key` (an array, or a tuple of arrays), drawn once: the map, the visit list and every
    rerun with the same filters ask for the same area, and drawing it (hull, buffer, polyfill) costs more
    than the query behind it. Callers get copies, free to change."""
    if key not in _AREA_CACHE:
        if len(_AREA_CACHE) >= 16:
            _AREA_CACHE.clear()
        _AREA_CACHE[key] = draw()
    got = _AREA_CACHE[key]
    return tuple(a.copy() for a in got) if isinstance(got, tuple) else got.copy()


def ints_and_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An area's cells (h3 strings, sorted) as UBIGINTs, ascending like the strings, and their centres
    (lat, lon). One h3 call per cell in Python is 15-20 ms for a national area, on every map and visit
    list, so they are remembered with the area, by its cells."""
    def draw():
        ints = np.array(hexes.to_ints(cells), dtype=np.uint64)
        return ints, np.array([_cell_latlng(int(c)) for c in ints], dtype=float).reshape(-1, 2)
    return _remembered(("centres", hashlib.blake2b("\n".join(cells).encode(), digest_size=16).digest()), draw)


def study_area_cells(con: duckdb.DuckDBPyConnection, resolution: int, report_cells: np.ndarray,
                     buffer_m: float = 2000, districts: tuple[str, ...] = (),
                     identity: tuple | None = None) -> tuple[np.ndarray, str]:
    """Sorted cell ids, and how the area was drawn (said on the map and in exports).

    With boundaries for the districts in view (`districts`, the filter's; empty for all six) the area
    is the cells overlapping them, and depends only on them: it is computed once per set of
    boundaries and resolution (cached by their identity); `report_cells` is then not used. Without
    them it is the hull of `report_cells` (UBIGINT cells of one resolution, any, holding the reports,
    which a caller has from its GROUP BY) plus `buffer_m`: that hull contains every report, and is
    drawn from a few thousand cell corners rather than from every distinct report position. It is
    cached by the set of cells itself, so it is the same area whenever the cells are the same.
    """
    identity = districts_identity(con, districts) if identity is None else identity
    if identity:
        cells = _remembered(("districts", identity, int(resolution)),
                            lambda: _cells_of(shapely.union_all(district_shapes(con, districts)), int(resolution)))
        return cells, _boundaries_note(identity, districts)
    report_cells = np.unique(np.asarray(report_cells, dtype=np.uint64))
    if not len(report_cells):
        return np.array([], dtype=object), "no boundaries and no geocoded reports"
    key = ("hull", hashlib.blake2b(report_cells.tobytes(), digest_size=16).digest(), len(report_cells),
           int(resolution), float(buffer_m))
    cells = _remembered(key, lambda: _cells_of(_buffered_hull(*hull_corners(report_cells), buffer_m), resolution))
    return cells, (f"the extent of the reports' hexagons plus {buffer_m / 1000:g} km "
                   "(no boundaries loaded)")


def _boundaries_note(identity: tuple, districts: tuple[str, ...]) -> str:
    if not districts:
        return "the loaded district boundaries"
    names = ", ".join(name or code for code, name, *_ in identity)
    return f"the loaded boundaries of the districts chosen: {names}"


def hull_corners(cells: np.ndarray, every_below: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Corners (lat, lon) of the cells whose corners can lie on the convex hull of all the cells' corners.

    Every cell's centre lies inside the hull of the corners, and every corner lies within a
    circumradius of its centre; so only a cell whose centre is within that distance of the hull of
    the centres can add a corner to the hull. The test is made in degrees, with three times the
    circumradius as the margin (for the stretch of a degree of longitude and the projection's
    curvature). Below `every_below` cells all corners are taken.
    """
    cells = np.unique(np.asarray(cells, dtype=np.uint64))
    if len(cells) > every_below:
        centres = np.array([_cell_latlng(int(c)) for c in cells])
        hull = shapely.MultiPoint(centres[:, ::-1]).convex_hull
        if hull.geom_type == "Polygon":
            radius_km = h3.average_hexagon_edge_length(_cell_resolution(int(cells[0])), "km")
            margin = 3 * radius_km / (111.0 * np.cos(np.radians(np.abs(centres[:, 0]).max())))
            near = shapely.distance(hull.exterior, shapely.points(centres[:, ::-1])) <= margin
            cells = cells[near]
    corners = np.array([p for c in cells for p in _cell_boundary(int(c))], dtype=float).reshape(-1, 2)
    return corners[:, 0], corners[:, 1]


def _buffered_hull(lat: np.ndarray, lon: np.ndarray, buffer_m: float):
    """Buffer in metres (British National Grid), then back to WGS84.

    The hull of many points is the hull of its vertices: qhull finds those cheaply, and GEOS then
    draws the hull from them alone (the same polygon it would draw from every point).
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

