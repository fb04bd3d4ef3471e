"""Red-team probes (December, third round, g): Excel error values in cells, and a postcode column that gives no
postcode beside coordinates.

- A formula that failed shows "#REF!", "#VALUE!", "#NAME?" in its cell, in a CSV export as in a workbook. A licence
  numbered "#REF!" or an address "#VALUE!" was stored as that text. An address of an Excel error is now no address
  (as "N/A" is), and a licence number, report reference or case reference of one rejects the row, saying so.
- A row placed by its coordinates whose postcode column says "1234" or "Cambridge" was stored without a word: the
  summary now counts such rows, with the first ones, as a warning (the row still loads by its coordinates).
"""
from __future__ import annotations

from tests.helpers import load_text, query

EXCEL_ERROR = "is an Excel error (a formula that failed), not a value"


# --- 1. Excel error values ----------------------------------------------------------------------------------

def test_a_licence_numbered_by_an_excel_error_is_rejected_saying_so(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    text = ("Licence Number,Address,Postcode\n"
            "#REF!,1 Mill Road,CB1 2AD\n"
            "HMO/2,2 Mill Road,CB1 2AD\n"
            " #name? ,3 Mill Road,CB1 2AD\n"
            "HMO/4,4 Mill Road,CB1 2AD\n")
    s = load_text(db, "hmo", text, source="council")
    assert s.rows_loaded == 2
    assert query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1") == [("HMO/2",), ("HMO/4",)]
    reasons = query(db, "SELECT reason, raw FROM rejects ORDER BY row_number")
    assert len(reasons) == 2
    assert f"licence number '#REF!' {EXCEL_ERROR}" in reasons[0][0]
    assert EXCEL_ERROR in reasons[1][0]
    assert "#REF!" in str(reasons[0][1])     # the cell as written is kept


def test_an_address_of_an_excel_error_is_no_address(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    text = ("Licence Number,Address,Postcode,Latitude,Longitude\n"
            "HMO/1,#VALUE!,CB1 2AD,52.2053,0.1218\n"
            "HMO/2,#REF!,CB1 2AD,,\n"
            "HMO/3,3 Mill Road,CB1 2AD,52.2053,0.1218\n")
    s = load_text(db, "hmo", text, source="council")
    assert s.rows_loaded == 2
    assert query(db, "SELECT licence_ref, address FROM hmo_licences ORDER BY 1") == [
        ("HMO/1", None), ("HMO/3", "3 Mill Road")]
    [(reason,)] = query(db, "SELECT reason FROM rejects")
    assert "address '#REF!' says there is none" in reason


def test_a_report_or_case_reference_of_an_excel_error_is_rejected(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Source Type,Postcode\n"
                                 "#N/A,2026-06-01,police,CB1 2AD\n"
                                 "#DIV/0!,2026-06-02,police,CB1 2AD\n"
                                 "R3,2026-06-03,police,CB1 2AD\n", source="partner")
    assert s.rows_loaded == 1    # '#N/A' too: a lookup that found nothing, no reference
    reasons = [r for (r,) in query(db, "SELECT reason FROM rejects ORDER BY row_number")]
    assert reasons == [f"report reference '#N/A' {EXCEL_ERROR}", f"report reference '#DIV/0!' {EXCEL_ERROR}"]
    s = load_text(db, "cases", "Case Reference,Date Opened,Postcode\n"
                               "#VALUE!,2026-06-01,CB1 2AD\n"
                               "C2,2026-06-02,CB1 2AD\n", source="partner", name="c.csv")
    assert s.rows_loaded == 1
    [(reason,)] = query(db, "SELECT reason FROM rejects WHERE load_id = (SELECT max(load_id) FROM rejects)")
    assert f"case reference '#VALUE!' {EXCEL_ERROR}" in reason


# --- 2. a postcode column that gives no postcode, beside coordinates -----------------------------------------

def test_rows_placed_by_coordinates_with_a_postcode_that_is_not_one_are_counted(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    text = ("Report Ref,Date Received,Source Type,Postcode,Latitude,Longitude\n"
            "R1,2026-06-01,police,CB1 2AD,52.2053,0.1218\n"
            "R2,2026-06-02,police,1234,52.2053,0.1218\n"
            "R3,2026-06-03,police,Cambridge,52.2053,0.1218\n"
            "R4,2026-06-04,police,,52.2053,0.1218\n"
            "R5,2026-06-05,police,N/A,52.2053,0.1218\n"
            "R6,2026-06-06,police,PE13,52.2053,0.1218\n")
    s = load_text(db, "reports", text, source="partner")
    assert s.rows_loaded == 6
    notes = [w for w in s.warnings if "not one" in w]
    assert len(notes) == 1, s.warnings
    assert notes[0].startswith("2 row(s) give a postcode that is not one ('1234' row 3, 'Cambridge' row 4)")
    assert "placed by their coordinates" in notes[0]


def test_a_register_says_its_postcodes_that_are_not_ones_and_a_case_file_shows_rows_only(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Postcode,Easting,Northing\n"
                             "HMO/1,1 Mill Road,see notes,545123,258456\n"
                             "HMO/2,2 Mill Road,CB1 2AD (rear),545123,258456\n", source="council")
    assert s.rows_loaded == 2
    [note] = [w for w in s.warnings if "not one" in w]
    assert note.startswith("1 row(s) give a postcode that is not one ('see notes' row 2): kept as written")
    s = load_text(db, "cases", "Case Reference,Date Opened,Postcode,Latitude,Longitude\n"
                               "C1,2026-06-01,Wisbech,52.6660,0.1600\n"
                               "C2,2026-06-02,PE13 1AA,52.6660,0.1600\n"
                               "C3,2026-06-03,,52.6660,0.1600\n", source="partner", name="c.csv")
    assert s.rows_loaded == 3
    [note] = [w for w in s.warnings if "not one" in w]
    assert note.startswith("1 row(s) give a postcode that is not one (row 2): not stored")
    assert "Wisbech" not in note     # a victim's location is never shown
