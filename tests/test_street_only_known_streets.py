"""A street the warehouse knows by a numbered address is no door, though its name is two words.

"Cherry Hinton Road" alone reads like "Woodlands Church Lane": two words before a kind of street, which may be a
house name and a street. Taken as a door, such a street went on the visit list, every report anywhere on it
piled on one "house". Once any stored report or licence gives a house number on exactly that street
("34 Cherry Hinton Road"), the number-less address is the street: it counts on the map, never on the visit
list, whichever load (reports or a register, earlier or later) brought the number. "Woodlands Church Lane"
stays a door, and a flat's number ("Flat 2, Woodlands, Church Lane") shows nothing. Removing the source whose
rows alone showed a street makes it a door again.
"""
from __future__ import annotations

import duckdb
import pytest

from analysis import visits
from analysis.filters import Filters
from etl import address_ids, address_keys, address_matches, removal
from tests.analysis_fixtures import KEY, POSTCODES, TODAY, build_warehouse, connect, day
from tests.test_address_matches import _load


def test_which_addresses_may_be_a_street_and_which_show_one():
    con = duckdb.connect()
    address_keys.register(con)

    def named(text):
        return con.execute("SELECT named_street(address_key(?))", [text]).fetchone()[0]

    def numbered(text):
        return con.execute("SELECT numbered_street(address_key(?))", [text]).fetchone()[0]

    assert named("Cherry Hinton Rd, Cambridge CB1") == named("Cherry Hinton Road") == "CHERRY HINTON ROAD"
    assert named("Woodlands Church Lane") == "WOODLANDS CHURCH LANE"
    assert named("The Old Rectory, Mill Road") == named("Rose Cottage") == named("3 Cherry Hinton Road") == ""
    assert numbered("34 Cherry Hinton Rd, Cambridge") == numbered("Flat A, 34 Cherry Hinton Road") == "CHERRY HINTON ROAD"
    assert numbered("12 High Street 3 bed") == "HIGH STREET"
    assert numbered("Flat 2, Woodlands, Church Lane") == numbered("Room 4 Woodlands Church Lane") == ""
    assert numbered("2 Woodlands Church Lane") == "WOODLANDS CHURCH LANE"


FIRST = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
S1,{day(-5)},"Cherry Hinton Road",CB1 1AA,52.2001,0.1301
S2,{day(-5)},"Woodlands Church Lane",CB1 1AA,52.2001,0.1301
S3,{day(-5)},"Woodlands Park Road, Cambridge",CB1 1AA,52.2001,0.1301
S4,{day(-5)},"Mill Park Road",CB1 1AA,52.2001,0.1301
S5,{day(-5)},"3 Mill Park Road",CB1 1AA,,
S6,{day(-5)},"Flat 2, Woodlands, Church Lane",CB1 1AA,,
S7,{day(-5)},"3 Church Lane",CB1 1AA,,
"""
SECOND = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
T1,{day(-3)},"34 Cherry Hinton Rd, Cambridge",CB1 1AA,,
T2,{day(-3)},"Cherry Hinton Road",CB1 1AA,52.2001,0.1301
T3,{day(-3)},"5 Mill Park Road",CB1 1AA,,
"""
HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
W7,"7 Woodlands Park Road",CB1 1AA,6,{day(300)},,
"""
THIRD = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
U1,{day(-1)},"Woodlands Park Road",,52.2001,0.1301
"""
LAST = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
V1,{day(-1)},"Cherry Hinton Road",CB1 1AA,52.2001,0.1301
"""


def _doors(db) -> dict[str, tuple]:
    """Per report: whether it is a door (has an address id), its normalised words, and whether it has a point."""
    con = connect(db)
    try:
        return dict(con.execute("SELECT report_ref, (addr_id IS NOT NULL, addr_key, lat IS NOT NULL) "
                                "FROM reports").fetchall())
    finally:
        con.close()


def _check_whole(db) -> None:
    """A report with an id has its address's; one with words and no id is at a learnt street, which has no
    address (so no match); the kept licence matches are a fresh match's."""
    con = connect(db)
    try:
        address_keys.register(con)
        address_matches.register(con)
        assert con.execute(f"""
            SELECT count(*) FROM reports r LEFT JOIN addresses a ON a.addr_id = r.addr_id
            WHERE r.addr_id IS NOT NULL AND (a.addr_id IS NULL OR a.addr_key <> r.addr_key
                  OR a.postcode IS DISTINCT FROM full_postcode(r.postcode) OR a.place IS DISTINCT FROM {address_ids.place("r")})
        """).fetchone()[0] == 0
        assert con.execute("""
            SELECT count(*) FROM reports WHERE addr_id IS NULL AND addr_key <> ''
              AND (named_street(addr_key) = '' OR addr_key IN (SELECT addr_key FROM addresses))
        """).fetchone()[0] == 0
        order = "ORDER BY ALL"
        kept = con.execute(f"SELECT addr_id, licence_source, licence_ref FROM address_matches {order}").fetchall()
        fresh = con.execute(f"SELECT addr_id, licence_source, licence_ref FROM address_match_rows(NULL) {order}").fetchall()
        assert kept == fresh
    finally:
        con.close()


