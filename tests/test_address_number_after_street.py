"""The house number is the number before the street, not one in what a partner writes after it.

Partners add the property's details after the address: "12 High Street 3 bed", "12 High St (HMO, 6 rooms)",
"12 High Street - 5 occupants". Read as "the last number before a word", such a report was number 3 or 6 of a
street called "Bed" or "Rooms", and was ranked as on no HMO licence register beside the licensed 12 High
Street it is at. A number before the street that is followed by another number is a flat's or a room's
("Flat 2, 14 Mill Lane" is 14), as before.
"""
from __future__ import annotations

import duckdb
import pytest

from etl import address_keys
from tests.analysis_fixtures import POSTCODES, build_warehouse, connect, day
from tests.test_address_matches import _kept_and_fresh

NUMBERS = {
    "12 High Street 3 bed": "12",
    "12 High Street - 5 occupants": "12",
    "12 High St (HMO, 6 rooms)": "12",
    "12 High Street, 2nd floor": "12",
    "12 High Street (room 4)": "12",
    "12 High Street 3 bed terrace": "12",          # a kind of street in the tail too
    "12 St John's Road 4 beds": "12",               # "St" a saint's, not a street
    "Rose View, 12 Mill Road": "12",                # a house name ending in a kind of street
    # the rules that stand
    "Room 1 above shop, 40 Common View": "40",
    "Flat 2, 1 Common View": "1",
    "Flat 2, 14 Mill Lane": "14",
    "Car wash (1 bay), 7 Mill Road": "7",
    "Common View 1": "1",
    "12A Mill Lane": "12A",
    "Unit 1, Fengate Industrial Estate": "1",
    "Mill Farm": None,
    "High Street 3 bed": None,                      # no number before the street: none after it either
}


def test_the_house_number_is_the_one_before_the_street():
    con = duckdb.connect()
    address_keys.register(con)
    got = {text: con.execute("SELECT house_number(address_key(?))", [text]).fetchone()[0] for text in NUMBERS}
    assert got == NUMBERS


def test_the_street_is_the_one_after_that_number():
    con = duckdb.connect()
    address_keys.register(con)
    street = address_keys.street_of(address_keys.street_words("k"))
    for text, expected in [("12 High Street 3 bed", "HIGH STREET"), ("12 High St (HMO, 6 rooms)", "HIGH STREET"),
                           ("12 High Street 3 bed terrace", "HIGH STREET"), ("Flat 2, 1 Common View", "COMMON VIEW")]:
        assert con.execute(f"SELECT {street} FROM (SELECT address_key(?) AS k)", [text]).fetchone()[0] == expected, text


HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
L1,"12 High Street",PE13 1AA,6,{day(300)},,
L6,"6 High Street",PE13 1AA,4,{day(300)},,
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
B1,{day(-2)},"12 High Street 3 bed",PE13 1AA,,
B2,{day(-2)},"12 High Street - 5 occupants",PE13 1AA,,
B3,{day(-2)},"12 High St (HMO, 6 rooms)",PE13 1AA,,
B4,{day(-2)},"12 High Street, 2nd floor",PE13 1AA,,
B5,{day(-2)},"12 High Street 3 bed",,52.6650,0.1600
B6,{day(-2)},"12 Mill Road 6 rooms",PE13 1AA,,
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("tails"), {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS})


def test_a_report_with_the_property_after_the_address_is_the_licensed_door(db):
    con = connect(db)
    try:
        rows = dict(con.execute("""SELECT r.report_ref, (r.house_no, m.licence_ref) FROM reports r
                                   LEFT JOIN address_matches m USING (addr_id)""").fetchall())
    finally:
        con.close()
    assert rows["B1"] == rows["B2"] == rows["B3"] == rows["B4"] == ("12", "L1")
    assert rows["B5"] == ("12", "L1")                 # no postcode, at the licence's point
    assert rows["B6"] == ("12", None)                 # another street: not 6 High Street, nor 12
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh
