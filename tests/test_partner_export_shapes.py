"""Shapes of real partner exports (synthetic data): points written as WKT or map links, what3words, apostrophes
kept from Excel, "CSV (Macintosh)", addresses split into flat and building columns, NRM case files."""
from __future__ import annotations

from etl.loading import load_file
from tests.helpers import load_text, query, scalar, write_text

POSTCODES = ("postcode,latitude,longitude\n"
             "PE1 1AB,52.572636,-0.245606\nCB1 2AA,52.192420,0.134495\nPE13 1AL,52.666476,0.160336\n")


def _postcodes(db):
    load_file("postcodes", write_text(db.parent / "pc.csv", POSTCODES), db=db, source="pc")


def _bng_in_degrees(easting: float, northing: float) -> list[float]:
    import duckdb

    from etl.warehouse import load_spatial

    con = duckdb.connect()
    load_spatial(con)
    return con.execute("SELECT [round(ST_Y(p), 5), round(ST_X(p), 5)] FROM (SELECT ST_Transform(ST_Point(?, ?), "
                       "'EPSG:27700', 'EPSG:4326', always_xy := true) AS p)", [easting, northing]).fetchone()[0]


def test_wkt_points_and_map_links_in_a_coordinates_column_are_placed(tmp_path):
    """A GIS or force system exports its geometry as WKT (longitude before latitude, or easting before northing),
    and a caller pastes a map link: each is the point it names. One that names none is rejected, saying why."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", (
        "Ref,Date Received,WKT,Summary\n"
        "W1,03/11/2026,POINT (-0.245606 52.572636),lon lat\n"
        "W2,03/11/2026,POINT(546182 257043),bng\n"
        "W3,03/11/2026,SRID=27700;POINT Z (546182 257043 0),ewkt\n"
        "W4,03/11/2026,\"https://www.google.com/maps/place/Wisbech/@52.666476,0.160336,15z/data=!3m1\",google\n"
        "W5,03/11/2026,https://maps.google.com/?q=52.572636%2C-0.245606,google q\n"
        "W6,03/11/2026,https://www.openstreetmap.org/#map=17/52.192420/0.134495,osm\n"
        "W7,03/11/2026,https://goo.gl/maps/abc123,short link\n"
        "W8,03/11/2026,POINT EMPTY,empty\n"), source="wkt")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (8, 6, 2)
    got = dict(query(db, "SELECT report_ref, [round(lat, 5), round(lon, 5)] FROM reports"))
    assert got["W1"] == got["W5"] == [52.57264, -0.24561]
    assert got["W2"] == got["W3"] == _bng_in_degrees(546182, 257043)
    assert got["W4"] == [52.66648, 0.16034]
    assert got["W6"] == [52.19242, 0.1345]
    reasons = [r for (r,) in query(db, "SELECT reason FROM rejects ORDER BY row_number")]
    assert reasons[0].startswith("coordinates 'https://goo.gl/maps/abc123' hold no point we can read")
    assert reasons[1].startswith("coordinates 'POINT EMPTY' hold no point we can read")


def test_a_map_link_from_a_zoomed_out_map_is_rounded_and_gives_way_to_a_postcode(tmp_path):
    """A link copied from a map zoomed out to a town holds '@52.57,-0.25': a point a kilometre from the door, which
    drew one street's hexagon as exact as a door's. It is treated as rounded degrees in a column are: placed by a
    known postcode, else kept as approximate, and warned about."""
    db = tmp_path / "w.duckdb"
    _postcodes(db)
    s = load_text(db, "reports", (
        "Ref,Date Received,Postcode,Coordinates\n"
        "M1,03/11/2026,CB1 2AA,\"https://www.google.com/maps/@52.57,-0.25,12z\"\n"
        "M2,03/11/2026,,POINT (-0.25 52.57)\n"
        "M3,03/11/2026,,\"https://www.google.com/maps/@52.572636,-0.245606,17z\"\n"), source="links")
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, geocode_status, round(lat, 5), round(lon, 5) FROM reports")}
    assert got["M1"] == ("postcode", 52.19242, 0.1345)
    assert got["M2"] == ("grid_square", 52.57, -0.25)
    assert got["M3"] == ("coordinates", 52.57264, -0.24561)
    assert any(w.startswith("2 row(s) give latitude and longitude with 2 decimals or fewer ('52.57, -0.25'")
               for w in s.warnings), s.warnings


def test_points_in_a_location_column_are_read_as_coordinates_not_as_addresses(tmp_path):
    """Police exports name their geometry column "Location", an address header: its WKT points and map links are
    points, not addresses stored unplaced (and made into addresses named "POINT (…)"); its addresses stay
    addresses."""
    db = tmp_path / "w.duckdb"
    _postcodes(db)
    s = load_text(db, "reports", (
        "Ref,Date Received,Location,Summary\n"
        "L1,03/11/2026,POINT (-0.245606 52.572636),wkt\n"
        "L2,03/11/2026,\"https://www.google.com/maps/@52.192420,0.134495,17z\",link\n"
        "L3,03/11/2026,\"12 Church Street, Wisbech PE13 1AL\",address\n"), source="loc")
    assert (s.rows_loaded, s.rows_rejected, s.rows_ungeocoded) == (3, 0, 0)
    assert ("2 value(s) of the address column 'Location' are WKT points or map links (e.g. "
            "'POINT (-0.245606 52.572636)'): read as coordinates, not as addresses") in s.warnings
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, address, round(lat, 5), round(lon, 5), geocode_status "
                                          "FROM reports")}
    assert got["L1"] == (None, 52.57264, -0.24561, "coordinates")
    assert got["L2"] == (None, 52.19242, 0.1345, "coordinates")
    assert got["L3"] == ("12 Church Street, Wisbech PE13 1AL", 52.66648, 0.16034, "postcode")
    assert scalar(db, "SELECT count(*) FROM addresses WHERE addr_key ILIKE '%point%' OR addr_key ILIKE '%http%'") == 0


def test_a_what3words_address_is_said_to_be_unplaceable_not_left_as_a_row_without_a_location(tmp_path):
    db = tmp_path / "w.duckdb"
    _postcodes(db)
    text = write_text(tmp_path / "w3w.csv", (
        "Ref,Date Received,Location,Postcode\n"
        "A1,03/11/2026,///filled.count.soap,\n"
        "A2,03/11/2026,w3w: ///index.home.raft,PE13 1AL\n"))
    s = load_file("reports", text, db=db, source="w3w")
    assert (s.rows_loaded, s.rows_ungeocoded) == (2, 1)
    assert ("2 row(s) give a what3words address ('///filled.count.soap', 'w3w: ///index.home.raft'): it can't be "
            "placed without what3words' own service, which is not used here. A row with a postcode is placed by "
            "the postcode; the others are stored without a location: ask the sender for a postcode or "
            "coordinates") in s.warnings


def test_an_apostrophe_kept_before_a_reference_or_a_date_is_not_part_of_it(tmp_path):
    """A system exporting for Excel writes "'00123" and "'01/06/2024" to keep them text; a CSV keeps the
    apostrophe that Excel would hide. The date is a date, and "'00123" the reference "00123"."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date Received,Postcode\n"
                                 "'00123,'03/11/2026,PE1 1AB\n"
                                 "'00124,04/11/2026,CB1 2AA\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == [
        ("00123", "2026-11-03"), ("00124", "2026-11-04")]
    register = write_text(tmp_path / "h.csv", "Licence Ref,Address,Postcode,Date Issued,Valid Until\n"
                                              "'HMO/24/03,3 Bridge St Huntingdon,PE29 1AA,'01/06/2024,'31/05/2029\n")
    s = load_file("hmo", register, db=db, source="h")
    assert (s.rows_loaded, s.rows_rejected) == (1, 0)
    assert query(db, "SELECT licence_ref, licence_start::VARCHAR, licence_expiry::VARCHAR FROM hmo_licences") == [
        ("HMO/24/03", "2024-06-01", "2029-05-31")]


