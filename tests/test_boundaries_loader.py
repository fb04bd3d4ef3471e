"""Boundary files: formats, coordinate systems, level detection, repairs, rejects, the area filter,
snapshot replacement, and re-geocoding stored rows once boundaries arrive."""
from __future__ import annotations

import json
import zipfile

import duckdb
import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from etl.errors import FileProblem
from etl.loading import load_file
from etl.warehouse import load_spatial
from tests.helpers import query, scalar, write_text

WISBECH = (0.16, 52.665)           # Fenland, E07000010
CAMBRIDGE = (0.12, 52.205)         # Cambridge, E07000008
WISBECH_BNG = (546_300, 309_400)
CAMBRIDGE_BNG = (545_500, 258_000)
LEEDS = (-1.55, 53.80)             # far outside the area


def square(x: float, y: float, half: float = 0.02):
    return box(x - half, y - half, x + half, y + half)


def write_geo(path, rows: list[dict], crs="EPSG:4326", driver=None):
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    gdf.to_file(path, driver=driver)
    return path


def geo_query(db, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        load_spatial(con)
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


TWO_DISTRICTS = [
    {"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": square(*WISBECH)},
    {"LAD24CD": "E07000008", "LAD24NM": "Cambridge", "geometry": square(*CAMBRIDGE)},
]


def test_geojson_districts_in_wgs84(tmp_path, db):
    f = write_geo(tmp_path / "lad.geojson", TWO_DISTRICTS)
    s = load_file("boundaries", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert any("district boundaries (LAD24CD / LAD24NM)" in w for w in s.warnings)
    rows = geo_query(db, "SELECT level, code, name, ST_Contains(geometry, ST_Point(?, ?)) FROM boundaries "
                         "ORDER BY code", list(WISBECH))
    assert rows == [("district", "E07000008", "Cambridge", False), ("district", "E07000010", "Fenland", True)]


def test_any_year_and_case_of_ons_field_names(tmp_path, db):
    f = write_geo(tmp_path / "lad11.geojson", [{"lad11cd": "E07000010", "lad11nm": "Fenland", "geometry": square(*WISBECH)}])
    load_file("boundaries", f, db=db)
    assert query(db, "SELECT level, code, name FROM boundaries") == [("district", "E07000010", "Fenland")]


def test_geopackage_lsoas_in_british_national_grid_are_reprojected(tmp_path, db):
    rows = [{"LSOA21CD": "E01018100", "LSOA21NM": "Fenland 005A", "geometry": square(*WISBECH_BNG, half=1000)}]
    f = write_geo(tmp_path / "lsoa.gpkg", rows, crs="EPSG:27700", driver="GPKG")
    s = load_file("boundaries", f, db=db)
    assert s.rows_loaded == 1
    ((level, code, x, y),) = geo_query(db, "SELECT level, code, ST_X(ST_Centroid(geometry)), "
                                           "ST_Y(ST_Centroid(geometry)) FROM boundaries")
    assert (level, code) == ("lsoa", "E01018100")
    assert x == pytest.approx(0.16, abs=0.01) and y == pytest.approx(52.665, abs=0.01)


def test_geojson_in_british_national_grid(tmp_path, db):
    rows = [{"MSOA11CD": "E02003719", "MSOA11NM": "Cambridge 001", "geometry": square(*CAMBRIDGE_BNG, half=1000)}]
    f = write_geo(tmp_path / "msoa27700.geojson", rows, crs="EPSG:27700")
    load_file("boundaries", f, db=db)
    ((level, y),) = geo_query(db, "SELECT level, ST_Y(ST_Centroid(geometry)) FROM boundaries")
    assert level == "msoa" and y == pytest.approx(52.20, abs=0.02)


def test_zipped_shapefile(tmp_path, db):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_geo(folder / "msoa.shp", [{"MSOA11CD": "E02003719", "MSOA11NM": "Cambridge 001",
                                     "geometry": square(*CAMBRIDGE)}])
    archive = tmp_path / "msoa.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"MSOA_2011/{part.name}")       # in a folder, as downloads often are
    s = load_file("boundaries", archive, db=db)
    assert s.rows_loaded == 1
    assert query(db, "SELECT level, code, name FROM boundaries") == [("msoa", "E02003719", "Cambridge 001")]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_plain_shapefile_without_crs_is_guessed_from_coordinates(tmp_path, db):
    write_geo(tmp_path / "nocrs.shp", [{"code": "E07000010", "name": "Fenland",
                                        "geometry": square(*WISBECH_BNG, half=1000)}], crs=None)
    assert not (tmp_path / "nocrs.prj").exists()
    s = load_file("boundaries", tmp_path / "nocrs.shp", db=db)
    assert any("no coordinate system" in w and "British National Grid" in w for w in s.warnings)
    assert geo_query(db, "SELECT ST_Contains(geometry, ST_Point(?, ?)) FROM boundaries", list(WISBECH)) == [(True,)]


def test_plain_code_field_with_lsoa_codes_is_lsoa_level(tmp_path, db):
    f = write_geo(tmp_path / "areas.geojson", [{"code": "E01018100", "name": "Fenland 005A", "geometry": square(*WISBECH)}])
    load_file("boundaries", f, db=db)
    assert query(db, "SELECT level, code FROM boundaries") == [("lsoa", "E01018100")]


def test_plain_code_field_with_msoa_codes_is_msoa_level(tmp_path, db):
    f = write_geo(tmp_path / "areas.geojson", [{"code": "E02003719", "geometry": square(*CAMBRIDGE)}])
    load_file("boundaries", f, db=db)
    assert query(db, "SELECT level, code, name FROM boundaries") == [("msoa", "E02003719", None)]


def test_codes_of_mixed_levels_are_refused(tmp_path, db):
    f = write_geo(tmp_path / "mixed.geojson", [{"code": "E01018100", "geometry": square(*WISBECH)},
                                               {"code": "E07000008", "geometry": square(*CAMBRIDGE)}])
    with pytest.raises(FileProblem, match="mix levels"):
        load_file("boundaries", f, db=db)


def test_self_intersecting_bowtie_is_repaired_with_a_warning(tmp_path, db):
    x, y = WISBECH
    bowtie = Polygon([(x - 0.02, y - 0.02), (x + 0.02, y + 0.02), (x + 0.02, y - 0.02), (x - 0.02, y + 0.02)])
    assert not bowtie.is_valid
    f = write_geo(tmp_path / "bowtie.geojson", [{"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": bowtie}])
    s = load_file("boundaries", f, db=db)
    assert s.rows_loaded == 1
    assert any(w.startswith("1 invalid polygon(s)") for w in s.warnings)
    ((valid, kind, area),) = geo_query(db, "SELECT ST_IsValid(geometry), ST_GeometryType(geometry)::VARCHAR, "
                                           "ST_Area(geometry) FROM boundaries")
    assert valid and kind == "MULTIPOLYGON" and area == pytest.approx(0.0008, rel=1e-6)


def test_empty_geometry_and_blank_code_are_rejected_by_feature_number(tmp_path, db):
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LAD24CD": "E07000010", "LAD24NM": "Fenland"},
         "geometry": json.loads(gpd.GeoSeries([square(*WISBECH)]).to_json())["features"][0]["geometry"]},
        {"type": "Feature", "properties": {"LAD24CD": "E07000009", "LAD24NM": "East Cambridgeshire"},
         "geometry": None},
        {"type": "Feature", "properties": {"LAD24CD": "E07000011", "LAD24NM": "Huntingdonshire"},
         "geometry": {"type": "Polygon", "coordinates": []}},
        {"type": "Feature", "properties": {"LAD24CD": "", "LAD24NM": "Nameless"},
         "geometry": json.loads(gpd.GeoSeries([square(*CAMBRIDGE)]).to_json())["features"][0]["geometry"]},
    ]})
    s = load_file("boundaries", write_text(tmp_path / "holes.geojson", text), db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (4, 1, 3)
    rejects = query(db, "SELECT row_number, reason, CAST(raw AS VARCHAR) FROM rejects ORDER BY row_number")
    assert [r[0] for r in rejects] == [2, 3, 4]
    assert "no (readable) geometry" in rejects[0][1]
    assert "empty" in rejects[1][1]
    assert "LAD24CD field (the boundary's code) is blank" in rejects[2][1]
    assert json.loads(rejects[0][2])["LAD24NM"] == "East Cambridgeshire"


def test_features_far_from_the_area_are_skipped_with_a_count(tmp_path, db):
    rows = TWO_DISTRICTS + [{"LAD24CD": "E08000035", "LAD24NM": "Leeds", "geometry": square(*LEEDS)}]
    s = load_file("boundaries", write_geo(tmp_path / "national.geojson", rows), db=db)
    assert (s.rows_read, s.rows_loaded) == (3, 2)
    assert any(w.startswith("1 feature(s) away from") for w in s.warnings)
    assert scalar(db, "SELECT count(*) FROM boundaries WHERE code = 'E08000035'") == 0


def test_a_file_with_nothing_near_the_area_is_refused(tmp_path, db):
    f = write_geo(tmp_path / "leeds.geojson", [{"LAD24CD": "E08000035", "geometry": square(*LEEDS)}])
    with pytest.raises(FileProblem, match="none of the 1 features is in or near"):
        load_file("boundaries", f, db=db)


def test_a_file_written_latitude_first_is_refused_saying_so(tmp_path, db):
    """GeoJSON is longitude first; a hand-made file written [lat, lon] lands in the sea off Somalia. The error
    says the axes look swapped, not only that nothing is near the area. Leeds is far away either way round."""
    swapped = [{"LAD24CD": r["LAD24CD"], "geometry": square(WISBECH[1], WISBECH[0]) if r["LAD24CD"] == "E07000010"
                else square(CAMBRIDGE[1], CAMBRIDGE[0])} for r in TWO_DISTRICTS]
    f = write_geo(tmp_path / "swapped.geojson", swapped)
    with pytest.raises(FileProblem, match="none of the 2 features is in or near .*; its coordinates look swapped: read "
                                          "latitude first, 2 of them lie in the area"):
        load_file("boundaries", f, db=db)
    f = write_geo(tmp_path / "leeds.geojson", [{"LAD24CD": "E08000035", "geometry": square(*LEEDS)}])
    with pytest.raises(FileProblem) as err:
        load_file("boundaries", f, db=db)
    assert "swapped" not in str(err.value)


def test_a_load_replaces_every_boundary_of_its_level(tmp_path, db):
    """A file is a snapshot of its level, except that a district of the force area it lacks, or brings broken,
    keeps its stored boundary: one partial or broken file must not flag every report there outside the area."""
    herts = {"LAD24CD": "E07000099", "LAD24NM": "North Hertfordshire", "geometry": square(-0.2, 52.02)}
    load_file("boundaries", write_geo(tmp_path / "v1.geojson", TWO_DISTRICTS + [herts]), db=db)
    load_file("boundaries", write_geo(tmp_path / "lsoa.geojson", [{"LSOA11CD": "E01018100",
                                                                   "geometry": square(*WISBECH, 0.01)}]), db=db)
    newer = [
        {"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": square(*WISBECH)},                 # same
        {"LAD24CD": "E07000011", "LAD24NM": "Huntingdonshire", "geometry": square(-0.18, 52.33)},     # new
        {"LAD24CD": "E07000008", "LAD24NM": "Cambridge", "geometry": square(*CAMBRIDGE, 0.03)},
    ]
    s = load_file("boundaries", write_geo(tmp_path / "v2.geojson", newer[:1] + newer[1:2]), db=db)
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (1, 0, 1)
    assert any("replacing the 2 loaded before; 1 of those are not in this file and are gone" in w
               for w in s.warnings)                                                  # North Hertfordshire
    assert "kept the district boundary loaded before for Cambridge: this file does not bring a usable one" \
        in s.warnings
    assert query(db, "SELECT code FROM boundaries WHERE level = 'district' ORDER BY 1") == \
        [("E07000008",), ("E07000010",), ("E07000011",)]
    s = load_file("boundaries", write_geo(tmp_path / "v3.geojson", newer), db=db)
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (0, 1, 2)       # Cambridge's new outline
    assert query(db, "SELECT code FROM boundaries WHERE level = 'lsoa'") == [("E01018100",)]


def test_a_broken_feature_keeps_the_boundary_stored_before(tmp_path, db):
    load_file("boundaries", write_geo(tmp_path / "v1.geojson", TWO_DISTRICTS), db=db)
    broken = [dict(TWO_DISTRICTS[0], geometry=None), TWO_DISTRICTS[1]]
    s = load_file("boundaries", write_geo(tmp_path / "v2.geojson", broken), db=db)
    assert s.rows_rejected == 1
    assert "kept the district boundary loaded before for Fenland: this file does not bring a usable one" in s.warnings
    assert query(db, "SELECT code FROM boundaries WHERE level = 'district' ORDER BY 1") == \
        [("E07000008",), ("E07000010",)]


def test_boundaries_replaced_by_another_file_come_back_by_loading_the_first_again(tmp_path, db):
    first = write_geo(tmp_path / "v1.geojson", TWO_DISTRICTS)
    load_file("boundaries", first, db=db)
    load_file("boundaries", write_geo(tmp_path / "v2.geojson", [dict(TWO_DISTRICTS[0], geometry=square(*WISBECH, 0.05)),
                                                                TWO_DISTRICTS[1]]), db=db)
    again = load_file("boundaries", first, db=db)
    assert (again.status, again.rows_updated) == ("loaded", 1)


def test_changed_geometry_counts_as_updated(tmp_path, db):
    load_file("boundaries", write_geo(tmp_path / "v1.geojson", TWO_DISTRICTS), db=db)
    moved = [dict(TWO_DISTRICTS[0]), dict(TWO_DISTRICTS[1], geometry=square(*CAMBRIDGE, 0.03))]
    s = load_file("boundaries", write_geo(tmp_path / "v2.geojson", moved), db=db)
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (0, 1, 1)


def test_missing_districts_are_warned_about(tmp_path, db):
    s = load_file("boundaries", write_geo(tmp_path / "lad.geojson", TWO_DISTRICTS), db=db)
    assert any("lacks 4 of the six districts" in w and "E06000031 (Peterborough)" in w for w in s.warnings)


def test_features_sharing_a_code_are_merged(tmp_path, db):
    x, y = WISBECH
    rows = [{"LAD24CD": "E07000010", "geometry": square(x - 0.05, y)},
            {"LAD24CD": "E07000010", "geometry": square(x + 0.05, y)}]
    s = load_file("boundaries", write_geo(tmp_path / "parts.geojson", rows), db=db)
    assert (s.rows_loaded, s.rows_collapsed) == (1, 1)
    assert geo_query(db, "SELECT ST_GeometryType(geometry)::VARCHAR FROM boundaries") == [("MULTIPOLYGON",)]


def test_points_are_refused(tmp_path, db):
    f = write_geo(tmp_path / "points.geojson", [{"code": "E07000010", "geometry": Point(*WISBECH)}])
    with pytest.raises(FileProblem, match="boundaries must be polygons"):
        load_file("boundaries", f, db=db)


def test_multipolygons_are_fine(tmp_path, db):
    shape = MultiPolygon([square(*WISBECH, 0.01), square(WISBECH[0] + 0.1, WISBECH[1], 0.01)])
    f = write_geo(tmp_path / "multi.geojson", [{"code": "E07000010", "geometry": shape}])
    assert load_file("boundaries", f, db=db).rows_loaded == 1


@pytest.mark.parametrize("name, content, message", [
    ("notes.geojson", b"this is not a map\n", "not a spatial file GDAL can read"),
    ("report.geojson", b"%PDF-1.4 not a map", "PDF document"),
    ("broken.zip", b"PK\x03\x04 cut short", "damaged or truncated"),
])
def test_a_file_that_is_not_spatial_is_refused(tmp_path, db, name, content, message):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(FileProblem, match=message) as err:
        load_file("boundaries", f, db=db)
    assert str(tmp_path) not in str(err.value)          # the file's name, not its full path


def test_a_csv_without_geometry_is_refused(tmp_path, db):
    f = write_text(tmp_path / "lad.csv", "LAD24CD,LAD24NM\nE07000010,Fenland\n")
    with pytest.raises(FileProblem, match="no geometry|polygons"):
        load_file("boundaries", f, db=db)


def test_unrecognised_fields_are_named(tmp_path, db):
    f = write_geo(tmp_path / "odd.geojson", [{"AREA_ID": "X1", "geometry": square(*WISBECH)}])
    with pytest.raises(FileProblem, match="Fields found: 'AREA_ID'"):
        load_file("boundaries", f, db=db)


def test_boundaries_give_districts_to_a_previously_loaded_hmo_register(tmp_path, db):
    hmo = write_text(tmp_path / "hmo.csv", "Licence Number,Address,Latitude,Longitude\n"
                                           f"L1,1 High Street Wisbech,{WISBECH[1]},{WISBECH[0]}\n"
                                           f"L2,2 Regent Street Cambridge,{CAMBRIDGE[1]},{CAMBRIDGE[0]}\n")
    load_file("hmo", hmo, db=db, source="Test council")
    assert query(db, "SELECT district_code FROM hmo_licences") == [(None,), (None,)]
    s = load_file("boundaries", write_geo(tmp_path / "lad.geojson", TWO_DISTRICTS), db=db)
    assert "re-geocoded: 2 licences" in s.warnings
    assert query(db, "SELECT licence_ref, district_code, location_flag FROM hmo_licences ORDER BY 1") == \
        [("L1", "E07000010", None), ("L2", "E07000008", None)]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_shapefile_without_crs_in_degrees_is_read_as_wgs84(tmp_path, db):
    write_geo(tmp_path / "deg.shp", [{"LAD24CD": "E07000010", "geometry": square(*WISBECH)}], crs=None)
    s = load_file("boundaries", tmp_path / "deg.shp", db=db)
    assert any("no coordinate system" in w and "EPSG:4326" in w for w in s.warnings)
    assert geo_query(db, "SELECT ST_Contains(geometry, ST_Point(?, ?)) FROM boundaries", list(WISBECH)) == [(True,)]


def test_geojson_without_crs_member_but_grid_coordinates(tmp_path, db):
    e, n = WISBECH_BNG
    ring = [[e - 1000, n - 1000], [e + 1000, n - 1000], [e + 1000, n + 1000], [e - 1000, n + 1000], [e - 1000, n - 1000]]
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LAD24CD": "E07000010"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    s = load_file("boundaries", write_text(tmp_path / "bng.geojson", text), db=db)
    assert any("coordinates don't fit" in w and "EPSG:27700" in w for w in s.warnings)
    assert geo_query(db, "SELECT ST_Contains(geometry, ST_Point(?, ?)) FROM boundaries", list(WISBECH)) == [(True,)]


def test_geopackage_with_several_layers_needs_a_choice(tmp_path, db):
    f = tmp_path / "both.gpkg"
    write_geo(f, TWO_DISTRICTS, driver="GPKG")
    gpd.GeoDataFrame([{"MSOA11CD": "E02003719", "geometry": square(*CAMBRIDGE)}], crs="EPSG:4326") \
        .to_file(f, layer="msoa", driver="GPKG")
    with pytest.raises(FileProblem, match="several layers .* --sheet NAME"):
        load_file("boundaries", f, db=db)
    load_file("boundaries", f, db=db, sheet="msoa")
    assert query(db, "SELECT level, code FROM boundaries") == [("msoa", "E02003719")]


def test_mapping_names_the_code_field_and_level(tmp_path, db):
    f = write_geo(tmp_path / "odd.geojson", [{"AREA_ID": "E07000010", "AREA_NAME": "Fenland", "geometry": square(*WISBECH)}])
    m = write_text(tmp_path / "map.toml", 'code = "AREA_ID"\nname = "AREA_NAME"\nlevel = "district"\n')
    load_file("boundaries", f, db=db, mapping=m)
    assert query(db, "SELECT level, code, name FROM boundaries") == [("district", "E07000010", "Fenland")]
