"""Messy addresses and postcodes that split one door in two, or left it unmatched (etl/address_keys.py,
etl/sql/macros.sql).

- A postcode written in the address with a country or a note after it ("PE1 2NX, UK", "PE1 2NX (rear)") stayed in
  the address's words: three reports of 27 Lincoln Road were three doors on the visit list.
- A building named with a kind of street ("Fore Hill House": HILL) was read as the street, so the flat's number was
  taken for the house's: the licensed "Flat 2, Fore Hill House, 12 Fore Hill" was number 2, and a report of "12 Fore
  Hill" was ranked as on no HMO licence register.
- A postcode typed with a letter for a digit ("PEl 5AJ", "CB2 OAB") was no postcode, so its report had no place.
Migration 0016 brings an older warehouse's keys and house numbers to the first two rules.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from etl import address_keys, migrate
from tests.analysis_fixtures import build_warehouse, connect, day
from tests.test_address_matches import _kept_and_fresh

POSTCODES = """postcode,latitude,longitude,lad_code
PE1 2NX,52.5800,-0.2400,E06000031
PE1 5AJ,52.5750,-0.2300,E06000031
CB7 4AA,52.3990,0.2620,E07000009
CB2 0AB,52.1900,0.1300,E07000008
"""
HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
E12,"Flat 2, Fore Hill House, 12 Fore Hill, Ely",CB7 4AA,6,{day(300)},,
E2,"2 Fore Hill, Ely",CB7 4AA,4,{day(300)},,
"""
# UK-1 to UK-3 are the probe's file, as a partner sent it.
REPORTS = f"""Ref,Date Received,Source,Address,Postcode,Indicators
UK-1,{day(-5)},Police,"27 Lincoln Road, Peterborough",PE1 2NX,overcrowded
UK-2,{day(-4)},Police,"27 Lincoln Road Peterborough PE1 2NX, UK",,overcrowded
UK-3,{day(-3)},Police,"27 Lincoln Road, Peterborough PE1 2NX (rear)",,overcrowded
FH-1,{day(-3)},Police,"12 Fore Hill, Ely, CB7 4AA.",,overcrowded
TY-1,{day(-2)},Police,"9 Bright Street, Peterborough",PEl 5AJ,overcrowded
TY-2,{day(-2)},Police,"3 Mill Road, Cambridge",CB2 OAB,overcrowded
"""

KEYS = {
    "27 Lincoln Road, Peterborough": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road Peterborough PE1 2NX, UK": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road, Peterborough PE1 2NX (rear)": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road, Peterborough PE1 2NX U.K.": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road, Peterborough, PE1 2NX, United Kingdom.": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road, Peterborough PE12NX England": "27 LINCOLN ROAD PETERBOROUGH",
    "27 Lincoln Road, Peterborough PE1 2NX [approx], UK": "27 LINCOLN ROAD PETERBOROUGH",
    # what held already, and still does
    "27 Lincoln Road, Peterborough PE1 2NX": "27 LINCOLN ROAD PETERBOROUGH",
    "12 Lincoln Road, New England": "12 LINCOLN ROAD NEW ENGLAND",          # a part of Peterborough, no country
    "27 Lincoln Road, PE1 2NX Peterborough": "27 LINCOLN ROAD PE1 2NX PETERBOROUGH",   # a town after it stays
    "27 Lincoln Road PE1 2NX Ukraine": "27 LINCOLN ROAD PE1 2NX UKRAINE",
    "Unknown, PE1 2NX, UK": "",
}

NUMBERS = {
    "Flat 2, Fore Hill House, 12 Fore Hill, Ely": "12",
    "Flat 2, Mill House, 12 Church Street": "12",
    "Apartment 3, Hill View House, 5 Station Road": "5",
    "Room 1, Church Lane House, 40 Common View": "40",
    "Unit 4, Bank Parade, 7 Broad Street": "7",
    # what held already, and still does: a flat's number with no other after it is all there is
    "Flat 2, 14 Mill Lane": "14",
    "Flat 2 Woodlands Church Lane": "2",
    "Unit 1, Fengate Industrial Estate": "1",
    "12 Fore Hill, Ely": "12",
    "12 High Street, flat 3": "12",
}


def _con():
    con = duckdb.connect()
    address_keys.register(con)
    return con


def _macros():
    from etl.loading import define_value_macros

    con = duckdb.connect()
    define_value_macros(con)
    return con


def test_a_postcode_with_a_country_or_a_note_after_it_is_left_out_of_the_key():
    con = _con()
    got = {text: con.execute("SELECT address_key(?)", [text]).fetchone()[0] for text in KEYS}
    assert got == KEYS


def test_the_countries_are_data():
    from etl import vocab

    words = vocab.load("addresses")["countries_after_postcode"]
    assert {"UK", "UNITED KINGDOM", "ENGLAND"} <= set(words) and all(w == w.upper() for w in words)


