"""Boundary polygons: districts (LADs), LSOAs or MSOAs, from GeoJSON, GeoPackage, Shapefile or a zipped Shapefile.

The level is told by the field names ONS uses (LAD24CD/LAD24NM, LSOA11CD, MSOA21CD, any year)
or, for plain `code`/`name` fields, by the codes themselves (E06/E07… district, E01 LSOA,
E02 MSOA). Geometry is reprojected to WGS84; invalid polygons are repaired; features far
from the force area are skipped, so a national file does not fill the warehouse.

A load is a snapshot of its level: it replaces every stored boundary of that level, and the
stored reports, licences and cases are then re-geocoded against the new polygons. Two kinds are kept
as they were: a boundary whose feature the file has but broken, and one of the force area's six
districts the file lacks (`_kept_codes`).
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from etl import vocab
from etl.errors import FileProblem
from etl.reading.headers import read_mapping
from etl.loaders.postcodes import regeocode_note
from etl.summary import LoadSummary

LEVELS = ("district", "lsoa", "msoa")
# ONS field names: the level, and the prefix of its code and name fields (LAD24CD, LAD24NM).
FIELD_PREFIXES = (("lsoa", "lsoa"), ("msoa", "msoa"), ("district", "lad"))
# GSS code prefixes for plain `code` fields.
CODE_PREFIXES = {
    "district": ("E06", "E07", "E08", "E09", "W06", "S12", "N09"),
    "lsoa": ("E01", "W01"),
    "msoa": ("E02", "W02"),
}
SPATIAL_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml", ".tab", ".mif")
POLYGONAL = {"Polygon", "MultiPolygon"}
LEVEL_NAMES = {"district": "district", "lsoa": "LSOA", "msoa": "MSOA"}
# The load's note that names its level; the Data page reads the level back from it (a load's rows may all be gone).
LEVEL_NOTE = "read as {level} boundaries"
LEVEL_NOTE_PATTERN = r"read as (\w+) boundaries"
AREA = vocab.load("area")["name"]   # the force area, as the messages name it
BNG_BOUNDS = (0, 0, 700_000, 1_300_000)


@dataclass
class Fields:
    level: str | None            # None: decided from the code values
    code: str
    name: str | None
    how: str                     # for the summary: 'LSOA11CD / LSOA11NM', ...


def load(con: duckdb.DuckDBPyConnection, path: Path, summary: LoadSummary, *, mapping=None, sheet=None,
         progress=None) -> None:
    """Replace the stored boundaries of the file's level, for `etl.loading.load_file`, inside its transaction.

    A file that can't be read, has no polygons, or has none near the force area raises FileProblem, and
    nothing is replaced. A broken feature goes to `rejects` and keeps its stored boundary, as does a force-area
    district the file lacks: a map never loses a district to a bad file. Stored rows are re-geocoded
    against the new polygons; `summary` says what was read, skipped, repaired and kept."""
    import pyogrio

    source, layer = _open(path, sheet)
    try:
        info = pyogrio.read_info(source, layer=layer)
    except Exception as exc:  # pyogrio raises several kinds for broken files
        raise FileProblem(path, f"the file can't be read as a spatial file ({_gdal_message(exc, path)})")
    fields = _fields(path, list(info["fields"]), _read_mapping(mapping) if mapping else None)
    columns = [fields.code] + ([fields.name] if fields.name else [])
    try:
        gdf = pyogrio.read_dataframe(source, layer=layer, columns=columns, force_2d=True, on_invalid="ignore")
    except Exception as exc:
        raise FileProblem(path, f"the file can't be read ({_gdal_message(exc, path)})")
    summary.rows_read = len(gdf)
    if progress:
        progress(summary.rows_read)
    if len(gdf) == 0:
        raise FileProblem(path, "the file has no features")
    if "geometry" not in gdf or gdf.geometry is None:
        raise FileProblem(path, "the file has no geometry column: boundaries must be polygons")

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    codes = [_text(v) for v in gdf[fields.code]]
    names = [_text(v) for v in gdf[fields.name]] if fields.name else [None] * len(gdf)
    level = fields.level or _level_from_codes(path, fields, codes)
    summary.warnings.append(f"{LEVEL_NOTE.format(level=LEVEL_NAMES[level])} ({fields.how})")
    rejects: dict[int, str] = {}
    _check_geometry_types(path, geoms, rejects)
    geoms = _to_wgs84(path, gdf, geoms, rejects, summary)
    keep = _near_area(geoms, rejects)
    for i in keep:
        if codes[i] is None:
            rejects[i] = f"the {fields.code} field (the boundary's code) is blank"
    geoms = _repair(geoms, [i for i in keep if i not in rejects], rejects, summary)
    box = _area_box()
    keep = [i for i in keep if i not in rejects and shapely.intersects(geoms[i], box)]
    skipped = len(gdf) - len(rejects) - len(keep)
    if skipped:
        summary.warnings.append(f"{skipped:,} feature(s) away from {AREA} (more than "
                                f"{_buffer()}° beyond the area) not loaded")
    _record_rejects(con, summary, gdf, fields, rejects)
    if not keep:
        raise FileProblem(path, f"none of the {len(gdf):,} features is in or near {AREA}"
                                + (f" ({len(rejects):,} rejected)" if rejects else "")
                                + (_swapped_axes(geoms, box) or "; is this the right file, and is its coordinate "
                                                                "system right?"))
    rows = _collapse(keep, codes, names, geoms, summary)
    incoming = {code for code, _, _ in rows}
    held = _kept_codes(level, incoming, {codes[i] for i in rejects if codes[i]})
    _replace(con, summary, level, rows, held)
    if level == "district":
        _check_six_districts(con, summary, incoming)
    summary.warnings.extend(regeocode_note(con))


def _swapped_axes(geoms, box) -> str | None:
    """Why no feature is in the area when the file wrote latitude before longitude (GeoJSON is longitude first,
    and a hand-made or converted file often is not): read the other way round, its features lie in the area."""
    shapes = [g for g in geoms if g is not None and not shapely.is_empty(g)]
    if not shapes:
        return None
    swapped = shapely.transform(np.asarray(shapes, dtype=object), lambda xy: xy[:, ::-1])
    inside = int(np.count_nonzero(shapely.intersects(swapped, box)))
    if not inside:
        return None
    return (f"; its coordinates look swapped: read latitude first, {inside:,} of them lie in the area. Write each "
            "position longitude first, as GeoJSON requires (or swap the columns in the GIS that wrote it), and load "
            "it again")


# --- reading -----------------------------------------------------------------------------------

def _open(path: Path, layer: str | None) -> tuple[str, str | None]:
    """The GDAL path and layer: zip members are opened in place, GeoPackage layers chosen."""
    import pyogrio

    source = str(path.resolve())
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF"):
        raise FileProblem(path, "this is a PDF document, not a boundary file: use GeoJSON, GeoPackage or a "
                                "(zipped) Shapefile")
    if head.startswith(b"PK") and not zipfile.is_zipfile(path):
        raise FileProblem(path, "the zip file is damaged or truncated")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(SPATIAL_SUFFIXES)
                           and not n.startswith("__MACOSX/")]
        except zipfile.BadZipFile:
            raise FileProblem(path, "the zip file is damaged or truncated")
        if not members:
            if any(n.startswith("xl/") for n in _zip_names(path)):
                raise FileProblem(path, "this is an Excel workbook, not a boundary file: use GeoJSON, GeoPackage "
                                        "or a (zipped) Shapefile")
            raise FileProblem(path, "the zip file holds no Shapefile (.shp), GeoPackage or GeoJSON")
        if layer:
            chosen = [m for m in members if Path(m).stem == layer or m == layer]
            if not chosen:
                raise FileProblem(path, f"no {layer!r} in the zip; it holds {', '.join(members)}")
            members = chosen
        if len(members) > 1:
            raise FileProblem(path, f"the zip holds several boundary files ({', '.join(members)}); "
                                    f"choose one with --sheet NAME")
        return f"/vsizip/{source}/{members[0]}", None
    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:
        raise FileProblem(path, "this is not a spatial file GDAL can read (use GeoJSON, GeoPackage or a "
                                f"(zipped) Shapefile): {_gdal_message(exc, path)}")
    if len(layers) == 0:
        raise FileProblem(path, "the file has no layers")
    if layer:
        if layer not in [str(name) for name, _ in layers]:
            raise FileProblem(path, f"no layer {layer!r}; layers are {', '.join(str(n) for n, _ in layers)}")
        return source, layer
    with_geometry = [(str(name), kind) for name, kind in layers if kind]
    if not with_geometry:
        raise FileProblem(path, "the file has no geometry (is it a table rather than a boundary file?): "
                                "boundaries must be polygons in GeoJSON, GeoPackage or a Shapefile")
    if len(with_geometry) > 1:
        polygon_layers = [n for n, kind in with_geometry if "polygon" in str(kind).lower()]
        if len(polygon_layers) != 1:
            raise FileProblem(path, f"the file has several layers ({', '.join(n for n, _ in with_geometry)}); "
                                    f"choose one with --sheet NAME")
        return source, polygon_layers[0]        # e.g. a GeoPackage with a points layer beside the polygons
    return source, with_geometry[0][0]


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def _gdal_message(exc: Exception, path: Path | None = None) -> str:
    """GDAL's message, without its driver hint and with the file's name rather than its full path."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    text = text.split("; It might help")[0].rstrip(".")
    text = re.sub(r"/vsizip/\S*/", "", text)
    if path is not None:
        text = text.replace(str(path.resolve()), path.name).replace(str(path), path.name)
    return text[:300]


