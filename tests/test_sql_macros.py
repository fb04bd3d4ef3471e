"""The value-level SQL macros (etl/sql/macros.sql) that every loader shares."""
from __future__ import annotations

import duckdb
from hypothesis import given, settings, strategies as st

from etl import loading

TYPED_NUMBER = st.text(alphabet="0123456789.,+-eE £\t\n\u00a0_xinfa", max_size=12)


@settings(max_examples=400, deadline=None)
@given(values=st.lists(TYPED_NUMBER | st.floats(allow_nan=False).map(str), min_size=1, max_size=30))
def test_parse_number_is_the_number_left_once_separators_are_removed(values):
    """parse_number tries a plain cast first, for speed; it must give what its rules alone give (a lone comma
    among digits is a decimal one unless it groups thousands; separators are removed only where they group
    thousands), for any text (bit for bit: NaN and -0.0 included)."""
    con = duckdb.connect()
    con.execute(loading.MACROS.read_text())
    got = con.execute("""
        SELECT CAST(parse_number(v) AS VARCHAR),
               CAST(coalesce(
                   CASE WHEN regexp_full_match(_number_text(v), '[-+]?[0-9]+,[0-9]+')
                         AND NOT regexp_full_match(_number_text(v), '[-+]?[1-9][0-9]{0,2}(,[0-9]{3})+')
                        THEN try_cast(replace(_number_text(v), ',', '.') AS DOUBLE) END,
                   CASE WHEN regexp_full_match(_number_text(v),
                                               '[-+]?[1-9][0-9]{0,2}((,[0-9]{3})+|( [0-9]{3})+)(\\.[0-9]+)?')
                        THEN try_cast(regexp_replace(v, '[,\\s£]', '', 'g') AS DOUBLE) END,
                   try_cast(_number_text(v) AS DOUBLE)) AS VARCHAR)
        FROM (SELECT unnest(?::VARCHAR[]) AS v)
    """, [values]).fetchall()
    assert all(a == b for a, b in got), [(v, a, b) for v, (a, b) in zip(values, got) if a != b]


