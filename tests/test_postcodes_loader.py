"""Postcode lookups: ONSPD/NSPL, Code-Point Open with and without headers, BNG and WGS84 CSVs,
bad rows, upserts, and re-geocoding stored rows once postcodes arrive."""
from __future__ import annotations

import json

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

# OS Code-Point Open: no header row, ten columns; PQI 90 with a 0/0 grid reference means "no location".
CODEPOINT = (
    '"CB1 0AG",10,546182,257043,"E92000001","E19000001","E18000009","E10000003","E07000008","E05013054"\n'
    '"PE13 1AB",10,546300,309400,"E92000001","E19000001","E18000009","E10000003","E07000010","E05002000"\n'
    '"PE1  1AA",10,519000,298700,"E92000001","E19000001","E18000009","","E06000031","E05000001"\n'
    '"CB99 9ZZ",90,0,0,"E92000001","","","","",""\n'
)

ONSPD_HEADER = "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,oslaua,lsoa11,lsoa21,lat,long\n"
ONSPD = ONSPD_HEADER + (
    "CB1 2AB,CB1  2AB,CB1 2AB,198001,,545500,258000,1,E07000008,E01017943,E01034001,52.201,0.127\n"
    "PE131AB,PE13 1AB,PE13 1AB,198001,,546300,309400,1,E07000010,E01018100,E01034002,52.665,0.160\n"
    "PE7 3ZZ,PE7  3ZZ,PE7 3ZZ,198001,201001,519500,295000,1,E06000031,E01015600,E01034003,52.540,-0.260\n"
    "GY1 1AA,GY1  1AA,GY1 1AA,198001,,,,9,L99999999,L99999999,L99999999,99.999999,0.000000\n"
)


