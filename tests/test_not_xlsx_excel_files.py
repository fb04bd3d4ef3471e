"""Files that open in Excel but are not XLSX (an OpenDocument spreadsheet, an .xlsb, a web page or an Excel
2003 XML file saved as .xls) are refused in one line saying what they are and how to save them, rather than
read as a CSV whose "header row" is markup, or opened as a workbook with no worksheets."""
from __future__ import annotations

import zipfile

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import write_text

HTML = ("<html><head><meta http-equiv=Content-Type content='text/html; charset=utf-8'></head><body><table>"
        "<tr><th>Report Ref</th><th>Date Received</th><th>Postcode</th></tr>"
        "<tr><td>R1</td><td>01/02/2026</td><td>PE15 8AA</td></tr></table></body></html>\n")
SPREADSHEET_ML = ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                  '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table>'
                  '<Row><Cell><Data ss:Type="String">Report Ref</Data></Cell></Row></Table></Worksheet></Workbook>\n')


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name, make, told", [
    ("reports.ods", lambda p: _zip(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                       "content.xml": b"<office:document-content/>"}),
     "this is an OpenDocument spreadsheet (.ods, from LibreOffice or OpenOffice), which is not read: open it "
     "and save it as .xlsx or CSV"),
    ("reports.xlsb", lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00",
                                        "xl/worksheets/sheet1.bin": b"\x81\x01\x00"}),
     "this is an Excel binary workbook (.xlsb), which is not read: open it in Excel and save it as an Excel "
     "Workbook (.xlsx) or CSV"),
    ("export.xls", lambda p: write_text(p, HTML),
     'this is a web page (an HTML table, as some systems export to "Excel"), which is not read: open it in Excel '
     "(or LibreOffice) and save it as .xlsx or CSV"),
    ("export.xls", lambda p: write_text(p, "\ufeff<!DOCTYPE html>\n" + HTML, encoding="utf-16"),
     "this is a web page"),
    ("export.xls", lambda p: write_text(p, SPREADSHEET_ML),
     "this is an Excel 2003 XML spreadsheet (SpreadsheetML), which is not read: open it in Excel (or LibreOffice) "
     "and save it as .xlsx or CSV"),
    ("export.xml", lambda p: write_text(p, SPREADSHEET_ML), "this is an Excel 2003 XML spreadsheet"),
])
def test_an_excel_file_that_is_not_xlsx_is_named_with_what_to_do(tmp_path, name, make, told):
    f = make(tmp_path / name)
    with pytest.raises(FileProblem) as err:
        load_file("reports", f, db=tmp_path / "w.duckdb")
    assert err.value.problem.startswith(told)
    assert "--mapping" not in err.value.problem


def test_a_csv_whose_first_header_starts_with_a_bracket_still_loads(tmp_path):
    """Markup is told by its tags (<html>, <table>, <?xml …>), not by a "<" alone."""
    f = write_text(tmp_path / "r.csv", "<Report Ref>,Date Received,Postcode\nR1,01/02/2026,PE15 8AA\n")
    assert load_file("reports", f, db=tmp_path / "w.duckdb").rows_loaded == 1
