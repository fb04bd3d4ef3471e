"""Synthetic district outlines for the demo: made-up shapes, drawn from the demo's own towns.

Without boundaries the demo map was hexagons on a blank grey square whenever the base map was
off (as it must be on a machine without the internet): nothing said where Fenland ends and
Peterborough begins. The real ONS boundaries may not be copied into the repo, so the demo draws
its own: each district is the land nearer to one of its towns than to any other district's town
(a Voronoi diagram of the town centres in places.toml, merged by district), inside a band of
`outline_margin_km` around the towns. The shapes are schematic, never the real borders; every
demo postcode lies inside its own district's outline, which `tests/test_demo_outlines.py` checks.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, Point, mapping
from shapely.ops import unary_union

KM_PER_DEGREE_LAT = 110.57


def district_outlines(towns: dict[str, dict], names: dict[str, str], margin_km: float) -> dict[str, shapely.Geometry]:
    """{district code: polygon in WGS84 (lon, lat)} from towns {name: {"centre": [lat, lon], "lad": code}}."""
    mid_lat = sum(t["centre"][0] for t in towns.values()) / len(towns)
    x_km = KM_PER_DEGREE_LAT * math.cos(math.radians(mid_lat))   # a local flat projection is plenty at county size

    def to_km(lat: float, lon: float) -> Point:
        return Point(lon * x_km, lat * KM_PER_DEGREE_LAT)

    centres = {name: to_km(*t["centre"]) for name, t in towns.items()}
    land = MultiPoint(list(centres.values())).convex_hull.buffer(margin_km, quad_segs=4)
    cells = shapely.voronoi_polygons(MultiPoint(list(centres.values())), extend_to=land)
    by_code: dict[str, list] = {code: [] for code in names}
    for cell in shapely.get_parts(cells):
        town = next(n for n, c in centres.items() if cell.contains(c))
        by_code[towns[town]["lad"]].append(cell)
    outlines = {}
    for code, parts in by_code.items():
        if not parts:
            continue
        shape = unary_union(parts).intersection(land)
        outlines[code] = shapely.transform(shape, lambda xy: xy / [x_km, KM_PER_DEGREE_LAT])
    return outlines


def write_geojson(outlines: dict[str, shapely.Geometry], names: dict[str, str], path: Path) -> Path:
    """A GeoJSON the boundaries loader reads like the ONS file (LAD24CD, LAD24NM), coordinates to ~1 m."""
    features = [{"type": "Feature",
                 "properties": {"LAD24CD": code, "LAD24NM": names[code]},
                 "geometry": mapping(shapely.set_precision(shape, 1e-5))}
                for code, shape in sorted(outlines.items())]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path