def _read_mapping(path: Path) -> dict[str, str]:
    """`--mapping FILE` for boundaries: code = "FIELD", name = "FIELD", level = "district|lsoa|msoa"."""
    data = read_mapping(path, ("code", "name", "level"), "boundaries")
    if data.get("level") and data["level"] not in LEVELS:
        raise FileProblem(path, f"level must be one of {', '.join(LEVELS)}, not {data['level']!r}")
    return data


def _fields(path: Path, names: list[str], mapping: dict[str, str] | None) -> Fields:
    """The level and the code and name fields, from ONS field names (any year) or code/name."""
    def find(pattern: str) -> list[str]:
        found = [n for n in names if re.fullmatch(pattern, n, re.IGNORECASE)]
        return sorted(found, key=lambda n: -int(re.sub(r"\D", "", n) or 0))   # newest year first

    if mapping:
        missing = [mapping[k] for k in ("code", "name") if k in mapping and mapping[k] not in names]
        if missing:
            raise FileProblem(path, f"--mapping names field(s) the file doesn't have: {', '.join(missing)}; "
                                    f"fields are: {_show(names)}")
        if "code" in mapping:
            return Fields(mapping.get("level"), mapping["code"], mapping.get("name"),
                          f"{mapping['code']} / {mapping.get('name') or 'no name'}, from --mapping")
    for level, prefix in FIELD_PREFIXES:
        codes = find(rf"{prefix}\d{{2}}cd")
        if codes:
            year = re.sub(r"\D", "", codes[0])
            name = next(iter(find(rf"{prefix}{year}nm")), None) or next(iter(find(rf"{prefix}\d{{2}}nm")), None)
            if mapping and mapping.get("name"):
                name = mapping["name"]
            return Fields(mapping.get("level", level) if mapping else level, codes[0], name,
                          f"{codes[0]} / {name or 'no name field'}")
    code = next(iter(find("code")), None)
    if code:
        name = (mapping or {}).get("name") or next(iter(find("name")), None)
        return Fields((mapping or {}).get("level"), code, name, f"{code} / {name or 'no name field'}")
    raise FileProblem(path, "can't tell which boundaries these are: no LADyyCD, LSOAyyCD, MSOAyyCD or code "
                            f"field. Fields found: {_show(names)}. Pass --mapping FILE with code = \"FIELD\" "
                            f"(and name, level)")


