"""Workbooks saved with Excel's 1904 date system (Excel for Mac's): a date typed as a plain number counts
days from 1 January 1904 there, not from 30 December 1899. Read with the wrong epoch, every date was four
years and a day early, without a word."""
from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from etl import loading
from etl.loading import load_file
from tests.helpers import query


@pytest.mark.parametrize("epoch, expected", [(None, "2022-04-01"), ("1899-12-30", "2022-04-01"),
                                             ("1904-01-01", "2026-04-02")])
def test_parse_date_reads_serials_from_the_loads_epoch(epoch, expected):
    con = duckdb.connect()
    loading.define_value_macros(con)
    if epoch:
        con.execute(f"SET VARIABLE excel_epoch = DATE '{epoch}'")
    assert con.execute("SELECT parse_date('44652')::VARCHAR, parse_date('02/04/2026')::VARCHAR").fetchone() == (
        expected, "2026-04-02")


@pytest.mark.parametrize("calendar, serial", [(CALENDAR_MAC_1904, 44652), (CALENDAR_WINDOWS_1900, 46114)])
def test_numbers_in_a_date_column_read_with_the_workbooks_epoch(tmp_path, calendar, serial):
    """Both workbooks hold 2 April 2026, once as a General-format serial and once as a date cell."""
    wb = openpyxl.Workbook()
    wb.epoch = calendar
    ws = wb.active
    ws.append(["Report Ref", "Date Received", "Postcode"])
    ws.append(["R1", serial, "PE15 8AA"])
    ws.append(["R2", dt.datetime(2026, 4, 2), "PE15 8AA"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    db = tmp_path / "w.duckdb"
    load_file("reports", path, db=db)
    # A later load in the same warehouse of a CSV reads serials from 1899 again.
    csv = tmp_path / "r.csv"
    csv.write_text("Report Ref,Date Received,Postcode\nC1,46114,PE15 8AA\n")
    load_file("reports", csv, db=db)
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == [
        ("C1", "2026-04-02"), ("R1", "2026-04-02"), ("R2", "2026-04-02")]
