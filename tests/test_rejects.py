"""Rejected rows with their raw values: the analysis query (never a case key) and the Data page, where an analyst
picks a load, sees each row as it was in the file and downloads them (formula-safe CSV, audited)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from access.store import Store
from analysis import rejects
from analysis import spreadsheets
from etl import admin
from tests.analysis_fixtures import POSTCODES, build_warehouse, connect, day

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil")'
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Summary
R1,{day(-5)},"14 Mill Lane, Wisbech",PE13 2ZZ,52.6700,0.1500,fine
R2,not a date,"{XSS}",PE13 2ZZ,52.6700,0.1500,"{FORMULA.replace('"', '""')}"
R3,{day(-6)},"16 Mill Lane, Wisbech",PE13 2ZZ,52.6700,0.1500,fine
R4,{day(400)},"18 Mill Lane, Wisbech",PE13 2ZZ,52.6700,0.1500,from the future
"""
CASES = f"""Case Reference,Date Opened,Postcode,Nationality,Exploitation Type,Victim Name
C1,{day(-10)},PE13 2ZZ,Lithuanian,Labour,Person One
C2,never,PE13 2ZZ,Romanian,Labour,Person Two
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("rejects"),
                           {"postcodes": POSTCODES, "reports": REPORTS, "cases": CASES})


@pytest.fixture
def con(warehouse):
    c = connect(warehouse)
    yield c
    c.close()


def test_loads_with_rejects_newest_first(con):
    loads = rejects.reject_loads(con)
    assert list(loads.columns) == rejects.LOAD_COLUMNS
    assert loads["kind"].tolist() == ["cases", "reports"]
    assert loads["rejected"].tolist() == [1, 2] and loads["load_id"].is_monotonic_decreasing
    assert set(loads["file_name"]) == {"cases.csv", "reports.csv"}


def test_rejected_rows_keep_the_raw_values_in_file_order(con):
    reports_load = int(rejects.reject_loads(con).set_index("kind").loc["reports", "load_id"])
    rows = rejects.rejected_rows(con, reports_load)
    assert list(rows.columns)[:3] == ["row_number", "reasons", "now"]    # now: outstanding, since loaded, …
    assert rows["now"].tolist() == ["outstanding", "outstanding"]        # no later load of the source
    assert list(rows.columns)[3:] == ["Report Ref", "Date Received", "Address", "Postcode", "Latitude", "Longitude",
                                      "Summary"]
    assert rows["row_number"].tolist() == [3, 5]       # the header is row 1
    bad = rows.iloc[0]
    assert bad["Report Ref"] == "R2" and bad["Date Received"] == "not a date"
    assert bad["Address"] == XSS and bad["Summary"] == FORMULA  # exactly as it arrived
    assert "date" in bad["reasons"].lower()
    assert len(rejects.rejected_rows(con, reports_load, limit=1)) == 1
    assert rejects.rejected_rows(con, 999_999).empty


def test_a_rejected_case_never_shows_its_key_or_identifying_columns(con, warehouse):
    cases_load = int(rejects.reject_loads(con).set_index("kind").loc["cases", "load_id"])
    (raw,) = con.execute("SELECT CAST(raw AS VARCHAR) FROM rejects WHERE load_id = ?", [cases_load]).fetchone()
    key = json.loads(raw)["case_key"]  # the loader keeps it in the table...
    assert key
    rows = rejects.rejected_rows(con, cases_load)
    assert "case_key" not in rows.columns  # ...and the query leaves it there
    shown = rows.to_csv()
    assert key not in shown and "C2" not in shown and "Person Two" not in shown
    assert rows.iloc[0]["Date Opened"] == "never"


def test_the_command_lines_rejects_csv_never_shows_a_case_key(con, warehouse, tmp_path):
    """`python -m etl rejects` wrote the raw JSON as stored, case key and all."""
    cases_load = int(rejects.reject_loads(con).set_index("kind").loc["cases", "load_id"])
    (raw,) = con.execute("SELECT CAST(raw AS VARCHAR) FROM rejects WHERE load_id = ?", [cases_load]).fetchone()
    key = json.loads(raw)["case_key"]
    out = tmp_path / "rejects.csv"
    assert admin.write_rejects(warehouse, out=str(out)) == 3
    text = out.read_text(encoding="utf-8-sig")
    assert "case_key" not in text and key not in text
    assert "never" in text and "not a date" in text  # the rows themselves are all there


def test_the_download_neutralises_formulas(con):
    reports_load = int(rejects.reject_loads(con).set_index("kind").loc["reports", "load_id"])
    text = spreadsheets.to_csv(rejects.rejected_rows(con, reports_load)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and '\r\n=HYPERLINK' not in text and ',=HYPERLINK' not in text


def test_the_download_starts_with_a_byte_order_mark_for_excel(con):
    """Without one, Excel on Windows reads the CSV as Windows-1252 and garbles 'Šarūnas' and '£50' (as the
    command line's `rejects --out` did)."""
    reports_load = int(rejects.reject_loads(con).set_index("kind").loc["reports", "load_id"])
    assert spreadsheets.to_csv(rejects.rejected_rows(con, reports_load)).startswith(b"\xef\xbb\xbf")


# --- the Data page ---------------------------------------------------------------------------------------------

@pytest.fixture
def app_env(warehouse, tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("HOTSPOTS_DB", str(warehouse))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    store = Store()
    store.add("analyst1", "analyst", "analyst-password-1")
    return store


def test_an_analyst_sees_and_downloads_the_rejected_rows(app_env, downloads):
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at._page_hash = calc_hash("data")  # the /data address: its sign-in form opens the Data page (not the map)
    at.run()
    at.text_input(key="signin_name").input("analyst1")
    at.text_input(key="signin_password").input("analyst-password-1")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and at.title[0].value == "Data"
    assert "Rejected rows" in [s.value for s in at.subheader]
    choice = at.selectbox(key="rejects_load")
    assert choice.options[0].startswith("Victim case data from Test cases · cases.csv")  # the newest load first
    assert " · 1 rejected (load " in choice.options[0]
    assert at.dataframe[-1].value["Date Opened"].tolist() == ["never"]
    reports_load = next(o for o in choice.options if "reports.csv" in o)
    reports_id = int(reports_load.split("(load ")[1].rstrip(")"))
    choice.set_value(reports_id).run()
    grid = at.dataframe[-1].value
    assert grid["Address"].tolist() == [XSS, "18 Mill Lane, Wisbech"]
    for md in at.markdown:  # raw values only ever in the grid, never in HTML-enabled markdown
        assert not (md.proto.allow_html and XSS in md.value)
    assert any(b.proto.label.startswith("Download the rejected rows") for b in at.get("download_button"))
    assert not app_env.audit_rows(action="export")      # nothing has left yet: the file is built when fetched
    make = downloads[f"rejects-load-{reports_id}.csv"]
    assert b"18 Mill Lane" in make()
    (row,) = app_env.audit_rows(action="export")
    assert row["actor"] == "analyst1" and row["target"] == "rejects" and row["rows"] == 2
    detail = json.loads(row["detail"])
    assert detail["kind"] == "reports" and detail["format"] == "csv" and detail["file"] == "reports.csv"