def _show(names: list[str]) -> str:
    shown = names[:25]
    return (", ".join(repr(n) for n in shown) or "(none)") + (f" and {len(names) - 25} more" if len(names) > 25 else "")


def _text(value) -> str | None:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _level_from_codes(path: Path, fields: Fields, codes: list[str | None]) -> str:
    """Plain `code` fields: E06/E07… are districts, E01 LSOAs, E02 MSOAs."""
    counts = {level: sum(1 for c in codes if c and c.upper().startswith(prefixes))
              for level, prefixes in CODE_PREFIXES.items()}
    present = {level: n for level, n in counts.items() if n}
    example = next((c for c in codes if c), None)
    if not present:
        raise FileProblem(path, f"the {fields.code} values (e.g. {example!r}) are not district (E06/E07/E08/E09/"
                                f"W06), LSOA (E01) or MSOA (E02) codes; pass --mapping FILE with level = \"...\"")
    if len(present) > 1:
        listed = ", ".join(f"{n:,} {level}" for level, n in present.items())
        raise FileProblem(path, f"the {fields.code} values mix levels ({listed}); load one level per file")
    return next(iter(present))


# --- geometry ----------------------------------------------------------------------------------

def _check_geometry_types(path: Path, geoms: np.ndarray, rejects: dict[int, str]) -> None:
    """Missing or empty geometry rejects the feature; points or lines reject the file."""
    others: dict[str, int] = {}
    for i, g in enumerate(geoms):
        if g is None:
            rejects[i] = "the feature has no (readable) geometry"
        elif g.is_empty:
            rejects[i] = "the feature's geometry is empty"
        elif g.geom_type not in POLYGONAL and g.geom_type != "GeometryCollection":
            others[g.geom_type] = others.get(g.geom_type, 0) + 1
    if others:
        listed = ", ".join(f"{n:,} {kind}" for kind, n in sorted(others.items()))
        raise FileProblem(path, f"boundaries must be polygons, but the file has {listed} feature(s)")