def test_a_comma_is_thousands_before_groups_of_three_digits_and_else_a_decimal_comma():
    """An easting of '546182,5' is a continental spreadsheet's 546182.5, not 5461825 (which is no British grid
    reference, and was rejected as one), and 5,0 occupants are 5, not 50."""
    con = duckdb.connect()
    loading.define_value_macros(con)
    cases = {"546182": 546182.0, "546182.5": 546182.5, "546182,5": 546182.5, "546182,25": 546182.25,
             "546,182": 546182.0, "1,546,182": 1546182.0, " 546 182 ": 546182.0, "546182,2500": 546182.25,
             "-1234,5": -1234.5, "5,0": 5.0, "1,5": 1.5, "6,00": 6.0, "1,200": 1200.0, "£1,200.50": 1200.5,
             "0,151": 0.151, "0,500": 0.5, "1 200": 1200.0, "3, 4": None, "3 4": None, "2, 3": None,
             "abc": None, "": None, "−0.241": -0.241, "- 0.119": -0.119, "– 12": -12.0, "-": None}
    got = dict(con.execute("SELECT v, parse_number(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                           [list(cases)]).fetchall())
    assert got == cases
    counts = {"5,0": 5, "6,00": 6, "1,5": None, "1,200": 1200}
    assert dict(con.execute("SELECT v, parse_count(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                            [list(counts)]).fetchall()) == counts


def test_a_count_is_read_as_partners_write_it_and_two_numbers_are_not_guessed():
    """parse_count (etl/counts.py, words in etl/vocab/counts.toml): "6 persons" or "Six" on a council
    register is 6; "5 or 6", "6-8" or 6.5 are no whole number, and the row is rejected saying so."""
    cases = {"6": 6, " 6 ": 6, "6.0": 6, "1,200": 1200, "6 persons": 6, "6 People": 6, "Six": 6,
             "six persons": 6, "up to 6": 6, "Max: 7": 7, "8 (5 households)": 8, "8(5 households)": 8,
             "3 storeys": 3, "twelve": 12, "approx 4 adults": 4, "approximately 6": 6, "~6": 6, "at least 6 people": 6,
             "None": 0, "0": 0, "10 persons in 4 households": 10, "8, 3 lets": 8,
             "5 or 6": None, "6-8": None, "6.5": None, "many": None, "6 persons 2 households": None,
             "persons 6": None, "": None, "sixty": None, "-3": -3}
    assert _read_by("parse_count", cases) == cases


def _read_by(macro: str, cases: dict) -> dict:
    """Each text of `cases` as the value macro reads it."""
    con = duckdb.connect()
    loading.define_value_macros(con)
    return dict(con.execute(f"SELECT v, {macro}(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)", [list(cases)]).fetchall())


def test_an_hmo_register_writing_occupants_in_words_loads_every_licence(tmp_path):
    from etl.loading import load_file
    from tests.helpers import query, write_text

    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "h.csv", "Licence No,Property Address,Postcode,Max Occupants,Households\n"
                   "L1,14 Mill Lane,PE13 1AB,6 persons,2 households\nL2,16 Mill Lane,PE13 1AB,Six,\n"
                   "L3,18 Mill Lane,PE13 1AB,5 or 6,\n")
    s = load_file("hmo", f, db=db, source="Fenland")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(db, "SELECT licence_ref, max_occupants, households FROM hmo_licences ORDER BY 1") == \
        [("L1", 6, 2), ("L2", 6, None)]
    # Households written after the occupants fill the households a row leaves blank, never one it gives.
    g = write_text(tmp_path / "g.csv", "Licence No,Property Address,Postcode,Max Occupants,Households\n"
                   "L4,20 Mill Lane,PE13 1AB,6 (2 households),\nL5,22 Mill Lane,PE13 1AB,10 persons in 4 households,\n"
                   "L6,24 Mill Lane,PE13 1AB,8 (3 households),2\n")
    load_file("hmo", g, db=tmp_path / "v.duckdb", source="Fenland")
    assert query(tmp_path / "v.duckdb", "SELECT licence_ref, max_occupants, households FROM hmo_licences "
                 "ORDER BY 1") == [("L4", 6, 2), ("L5", 10, 4), ("L6", 8, 2)]
    assert "maximum occupants '5 or 6' is not a whole number" in query(db, "SELECT reason FROM rejects")[0][0]


def test_storeys_written_as_a_sum_of_floors_are_counted():
    """parse_storeys: "G+2" on a register is the ground floor and two above, 3 storeys; a basement or a room
    in the roof adds one. A plain count reads as parse_count does; anything else is still no number."""
    cases = {"G+2": 3, "g + 2": 3, "Ground + 1": 2, "Ground floor + 2 floors": 3, "GF+1": 2, "B+G+2": 4,
             "Basement + Ground + 2": 4, "G+2+attic": 4, "LG + G + 1 + loft": 4, "ground and 2": 3,
             "3": 3, "3 storeys": 3, "three": 3, "None": 0,
             "G": None, "2+G": None, "G+": None, "G+2+3": None, "5 or 6": None, "": None}
    assert _read_by("parse_storeys", cases) == cases


def test_an_hmo_register_giving_storeys_as_floors_loads_them(tmp_path):
    from etl.loading import load_file
    from tests.helpers import query, write_text

    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "h.csv", "Licence No,Property Address,Postcode,Max Occupants,Storeys\n"
                   "L1,14 Mill Lane,PE13 1AB,6,G+2\nL2,16 Mill Lane,PE13 1AB,5,B+G+1\nL3,18 Mill Lane,PE13 1AB,5,G+two\n")
    s = load_file("hmo", f, db=db, source="Fenland")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(db, "SELECT licence_ref, storeys FROM hmo_licences ORDER BY 1") == [("L1", 3), ("L2", 3)]
    assert "storeys 'G+two' is not a whole number" in query(db, "SELECT reason FROM rejects")[0][0]


def test_dates_as_partners_write_them_and_never_month_first_in_numbers():
    """parse_date: a leading weekday, ordinals, commas and a time are ignored; a month's name may come
    first, since it is never ambiguous; a two-digit year after a month's name is this century's; a
    numeric month-first date and an impossible day are no date."""
    import datetime as dt

    con = duckdb.connect()
    loading.define_value_macros(con)
    d = dt.date
    cases = {"Tuesday 3 November 2026": d(2026, 11, 3), "Tue 3 Nov 2026": d(2026, 11, 3),
             "Sat, 3 Oct 2026": d(2026, 10, 3), "Monday, 2nd March 2026 14:00": d(2026, 3, 2),
             "Nov 3, 2026": d(2026, 11, 3), "November 3 2026": d(2026, 11, 3), "3 Sept 2026": d(2026, 9, 3),
             "03 Nov 26": d(2026, 11, 3), "3-Nov-26": d(2026, 11, 3), "  3  Nov  2026 ": d(2026, 11, 3),
             "01/03/25": d(2025, 3, 1), "2026-11-03T14:22:00Z": d(2026, 11, 3), "3/11/2026 2:22 PM": d(2026, 11, 3),
             "2026-11-03 10:15:00 GMT": d(2026, 11, 3), "03/11/2026 10:15 (BST)": d(2026, 11, 3),
             "2026-11-03T10:15 UTC+1": d(2026, 11, 3), "20261103T142200Z": d(2026, 11, 3),
             "20261103T1422": d(2026, 11, 3), "20261103T142200.5+0100": d(2026, 11, 3), "20261103T14": None,
             "45000": d(2023, 3, 15), "March 2025": d(2025, 3, 1),
             # a month alone is its 1st: police.uk's "2019-08" once Excel has saved it ("Aug-19"), other exports'
             "Aug-19": d(2019, 8, 1), "Aug-2019": d(2019, 8, 1), "201908": d(2019, 8, 1), "Sept-20": d(2020, 9, 1),
             "31 Mar. 2025": d(2025, 3, 31), "201913": None, "March 24": None, "Mar 05": None,
             "05/03/2024 14.22": d(2024, 3, 5), "05/03/2024 - 14:22": d(2024, 3, 5), "5 March 2024 at 14:22": d(2024, 3, 5),
             "05/03/2024 2:22 p.m.": d(2024, 3, 5), "1.3.25": d(2025, 3, 1),
             "2026.09.05": d(2026, 9, 5), "5th of September 2026": d(2026, 9, 5), "2026-09-05Z": d(2026, 9, 5),
             "Sat 5/9/26 11pm": d(2026, 9, 5), "05/09/2026 11 p.m.": d(2026, 9, 5),
             "12/31/2024": None, "Wed 31 Feb 2026": None, "Sunny 3 Nov 2026": None, "soon": None}
    got = dict(con.execute("SELECT v, parse_date(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                           [list(cases)]).fetchall())
    assert got == cases


def test_degrees_as_people_and_devices_write_them():
    """parse_degrees: hemispheres (S and W negative), degree signs, a decimal comma, degrees-minutes-seconds, and
    a minus as U+2212 or an en dash, or spaced off its number (these rejected the row as "not a number")."""
    con = duckdb.connect()
    loading.define_value_macros(con)
    cases = {"52.574": 52.574, "-0.241": -0.241, "52.574° N": 52.574, "N52.574": 52.574, "0.241W": -0.241,
             "0.241 W": -0.241, "S 33.9": -33.9, "52,574": 52.574, "-0,241": -0.241,
             "52°34'26.4\"N": 52.574, "52 34 26.4 N": 52.574, "0°14'27.6\"W": -0.241, "52° 34.44' N": 52.574,
             "abc": None, "": None, "52.5.7": None, "N": None,
             "−0.241": -0.241, "- 0.119": -0.119, "– 0.119": -0.119}   # a word processor's minus, or one spaced off
    got = dict(con.execute("SELECT v, round(parse_degrees(v), 6) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                           [list(cases)]).fetchall())
    assert got == cases


def test_os_grid_references_are_the_centre_of_the_square_they_name():
    """TL is the 100 km square at (500 km, 200 km); a 10-figure reference names a 1 m square, a 6-figure one
    a 100 m square, and the point is its centre. Letters outside Great Britain's squares, odd digit counts
    and a missing square are no reference. A note in brackets or "approx" after it is dropped."""
    con = duckdb.connect()
    loading.define_value_macros(con)
    cases = {"TL 45123 58123": (545123.5, 258123.5), "tl4512358123": (545123.5, 258123.5),
             "TF461097": (546150.0, 309750.0), "TL45": (545000.0, 255000.0), "NT 25 73": (325500.0, 673500.0),
             "SV 9 1": (95000.0, 15000.0), "TL451": None, "XX1234": None, "451234": None, "TI1234": None,
             # a note after the reference is no part of it
             "TL 451 583 (approx)": (545150.0, 258350.0), "TL4558 [field gate]": (545500.0, 258500.0),
             "TL 451 583 approx.": (545150.0, 258350.0), "TL 451 583 (approx": None}
    got = {v: (None if p is None else (p["easting"], p["northing"])) for v, p in con.execute(
        "SELECT v, grid_ref_point(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)", [list(cases)]).fetchall()}
    assert got == cases