def test_a_flat_number_before_a_building_named_like_a_street_is_no_house_number():
    con = _con()
    got = {text: con.execute("SELECT house_number(address_key(?))", [text]).fetchone()[0] for text in NUMBERS}
    assert got == NUMBERS
    street = address_keys.street_of(address_keys.street_words("k"))
    assert con.execute(f"SELECT {street} FROM (SELECT address_key(?) AS k)",
                       ["Flat 2, Fore Hill House, 12 Fore Hill, Ely"]).fetchone()[0] == "FORE HILL"


def test_a_letter_typed_for_a_digit_where_a_digit_must_be_is_that_digit():
    con = _macros()
    cases = {"PEl 5AJ": "PE1 5AJ", "pel5aj": "PE1 5AJ", "CB2 OAB": "CB2 0AB", "PE13 IAB": "PE13 1AB",
             "SWIA 1AA": "SW1A 1AA", "EIW 1AA": "E1W 1AA", "PEl 5AJ (rear)": "PE1 5AJ",
             # letters where a letter may stand are kept; no digit at all is no postcode
             "OX1 1AA": "OX1 1AA", "OL9 6AB": "OL9 6AB", "PE1O 2AB": "PE1O 2AB", "POLICE": None, "OLIVE": None,
             "N/A": None, "PE13": None}
    got = {text: con.execute("SELECT postcode_in_cell(?)", [text]).fetchone()[0] for text in cases}
    assert got == cases


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("messy"), {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS})


def _rows(db: Path) -> dict[str, tuple]:
    con = connect(db)
    try:
        return dict(con.execute("""SELECT r.report_ref, (r.addr_id, r.postcode, r.house_no, m.licence_ref, r.lat IS NOT NULL)
                                   FROM reports r LEFT JOIN address_matches m USING (addr_id)""").fetchall())
    finally:
        con.close()


def test_one_door_written_three_ways_is_one_address(db):
    rows = _rows(db)
    assert rows["UK-1"][:2] == rows["UK-2"][:2] == rows["UK-3"][:2]
    assert rows["UK-1"][1] == "PE1 2NX"


def test_a_report_of_the_house_matches_the_licence_of_its_flat(db):
    rows = _rows(db)
    assert rows["FH-1"][2:4] == ("12", "E12")          # not 2 Fore Hill's licence, nor none
    kept, fresh = _kept_and_fresh(db)
    assert kept == fresh


def test_a_mistyped_postcode_places_its_report(db):
    rows = _rows(db)
    assert rows["TY-1"][1] == "PE1 5AJ" and rows["TY-1"][4]
    assert rows["TY-2"][1] == "CB2 0AB" and rows["TY-2"][4]


def test_a_warehouse_from_before_these_rules_is_upgraded(db, tmp_path):
    """Migration 0016 on a version-15 warehouse, where the three ways of writing 27 Lincoln Road were three
    addresses, and the licensed flat of Fore Hill House was number 2: the reports are keyed again and share one
    address, the unused addresses go, and the matches equal a fresh match."""
    old = tmp_path / "v15.duckdb"
    shutil.copyfile(db, old)
    con = duckdb.connect(str(old))
    con.execute("DELETE FROM schema_migrations WHERE version >= 16")
    for ref, key in [("UK-2", "27 LINCOLN ROAD PETERBOROUGH PE1 2NX UK"), ("UK-3", "27 LINCOLN ROAD PETERBOROUGH PE1 2NX REAR")]:
        new_id = con.execute("SELECT max(addr_id) + 1 FROM addresses").fetchone()[0]
        con.execute("INSERT INTO addresses VALUES (?, ?, 'PE1 2NX', NULL)", [new_id, key])
        con.execute("UPDATE reports SET addr_key = ?, addr_id = ? WHERE report_ref = ?", [key, new_id, ref])
    con.execute("UPDATE hmo_licence_history SET house_no = '2' WHERE licence_ref = 'E12'")
    con.execute("DELETE FROM address_matches")
    assert con.execute("SELECT count(DISTINCT addr_id) FROM reports WHERE report_ref LIKE 'UK-%'").fetchone() == (3,)
    assert migrate.upgrade(con) == ["0016_postcode_ends_the_address_and_flat_numbers"]
    assert con.execute("SELECT count(DISTINCT addr_id), count(DISTINCT addr_key), count(addr_id) FROM reports "
                       "WHERE report_ref LIKE 'UK-%'").fetchone() == (1, 1, 3)
    assert con.execute("SELECT count(*) FROM addresses WHERE addr_key LIKE '27 LINCOLN%'").fetchone() == (1,)
    con.close()
    assert _rows(old) == _rows(db)
    kept, fresh = _kept_and_fresh(old)
    assert kept == fresh