def _to_wgs84(path: Path, gdf, geoms: np.ndarray, rejects: dict[int, str], summary: LoadSummary) -> np.ndarray:
    """Reproject to EPSG:4326; a file without a CRS (or a wrong one) is judged by its coordinates."""
    from pyproj import CRS

    ok = [i for i in range(len(geoms)) if i not in rejects]
    if not ok:
        return geoms
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[ok])
    lon_lat = -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    bng = BNG_BOUNDS[0] <= minx and maxx <= BNG_BOUNDS[2] and BNG_BOUNDS[1] <= miny and maxy <= BNG_BOUNDS[3]
    crs = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    extent = f"x {minx:,.6g}..{maxx:,.6g}, y {miny:,.6g}..{maxy:,.6g}"
    if crs is None or (crs.is_geographic and not lon_lat):
        if lon_lat:
            crs = CRS.from_epsg(4326)
        elif bng:
            crs = CRS.from_epsg(27700)
        else:
            raise FileProblem(path, f"the file has no usable coordinate system and its coordinates ({extent}) are "
                                    f"neither longitude/latitude nor British National Grid; save it as EPSG:4326 "
                                    f"or EPSG:27700")
        said = "has no coordinate system" if gdf.crs is None else f"says {gdf.crs.name} but its coordinates don't fit"
        summary.warnings.append(f"the file {said}; its coordinates ({extent}) look like "
                                f"{'longitude/latitude: read as EPSG:4326' if crs.is_geographic else 'British National Grid: read as EPSG:27700'}")
    if crs.equals(CRS.from_epsg(4326)) or crs.equals(CRS.from_string("OGC:CRS84")):
        return geoms
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    out = geoms.copy()
    out[ok] = shapely.transform(geoms[ok], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return out


def _area_box():
    bbox = vocab.load("area")["bbox"]
    b = _buffer()
    return shapely.box(bbox["min_lon"] - b, bbox["min_lat"] - b, bbox["max_lon"] + b, bbox["max_lat"] + b)


def _buffer() -> float:
    return float(vocab.load("area")["boundary_filter"]["buffer_degrees"])


def _near_area(geoms: np.ndarray, rejects: dict[int, str]) -> list[int]:
    """Features whose envelope reaches the buffered area box (cheap: no geometry operations)."""
    box = _area_box().bounds
    kept = []
    for i, g in enumerate(geoms):
        if i in rejects:
            continue
        minx, miny, maxx, maxy = g.bounds
        if maxx >= box[0] and minx <= box[2] and maxy >= box[1] and miny <= box[3]:
            kept.append(i)
    return kept


def _repair(geoms: np.ndarray, keep: list[int], rejects: dict[int, str], summary: LoadSummary) -> np.ndarray:
    """make_valid the invalid ones (self-intersections, bowties), keeping only their polygonal parts."""
    out = geoms.copy()
    repaired = 0
    for i in keep:
        g = geoms[i]
        if g.geom_type == "GeometryCollection" or not g.is_valid:
            reason = shapely.is_valid_reason(g)
            fixed = _polygonal(shapely.make_valid(g)) if not g.is_valid else _polygonal(g)
            if fixed is None or fixed.is_empty or not fixed.is_valid:
                rejects[i] = f"the polygon is invalid ({reason}) and could not be repaired"
                continue
            out[i] = fixed
            repaired += not g.is_valid
    if repaired:
        summary.warnings.append(f"{repaired:,} invalid polygon(s) (e.g. self-intersecting) repaired with make_valid")
    return out


def _polygonal(g):
    """The polygons in a geometry (make_valid can return lines and points alongside them)."""
    if g is None or g.is_empty:
        return None
    if g.geom_type in POLYGONAL:
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in POLYGONAL]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _collapse(keep: list[int], codes: list, names: list, geoms: np.ndarray, summary: LoadSummary) -> list[tuple]:
    """One row per code: features sharing a code (a district split in parts) are unioned."""
    groups: dict[str, list[int]] = {}
    for i in keep:
        groups.setdefault(codes[i], []).append(i)
    rows = []
    merged = 0
    for code, members in groups.items():
        if len(members) == 1:
            geom = geoms[members[0]]
        else:
            merged += len(members) - 1
            geom = _polygonal(shapely.union_all([geoms[i] for i in members])) or geoms[members[-1]]
        name = next((names[i] for i in reversed(members) if names[i]), None)
        rows.append((code, name, geom))
    if merged:
        summary.rows_collapsed = merged
        summary.warnings.append(f"{merged:,} feature(s) shared a code with another and were merged into one boundary")
    return rows