def test_codepoint_open_without_header_row_is_transformed_from_bng(tmp_path, db):
    f = write_text(tmp_path / "cb.csv", CODEPOINT)
    s = load_file("postcodes", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (4, 3, 0)
    assert any("Code-Point Open (no header row)" in w for w in s.warnings)
    assert any(w.startswith("1 postcode(s) with no location skipped") for w in s.warnings)
    rows = {r[0]: r[1:] for r in query(db, "SELECT postcode, lat, lon, district_code FROM postcodes")}
    assert set(rows) == {"CB1 0AG", "PE13 1AB", "PE1 1AA"}
    lat, lon, district = rows["CB1 0AG"]
    assert lat == pytest.approx(52.192254, abs=2e-6) and lon == pytest.approx(0.137179, abs=2e-6)
    assert district == "E07000008"
    assert rows["PE1 1AA"][2] == "E06000031"


def test_onspd_skips_postcodes_without_location_and_counts_them(tmp_path, db):
    f = write_text(tmp_path / "ONSPD_FEB_2025_UK.csv", ONSPD)
    s = load_file("postcodes", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (4, 3, 0)
    assert any(w.startswith("1 postcode(s) with no location skipped") for w in s.warnings)
    assert any("1 terminated postcode(s) loaded" in w for w in s.warnings)
    assert any("ONSPD" in w and "'pcds'" in w and "'oslaua'" in w for w in s.warnings)
    rows = {r[0]: r[1:] for r in query(db, "SELECT postcode, lat, lon, district_code, lsoa_code FROM postcodes")}
    # WGS84 columns win over the grid reference when both are there.
    assert rows["PE13 1AB"][:2] == (52.665, 0.160)
    assert rows["PE13 1AB"][2] == "E07000010"
    assert rows["CB1 2AB"][3] == "E01034001"       # lsoa21 before lsoa11 when no LSOA boundaries are loaded
    assert scalar(db, "SELECT count(*) FROM rejects") == 0


def test_pseudo_codes_are_stored_as_null(tmp_path, db):
    text = ONSPD_HEADER + "JE2 3AB,JE2  3AB,JE2 3AB,198001,,,,1,L99999999,L99999999,L99999999,49.19,-2.10\n"
    load_file("postcodes", write_text(tmp_path / "onspd.csv", text), db=db)
    assert query(db, "SELECT postcode, district_code, lsoa_code FROM postcodes") == [("JE2 3AB", None, None)]


def test_bng_csv_with_bom_and_loose_headers(tmp_path, db):
    text = "\ufeffPOST_CODE;Eastings;Northings;Admin District Code\npe13 1ab;546300;309400;e07000010\n"
    s = load_file("postcodes", write_text(tmp_path / "bng.csv", text), db=db)
    assert s.rows_loaded == 1
    (pc, lat, lon, district), = query(db, "SELECT postcode, lat, lon, district_code FROM postcodes")
    assert (pc, district) == ("PE13 1AB", "E07000010")
    assert 52.6 < lat < 52.7 and 0.1 < lon < 0.2


def test_codepoint_with_headers_and_the_reference_style_headers(tmp_path, db):
    cp = write_text(tmp_path / "cp.csv", "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n"
                                         "CB1 0AG,10,546182,257043,E92000001,,,E10000003,E07000008,E05013054\n")
    load_file("postcodes", cp, db=db)
    ref = write_text(tmp_path / "ref.csv", "postcode,postcode_area,latitude,longitude,easting,northing,lad_code\n"
                                           "PE13 1AB,PE,52.665,0.16,546300,309400,E07000010\n")
    load_file("postcodes", ref, db=db)
    assert query(db, "SELECT postcode, district_code FROM postcodes ORDER BY 1") == \
        [("CB1 0AG", "E07000008"), ("PE13 1AB", "E07000010")]


def test_bad_rows_are_rejected_with_row_numbers_reasons_and_raw_values(tmp_path, db):
    text = ("Postcode,Latitude,Longitude,District\n"       # row 1
            "PE13 1AB,52.665,0.160,E07000010\n"              # row 2: fine
            "NOT A PC,52.6,0.1,E07000010\n"                  # row 3: bad postcode
            "\n"                                             # row 4: blank, keeps its number
            "PE13 2AB,abc,0.1,E07000010\n"                   # row 5: latitude not a number
            "PE13 3AB,52.6,,E07000010\n"                     # row 6: half a pair
            "PE13 4AB,40.1,-70.2,E07000010\n"                # row 7: not in the UK
            "PE13 5AB,0.16,52.66,E07000010\n"                # row 8: swapped
            "PE13 6AB,52.6,0.1,E07000010,surplus\n"          # row 9: too many values
            ",52.6,0.1,E07000010\n"                          # row 10: blank postcode
            "PE13 7AB,,,\n")                                 # row 11: no location: skipped, not rejected
    s = load_file("postcodes", write_text(tmp_path / "bad.csv", text), db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (9, 1, 7)
    rejects = query(db, "SELECT row_number, reason, CAST(raw AS VARCHAR) FROM rejects ORDER BY row_number")
    by_row = {r[0]: r[1] for r in rejects}
    assert sorted(by_row) == [3, 5, 6, 7, 8, 9, 10]
    assert "postcode 'NOT A PC' is not a valid UK postcode" in by_row[3]
    assert "latitude 'abc' is not a number" in by_row[5]
    assert "only one of latitude and longitude is given" in by_row[6]
    assert "not in the UK" in by_row[7]
    assert "swapped" in by_row[8]
    assert "more values than the header" in by_row[9]
    assert "postcode is blank" in by_row[10]
    raw = json.loads(next(r[2] for r in rejects if r[0] == 5))
    assert raw["Postcode"] == "PE13 2AB" and raw["Latitude"] == "abc"
    assert any(w.startswith("1 postcode(s) with no location") for w in s.warnings)


def test_rejected_row_numbers_count_blank_lines(tmp_path, db):
    text = "pcds,lat,long\r\n\r\nPE13 1AB,52.665,0.16\r\n\r\n\r\nXX,52.6,0.1\r\n"
    load_file("postcodes", write_text(tmp_path / "crlf.csv", text), db=db)
    assert query(db, "SELECT row_number FROM rejects") == [(6,)]


def test_missing_columns_name_what_is_missing_and_what_was_found(tmp_path, db):
    f = write_text(tmp_path / "nocoords.csv", "Postcode,Ward,District\nPE13 1AB,Waterlees,Fenland\n")
    with pytest.raises(FileProblem) as err:
        load_file("postcodes", f, db=db)
    message = str(err.value)
    assert "latitude + longitude, or easting + northing" in message
    assert "'Postcode', 'Ward', 'District'" in message
    assert scalar(db, "SELECT count(*) FROM postcodes") == 0
    assert scalar(db, "SELECT status FROM loads") == "failed"


def test_headerless_file_that_is_not_codepoint_is_refused(tmp_path, db):
    f = write_text(tmp_path / "odd.csv", "PE13 1AB,546300,309400\n")
    with pytest.raises(FileProblem, match="not the 10 of an OS Code-Point Open file"):
        load_file("postcodes", f, db=db)


def test_header_only_file_is_refused(tmp_path, db):
    with pytest.raises(FileProblem, match="no data rows"):
        load_file("postcodes", write_text(tmp_path / "empty.csv", "pcds,lat,long\n"), db=db)


def test_newer_file_updates_by_postcode_and_counts_loaded_updated_unchanged(tmp_path, db):
    first = ("postcode,latitude,longitude,lad_code\n"
             "PE13 1AB,52.665,0.160,E07000010\n"
             "PE13 2AB,52.666,0.161,E07000010\n")
    load_file("postcodes", write_text(tmp_path / "v1.csv", first), db=db, source="v1")
    second = ("postcode,latitude,longitude,lad_code\n"
              "PE13 1AB,52.665,0.160,E07000010\n"       # unchanged
              "PE13 2AB,52.667,0.162,E07000010\n"       # moved
              "PE13 3AB,52.668,0.163,E07000010\n")      # new
    s = load_file("postcodes", write_text(tmp_path / "v2.csv", second), db=db, source="v2")
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (1, 1, 1)
    assert query(db, "SELECT postcode, lat, source FROM postcodes ORDER BY 1") == [
        ("PE13 1AB", 52.665, "v2"), ("PE13 2AB", 52.667, "v2"), ("PE13 3AB", 52.668, "v2")]


def test_a_file_without_district_column_keeps_stored_districts(tmp_path, db):
    load_file("postcodes", write_text(tmp_path / "a.csv", "pcds,lat,long,laua\nPE13 1AB,52.665,0.16,E07000010\n"), db=db)
    s = load_file("postcodes", write_text(tmp_path / "b.csv", "pcds,lat,long\nPE13 1AB,52.6651,0.16\n"), db=db)
    assert s.rows_updated == 1
    assert query(db, "SELECT lat, district_code FROM postcodes") == [(52.6651, "E07000010")]


def test_a_postcode_moved_kilometres_is_warned_about_and_loses_the_old_points_district(tmp_path, db):
    """A partner's list giving CB4 2HG an Oxford point moved every report there, and the stored district was the
    old point's. A move of metres (a new release) is said nothing of; a move of kilometres is named, and a
    district or LSOA the file does not give is no longer kept for it."""
    load_file("postcodes", write_text(tmp_path / "a.csv", "pcds,lat,long,laua,lsoa11\n"
                                      "CB4 2HG,52.2255,0.1270,E07000008,E01017950\n"
                                      "PE13 1AB,52.665,0.16,E07000010,E01018100\n"), db=db)
    s = load_file("postcodes", write_text(tmp_path / "b.csv", "pcds,lat,long\nCB4 2HG,51.752,-1.2577\n"
                                          "PE13 1AB,52.6651,0.1601\n"), db=db, source="Partner list")
    assert s.rows_updated == 2
    assert any(w.startswith("1 postcode(s) moved more than 1 km from the point the lookup had (CB4 2HG by 108 km)")
               for w in s.warnings), s.warnings
    assert query(db, "SELECT postcode, district_code, lsoa_code FROM postcodes ORDER BY 1") == [
        ("CB4 2HG", None, None), ("PE13 1AB", "E07000010", "E01018100")]


def test_duplicate_postcodes_keep_the_last_row(tmp_path, db):
    text = "pcds,lat,long\nPE13 1AB,52.1,0.1\npe131ab,52.665,0.16\n"
    s = load_file("postcodes", write_text(tmp_path / "dup.csv", text), db=db)
    assert (s.rows_loaded, s.rows_collapsed) == (1, 1)
    assert scalar(db, "SELECT lat FROM postcodes") == 52.665


def test_mapping_file_names_unusual_headers(tmp_path, db):
    f = write_text(tmp_path / "odd.csv", "Where,Up,Across\nPE13 1AB,52.665,0.16\n")
    m = write_text(tmp_path / "map.toml", 'postcode = "Where"\nlat = "Up"\nlon = "Across"\n')
    load_file("postcodes", f, db=db, mapping=m)
    assert query(db, "SELECT postcode, lat, lon FROM postcodes") == [("PE13 1AB", 52.665, 0.16)]


def test_a_latin1_file_is_read_with_a_warning(tmp_path, db):
    text = "pcds,lat,long,place\nPE13 1AB,52.665,0.16,Caf\u00e9 corner\n"
    s = load_file("postcodes", write_text(tmp_path / "latin.csv", text, "cp1252"), db=db)
    assert s.rows_loaded == 1
    assert any("Latin-1" in w for w in s.warnings)


def test_postcodes_geocode_an_hmo_row_that_had_no_location(tmp_path, db):
    hmo = write_text(tmp_path / "hmo.csv", "Licence Number,Address,Postcode\nL1,1 High Street Wisbech,PE13 1AB\n")
    load_file("hmo", hmo, db=db, source="Fenland")
    assert scalar(db, "SELECT geocode_status FROM hmo_licences") == "not_geocoded"
    s = load_file("postcodes", write_text(tmp_path / "pc.csv", ONSPD), db=db)
    assert "re-geocoded: 1 licences" in s.warnings
    assert query(db, "SELECT geocode_status, lat, lon, district_code FROM hmo_licences") == \
        [("postcode", 52.665, 0.160, "E07000010")]


def test_of_two_lsoa_columns_the_one_matching_loaded_lsoa_boundaries_is_used(tmp_path, db):
    square = [[0.14, 52.645], [0.18, 52.645], [0.18, 52.685], [0.14, 52.685], [0.14, 52.645]]
    lsoa = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"LSOA11CD": "E01018100", "LSOA11NM": "Fenland 005A"},
        "geometry": {"type": "Polygon", "coordinates": [square]}}]})
    load_file("boundaries", write_text(tmp_path / "lsoa.geojson", lsoa), db=db)
    s = load_file("postcodes", write_text(tmp_path / "onspd.csv", ONSPD), db=db)
    assert any("used 'lsoa11', the one matching the loaded LSOA boundaries" in w for w in s.warnings)
    assert scalar(db, "SELECT lsoa_code FROM postcodes WHERE postcode = 'PE13 1AB'") == "E01018100"


