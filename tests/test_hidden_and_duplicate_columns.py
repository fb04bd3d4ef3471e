"""Two columns under one field's header: a hidden stale copy beside the visible one, and two "Date" columns
that mean different things. Either way the analyst is told which was read, and why."""
from __future__ import annotations

import openpyxl

from etl.loading import load_file
from tests.helpers import query, write_text


def _reports_with_a_hidden_column(path, hidden: str, headers: list[str], rows: list[list]):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Referrals"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    ws.column_dimensions[hidden].hidden = True
    wb.save(path)
    return path


def test_a_visible_column_is_read_before_a_hidden_one_with_the_same_header(tmp_path, db):
    """A hidden stale "Postcode" before the visible one placed every report at an old postcode."""
    f = _reports_with_a_hidden_column(
        tmp_path / "r.xlsx", "D", ["Report Ref", "Date Received", "Address", "Postcode", "Postcode", "Notes"],
        [["R1", "2026-01-05", "1 High St, March", "PE99 1AA", "PE15 8AA", "note"],
         ["R2", "2026-01-06", "2 High St, March", "PE99 1AB", "PE15 8AB", "note"]])
    s = load_file("reports", f, db=db)
    assert query(db, "SELECT report_ref, postcode FROM reports ORDER BY 1") == [("R1", "PE15 8AA"), ("R2", "PE15 8AB")]
    assert ("hidden column(s) of sheet 'Referrals' not read, a visible column with the same header read instead: "
            "column D 'Postcode' (column E read)") in s.warnings
    assert not any("not read (no field of ours" in w and "Postcode" in w for w in s.warnings)
    assert not any("disagree" in w for w in s.warnings)   # the hidden copy is not compared: it is not read


def test_a_hidden_column_read_for_want_of_a_visible_one_is_named(tmp_path, db):
    f = _reports_with_a_hidden_column(
        tmp_path / "r.xlsx", "B", ["Report Ref", "Date Received", "Postcode", "Old notes"],
        [["R1", "2026-01-05", "PE15 8AA", "x"]])
    f2 = _reports_with_a_hidden_column(tmp_path / "r2.xlsx", "D", ["Report Ref", "Date Received", "Postcode",
                                                                   "Legacy flag"], [["R1", "2026-01-05", "PE15 8AA", "x"]])
    s = load_file("reports", f, db=db)
    assert query(db, "SELECT received_on::VARCHAR FROM reports") == [("2026-01-05",)]
    assert any(w.startswith("hidden column(s) of sheet 'Referrals' read, as no visible column has their header: "
                            "column B 'Date Received' as date received") for w in s.warnings)
    s2 = load_file("reports", f2, db=tmp_path / "w2.duckdb")
    assert any("'Legacy flag' (hidden in Excel)" in w for w in s2.warnings)


def test_two_date_columns_that_disagree_are_counted_and_named(tmp_path, db):
    """The incident date, then the date received: a row with both is stored with the first, and said so."""
    f = write_text(tmp_path / "r.csv", "Report Ref,Date,Address,Postcode,Date\n"
                                       "R1,,1 High St,PE15 8AA,05/02/2026\n"
                                       "R2,01/01/2025,2 High St,PE15 8AA,15/08/2026\n"
                                       "R3,01/01/2025,3 High St,PE15 8AA,14/11/2026\n"
                                       "R4,2026-03-02,4 High St,PE15 8AA,02/03/2026\n")
    s = load_file("reports", f, db=db)
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == [
        ("R1", "2026-02-05"), ("R2", "2025-01-01"), ("R3", "2025-01-01"), ("R4", "2026-03-02")]
    assert ("column 2 'Date' and column 5 'Date' disagree on 2 of the 3 row(s) giving both: column 2 was read as "
            "the date received, and column 5 only where it is blank. If they are different things, rename the "
            "header of the one not meant and load again") in s.warnings


def test_a_copy_of_a_column_is_not_said_to_disagree(tmp_path, db):
    f = write_text(tmp_path / "r.csv", "Report Ref,Date Received,Postcode,Postcode\n"
                                       "R1,2026-01-05,PE15 8AA,pe158aa\nR2,2026-01-05,,PE15 8AB\n")
    s = load_file("reports", f, db=db)
    assert query(db, "SELECT postcode FROM reports ORDER BY report_ref") == [("PE15 8AA",), ("PE15 8AB",)]
    assert not any("disagree" in w for w in s.warnings)
