"""Every file downloaded from a demo warehouse says it is made up, once it has left the dashboard and its banner.

A demo CSV or workbook looks exactly like a real visit plan: forwarded, or found in a Downloads folder months
later, nothing told it apart. How the app knows: the warehouse's meta table says synthetic = true (`etl demo`
writes it, and `connection.inspect` reads it for the page banner).

- The file name starts with DEMO- (`file_name`): seen before the file is opened, in any folder or e-mail.
- CSV and Excel: a last column `data`, "synthetic demo" on every row. Not a title row or a comment line, which
  would stop the file reading back as a table (pandas, Excel's filters, the partner's import); every row keeps
  the mark when the rows are filtered, sorted or copied elsewhere. The workbook's title property says it too.
- The briefing pack: a banner line at the top of every page (operations/briefing_pdf.py).
- The GPX route: loaded into a sat-nav it has no file name beside it, so its own name starts DEMO and its
  description and every point's description say NOTE (operations/gpx.py `marked`).

The marks are added in `auth.audited_export`, which every download button's data goes through, so a page
cannot forget them; each page names its files with `file_name`.
"""
from __future__ import annotations

import csv
import io
from typing import Callable

from openpyxl import load_workbook

from dashboard import connection
from operations import gpx

NOTE = "SYNTHETIC DEMO DATA – not real people or places"
COLUMN, VALUE = "data", "synthetic demo"
PREFIX = "DEMO-"
TAG = "DEMO"    # the start of a GPX route's name, as a sat-nav lists it


def synthetic() -> bool:
    """Whether the warehouse the page reads is the demo's (the banner's own test)."""
    return bool(connection.inspect().synthetic)


def file_name(name: str, demo: bool | None = None) -> str:
    """The name a download is saved under: DEMO-… from a demo warehouse."""
    demo = synthetic() if demo is None else demo
    return f"{PREFIX}{name}" if demo and not name.startswith(PREFIX) else name


def marked(make: Callable[[], bytes], fmt: str | None, demo: bool | None = None) -> Callable[[], bytes]:
    """`make`, whose file is marked as synthetic when the warehouse is the demo's. Whether it is, is read now
    (in the page's run); the file is built later, when the button is clicked."""
    demo = synthetic() if demo is None else demo
    if not demo:
        return make
    if fmt == "csv":
        return lambda: mark_csv(make())
    if fmt == "xlsx":
        return lambda: mark_xlsx(make())
    if fmt == "pdf":
        from operations import briefing_pdf   # the PDF library only where a pack is built

        def pdf() -> bytes:
            with briefing_pdf.demo_banner(NOTE):
                return make()
        return pdf
    if fmt == "gpx":
        return lambda: gpx.marked(make(), NOTE, TAG)
    return make


def _column_name(header: list) -> str:
    name = COLUMN
    while name in header:   # a table with a `data` column of its own keeps it
        name = f"{name}_"
    return name


def mark_csv(data: bytes) -> bytes:
    """A last column COLUMN holding VALUE on every row; every other cell as it was (formula-safe text stays so)."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        rows = [[]]
    header = rows[0]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*header, _column_name(header)])
    for row in rows[1:]:
        writer.writerow([*row, VALUE])
    return out.getvalue().encode("utf-8-sig")


def mark_xlsx(data: bytes) -> bytes:
    """The same column on every sheet, as text; the workbook's title and subject say it too."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        width = ws.max_column if ws.max_row > 1 or ws.cell(1, 1).value is not None else 0
        header = [ws.cell(1, c).value for c in range(1, width + 1)]
        column = width + 1
        ws.cell(1, column, _column_name(header)).data_type = "s"
        for row in range(2, ws.max_row + 1):
            ws.cell(row, column, VALUE).data_type = "s"
        ws.column_dimensions[ws.cell(1, column).column_letter].width = len(VALUE) + 2
    wb.properties.title = wb.properties.subject = NOTE
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
