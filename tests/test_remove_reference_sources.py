"""`etl remove postcodes|boundaries SOURCE`: a wrong lookup or boundary file comes out, and the stored rows are placed
again without it, as a load of it would have placed them."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from etl import removal
from etl.admin import status_rows
from etl.cli import main
from etl.errors import LoadError
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

DAY = (dt.date.today() - dt.timedelta(days=3)).isoformat()
DISTRICTS = "outward_code,latitude,longitude\nCB1,52.1950,0.1410\nPE13,52.6600,0.1600\n"
LOOKUP = "postcode,lat,lon\nCB1 2AB,52.2000,0.1300\n"
REPORTS = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude\n"
           f'R-1,{DAY},"1 Mill Road, Cambridge",CB1 2AB,,\n'
           f'R-2,{DAY},"2 Quay, Wisbech",PE13 9ZZ,,\n'
           f'R-3,{DAY},"3 High Street, Wisbech",PE13 1AA,52.6645,0.1601\n')
PLACED = "SELECT report_ref, geocode_status, round(lat, 4), round(lon, 4), district_code FROM reports ORDER BY 1"


@pytest.fixture
def db(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    load_file("postcodes", write_text(tmp_path / "districts.csv", DISTRICTS), db=db, source="Districts")
    load_file("postcodes", write_text(tmp_path / "lookup.csv", LOOKUP), db=db, source="Lookup")
    load_file("reports", write_text(tmp_path / "r.csv", REPORTS), db=db, source="Police")
    return db


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_removing_a_postcodes_source_places_the_stored_rows_again_without_it(db, tmp_path):
    assert query(db, PLACED)[1][:2] == ("R-2", "postcode_district")
    done = removal.remove("postcodes", "Districts", db)
    assert (done.rows, done.loads) == (2, 1)
    assert done.notes == ("re-geocoded: 1 reports",)
    assert query(db, PLACED) == [("R-1", "postcode", 52.2, 0.13, None),
                                 ("R-2", "not_geocoded", None, None, None),
                                 ("R-3", "coordinates", 52.6645, 0.1601, None)]
    assert query(db, "SELECT postcode, source FROM postcodes") == [("CB1 2AB", "Lookup")]
    assert [(r.kind, r.source) for r in status_rows(db)] == [("postcodes", "Lookup"), ("reports", "Police")]
    assert scalar(db, "SELECT status FROM loads WHERE source = 'Districts'") == "removed"
    # The same file loads afresh, and places R-2 again.
    again = load_file("postcodes", tmp_path / "districts.csv", db=db, source="Districts")
    assert (again.status, again.rows_loaded) == ("loaded", 2)
    assert query(db, PLACED)[1][:2] == ("R-2", "postcode_district")


def test_a_postcodes_source_that_holds_no_row_but_a_load_can_be_removed(db, tmp_path):
    # The same lookup under another name takes its postcodes (a postcode is the lookup's that gave it last): the
    # first source lists 0 rows, and its load can still be removed.
    load_file("postcodes", tmp_path / "lookup.csv", db=db, source="Lookup again")
    assert ("Lookup", 0) in [(r.source, r.rows) for r in status_rows(db)]
    assert removal.held("postcodes", "Lookup", db) == (0, 1)
    done = removal.remove("postcodes", "Lookup", db)
    assert (done.rows, done.loads, done.notes) == (0, 1, ())
    assert "Lookup" not in [r.source for r in status_rows(db)]
    assert query(db, "SELECT postcode, source FROM postcodes WHERE source LIKE 'Lookup%'") == [("CB1 2AB", "Lookup again")]


def write_districts(path, features):
    gpd.GeoDataFrame(features, geometry="geometry", crs="EPSG:4326").to_file(path)
    return path


def test_removing_boundaries_gives_districts_back_to_the_postcode_lookup_and_refreshes_the_filters(db, tmp_path):
    fenland = {"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": box(0.12, 52.62, 0.20, 52.70)}
    load_file("boundaries", write_districts(tmp_path / "lad.geojson", [fenland]), db=db, source="ONS")
    assert query(db, PLACED)[2][4] == "E07000010"
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'district'") == [("E07000010",)]
    r = run("remove", "boundaries", "ONS", input="n\n")
    assert r.exit_code == 1 and ("remove 1 boundaries row(s) of source 'ONS', from 1 load(s); the stored rows are "
                                 "then placed again without them?") in r.output
    r = run("remove", "boundaries", "ONS", "--yes")
    assert r.exit_code == 0, r.output
    assert "removed 1 boundaries row(s) of source 'ONS'" in r.output and "note: re-geocoded: " in r.output
    assert scalar(db, "SELECT count(*) FROM boundaries") == 0
    assert [row[4] for row in query(db, PLACED)] == [None, None, None]   # the lookup gives no district codes
    assert scalar(db, "SELECT count(*) FROM filter_values WHERE kind = 'district'") == 0


def test_a_case_keeps_its_district_when_no_district_boundaries_are_left_and_is_told(db, tmp_path):
    fenland = {"LAD24CD": "E07000010", "LAD24NM": "Fenland", "geometry": box(0.12, 52.62, 0.20, 52.70)}
    load_file("boundaries", write_districts(tmp_path / "lad.geojson", [fenland]), db=db, source="ONS")
    cases = "Case Reference,Date Opened,Latitude,Longitude,Exploitation Type\nC1,2025-01-10,52.6645,0.1601,Labour\n"
    load_file("cases", write_text(tmp_path / "c.csv", cases), db=db, source="MSHT")
    assert scalar(db, "SELECT district_code FROM cases") == "E07000010"
    done = removal.remove("boundaries", "ONS", db)
    assert scalar(db, "SELECT district_code FROM cases") == "E07000010"
    assert any(n.startswith("1 case(s) keep the district they were given") for n in done.notes)


def test_an_unknown_reference_source_is_refused_naming_the_ones_there(db):
    with pytest.raises(LoadError, match="no postcodes source 'Lookups' in the warehouse .*'Districts', 'Lookup'"):
        removal.held("postcodes", "Lookups", db)
    r = run("remove", "postcodes", "Lookups", "--yes")
    assert r.exit_code == 2 and "no postcodes source 'Lookups'" in r.output
    with pytest.raises(LoadError, match="the warehouse holds no boundaries at all"):
        removal.remove("boundaries", "ONS", db)