# --- storing -----------------------------------------------------------------------------------

def _record_rejects(con: duckdb.DuckDBPyConnection, summary: LoadSummary, gdf, fields: Fields,
                    rejects: dict[int, str]) -> None:
    if not rejects:
        return
    props = [c for c in (fields.code, fields.name) if c]
    rows = []
    for i, reason in sorted(rejects.items()):
        raw = {c: _text(gdf[c].iloc[i]) for c in props}
        g = gdf.geometry.iloc[i]
        raw["geometry"] = None if g is None else g.geom_type
        rows.append((summary.load_id, i + 1, reason, json.dumps(raw)))
    con.executemany("INSERT INTO rejects (load_id, row_number, reason, raw) VALUES (?, ?, ?, ?)", rows)
    summary.rows_rejected = len(rows)
    summary.warnings.append("rejected rows are numbered by feature, in file order (the first feature is 1)")


def _kept_codes(level: str, incoming: set[str], rejected: set[str]) -> set[str]:
    """The stored boundaries a load must not remove although the file does not bring them: those whose feature
    the file has but broken (a null or unreadable geometry), and at district level the force area's own
    districts the file lacks. Removing them flagged every report there "outside the area"; a file with one
    district, or with Fenland's polygon broken, would otherwise wipe the map."""
    held = set(rejected)
    if level == "district":
        held |= set(vocab.area_districts())
    return held - incoming


