"""What an analyst read after loading reports into a warehouse with some districts' boundaries only (3 December,
eighth round).

With boundaries for Cambridge and Peterborough only, a report in Fenland is in no loaded district and is flagged
outside the area. The load said "2 row(s) flagged outside_area (a point outside the six districts) … check their
coordinates": the coordinates were right, the boundaries were missing. Now the note says how many of them lie inside
the force area, names the districts whose boundary is not loaded, and gives the command that places them.

A CSV exported from a spreadsheet whose formulas failed holds Excel's error values (`#REF!`, `#VALUE!`). Read as no
value in a field a row may leave blank, a `Maximum Occupants` of `#REF!` was lost without a word (a workbook's
summary counted such cells; a CSV's said nothing). Now a CSV's are counted too, by either reader, with the first.
"""
from __future__ import annotations

import json

import pytest

from tests.analysis_fixtures import build_warehouse, day
from tests.helpers import load_text, query

TWO = ("E07000008", "E06000031")          # Cambridge, Peterborough
HEADER = "Report Ref,Date Received,Address,Latitude,Longitude\n"
# bench.etl_speed.write_boundaries' rectangles: Peterborough north-west, Fenland north-middle, Cambridge south-east.
IN_FENLAND = f"F1,{day(-9)},3 Fen Road,52.6650,0.1000\nF2,{day(-20)},4 Fen Road,52.6660,0.1010\n"
IN_CAMBRIDGE = f"C1,{day(-5)},2 Mill Road,52.2000,0.3000\n"
IN_OXFORD = f"X1,{day(-3)},1 Cowley Road,51.7481,-1.2385\n"


def _warehouse(folder, codes):
    from bench.etl_speed import write_boundaries

    folder.mkdir()
    six = json.loads(write_boundaries(folder / "six.geojson").read_text())
    six["features"] = [f for f in six["features"] if f["properties"]["LAD24CD"] in codes]
    return build_warehouse(folder, {"boundaries": json.dumps(six)})


@pytest.fixture
def two_boundaries(tmp_path):
    return _warehouse(tmp_path / "two", TWO)


def test_rows_in_a_district_with_no_boundary_are_said_to_be_so_not_sent_to_their_coordinates(two_boundaries):
    s = load_text(two_boundaries, "reports", HEADER + IN_FENLAND + IN_CAMBRIDGE + IN_OXFORD)
    assert s.rows_loaded == 4
    note = next(w for w in s.warnings if "flagged outside_area" in w)
    assert note.startswith("3 row(s) flagged outside_area (in none of the district boundaries loaded)"), note
    assert "2 of them lie inside the force area, perhaps in East Cambridgeshire, Fenland, Huntingdonshire or " \
           "South Cambridgeshire, whose boundary is not loaded" in note, note
    assert "`python -m etl load boundaries FILE`" in note and "check the coordinates of any others" in note


def test_with_all_six_boundaries_a_point_outside_keeps_the_plain_note(tmp_path):
    from etl import vocab

    db = _warehouse(tmp_path / "six", tuple(vocab.area_districts()))
    s = load_text(db, "reports", HEADER + IN_CAMBRIDGE + IN_OXFORD)
    assert "1 row(s) flagged outside_area (a point outside the six districts): loaded without a district; check " \
           "their coordinates" in s.warnings, s.warnings


def test_with_some_boundaries_a_point_outside_the_force_area_keeps_the_plain_note(two_boundaries):
    s = load_text(two_boundaries, "reports", HEADER + IN_CAMBRIDGE + IN_CAMBRIDGE.replace("C1", "C2") + IN_OXFORD)
    assert "1 row(s) flagged outside_area (a point outside the six districts): loaded without a district; check " \
           "their coordinates" in s.warnings, s.warnings


EXCEL_ERRORS = ("Licence Number,Address,Postcode,Maximum Occupants\n"
                "L1,1 Mill Road,CB1 2AD,5\n"
                "L2,2 Mill Road,CB1 2AD,#REF!\n"
                "L3,#VALUE!,CB1 2AD, #ref! \n"
                "L4,\"Flat #3, 4 Mill Road\",CB1 2AD,4\n")


def test_a_csvs_excel_error_cells_are_counted_with_the_first(db, reader):
    s = load_text(db, "hmo", EXCEL_ERRORS)
    assert (s.rows_loaded, s.rows_rejected) == (3, 1)     # L3: no address, no coordinates
    note = next(w for w in s.warnings if "Excel error" in w)
    assert note.startswith("3 cell(s) of the file show an Excel error, not a value (#REF! ×2, #VALUE!; the first is "
                           "row 3, column 4 'Maximum Occupants'): a formula that failed."), note
    assert query(db, "SELECT licence_ref, max_occupants FROM hmo_licences ORDER BY 1") == [("L1", 5), ("L2", None),
                                                                                            ("L4", 4)]


def test_a_csv_with_a_hash_but_no_excel_error_says_nothing_of_them(db, reader):
    s = load_text(db, "hmo", "Licence Number,Address,Postcode\nL1,\"Flat #3, 4 Mill Road\",CB1 2AD\n")
    assert s.rows_loaded == 1 and not any("Excel error" in w for w in s.warnings), s.warnings


def test_the_fast_readers_scan_sees_an_error_value_across_two_chunks(tmp_path, monkeypatch):
    from etl.reading import fast_csv

    path = tmp_path / "r.csv"
    path.write_bytes(b"a,b\n1,#RE" + b"F!\n")
    monkeypatch.setattr(fast_csv, "CHUNK", 9)          # the chunk ends inside "#REF!"
    assert fast_csv._scan(path).excel_errors
    path.write_bytes(b"a,b\n1,#3 \n")
    assert not fast_csv._scan(path).excel_errors
