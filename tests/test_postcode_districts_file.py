"""A list of postcode districts (outward codes with their centres) loaded as postcodes: read as district centres,
by its values whatever its header, used for the approximate fallback only where no full postcode of the district
is loaded; and a postcodes load that stores nothing fails whole instead of leaving an empty source behind."""
from __future__ import annotations

import datetime as dt

import pytest

from etl.admin import status_rows
from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

# The shape of ONS-derived district lists (outward_code, area, counts, centre, main district): synthetic values.
DISTRICTS = (
    "outward_code,postcode_area,n_postcodes,latitude,longitude,main_lad_code,main_lad_name,share_in_main_lad,"
    "n_in_cambs_pboro\n"
    "CB1,CB,1000,52.1950,0.1410,E07000008,Cambridge,0.91,1000\n"
    "CB2,CB,500,52.1850,0.1230,E07000008,Cambridge,0.96,500\n"
    "PE13,PE,800,52.6600,0.1600,E07000010,Fenland,0.99,800\n"
)
DAY = (dt.date.today() - dt.timedelta(days=3)).isoformat()
REPORTS = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude\n"
           f'R-1,{DAY},"1 Mill Road, Cambridge",CB1 9ZZ,,\n'         # its district's centre, for now
           f'R-2,{DAY},"2 Quay, Wisbech",PE13 9ZZ,,\n'
           f'R-3,{DAY},"3 Nowhere Lane",CB9 9ZZ,,\n')                # a district the list lacks


def load(tmp_path, db, name: str, text: str, **kw):
    return load_file("postcodes", write_text(tmp_path / name, text), db=db, **kw)


def test_a_district_list_loads_as_district_centres(tmp_path, db):
    s = load(tmp_path, db, "postcode_districts.csv", DISTRICTS)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (3, 3, 0)
    assert any(w.startswith("read as a list of postcode districts") and "outward code = 'outward_code'" in w
               for w in s.warnings)
    assert any("outward codes (postcode districts such as 'CB1'), not full postcodes" in w for w in s.warnings)
    assert query(db, "SELECT postcode, lat, lon FROM postcodes ORDER BY 1") == [
        ("CB1", 52.195, 0.141), ("CB2", 52.185, 0.123), ("PE13", 52.66, 0.16)]
    (row,) = status_rows(db)
    assert (row.kind, row.source, row.rows) == ("postcodes", "postcode_districts", 3)


@pytest.mark.parametrize("header", ["Postcode", "code"])
def test_the_values_make_it_a_district_list_not_the_header(tmp_path, db, header):
    s = load(tmp_path, db, "d.csv", DISTRICTS.replace("outward_code", header, 1))
    assert s.rows_loaded == 3 and any(f"outward code = {header!r}" in w for w in s.warnings)


def test_a_mapping_naming_the_outward_code_column_as_postcode_loads_it(tmp_path, db):
    mapping = write_text(tmp_path / "m.toml", 'postcode = "outward_code"\nlat = "latitude"\nlon = "longitude"\n')
    s = load(tmp_path, db, "d.csv", DISTRICTS, mapping=mapping)
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)


def test_a_district_list_without_centres_says_what_it_is(tmp_path, db):
    with pytest.raises(FileProblem) as err:
        load(tmp_path, db, "d.csv", "outward_code,n\nCB1,10\nCB2,4\n")
    assert ("required column(s) missing: latitude + longitude, or easting + northing (its postcode column holds "
            "outward codes such as 'CB1': a list of postcode districts, which needs a header naming each district's "
            "latitude and longitude, or easting and northing)") in str(err.value)


def test_a_full_postcode_in_a_district_list_and_a_district_in_a_full_lookup_are_rejected_saying_so(tmp_path, db):
    s = load(tmp_path, db, "d.csv", DISTRICTS + "CB1 2AB,CB,1,52.2,0.13,E07000008,Cambridge,1,1\n")
    assert (s.rows_loaded, s.rows_rejected) == (3, 1)
    assert scalar(db, "SELECT reason FROM rejects") == (
        "outward code 'CB1 2AB' is a full postcode, in a list of postcode districts: load full postcodes in a file "
        "of their own")
    s = load(tmp_path, db, "full.csv", "postcode,lat,lon\nCB1 2AB,52.2,0.13\nCB4,52.22,0.13\nCB4 1AA,52.23,0.13\n")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert scalar(db, "SELECT reason FROM rejects WHERE load_id = ?", [s.load_id]) == (
        "postcode 'CB4' is only part of a postcode (a postcode district or sector), not a full postcode")


def test_district_centres_place_rows_until_full_postcodes_of_the_district_are_loaded(tmp_path, db):
    load(tmp_path, db, "districts.csv", DISTRICTS, source="Districts")
    s = load_file("reports", write_text(tmp_path / "r.csv", REPORTS), db=db, source="Police")
    assert any("2 row(s) placed approximately" in w for w in s.warnings)
    placed = "SELECT report_ref, geocode_status, round(lat, 4), round(lon, 4) FROM reports ORDER BY 1"
    assert query(db, placed) == [("R-1", "postcode_district", 52.195, 0.141),
                                 ("R-2", "postcode_district", 52.66, 0.16),
                                 ("R-3", "not_geocoded", None, None)]
    # Full postcodes of CB1 arrive: their mean is CB1's centre from now on; PE13 keeps the list's.
    load(tmp_path, db, "full.csv", "postcode,lat,lon\nCB1 2AB,52.2000,0.1300\nCB1 3CD,52.2100,0.1400\n",
         source="Lookup")
    assert query(db, placed) == [("R-1", "postcode_district", 52.205, 0.135),
                                 ("R-2", "postcode_district", 52.66, 0.16),
                                 ("R-3", "not_geocoded", None, None)]


def test_a_postcodes_load_whose_every_row_is_rejected_fails_and_leaves_no_source(tmp_path, db):
    load(tmp_path, db, "good.csv", "postcode,lat,lon\nCB1 2AB,52.2,0.13\n", source="Lookup")
    bad = "postcode,lat,lon\nCB1 2AB,north,0.13\nCB1 3CD,52.2,east\nCB1 4EF,52.2,x\nCB1 5GH,52.2,y\n"
    with pytest.raises(FileProblem) as err:
        load(tmp_path, db, "bad.csv", bad, source="Wrong")
    text = str(err.value)
    assert text.startswith("bad.csv: all 4 row(s) were rejected, so nothing was loaded (row 2: latitude 'north' is "
                           "not a number; row 3: longitude 'east' is not a number; row 4: ")
    assert "; and 1 more); columns used: postcode = 'postcode', latitude = 'lat', longitude = 'lon'" in text
    assert [(r.source, r.rows) for r in status_rows(db)] == [("Lookup", 1)]
    assert query(db, "SELECT status, message LIKE '%all 4 row(s) were rejected%' FROM loads WHERE source = 'Wrong'") \
        == [("failed", True)]
    assert scalar(db, "SELECT count(*) FROM postcodes") == 1


def test_a_postcodes_load_of_no_located_row_fails_too(tmp_path, db):
    with pytest.raises(FileProblem, match=r"none of its 2 row\(s\) has a location .* so nothing was loaded"):
        load(tmp_path, db, "none.csv", "postcode,lat,lon\nCB1 2AB,,\nCB1 3CD,99.999999,0\n")
    with pytest.raises(FileProblem, match=r"1 of its 2 row\(s\) were rejected and the other 1 have no location"):
        load(tmp_path, db, "mixed.csv", "postcode,lat,lon\nCB1 2AB,,\nnot one,52.2,0.1\n")
