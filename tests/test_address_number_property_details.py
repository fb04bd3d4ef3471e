"""A property's details after the address are no house number, whatever the street is called.

Many streets have no kind of street in their name ("The Paddocks", "Westgate", "Broadway"), so nothing shows where
the street ends, and the house number was the last number before a word: "12 The Paddocks 3 bed" was number 3 of a
street called "Bed", ranked as on no HMO licence register beside the licensed 12 The Paddocks it is at. A number
followed by one of the vocabulary's detail words ("bed", "rooms", "occupants") counts things, and is left out with
what follows it; and with no kind of street, a unit's number counts only when there is no other ("Unit 3 Broadway
14" is 14). Migration 0015 takes the stored house numbers again.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from etl import address_keys, migrate
from tests.analysis_fixtures import POSTCODES, build_warehouse, connect, day
from tests.test_address_matches import _kept_and_fresh

NUMBERS = {
    "12 The Paddocks 3 bed": "12",
    "12 The Paddocks, 3 bed HMO": "12",
    "12 The Paddocks (HMO, 6 rooms)": "12",
    "12 The Paddocks, 3 bed, Wisbech": "12",
    "12 The Paddocks 3 bed 2 bath": "12",
    "12 The Paddocks 3 bed terrace": "12",          # "Bed Terrace" is no street
    "12 The Paddocks, 3 bed, 2nd floor": "12",
    "12 Westgate - 5 occupants": "12",
    "12 Westgate, 4 tenants": "12",
    "14 Broadway 3 bed": "14",                       # a kind of street with no name before it
    "12a The Paddocks 3 bedroom": "12A",
    "Unit 3 Broadway 14": "14",                      # the unit's 3 is no house number
    "Room 4, Westgate House 12": "12",
    "Common View 1, 3 bed": "1",
    # what held already, and still does
    "Flat 2, 12 The Paddocks": "12",
    "12a The Paddocks": "12A",
    "12 The Paddocks, flat 2": "12",
    "12 The Paddocks, 2nd floor": "12",
    "3 bed house at 12 The Green": "12",
    "3 bed house at 12 The Paddocks": "12",
    "Flat 1, Room 2, 12 The Paddocks": "12",
    "Unit 1, Fengate Industrial Estate": "1",
    "Westgate 14": "14",
    "12 The Close 3 bed": "12",
    # a street may be named by a detail word: no number before it is left, so it is no detail
    "12 Rooms Lane": "12",
    "Flat 2, 12 People's Park Road": "12",
}


def _con():
    con = duckdb.connect()
    address_keys.register(con)
    return con


def test_the_house_number_leaves_out_the_property_details():
    con = _con()
    got = {text: con.execute("SELECT house_number(address_key(?))", [text]).fetchone()[0] for text in NUMBERS}
    assert got == NUMBERS


def test_the_street_leaves_them_out_too():
    con = _con()
    street = address_keys.street_of(address_keys.street_words("k"))
    for text, expected in [("12 The Paddocks 3 bed", "THE PADDOCKS"), ("12 Westgate - 5 occupants", "WESTGATE"),
                           ("12 The Paddocks 3 bed terrace", "THE PADDOCKS"), ("14 Broadway 3 bed", "BROADWAY"),
                           ("12 High Street 3 bed", "HIGH STREET"), ("Flat 2, 12 The Paddocks", "THE PADDOCKS")]:
        assert con.execute(f"SELECT {street} FROM (SELECT address_key(?) AS k)", [text]).fetchone()[0] == expected, text


def test_the_detail_words_are_data():
    from etl import vocab

    words = vocab.load("addresses")["detail_words"]
    assert {"BED", "ROOMS", "OCCUPANTS"} <= set(words) and all(w == w.upper() for w in words)


HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
P12,"12 The Paddocks",PE13 1AA,6,{day(300)},,
P3,"3 The Paddocks",PE13 1AA,4,{day(300)},,
W12,"12 Westgate",PE13 1AA,5,{day(300)},,
B14,"14 Broadway",PE13 1AA,5,{day(300)},,
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
R1,{day(-2)},"12 The Paddocks 3 bed",PE13 1AA,,
R2,{day(-2)},"12 The Paddocks, 3 bed HMO",,52.6650,0.1600
R3,{day(-2)},"12 Westgate - 5 occupants",PE13 1AA,,
R4,{day(-2)},"Unit 3 Broadway 14",PE13 1AA,,
R5,{day(-2)},"Flat 2, 12 The Paddocks",PE13 1AA,,
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("details"), {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS})


def _rows(db) -> dict[str, tuple]:
    con = connect(db)
    try:
        return dict(con.execute("""SELECT r.report_ref, (r.house_no, m.licence_ref) FROM reports r
                                   LEFT JOIN address_matches m USING (addr_id)""").fetchall())
    finally:
        con.close()


def test_a_report_with_details_after_an_unnamed_street_is_the_licensed_door(db):
    rows = _rows(db)
    assert rows["R1"] == rows["R2"] == rows["R5"] == ("12", "P12")    # not 3 The Paddocks
    assert rows["R3"] == ("12", "W12")
    assert rows["R4"] == ("14", "B14")
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh


def test_a_warehouse_from_before_the_details_rule_is_upgraded(db, tmp_path):
    """Migration 0015 on a version-14 warehouse, where "12 The Paddocks 3 bed" was number 3 of a street "Bed" and
    matched no licence: the house numbers are taken again and the matches equal a fresh match."""
    old = tmp_path / "v14.duckdb"
    shutil.copyfile(db, old)
    con = duckdb.connect(str(old))
    con.execute("DELETE FROM schema_migrations WHERE version >= 15")
    con.execute("UPDATE reports SET house_no = '3' WHERE report_ref IN ('R1', 'R2', 'R4')")
    con.execute("UPDATE reports SET house_no = '5' WHERE report_ref = 'R3'")
    con.execute("DELETE FROM address_matches WHERE addr_id IN "
                "(SELECT addr_id FROM reports WHERE report_ref IN ('R1', 'R2', 'R3', 'R4'))")
    assert migrate.upgrade(con) == ["0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    con.close()
    assert _rows(old) == _rows(db)
    kept, fresh = _kept_and_fresh(old)
    assert kept == fresh