def _replace(con: duckdb.DuckDBPyConnection, summary: LoadSummary, level: str, rows: list[tuple],
             held: set[str]) -> None:
    """Snapshot: this file's boundaries replace every stored boundary of its level, except the `held` ones
    (`_kept_codes`), which stay as they were."""
    table = pa.table({
        "code": pa.array([r[0] for r in rows], pa.string()),
        "name": pa.array([r[1] for r in rows], pa.string()),
        "wkb": pa.array([shapely.to_wkb(r[2]) for r in rows], pa.binary()),
    })
    con.register("bnd_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE bnd_incoming AS "
                    "SELECT code, name, ST_GeomFromWKB(wkb) AS geometry FROM bnd_arrow")
    finally:
        con.unregister("bnd_arrow")
    counts = dict(con.execute("""
        SELECT CASE WHEN b.code IS NULL THEN 'new' WHEN i.code IS NULL THEN 'removed'
                    WHEN b.name IS NOT DISTINCT FROM i.name AND ST_AsWKB(b.geometry) = ST_AsWKB(i.geometry)
                    THEN 'unchanged' ELSE 'updated' END AS action, count(*)
        FROM bnd_incoming i FULL OUTER JOIN (SELECT * FROM boundaries WHERE level = ? AND NOT list_contains(?, code)) b
             ON b.code = i.code
        GROUP BY 1
    """, [level, sorted(held)]).fetchall())
    kept = [r[0] for r in con.execute("SELECT coalesce(name, code) FROM boundaries WHERE level = ? "
                                      "AND list_contains(?, code) ORDER BY code", [level, sorted(held)]).fetchall()]
    replaced = con.execute("SELECT count(*) FROM boundaries WHERE level = ? AND NOT list_contains(?, code)",
                           [level, sorted(held)]).fetchone()[0]
    summary.rows_loaded = counts.get("new", 0)
    summary.rows_updated = counts.get("updated", 0)
    summary.rows_unchanged = counts.get("unchanged", 0)
    con.execute("DELETE FROM boundaries WHERE level = ? AND NOT list_contains(?, code)", [level, sorted(held)])
    con.execute("""
        INSERT INTO boundaries (level, code, name, geometry, source, load_id)
        SELECT ?, code, name, geometry, ?, ? FROM bnd_incoming
    """, [level, summary.source, summary.load_id])
    con.execute("DROP TABLE bnd_incoming")
    stored = len(rows)
    if replaced:
        removed = counts.get("removed", 0)
        summary.warnings.append(f"{stored:,} {LEVEL_NAMES[level]} boundaries stored, replacing the {replaced:,} "
                                f"loaded before"
                                + (f"; {removed:,} of those are not in this file and are gone" if removed else ""))
    else:
        summary.warnings.append(f"{stored:,} {LEVEL_NAMES[level]} boundaries stored")
    if kept:
        summary.warnings.append(f"kept the {LEVEL_NAMES[level]} boundar{'y' if len(kept) == 1 else 'ies'} loaded "
                                f"before for {', '.join(kept)}: this file does not bring a usable one")


def _check_six_districts(con: duckdb.DuckDBPyConnection, summary: LoadSummary, codes: set[str]) -> None:
    stored = {r[0] for r in con.execute("SELECT code FROM boundaries WHERE level = 'district'").fetchall()}
    missing = {c: n for c, n in vocab.area_districts().items() if c not in codes and c not in stored}
    if missing:
        listed = ", ".join(f"{c} ({n})" for c, n in missing.items())
        summary.warnings.append(f"the file lacks {len(missing)} of the six districts: {listed}. Points there will be "
                                f"flagged outside_area (outside the six districts) until a file with them is loaded")
