"""Which reports are at a licensed HMO, and which addresses are doors at all (etl/address_keys.py,
etl/address_matches.py).

A wrong match is worse than a missed one: a licence that takes the reports of a car wash down the road
tells a lead that its house holds more people than the licence allows. So a shared postcode and house
number are not enough, the street must agree too. A missed match splits one door in two: a report that
left out the town is ranked as "on no HMO licence register" beside the licensed house it is at. And a
street alone is no door to send anyone to.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from etl import address_keys, migrate
from operations import vocabulary
from tests.analysis_fixtures import POSTCODES, build_warehouse, connect, day
from tests.test_address_matches import _kept_and_fresh

HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
L1,"1 Common View",PE1 9ZZ,6,{day(300)},,
L2,"14 Lincoln Road, Peterborough",PE13 1AA,6,{day(300)},,
L3,"40 Common View",PE1 9ZZ,4,{day(300)},,
"""
# PE1 9ZZ holds 1 and 40 Common View and some of Mill Road; PE13 1AA (52.6650, 0.1600) 14 Lincoln Road.
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
M1,{day(-2)},"1 Mill Road, Peterborough",PE1 9ZZ,,
M2,{day(-2)},"Unit 1, Fengate Industrial Estate",PE1 9ZZ,,
M3,{day(-2)},"Room 1 above shop, 40 Common View",PE1 9ZZ,,
M4,{day(-2)},"Car wash (1 bay), 7 Mill Road",PE1 9ZZ,,
S1,{day(-3)},"Flat 2, 1 Common View",PE1 9ZZ,,
S2,{day(-3)},"1 COMMON VIEW, PETERBOROUGH",PE1 9ZZ,,
S3,{day(-3)},"Common View 1",PE1 9ZZ,,
N1,{day(-4)},"14 Lincoln Road",,52.6650,0.1600
N2,{day(-4)},"14 Lincoln Rd",,52.6652,0.1603
F1,{day(-4)},"14 Lincoln Road",,52.5510,0.0880
F2,{day(-4)},"16 Lincoln Road",,52.6650,0.1600
F3,{day(-4)},"14 Lincoln Close",,52.6650,0.1600
"""


def _licence_of(db) -> dict[str, str | None]:
    con = connect(db)
    try:
        return dict(con.execute("""SELECT r.report_ref, m.licence_ref FROM reports r
                                   LEFT JOIN address_matches m USING (addr_id)""").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("rules"), {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS})


def test_a_shared_postcode_and_house_number_on_another_street_is_no_match(db):
    licence = _licence_of(db)
    assert licence["M1"] is None and licence["M2"] is None and licence["M4"] is None
    assert licence["M3"] == "L3"                     # the room's 1 is not the house number: 40 is
    assert licence["S1"] == licence["S2"] == licence["S3"] == "L1"   # a flat, a town, the number last


def test_a_report_that_leaves_out_the_town_joins_the_licence_at_its_point(db):
    licence = _licence_of(db)
    assert licence["N1"] == licence["N2"] == "L2"   # at the licence's point, "Rd" or "Road"
    assert licence["F1"] is None                    # the same words 14 km off
    assert licence["F2"] is None and licence["F3"] is None   # another number, another street
    con = connect(db)
    try:
        groups = dict(con.execute("""SELECT r.report_ref, m.group_id FROM reports r
                                     JOIN address_matches m USING (addr_id)""").fetchall())
    finally:
        con.close()
    assert groups["N1"] == groups["N2"], "one door on the visit list"


def test_the_kept_matches_equal_a_fresh_match(db):
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh and kept


STREETS = ["Mill Road Cambridge", "Mill Road, Cambridge CB1 2AD", "High St, March", "Great North Road",
           "St Mary's Street, Ely CB7", "the avenue", "MILL RD."]
DOORS = ["The Old Rectory, Mill Road", "Rose Cottage, Mill Road", "Woodlands, Church Lane", "Flat A, Mill Road",
         "Flat 2, 14 Mill Lane", "Rose Court", "Unknown Farm, Wisbech", "14 Mill Road", "Common View 1",
         "Oakview Caravan Park", "Mill House"]


def test_a_street_alone_names_no_door_in_sql_and_in_python_alike():
    con = duckdb.connect()
    address_keys.register(con)
    for text in STREETS + DOORS:
        sql = con.execute("SELECT address_key(?)", [text]).fetchone()[0]
        assert sql == vocabulary.address_norm(text), text
        assert (sql == "") == (text in STREETS), text


def test_a_street_alone_is_stored_without_an_address(tmp_path):
    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
T1,{day(-2)},Mill Road Cambridge,,52.2034,0.1431
T2,{day(-2)},"The Old Rectory, Mill Road",,52.2034,0.1431
"""
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports})
    con = connect(db)
    try:
        rows = dict(con.execute("SELECT report_ref, (addr_key, addr_id IS NOT NULL, lat IS NOT NULL) "
                                "FROM reports").fetchall())
    finally:
        con.close()
    assert rows["T1"] == ("", False, True)           # on the map, not a door
    assert rows["T2"] == ("THE OLD RECTORY MILL ROAD", True, True)


def test_a_warehouse_from_before_the_street_rules_is_upgraded(db, tmp_path):
    """Migration 0013 on a version-12 warehouse, where "Room 1 ..., 40 Common View" was house number 1, the
    licences took every number 1 at the postcode, and "Mill Road Cambridge" was a door: the house numbers are
    taken again, the street loses its key, id and address, and the matches equal a fresh match."""
    old = tmp_path / "v12.duckdb"
    shutil.copyfile(db, old)
    con = duckdb.connect(str(old))
    con.execute("DELETE FROM schema_migrations WHERE version >= 13")
    con.execute("UPDATE reports SET house_no = '1' WHERE report_ref = 'M3'")
    street_id = con.execute("SELECT max(addr_id) + 1 FROM addresses").fetchone()[0]
    con.execute("INSERT INTO addresses VALUES (?, 'MILL ROAD CAMBRIDGE', NULL, NULL)", [street_id])
    con.execute("UPDATE reports SET address = 'Mill Road Cambridge', addr_key = 'MILL ROAD CAMBRIDGE', house_no = NULL, "
                "addr_id = ? WHERE report_ref = 'F3'", [street_id])
    con.execute("DELETE FROM address_matches")
    con.execute("""INSERT INTO address_matches SELECT DISTINCT addr_id, addr_key, postcode, 1, 'Test hmo', 'L1', NULL, 6
                   FROM reports WHERE addr_id IS NOT NULL AND (postcode = 'PE1 9ZZ' OR report_ref = 'F3')""")
    assert migrate.upgrade(con) == ["0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    assert con.execute("SELECT house_no FROM reports WHERE report_ref = 'M3'").fetchone() == ("40",)
    assert con.execute("SELECT addr_key, addr_id FROM reports WHERE report_ref = 'F3'").fetchone() == ("", None)
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_id = ?", [street_id]).fetchone() == (0,)
    con.close()
    assert _licence_of(old) == _licence_of(db)
    kept, fresh = _kept_and_fresh(old)
    assert kept == fresh
