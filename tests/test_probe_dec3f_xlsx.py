"""Workbooks as partners save them, probed: a Strict Open XML workbook, an Excel table with a totals row,
cells showing an Excel error, and --sheet given a name without the tab's invisible spaces."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table

from etl.errors import FileProblem
from etl.loading import load_file

HEADERS = ["Licence Number", "Address", "Postcode", "Maximum Occupants"]
ROWS = [["T/1", "1 Mill Lane, March", "PE15 9AA", 4], ["T/2", "2 Mill Lane, March", "PE15 9AA", 5]]


def _register(path: Path, rows: list[list] = ROWS, title: str = "Register") -> tuple[Path, openpyxl.Workbook]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in [HEADERS, *rows]:
        ws.append(row)
    return path, wb


def _rewrite(path: Path, edit) -> None:
    """Each part of the workbook's zip passed through `edit(name, bytes)`, as another program would save it."""
    parts = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts[info.filename] = edit(info.filename, zf.read(info.filename))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_strict_open_xml_workbook_is_named_with_what_to_do(tmp_path, db):
    """Excel's "Strict Open XML Spreadsheet" has parts in namespaces openpyxl does not know: it found no sheet,
    and the load failed with "unexpected IndexError"."""
    f, wb = _register(tmp_path / "register.xlsx")
    wb.save(f)
    _rewrite(f, lambda name, data: data
             .replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                      b"http://purl.oclc.org/ooxml/spreadsheetml/main")
             .replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                      b"http://purl.oclc.org/ooxml/officeDocument/relationships"))
    with pytest.raises(FileProblem, match=r'Strict Open XML Spreadsheet.*save it again as "Excel Workbook'):
        load_file("hmo", f, db=db)


def test_the_totals_row_of_an_excel_table_is_skipped_and_said(tmp_path, db):
    """A table's totals row counting its first column has a number where "Total" would be: it was read as a
    licence numbered 2 with no address, and rejected as one."""
    f, wb = _register(tmp_path / "register.xlsx", ROWS + [[2, None, None, 9]])
    table = Table(displayName="Licences", ref="A1:D4", totalsRowCount=1)
    table._initialise_columns()
    table.tableColumns[0].totalsRowFunction = "count"
    table.tableColumns[3].totalsRowFunction = "sum"
    wb.active.add_table(table)
    wb.save(f)

    s = load_file("hmo", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)
    assert "the totals row of an Excel table in sheet 'Register' (row 4 of table 'Licences') was skipped: " \
           "it is not data" in s.warnings


def test_cells_showing_an_excel_error_are_counted_and_named(tmp_path, db):
    """A licence number whose formula failed (#REF!) was stored as licence "#REF!" without a word."""
    f, wb = _register(tmp_path / "register.xlsx", ROWS + [["T/3", "3 Mill Lane, March", "PE15 9AA", 6]])
    wb.save(f)
    errors = {"A2": "#REF!", "B3": "#VALUE!", "D4": "#REF!"}

    def as_errors(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        for ref, code in errors.items():
            data = re.sub(rb'<c r="%s"[^>]*>.*?</c>' % ref.encode(), b'<c r="%s" t="e"><v>%s</v></c>'
                          % (ref.encode(), code.encode()), data)
        return data

    _rewrite(f, as_errors)
    s = load_file("hmo", f, db=db)
    assert ("3 cell(s) of sheet 'Register' show an Excel error, not a value (#REF! ×2, #VALUE!; the first is A2): "
            "a formula that failed. Read as no value where a row may leave the field blank; a reference or a date of "
            "one rejects its row. Fix the formulas in the workbook, save it, and load it again") in s.warnings, s.warnings


def test_sheet_is_found_whatever_its_case_and_its_tabs_invisible_spaces(tmp_path, db):
    f, wb = _register(tmp_path / "register.xlsx", title=" HMO – Licences 2024 ")
    wb.create_sheet("Notes").append(["Read me"])
    wb.save(f)

    s = load_file("hmo", f, db=db, sheet="hmo – licences 2024")
    assert s.rows_loaded == 2
    with pytest.raises(FileProblem, match=r"no sheet named 'Licences'; sheets are ' HMO – Licences 2024 ', 'Notes'"):
        load_file("hmo", f, db=tmp_path / "other.duckdb", sheet="Licences")