def test_a_csv_saved_as_csv_macintosh_is_read_as_mac_roman(tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends lines in a CR alone and writes Mac Roman: read as Windows-1257,
    "Café" was "Cafˇ"."""
    db = tmp_path / "w.duckdb"
    text = write_text(tmp_path / "mac.csv", "Ref,Date Received,Postcode,Summary\r"
                                            "M1,03/11/2026,PE1 1AB,Café owner says £50 a week\r"
                                            "M2,04/11/2026,CB1 2AA,Naïve façade\r", encoding="mac_roman")
    s = load_file("reports", text, db=db, source="mac")
    assert s.rows_loaded == 2
    assert '2 line(s) were not UTF-8 and were read as Mac Roman ("CSV (Macintosh)")' in s.warnings
    assert [r for (r,) in query(db, "SELECT summary FROM reports ORDER BY report_ref")] == [
        "Café owner says £50 a week", "Naïve façade"]


def test_a_windows_1252_file_with_lf_line_ends_is_not_read_as_mac_roman(tmp_path):
    """Mac Roman is a candidate only where lines end in a CR alone: elsewhere it would make the curly
    apostrophe of "don’t" (0x92 in Windows-1252) the letter í."""
    db = tmp_path / "w.duckdb"
    text = write_text(tmp_path / "w.csv", "Ref,Date Received,Postcode,Summary\n"
                                          "M1,03/11/2026,PE1 1AB,They don’t leave; O’Brien said\n",
                      encoding="cp1252")
    load_file("reports", text, db=db, source="w")
    assert scalar(db, "SELECT summary FROM reports") == "They don’t leave; O’Brien said"


def test_flat_and_building_columns_are_part_of_the_address(tmp_path):
    """Idox, Civica and Northgate registers give the flat and the building a column each: without them, every
    flat of a building was one address ("Church Street, Wisbech")."""
    db = tmp_path / "w.duckdb"
    text = write_text(tmp_path / "h.csv", "Licence No,Flat,Building,Street,Locality,Town,Postcode\n"
                                          "L1,2,Mill House,Church Street,,Wisbech,PE13 1AL\n"
                                          "L2,Flat 3,Mill House,Church Street,,Wisbech,PE13 1AL\n"
                                          "L3,,14,Bridge Street,Hartford,Huntingdon,PE29 1AA\n")
    s = load_file("hmo", text, db=db, source="h")
    assert s.rows_loaded == 3
    assert dict(query(db, "SELECT licence_ref, address FROM hmo_licences")) == {
        "L1": "Flat 2, Mill House, Church Street, Wisbech", "L2": "Flat 3, Mill House, Church Street, Wisbech",
        "L3": "14 Bridge Street, Hartford, Huntingdon"}


def test_an_nrm_case_file_loads_with_its_referral_numbers_and_age_bands(tmp_path):
    """An NRM export: the referral number is the case reference (hashed), the date of birth is dropped, and an
    age band "Under 18" (a number in its words) is a child, not "an age not read as a number of years"."""
    db = tmp_path / "w.duckdb"
    _postcodes(db)
    text = write_text(tmp_path / "c.csv", "NRM Referral Number,Date of Referral,DOB,Age Range,Postcode\n"
                                          "NRM-2026-000123,03/11/2026,01/01/2000,18-24,PE13\n"
                                          "NRM-2026-000124,04/11/2026,01/01/2010,Under 18,PE1 1AB\n")
    s = load_file("cases", text, db=db, source="nrm")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert "DOB" in s.dropped_columns
    assert sorted(r for (r,) in query(db, "SELECT age_group FROM cases")) == ["adult", "child"]


def test_police_date_time_reported_beside_occurred_is_the_date_received(tmp_path):
    db = tmp_path / "w.duckdb"
    text = write_text(tmp_path / "p.csv", "Crime Ref,Date/Time Reported,Date/Time Occurred,Postcode,Nationality\n"
                                          "CF/1/26,2026-11-03T14:22:00Z,2026-10-30T22:00:00Z,PE1 1AB,Romanian/Moldovan\n")
    s = load_file("reports", text, db=db, source="p")
    assert s.rows_loaded == 1
    assert query(db, "SELECT received_on::VARCHAR, nationalities FROM reports") == [
        ("2026-11-03", ["Moldovan", "Romanian"])]
    assert not any("not in the vocabulary" in w for w in s.warnings)
