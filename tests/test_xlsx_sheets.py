"""XLSX workbooks as councils and scripts make them: hidden sheets, several register sheets, a used range
stretched to the whole sheet, and formulas saved without their values."""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from etl.loading import load_file
from tests.helpers import query

HEADERS = ["Licence Number", "Address", "Postcode", "Maximum Occupants"]


def _register_sheet(wb: openpyxl.Workbook, title: str, refs: list[str], state: str = "visible"):
    ws = wb.create_sheet(title)
    ws.sheet_state = state
    ws.append(HEADERS)
    for n, ref in enumerate(refs, start=1):
        ws.append([ref, f"{n} New Road, March", "PE15 9AA", 5])
    return ws


def _workbook_with_cover() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.active.append(["Notes: this register lists the council's HMO licences"])
    return wb


def _licences(db: Path) -> list[str]:
    return [r[0] for r in query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1")]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_visible_register_sheet_is_read_before_a_hidden_one(tmp_path, db, state):
    """Reading last year's hidden sheet would end every current licence of the source."""
    f = tmp_path / "register.xlsx"
    wb = _workbook_with_cover()
    _register_sheet(wb, "Old 2019", ["OLD/1"], state)
    _register_sheet(wb, "Current", ["NEW/1", "NEW/2"])
    wb.save(f)

    s = load_file("hmo", f, db=db, source="Fenland")
    assert _licences(db) == ["NEW/1", "NEW/2"]
    assert "sheet 'Old 2019' is hidden and was not read, though it has hmo headers too: " \
           "to load it, name it with --sheet 'Old 2019'" in s.warnings

    hidden = load_file("hmo", f, db=tmp_path / "other.duckdb", source="Fenland", sheet="Old 2019")
    assert _licences(tmp_path / "other.duckdb") == ["OLD/1"]
    assert any("sheet 'Old 2019' is hidden in the workbook" in w for w in hidden.warnings)


def test_a_hidden_sheet_is_read_when_no_visible_sheet_has_the_headers(tmp_path, db):
    f = tmp_path / "register.xlsx"
    wb = _workbook_with_cover()
    _register_sheet(wb, "Data", ["H/1"], "hidden")
    wb.save(f)
    s = load_file("hmo", f, db=db)
    assert _licences(db) == ["H/1"]
    assert any("sheet 'Data' is hidden in the workbook" in w for w in s.warnings)


def test_other_sheets_with_register_headers_are_named_not_merged(tmp_path, db):
    f = tmp_path / "register.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _register_sheet(wb, "Wisbech", ["W/1"])
    _register_sheet(wb, "March", ["M/1", "M/2"])
    wb.save(f)

    s = load_file("hmo", f, db=db, source="Fenland")
    assert _licences(db) == ["W/1"]
    assert ("only sheet 'Wisbech' was read: sheet 'March' has hmo headers too. Sheets are not merged; to load "
            "another, run one load per sheet, e.g. --sheet 'March', each with its own --source (an hmo load "
            "replaces what its source loaded before)") in s.warnings

    march = load_file("hmo", f, db=db, source="Fenland March", sheet="March")
    assert march.rows_loaded == 2
    assert not any("only sheet" in w for w in march.warnings)


def test_a_used_range_spanning_the_whole_sheet_loads(tmp_path, db):
    """One formatted empty cell at XFD1 and one at A1048576 declare a used range of 16,384 columns by
    1,048,576 rows; before, the load padded every row to it and never finished."""
    f = tmp_path / "register.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["T/1", "1 Mill Lane, March", "PE15 9AA", 4])
    ws.append([])
    ws.append([None, "4 Mill Lane, March", "PE15 9AA", 4])
    ws.cell(1, 16384).font = Font(bold=True)
    ws.cell(4, 16384).font = Font(bold=True)
    ws.cell(1048576, 1).font = Font(bold=True)
    wb.save(f)

    s = load_file("hmo", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 1, 1)
    assert query(db, "SELECT row_number, reason FROM rejects") == [(4, "licence number is blank")]


def _formula_register(path: Path) -> Path:
    """Saved by openpyxl, which writes formulas but never calculates them: no value is stored."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["F/1", "1 Mill Lane, March", "PE15 9AA", 4])
    ws.append(['=CONCAT("F/","2")', "2 Mill Lane, March", '=UPPER("pe15 9aa")', "=2+2"])
    wb.save(path)
    return path


def test_formulas_saved_without_their_values_are_reported(tmp_path, db):
    s = load_file("hmo", _formula_register(tmp_path / "register.xlsx"), db=db)
    assert s.rows_rejected == 1
    assert ("3 formula cells in sheet 'Sheet' have no saved value and were read as blank (the first is A3): the "
            "workbook was saved by a program that does not calculate formulas. Open it in Excel or LibreOffice, "
            "save it, and load it again") in s.warnings


def test_formulas_only_in_a_banner_and_a_totals_row_are_not_reported(tmp_path, db):
    """A title's =TODAY() above the header and the totals row's =SUM under the table are skipped, not data:
    telling the analyst to open and save the workbook for them would change nothing."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["HMO licence register", "=TODAY()"])
    ws.append(HEADERS)
    ws.append(["F/1", "1 Mill Lane, March", "PE15 9AA", 4])
    ws.append(["F/2", "2 Mill Lane, March", "PE15 9AA", 5])
    ws.append(["Total", "2 licences", None, "=SUM(D3:D4)"])
    wb.save(tmp_path / "register.xlsx")
    s = load_file("hmo", tmp_path / "register.xlsx", db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert not [w for w in s.warnings if "formula" in w], s.warnings


def test_a_data_row_of_unsaved_formulas_is_still_reported_beside_a_totals_row(tmp_path, db):
    """Only the skipped rows' formulas are left out: a data row's, even one that reads as blank, are said."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["F/1", "1 Mill Lane, March", "PE15 9AA", 4])
    ws.append(['=CONCAT("F/","2")', '=CONCAT("2 Mill", " Lane")', '=UPPER("pe15 9aa")', "=2+2"])
    ws.append(["Total", "2 licences", None, "=SUM(D2:D3)"])
    wb.save(tmp_path / "register.xlsx")
    s = load_file("hmo", tmp_path / "register.xlsx", db=db)
    assert ("4 formula cells in sheet 'Sheet' have no saved value and were read as blank (the first is A3): the "
            "workbook was saved by a program that does not calculate formulas. Open it in Excel or LibreOffice, "
            "save it, and load it again") in s.warnings


def test_formulas_with_saved_values_are_read_without_a_warning(tmp_path, db):
    """As Excel saves them: each formula with its last value, and "" as an empty <v> of a string formula."""
    f = _formula_register(tmp_path / "register.xlsx")
    with zipfile.ZipFile(f) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for formula, saved in (('CONCAT("F/","2")', '<v>F/2</v>'), ('UPPER("pe15 9aa")', '<v>PE15 9AA</v>'),
                           ("2+2", "<v>4</v>")):
        sheet = sheet.replace(f"<f>{formula}</f><v />", f"<f>{formula}</f>{saved}")
    sheet = sheet.replace('<c r="A3">', '<c r="A3" t="str">').replace('<c r="C3">', '<c r="C3" t="str">')
    sheet = sheet.replace("</row></sheetData>",
                          '<c r="E3" t="str"><f>""</f><v></v></c></row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(f, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)

    s = load_file("hmo", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert query(db, "SELECT licence_ref, max_occupants FROM hmo_licences ORDER BY 1") == [("F/1", 4), ("F/2", 4)]
    assert not any("formula" in w for w in s.warnings)


def test_a_chart_sheet_named_with_sheet_is_refused_saying_it_is_a_chart(tmp_path):
    import openpyxl
    import pytest
    from openpyxl.chart import BarChart, Reference

    from etl.errors import FileProblem
    from etl.loading import load_file

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Register"
    ws.append(["Licence Number", "Address", "Postcode"])
    ws.append(["L1", "1 A Rd", "PE13 1AA"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=2))
    wb.create_chartsheet("Chart").add_chart(chart)
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(FileProblem, match="sheet 'Chart' is a chart, not a table of rows; sheets with rows are Register"):
        load_file("hmo", tmp_path / "c.xlsx", db=tmp_path / "w.duckdb", sheet="Chart")
    assert load_file("hmo", tmp_path / "c.xlsx", db=tmp_path / "w.duckdb").rows_loaded == 1


def test_rows_hidden_in_excel_are_loaded_and_said(tmp_path, db):
    """A filtered register hides rows the analyst never saw (withdrawn licences, often): loaded, and named."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = _register_sheet(wb, "Register", ["H1", "H2", "H3", "H4"])
    for row in (3, 5, 9):          # two licences, and a hidden row holding nothing
        ws.row_dimensions[row].hidden = True
    path = tmp_path / "filtered.xlsx"
    wb.save(path)
    s = load_file("hmo", path, db=db)
    assert _licences(db) == ["H1", "H2", "H3", "H4"]
    assert "2 row(s) of sheet 'Register' are hidden in Excel (row 3, 5): loaded like the others. A filtered " \
           "export often hides withdrawn or refused entries: check them" in s.warnings
