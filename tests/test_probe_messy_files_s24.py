"""Messy files from an evaluator's probe (session 24) that loaded without an error but read wrongly.

A partner referral form gives its signs as tick boxes, one column per sign ("Multiple occupants Y/N",
"Mattresses on floor (Y/N)", "Van pick ups"): every sign was lost (the columns were named as not read) and the
keyword "occupants" made the Y and N answers the number of people seen (etl/loaders/sign_flags.py,
etl/reading/headers.py `yes_no_header`). Beside such a form's "Workers collected by van", its "Number of people
seen" was read as nothing, the word "workers" in the other making the two a tie no note explained
(etl/vocab/headers.toml, etl/loaders/tabular.py `_fields_left_ambiguous`).
"""
from __future__ import annotations

from tests.helpers import load_text, query

TICK_BOXES = ("Report Ref,Date Received,Postcode,Multiple occupants Y/N,Curtains drawn Y/N,"
              "Mattresses on floor (Y/N),Van pick ups,Notes\n"
              "F0,02/11/2025,PE13 1AA,Y,N,Y,N,visit\n"
              "F1,02/11/2025,PE13 1AA,N,N,N,Y,visit\n"
              "F2,02/11/2025,PE13 1AA,Yes,No,,,visit\n"
              "F3,02/11/2025,PE13 1AA,N,N,N,N,visit\n")


def test_a_ticked_sign_is_a_sign_of_the_report(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", TICK_BOXES)
    rows = {r: (signs, text) for r, signs, text in query(db, "SELECT report_ref, indicators, indicators_text FROM reports")}
    assert rows == {"F0": (["many_occupants", "mattresses"], "Multiple occupants; Mattresses on floor"),
                    "F1": (["van_pickups"], "Van pick ups"), "F2": (["many_occupants"], "Multiple occupants"),
                    "F3": ([], None)}
    said = [w for w in s.warnings if "tick box" in w]
    assert len(said) == 1 and "'Mattresses on floor (Y/N)'" in said[0] and "'Van pick ups'" in said[0], s.warnings
    assert not [w for w in s.warnings if w.startswith("column(s) not read")], s.warnings


def test_a_yes_no_column_is_never_the_number_of_people(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", TICK_BOXES)
    assert query(db, "SELECT DISTINCT people_count FROM reports") == [(None,)]
    assert not [w for w in s.warnings if "people count" in w or "number of people" in w], s.warnings


def test_a_ticked_sign_joins_the_indicators_column(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", "Reference,Date Received,Postcode,Indicators,Bars on windows (Yes/No)\n"
              "G1,02/11/2025,PE13 1AA,mattresses,Yes\nG2,02/11/2025,PE13 1AA,mattresses,No\n")
    assert dict(query(db, "SELECT report_ref, indicators FROM reports")) == {
        "G1": ["barred_windows", "mattresses"], "G2": ["mattresses"]}


def test_a_column_of_a_signs_name_holding_other_values_is_no_tick_box(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date Received,Postcode,Van registration\n"
                  "H1,02/11/2025,PE13 1AA,AB12 CDE\nH2,02/11/2025,PE13 1AA,Y\n")
    assert query(db, "SELECT DISTINCT indicators FROM reports") == [([],)]
    assert [w for w in s.warnings if w.startswith("column(s) not read") and "'Van registration'" in w], s.warnings


def test_excel_ticks_and_the_number_of_people_seen_beside_them(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", "Ref,Date Received,Postcode,Fear of police?,Workers collected by van,"
              "Number of people seen\nK0,02/11/2025,PE13 1AA,TRUE,x,4\nK1,02/11/2025,PE13 1AA,FALSE,,3\n")
    assert query(db, "SELECT report_ref, indicators, people_count FROM reports ORDER BY 1") == [
        ("K0", ["fear_of_authorities", "van_pickups"], 4), ("K1", [], 3)]


def test_a_field_two_headers_fit_equally_is_named(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Ref,Date Received,Postcode,Persons present,Workers on site\n"
                  "K0,02/11/2025,PE13 1AA,4,2\n")
    said = [w for w in s.warnings if "could each be the people count" in w]
    assert len(said) == 1 and "'Persons present'" in said[0] and "'Workers on site'" in said[0], s.warnings
    assert "--mapping" in said[0]
