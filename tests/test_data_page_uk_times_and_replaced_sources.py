"""The Data page gives its times as the team's clocks read them, and does not list a source a later file replaced.

Load times are stamped with the ETL machine's clock, zone unsaid; a server kept on UTC showed a July load an hour
before the team's clocks (and the Visit plans page's UK times). A boundaries or postcodes source a later file of
another source replaced holds no rows: listed with 0 rows it read as a load that failed or came empty. It is
named under the table instead, with what replaced it and when, and `etl status` still lists it.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.data_health import source_health, uk_time
from etl.loading import load_file
from etl.warehouse import Warehouse
from tests.analysis_fixtures import POSTCODES, connect
from tests.helpers import write_text

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
BOUNDARIES = ROOT / "data" / "samples" / "boundaries_sample.geojson"

# Police's load has a rejected row, so the Data page offers it under Rejected rows, with its time.
POLICE = ("Report Ref,Date Received,Address,Postcode\nR1,01/03/2025,1 Mill Lane,PE13 2ZZ\n"
          "R2,never,2 Mill Lane,PE13 2ZZ\n")
PARTNER = "Report Ref,Date Received,Address,Postcode\nP1,01/03/2025,3 Mill Lane,PE13 2ZZ\n"
SUMMER = dt.datetime(2026, 7, 15, 12, 0)      # the machine's clock (UTC): 13:00 BST
WINTER = dt.datetime(2026, 1, 15, 12, 0)      # 12:00 GMT
LATE = dt.datetime(2026, 8, 31, 23, 30)       # UTC: 00:30 BST on 1 September


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """Boundaries A then B (the same districts: B replaces all of A's), then C (one of them: B keeps the other);
    postcode lookup A then B (every postcode again); reports from Police then Partner."""
    folder = tmp_path_factory.mktemp("data_page")
    db = folder / "w.duckdb"
    one = json.loads(BOUNDARIES.read_text())
    one["features"] = one["features"][:1]
    only_fenland = write_text(folder / "fenland.geojson", json.dumps(one))
    for kind, path, source in [("boundaries", BOUNDARIES, "Boundaries A"), ("boundaries", BOUNDARIES, "Boundaries B"),
                               ("boundaries", only_fenland, "Boundaries C"),
                               ("postcodes", write_text(folder / "pc.csv", POSTCODES), "Lookup A"),
                               ("postcodes", folder / "pc.csv", "Lookup B"),
                               ("reports", write_text(folder / "police.csv", POLICE), "Police"),
                               ("reports", write_text(folder / "partner.csv", PARTNER), "Partner")]:
        load_file(kind, path, db=db, source=source)
    stamps = {"Police": SUMMER, "Partner": WINTER, "Boundaries B": LATE}
    with Warehouse(db).transaction() as con:
        for source, stamp in stamps.items():
            con.execute("UPDATE loads SET started_at = ?, finished_at = ? WHERE source = ?", [stamp, stamp, source])
    return db


def _health(db: Path, today: dt.date = dt.date(2026, 9, 1)):
    con = connect(db)
    try:
        return source_health(con, today).set_index("source")
    finally:
        con.close()


# --- UK time ---------------------------------------------------------------------------------------------------

def test_a_summer_load_stamped_on_a_utc_machine_is_an_hour_later_in_uk_time_and_a_winter_one_the_same(machine_on):
    machine_on("UTC")
    assert uk_time(SUMMER) == dt.datetime(2026, 7, 15, 13, 0)
    assert uk_time(WINTER) == dt.datetime(2026, 1, 15, 12, 0)
    assert uk_time(LATE) == dt.datetime(2026, 9, 1, 0, 30)      # the next day in the UK


def test_a_machine_kept_on_uk_time_is_not_moved_again(machine_on):
    machine_on("Europe/London")
    assert uk_time(SUMMER) == SUMMER and uk_time(WINTER) == WINTER


def test_the_sources_table_gives_each_last_load_in_uk_time(warehouse, machine_on):
    machine_on("UTC")
    health = _health(warehouse)
    assert health.loc["Police", "last_load"] == dt.datetime(2026, 7, 15, 13, 0)
    assert health.loc["Partner", "last_load"] == dt.datetime(2026, 1, 15, 12, 0)
    assert health.loc["Police", "age_days"] == (dt.date(2026, 9, 1) - SUMMER.date()).days   # by the machine's date


# --- replaced sources ------------------------------------------------------------------------------------------

def test_a_source_a_later_file_replaced_is_named_with_what_replaced_it_and_when(warehouse, machine_on):
    machine_on("UTC")
    health = _health(warehouse)
    replaced = health[health["replaced_by"].notna()]
    assert sorted(replaced.index) == ["Boundaries A", "Lookup A"]
    assert (replaced["rows"] == 0).all()
    assert replaced.loc["Boundaries A", "replaced_by"] == "Boundaries B"   # the first later one holding rows
    assert replaced.loc["Boundaries A", "replaced_on"] == dt.datetime(2026, 9, 1, 0, 30)   # in UK time
    assert replaced.loc["Lookup A", "replaced_by"] == "Lookup B"
    # no alarm about a source nothing is read from: a 3650-day-old boundary file replaced is not stale
    assert not replaced["stale"].any() and replaced["warning"].isna().all()
    # a source that still holds some rows (B keeps the district C did not bring) is listed as before
    assert health.loc["Boundaries B", "rows"] == 1 and health.loc["Boundaries C", "rows"] == 1
    assert health.loc[["Boundaries B", "Boundaries C", "Lookup B", "Police", "Partner"], "replaced_by"].isna().all()


def test_a_district_source_is_named_replaced_by_the_later_district_file_not_an_lsoa_file_between(tmp_path):
    """District and LSOA files replace only their own level: an LSOA file loaded between two district files held
    rows first, but did not replace the first district file."""
    lsoa = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"LSOA21CD": "E01018100", "LSOA21NM": "Fenland 005A"},
        "geometry": {"type": "Polygon", "coordinates": [[[0.15, 52.66], [0.17, 52.66], [0.17, 52.67],
                                                         [0.15, 52.67], [0.15, 52.66]]]}}]}
    db = tmp_path / "w.duckdb"
    for path, source in [(BOUNDARIES, "Districts A"),
                         (write_text(tmp_path / "lsoa.geojson", json.dumps(lsoa)), "LSOAs"),
                         (BOUNDARIES, "Districts B")]:
        load_file("boundaries", path, db=db, source=source)
    health = _health(db)
    assert health.loc["Districts A", "rows"] == 0
    assert health.loc["Districts A", "replaced_by"] == "Districts B"
    assert pd.isna(health.loc["LSOAs", "replaced_by"]) and health.loc["LSOAs", "rows"] == 1


def test_a_reports_source_left_empty_is_not_called_replaced(warehouse, tmp_path):
    """Reports only add to their own source: one holding none (past retention, say) was replaced by nothing."""
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse, copy)
    with Warehouse(copy).transaction() as con:
        con.execute("DELETE FROM reports WHERE source = 'Police'")
    health = _health(copy)
    assert health.loc["Police", "rows"] == 0 and pd.isna(health.loc["Police", "replaced_by"])


# --- the page --------------------------------------------------------------------------------------------------

def test_the_data_page_gives_uk_times_and_names_replaced_sources_under_the_table(warehouse, tmp_path, monkeypatch,
                                                                               machine_on):
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from access.store import Store

    machine_on("UTC")
    monkeypatch.setenv("HOTSPOTS_DB", str(warehouse))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    Store().add("analyst1", "analyst", "analyst-password-1")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at._page_hash = calc_hash("data")
    at.run()
    at.text_input(key="signin_name").input("analyst1")
    at.text_input(key="signin_password").input("analyst-password-1")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and at.title[0].value == "Data"
    sources = at.dataframe[0].value.set_index("source")
    assert "Boundaries A" not in sources.index and "Lookup A" not in sources.index
    assert "Boundaries B" in sources.index and "Lookup B" in sources.index
    assert sources.loc["Police", "last_load"] == dt.datetime(2026, 7, 15, 13, 0)
    assert "Boundaries A" not in at.dataframe[1].value["source"].tolist()
    note = next(c.value for c in at.caption if c.value.startswith("Not listed"))
    assert "Boundary data from Boundaries A, replaced by Boundaries B on 01 Sep 2026" in note
    assert "Postcode lookup from Lookup A, replaced by Lookup B on " in note
    assert "python -m etl status" in note
    police = next(o for o in at.selectbox(key="rejects_load").options if "police.csv" in o)
    assert "15 Jul 2026 13:00" in police