def _listed(db) -> set[str]:
    con = connect(db)
    try:
        return set(visits.visit_list(con, Filters.default(TODAY), TODAY, limit=None)["address"])
    finally:
        con.close()


@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    """The warehouse after each load: reports, more reports, a register, reports again; then once the source
    that taught "Cherry Hinton Road" has been removed, reports after that, and once the register that taught
    "Woodlands Park Road" has been removed."""
    folder = tmp_path_factory.mktemp("streets")
    db = build_warehouse(folder, {"postcodes": POSTCODES})
    seen = []
    with pytest.MonkeyPatch.context() as mp:
        for kind, text, name in [("reports", FIRST, "police"), ("reports", SECOND, "public"), ("hmo", HMO, "register"),
                                 ("reports", THIRD, "ngo")]:
            _load(db, kind, text, folder, name, mp)
            _check_whole(db)                        # ids and matches stay whole as streets lose theirs
            seen.append((_doors(db), _listed(db)))
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        removal.remove("reports", "public", db=db)
        _check_whole(db)
        seen.append((_doors(db), _listed(db)))
        _load(db, "reports", LAST, folder, "later", mp)
        _check_whole(db)
        seen.append((_doors(db), _listed(db)))
        removal.remove("hmo", "Fenland", db=db)             # every register here loads as Fenland
        _check_whole(db)
        seen.append((_doors(db), _listed(db)))
    return db, seen


def test_a_street_numbered_in_the_same_file_is_no_door(loads):
    _, seen = loads
    doors, listed = seen[0]
    assert doors["S4"] == (False, "MILL PARK ROAD", True)   # on the map, not a door
    assert "Mill Park Road" not in listed and "3 Mill Park Road" in listed
    assert doors["S1"][0] and doors["S3"][0]                # nothing known yet of these two


def test_a_later_load_makes_the_stored_street_no_door(loads):
    _, seen = loads
    doors, listed = seen[1]
    assert doors["S1"] == doors["T2"] == (False, "CHERRY HINTON ROAD", True)
    assert "Cherry Hinton Road" not in listed
    doors, listed = seen[2]                                 # the register's 7 Woodlands Park Road
    assert doors["S3"] == (False, "WOODLANDS PARK ROAD CAMBRIDGE", True)
    assert "Woodlands Park Road, Cambridge" not in listed
    doors, _ = seen[3]
    assert doors["U1"] == (False, "WOODLANDS PARK ROAD", True)  # the licence, stored, teaches the next load


def test_a_street_is_a_door_again_when_the_rows_that_taught_it_are_removed(loads):
    """Removing a source undoes what it taught: "Cherry Hinton Road" was a street only by the removed "34 Cherry
    Hinton Rd", so it is a door again, and a later report of it is that door; "Mill Park Road" stays a street,
    which a report kept shows too. A register removed gives back the doors its licence made streets."""
    db, seen = loads
    doors, listed = seen[4]
    assert "T1" not in doors
    assert doors["S1"] == (True, "CHERRY HINTON ROAD", True) and "Cherry Hinton Road" in listed
    assert doors["S4"] == (False, "MILL PARK ROAD", True) and "Mill Park Road" not in listed
    assert doors["S3"] == (False, "WOODLANDS PARK ROAD CAMBRIDGE", True)   # the register still shows it
    doors, listed = seen[5]
    assert doors["V1"] == (True, "CHERRY HINTON ROAD", True)
    doors, listed = seen[6]
    assert doors["S3"] == (True, "WOODLANDS PARK ROAD CAMBRIDGE", True) and doors["U1"][0]
    assert {"Woodlands Park Road, Cambridge", "Woodlands Park Road"} <= listed
    assert doors["S4"][0] is False
    con = connect(db)
    try:
        ids = dict(con.execute("SELECT report_ref, addr_id FROM reports").fetchall())
    finally:
        con.close()
    assert ids["S1"] == ids["V1"]                       # one door, at one postcode


def test_a_house_name_and_street_stays_a_door(loads):
    db, seen = loads
    for doors, listed in seen:
        assert doors["S2"] == (True, "WOODLANDS CHURCH LANE", True)   # "3 Church Lane" is another street
        assert "Woodlands Church Lane" in listed            # and a flat's 2 is no house number
    con = connect(db)
    try:
        left = {a for (a,) in con.execute("SELECT addr_key FROM addresses").fetchall()}
    finally:
        con.close()
    assert "MILL PARK ROAD" not in left
    assert {"WOODLANDS CHURCH LANE", "CHERRY HINTON ROAD", "WOODLANDS PARK ROAD", "WOODLANDS PARK ROAD CAMBRIDGE"} <= left
