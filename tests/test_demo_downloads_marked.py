"""Files downloaded from a demo warehouse say they are made up: a DEMO- file name, a `data` column reading
"synthetic demo" on every row of a CSV or workbook (which still reads back as a clean table), and a banner
line on every page of the briefing pack. Files from a real warehouse carry none of it."""
from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from analysis import spreadsheets
from dashboard import downloads as marks
from operations import briefing_pdf, gpx, plans
from operations.plans import Start
from tests.test_access_dashboard import PAGES, accounts, sign_in, small_db, start  # noqa: F401

NOTE = "SYNTHETIC DEMO DATA – not real people or places"
GPX_NS = {"g": gpx.NS}
TRICKY = pd.DataFrame({"Rank": [1, 2, 3], "Address": ['1 "Mill" Lane, Wisbech', "Flat 2\r\nHigh St", "Łódź Road"],
                       "Why": ["=HYPERLINK(\"http://evil\")", "", None], "Reports": [3, 0, 12],
                       "Last report": [dt.date(2026, 11, 1), None, dt.date(2026, 10, 2)]})


def _pages_text(data: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


# --- the marks themselves ------------------------------------------------------------------------------------

def test_a_marked_csv_reads_back_as_the_same_table_with_one_more_column():
    plain = spreadsheets.to_csv(TRICKY)
    marked = marks.marked(lambda: plain, "csv", demo=True)()
    assert marked.startswith(b"\xef\xbb\xbf") and b"\r\n" in marked      # still opens in Excel as before
    before = pd.read_csv(io.BytesIO(plain), encoding="utf-8-sig", keep_default_na=False)
    after = pd.read_csv(io.BytesIO(marked), encoding="utf-8-sig", keep_default_na=False)
    assert list(after.columns) == [*before.columns, "data"]
    assert (after["data"] == "synthetic demo").all() and len(after) == 3
    pd.testing.assert_frame_equal(after.drop(columns="data"), before)   # formula-safe text, newlines, accents
    assert marks.marked(lambda: plain, "csv", demo=False)() == plain


def test_a_marked_workbook_is_still_a_clean_table():
    plain = spreadsheets.to_xlsx(TRICKY)
    marked = marks.marked(lambda: plain, "xlsx", demo=True)()
    before, after = pd.read_excel(io.BytesIO(plain)), pd.read_excel(io.BytesIO(marked))
    assert list(after.columns) == [*before.columns, "data"]                 # the header is still the first row
    assert (after["data"] == "synthetic demo").all() and len(after) == len(before) == 3
    pd.testing.assert_frame_equal(after.drop(columns="data"), before)
    wb = load_workbook(io.BytesIO(marked))
    assert wb.properties.title == NOTE and wb.active.freeze_panes == "A2"
    assert wb.active["B2"].data_type == "s"
    assert marks.marked(lambda: plain, "xlsx", demo=False)() == plain


def test_a_table_with_a_data_column_of_its_own_keeps_it():
    marked = marks.mark_csv(spreadsheets.to_csv(pd.DataFrame({"data": ["x"]})))
    assert pd.read_csv(io.BytesIO(marked), encoding="utf-8-sig").columns.tolist() == ["data", "data_"]


def test_demo_file_names_start_with_demo():
    assert marks.file_name("visit-plan-2026-11-30.csv", demo=True) == "DEMO-visit-plan-2026-11-30.csv"
    assert marks.file_name("DEMO-x.csv", demo=True) == "DEMO-x.csv"
    assert marks.file_name("visit-plan-2026-11-30.csv", demo=False) == "visit-plan-2026-11-30.csv"


def _pack(stops: int) -> briefing_pdf.Pack:
    frame = pd.DataFrame({"address": [f"{i} Mill Lane, Wisbech" for i in range(stops)], "postcode": "PE13 2ZZ",
                          "district": "Fenland", "lat": [52.66 + i / 1000 for i in range(stops)], "lon": 0.16,
                          "licence_status": "expired", "reasons": "3 reports in the last 90 days " * 12,
                          "languages": "Lithuanian, Russian", "address_key": [f"k{i}" for i in range(stops)]})
    start = Start("Wisbech", 52.66, 0.16)
    return briefing_pdf.Pack(name="Demo check", planned_for=dt.date(2026, 12, 1), team="PC 1", start=start,
                             stops=plans.ordered(frame, start),
                             reports=pd.DataFrame(columns=["address_key"]), districts=None)


def test_every_page_of_a_demo_briefing_pack_carries_the_banner():
    pack = _pack(12)
    marked = marks.marked(lambda: briefing_pdf.render(pack), "pdf", demo=True)()
    pages = _pages_text(marked)
    assert len(pages) > 2 and all(NOTE in p for p in pages), [p[:120] for p in pages]
    assert PdfReader(io.BytesIO(marked)).metadata.subject == NOTE
    plain = _pages_text(briefing_pdf.render(pack))              # outside the demo: no banner, nothing left set
    assert not any("SYNTHETIC" in p for p in plain)


# --- the pages' downloads ------------------------------------------------------------------------------------

def _as_demo(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('synthetic', 'true')")
    finally:
        con.close()


def _fetch(downloads: dict) -> dict[str, bytes]:
    return {name: make() for name, make in downloads.items()}


@pytest.mark.parametrize("demo", [True, False])
def test_the_visit_list_and_plan_downloads_say_demo_only_from_a_demo_warehouse(small_db, accounts,  # noqa: F811
                                                                              downloads, demo):
    if demo:
        _as_demo(small_db)
    at = sign_in(start("visits"), "admin1")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    files = _fetch(downloads)
    assert sorted(Path(n).suffix for n in files) == [".csv", ".xlsx"]
    assert all(n.startswith("DEMO-visit-plan-") == demo for n in files)
    csv = next(v for n, v in files.items() if n.endswith(".csv"))
    xlsx = next(v for n, v in files.items() if n.endswith(".xlsx"))
    for table in (pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig"), pd.read_excel(io.BytesIO(xlsx))):
        assert table.columns[0] == "Rank" and len(table) == 2
        assert ("data" in table.columns) == demo
        if demo:
            assert (table["data"] == "synthetic demo").all()

    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    downloads.clear()
    at.switch_page(PAGES["plans"]).run()
    assert not at.exception
    files = _fetch(downloads)
    pdf = next(v for n, v in files.items() if n.endswith(".pdf"))
    pages = _pages_text(pdf)
    assert all((NOTE in p) == demo for p in pages)
    for name in (n for n in files if n.endswith((".csv", ".xlsx"))):     # the plan's stops, in both forms
        read = pd.read_csv if name.endswith(".csv") else pd.read_excel
        table = read(io.BytesIO(files[name]), **({"encoding": "utf-8-sig"} if name.endswith(".csv") else {}))
        assert ("data" in table.columns) == demo, name
    route = ET.fromstring(next(v for n, v in files.items() if n.endswith(".gpx")))    # a sat-nav shows no file name
    points = [p.findtext("g:desc", namespaces=GPX_NS) or "" for p in route.iter()
              if p.tag in (f"{{{gpx.NS}}}wpt", f"{{{gpx.NS}}}rtept")]
    assert points and all(desc.startswith(NOTE) == demo for desc in points)
    assert route.findtext("g:metadata/g:name", namespaces=GPX_NS).startswith("DEMO – ") == demo


@pytest.mark.parametrize("demo", [True, False])
def test_a_saved_plans_files_are_named_demo_only_from_a_demo_warehouse(small_db, accounts, downloads,  # noqa: F811
                                                                       demo):
    """The briefing pack, the stops and the GPX of a plan: their names kept no DEMO- mark on the Visit plans page."""
    if demo:
        _as_demo(small_db)
    at = sign_in(start("visits"), "admin1")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    downloads.clear()
    at.switch_page(PAGES["plans"]).run()
    assert not at.exception
    assert sorted(Path(n).suffix for n in downloads) == [".csv", ".gpx", ".pdf", ".xlsx"]
    assert all(n.startswith("DEMO-") == demo for n in downloads)