def test_progress_is_reported_with_the_rows_read(tmp_path, db):
    seen = []
    load_file("postcodes", write_text(tmp_path / "pc.csv", ONSPD), db=db, progress=seen.append)
    assert seen and seen[-1] == 4


def test_a_row_placed_by_its_outward_code_follows_that_code_when_postcodes_are_loaded_again(tmp_path, db):
    """A report whose postcode cell holds only an outward code ("PE13") is placed at that code's centre
    (`postcode_district`), and keeps the code it gave, so a later postcodes load moves it to the code's
    new centre rather than leaving it unplaced."""
    load_file("postcodes", write_text(tmp_path / "pc.csv", ONSPD), db=db)
    reports = write_text(tmp_path / "r.csv", "Report Ref,Date Received,Address,Postcode\n"
                                              "R1,01/03/2025,2 High St,PE13\nR2,01/03/2025,3 High St,PE13 1AB\n")
    load_file("reports", reports, db=db, source="public")
    before = query(db, "SELECT report_ref, geocode_status, lat, lon, h3_7 FROM reports ORDER BY report_ref")
    assert [r[1] for r in before] == ["postcode_district", "postcode"] and before[0][2] is not None
    load_file("postcodes", write_text(tmp_path / "pc2.csv", ONSPD.replace("52.665,0.160", "52.666,0.161")), db=db)
    after = query(db, "SELECT report_ref, geocode_status, lat, lon, h3_7 FROM reports ORDER BY report_ref")
    assert query(db, "SELECT postcode FROM reports WHERE report_ref = 'R1'") == [("PE13",)]
    assert [r[1:4] for r in after] == [("postcode_district", 52.666, 0.161), ("postcode", 52.666, 0.161)]


