"""What a tactical lead saw on warehouses a force has in its first days, not the demo (3 December, fourth round):
`etl init` alone, the council registers without any report, reports that name no place. Each defect pinned here.

- Registers loaded, no report yet: the Visit list said "No address has a report in this period with these filters.
  Widen the dates or clear a filter", the Map "No report falls in these filters (dates), so there are no hotspots",
  and the Overview drew a zero line for every district over every week ("0 reports over the 14 weeks"): all
  true of any dates, so a lead went through the dates for reports never loaded. The three pages now say that no
  report is loaded yet and who loads them; the trend draws no period no file speaks for.
- A visit plan whose stops have no map position (reports with no postcode match and no coordinates): the Route
  read "0.0 km", as if every door were at the start, and the GPX held the start alone, or left the unplaced stops
  out, without a word. The Route now says "–" and why; the GPX is not offered with no stop placed, and a line
  says which stops it leaves out.
- An empty warehouse told a viewer to run `python -m etl load` and "see the Data page", which a viewer can't
  open; and "nothing has been loaded yet" was untrue with boundaries or postcodes loaded. A viewer now reads
  that an analyst loads the files."""
from __future__ import annotations

import contextlib
import datetime as dt
import os

import pytest

from tests.analysis_fixtures import KEY, POSTCODES, TODAY, build_warehouse, connect, day
from tests.app_server import CHROMIUM, dashboard_env, sign_in, streamlit_app
from tests.helpers import app_signed_in, dashboard_on

USER, PASSWORD = "lead", "dec3d-pages-password"
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} missing: apt-get install chromium")
NO_REPORT_YET = "No intelligence report has been loaded yet"

HMO = f"""Licence Number,Address,Postcode,Licence Start Date,Licence Expiry Date
A,"1 Mill Lane, Wisbech",PE13 2ZZ,{day(-730)},{day(730)}
B,"2 Mill Lane, Wisbech",PE13 2ZZ,{day(-700)},{day(30)}
"""
# One report placed by its postcode, two with neither a known postcode nor coordinates.
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Indicators,Nationalities,Exploitation Type,Source Type
P1,{day(-2)},"1 Mill Lane, Wisbech",PE13 2ZZ,mattresses on floors,Lithuanian,Labour,Police
U1,{day(-1)},"4 Nowhere Lane, Somewhere",,mattresses on floors; curtains always drawn,Romanian,Labour,Police
U2,{day(-3)},"8 Nowhere Lane, Somewhere",,curtains always drawn,Romanian,Labour,Public
"""


@pytest.fixture(scope="module")
def registers_only(tmp_path_factory):
    """Postcodes and an HMO register, no report: a force that loaded its councils' registers first."""
    return build_warehouse(tmp_path_factory.mktemp("registers-only"), {"postcodes": POSTCODES, "hmo": HMO})


@pytest.fixture(scope="module")
def server(registers_only):
    from access.store import Store

    env = dashboard_env(registers_only, KEY)
    Store(env["HOTSPOTS_ACCOUNTS"]).add(USER, "viewer", PASSWORD)
    with streamlit_app(env) as (url, _proc):
        yield url


@contextlib.contextmanager
def _page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _settled(page) -> None:
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
    page.wait_for_timeout(2000)


def _open(page, name: str) -> str:
    """Open a page by its sidebar link (an address typed in would ask for the sign-in again); its main text."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=name).first.click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=90_000)
    _settled(page)
    return page.locator("[data-testid='stMain']").inner_text()


@needs_chromium
@pytest.mark.browser
def test_no_report_loaded_is_said_on_the_map_visit_list_and_overview(server, browser):
    with _page(browser) as page:
        sign_in(page, server + "/visits", USER, PASSWORD, banner=None)
        _settled(page)
        visits = page.locator("[data-testid='stMain']").inner_text()
        assert NO_REPORT_YET in visits and "Widen the dates" not in visits, visits
        map_text = _open(page, "Map")
        assert NO_REPORT_YET in map_text and "No report falls in these filters" not in map_text, map_text
        overview = _open(page, "Overview")
        assert NO_REPORT_YET in overview and "0 reports over the" not in overview, overview
        assert page.locator("[data-testid='stException']").count() == 0


def test_the_trend_draws_no_period_when_no_report_is_loaded(registers_only):
    from analysis import overview as ov
    from analysis.filters import Filters

    con = connect(registers_only)
    try:
        unit, trend = ov.report_trend(con, Filters(TODAY - dt.timedelta(days=89), TODAY))
    finally:
        con.close()
    assert trend.empty, trend        # no file speaks for these weeks: not a zero for each district


def test_an_empty_warehouse_tells_a_viewer_who_loads_the_files(tmp_path, monkeypatch):
    from etl.admin import init_warehouse

    db = tmp_path / "w.duckdb"
    init_warehouse(db)
    dashboard_on(db, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/map.py", password=PASSWORD)
    said = " ".join(i.value for i in at.info)
    assert "The warehouse is empty" in said and "An analyst loads the files" in said, said
    assert "Data page" not in said and "etl load" not in said, said


# --- a visit plan of stops with no map position ---------------------------------------------------------------

@pytest.fixture(scope="module")
def unplaced_reports(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("unplaced"), {"postcodes": POSTCODES, "reports": REPORTS})


def _plan_of(at, addresses: list[str]):
    """Tick the visit list's rows of `addresses`, save them as a plan and open it."""
    ranked = at.dataframe[0].value
    rows = [i for i, a in enumerate(ranked["address"]) if any(a.startswith(x) for x in addresses)]
    assert len(rows) == len(addresses), list(ranked["address"])
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    assert not at.exception, at.exception
    at = at.switch_page("views/plans.py").run()
    assert not at.exception, at.exception
    return at


def _gpx_button(at):
    return next(b for b in at.get("download_button") if b.proto.label == "Route (GPX)")


def test_a_plan_with_no_stop_placed_has_no_route_to_measure_or_download(unplaced_reports, tmp_path, monkeypatch):
    dashboard_on(unplaced_reports, tmp_path, monkeypatch, password=PASSWORD)
    at = _plan_of(app_signed_in("views/visits.py", password=PASSWORD), ["4 Nowhere Lane", "8 Nowhere Lane"])
    assert {m.label: m.value for m in at.metric}["Route"] == "–"          # not "0.0 km"
    assert _gpx_button(at).proto.disabled                                   # the start alone is no route
    assert any("No route (GPX) to download: no stop has a map position" in c.value for c in at.caption)


def test_a_gpx_that_leaves_out_a_stop_says_so(unplaced_reports, tmp_path, monkeypatch):
    dashboard_on(unplaced_reports, tmp_path, monkeypatch, password=PASSWORD)
    at = _plan_of(app_signed_in("views/visits.py", password=PASSWORD), ["1 Mill Lane", "4 Nowhere Lane"])
    assert {m.label: m.value for m in at.metric}["Route"].endswith(" km")
    assert not _gpx_button(at).proto.disabled
    said = [c.value for c in at.caption if "The route (GPX)" in c.value]
    assert said and "holds 1 stop: the 1 stop with no map position is left out" in said[0], said

