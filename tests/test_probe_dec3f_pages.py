"""What a tactical lead saw on warehouses with part of the reference files (3 December, sixth round).

- Boundaries for two of the six districts (a file holding Cambridge and Peterborough only): a report in Fenland is in
  no loaded district (the load flags it outside the area), yet the Overview's trend drew a zero line each week for
  Fenland and the three other districts with no boundary, its "By district" words said "Fenland 0", and the District
  filter offered all six as if each could hold reports. Now only the districts with a boundary are offered and drawn,
  and the sidebar and the Overview say which have none, and who loads them.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.analysis_fixtures import TODAY, build_warehouse, connect, day
from tests.helpers import app_signed_in, dashboard_on

PASSWORD = "dec3f-pages-password"
TWO = ("E07000008", "E06000031")          # Cambridge, Peterborough
SOME_ONLY = "District boundaries are loaded for Cambridge and Peterborough only"
MISSING = "East Cambridgeshire, Fenland, Huntingdonshire or South Cambridgeshire"

# bench.etl_speed.write_boundaries' rectangles: Peterborough north-west, Fenland north-middle, Cambridge south-east.
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,Nationalities,Exploitation Type,Source Type
P1,{day(-2)},"1 Lincoln Road, Peterborough",,52.5740,-0.2410,mattresses on floors,Lithuanian,Labour,Police
C1,{day(-5)},"2 Mill Road, Cambridge",,52.2000,0.3000,curtains always drawn,Romanian,Labour,Police
F1,{day(-9)},"3 Fen Road, Wisbech",,52.6650,0.1000,curtains always drawn,Romanian,Labour,Police
F2,{day(-20)},"4 Fen Road, Wisbech",,52.6660,0.1010,many people coming and going,Romanian,Labour,Public
"""


@pytest.fixture(scope="module")
def two_boundaries(tmp_path_factory):
    """Boundaries for Cambridge and Peterborough only, then reports in those two and in Fenland."""
    from bench.etl_speed import write_boundaries

    folder = tmp_path_factory.mktemp("two-boundaries")
    six = json.loads(write_boundaries(folder / "six.geojson").read_text())
    six["features"] = [f for f in six["features"] if f["properties"]["LAD24CD"] in TWO]
    return build_warehouse(folder, {"boundaries": json.dumps(six), "reports": REPORTS})


def _trend(db, districts=()):
    from analysis import overview as ov
    from analysis.filters import Filters

    con = connect(db)
    try:
        return ov.report_trend(con, Filters(TODAY - dt.timedelta(days=89), TODAY, districts=districts))[1]
    finally:
        con.close()


def test_the_trend_draws_no_zero_line_for_a_district_with_no_boundary(two_boundaries):
    trend = _trend(two_boundaries)
    assert set(trend["district"]) == {"Cambridge", "Peterborough", "Unknown district"}, set(trend["district"])
    by = trend.groupby("district")["reports"].sum()
    assert by.to_dict() == {"Cambridge": 1, "Peterborough": 1, "Unknown district": 2}   # Fenland's two: no district
    chosen = _trend(two_boundaries, ("E07000010", "E07000008"))     # a link naming Fenland: no zero line for it
    assert "Fenland" not in set(chosen["district"]) and "Cambridge" in set(chosen["district"])


def test_the_district_filter_offers_only_districts_with_a_boundary_and_says_why(two_boundaries, tmp_path,
                                                                                  monkeypatch):
    accounts = dashboard_on(two_boundaries, tmp_path, monkeypatch, password=PASSWORD)
    accounts.add("analyst", "analyst", PASSWORD)
    at = app_signed_in("views/overview.py", password=PASSWORD)
    assert list(at.multiselect(key="f_districts").options) == ["Cambridge", "Peterborough", "Unknown district"], \
        at.multiselect(key="f_districts").options                   # not Fenland and three more showing nothing
    sidebar = " ".join(c.value.replace("\\", "") for c in at.sidebar.caption)
    assert SOME_ONLY in sidebar and MISSING in sidebar and "An analyst loads" in sidebar, sidebar
    said = " ".join(i.value.replace("\\", "") for i in at.info)
    assert SOME_ONLY in said and "flagged as outside the force area" in said, said
    words = next(c.value.replace("\\", "") for c in at.caption if "By district" in c.value)
    assert "Fenland 0" not in words and "Unknown district 2" in words, words
    analyst = app_signed_in("views/map.py", name="analyst", password=PASSWORD)
    said = " ".join(c.value.replace("\\", "") for c in analyst.caption)
    assert SOME_ONLY in said and "`python -m etl load boundaries FILE`" in said, said


def test_all_six_boundaries_say_nothing_and_offer_every_district(tmp_path_factory, tmp_path, monkeypatch):
    from bench.etl_speed import write_boundaries

    folder = tmp_path_factory.mktemp("six-boundaries")
    db = build_warehouse(folder, {"boundaries": write_boundaries(folder / "six.geojson").read_text(),
                                  "reports": REPORTS})
    assert {"Fenland", "Huntingdonshire"} <= set(_trend(db)["district"])    # six lines: each can hold reports
    dashboard_on(db, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/overview.py", password=PASSWORD)
    assert len(at.multiselect(key="f_districts").options) == 7
    assert not any("District boundaries are loaded for" in i.value for i in at.info)