def test_headers_with_units_and_values_as_spreadsheets_write_them(tmp_path, db):
    """"Easting (m)" and "Latitude (WGS84)" are the columns they name; a decimal comma in metres and a
    hemisphere or degree sign in degrees are read as the reports loader reads them."""
    bng = write_text(tmp_path / "bng.csv", "Postcode;Easting (m);Northing (m)\nCB1 0AG;546182,0;257043,0\n")
    assert load_file("postcodes", bng, db=db).rows_loaded == 1
    wgs = write_text(tmp_path / "wgs.csv", "Postcode,Latitude (WGS84),Longitude (WGS84)\n"
                                           "PE13 1AB,52.6650° N,0.1600° E\nPE1 1AA,52.5700 N,0.2400 W\n")
    s = load_file("postcodes", wgs, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    rows = {r[0]: r[1:] for r in query(db, "SELECT postcode, lat, lon FROM postcodes")}
    assert rows["CB1 0AG"][0] == pytest.approx(52.192254, abs=2e-6)
    assert rows["PE13 1AB"] == (pytest.approx(52.665), pytest.approx(0.16))
    assert rows["PE1 1AA"] == (pytest.approx(52.57), pytest.approx(-0.24))


def test_a_file_name_with_a_quote_and_glob_characters_is_read_as_that_file(tmp_path, db):
    """The path reaches read_csv as a parameter, not spliced into the SQL: a quote in a file name can't end the
    statement's string, and "[1]" names this file, not "postcodes1.csv" beside it."""
    write_text(tmp_path / "postcodes1.csv", "Postcode,Easting,Northing\nPE1 1AA,519000,298700\n")
    f = write_text(tmp_path / "O'Brien's postcodes [1].csv", "Postcode,Easting,Northing\nCB1 0AG,546182,257043\n")
    s = load_file("postcodes", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (1, 0)
    assert query(db, "SELECT postcode FROM postcodes") == [("CB1 0AG",)]
