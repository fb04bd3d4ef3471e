"""Offline, the "Base map unavailable" notice covers nothing the map draws.

A browser probe of the Visit plans page found the notice sitting on stop 1's badge and stop 2's badge cut off
behind the scale bar: the route was fitted to the map with 20 px to spare and no thought for the controls
drawn over it. The notice now sits top right on the route map, and the map is fitted inside what its controls
(zoom buttons, notice, scale bar, credit) leave clear (map_render.KeepClear); the main map, whose notice stays
bottom left, is fitted again clear of it when it appears.

Checked in Debian's Chromium with every request off the machine refused: standalone maps at a laptop's and a
phone's size, and the Visit plans page of the running dashboard on a demo warehouse.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from dashboard import map_render, visit_map
from operations.plans import Start
from tests import analysis_fixtures
from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app

demo_db = analysis_fixtures.demo_db   # fixture
USER, PASSWORD = "lead", "route-notice-password"
DEMO_KEY = "cd" * 32    # the seed-5 demo's, as tests/test_layout_browser.py's: one build serves both
NOTICE = "Base map unavailable"
# The probe's plan: a start in Wisbech, its first door by it and the second 5 km south.
START = Start("Wisbech", 52.66, 0.17)
STOPS = pd.DataFrame({"address_key": ["A|1 MILL ROAD|PE13 1AA", "A|2 FEN LANE|PE13 2BB"],
                      "address": ["1 Mill Road, Wisbech", "2 Fen Lane, Wisbech"],
                      "lat": [52.665, 52.62], "lon": [0.16, 0.14]})
# HMO licences a degree apart north to south: on a laptop's map (620 px high) the opening view has them at its
# top and bottom edges, the southern one where the notice, the scale bar and the credit are drawn.
HMO = pd.DataFrame({"licence_ref": ["N", "S", "W"], "address": ["1 North Rd", "2 South Rd", "3 West Rd"],
                    "lat": [52.73, 51.75, 52.30], "lon": [0.00, 0.02, -0.40], "status": ["expired"] * 3})

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} missing: apt-get install chromium")

MEASURE = """() => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {x: r.left, y: r.top, w: r.width, h: r.height, text: (e.innerText || "").trim()}; };
    const map = document.querySelector('.leaflet-container');
    return {map: box(map),
            notice: [...map.querySelectorAll('.hs-tile-notice')].map(box),
            controls: [...map.querySelectorAll('.leaflet-control')]
                .filter(e => !e.classList.contains('leaflet-control-layers-expanded')).map(box),
            marks: [...map.querySelectorAll('.leaflet-marker-icon')].map(box).filter(b => b.w > 0),
            shapes: [...map.querySelectorAll('path.leaflet-interactive')].map(box).filter(b => b.w > 0)};
}"""


def _inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] and inner["y"] >= outer["y"] and inner["x"] + inner["w"] <= outer["x"] + outer["w"]
            and inner["y"] + inner["h"] <= outer["y"] + outer["h"])


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"])


def _assert_clear(seen: dict, expected_marks: int) -> None:
    assert seen["notice"] and seen["notice"][0]["text"].startswith(NOTICE), seen
    assert len(seen["marks"]) == expected_marks, seen["marks"]
    for mark in seen["marks"]:
        assert _inside(mark, seen["map"]), (mark, seen["map"])           # every badge whole on the map
        for control in seen["controls"]:                                 # the notice, the scale bar, the zoom...
            assert not _overlap(mark, control), (mark, control)


def _offline(context) -> None:
    """No internet: every request off this machine is refused."""
    local = ("file://", "http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local)
                  else route.abort("internetdisconnected"))


def _standalone(browser, tmp_path, m, viewport: dict) -> dict:
    page_file = tmp_path / f"map-{viewport['width']}.html"
    page_file.write_text(map_render.render_html(m), encoding="utf-8")
    context = browser.new_context(viewport=viewport)
    _offline(context)
    page = context.new_page()
    try:
        page.goto(page_file.as_uri(), wait_until="domcontentloaded")
        page.wait_for_selector(".hs-tile-notice", timeout=15_000)
        page.wait_for_timeout(800)
        return page.evaluate(MEASURE)
    finally:
        context.close()


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 335, "height": 420}, {"width": 358, "height": 420}],
                         ids=["laptop-column", "phone"])
def test_offline_every_stop_of_a_route_is_whole_and_clear_of_the_notice(browser, tmp_path, viewport):
    base = Path(map_render.ensure_vendor_assets()).as_uri()
    m = visit_map.route_map(START, STOPS, None, map_render.Tiles("osm"), base)
    _assert_clear(_standalone(browser, tmp_path, m, viewport), expected_marks=3)   # S, 1 and 2


@needs_chromium
@pytest.mark.browser
def test_offline_the_main_maps_markers_move_clear_of_the_notice(browser, tmp_path):
    base = Path(map_render.ensure_vendor_assets()).as_uri()
    m = map_render.build_map(map_render.MapData(hmo=HMO), map_render.Tiles("osm"), base=base)
    seen = _standalone(browser, tmp_path, m, {"width": 453, "height": 620})
    dots = seen["marks"] + seen["shapes"]   # the HMO circles, or a cluster's badge where they are close
    assert seen["notice"] and len(dots) >= 2, seen
    for dot in dots:
        assert _inside(dot, seen["map"]), (dot, seen["map"])
        for control in seen["controls"]:
            assert not _overlap(dot, control), (dot, control)


# --- the Visit plans page of the running dashboard -------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A demo warehouse, a lead's account and the probe's plan; the dashboard on them, with OpenStreetMap as the
    base map (which the browser below can't reach)."""
    from operations.store import OperationsStore

    db = demo_warehouse(tmp_path_factory, "route-notice", seed=5, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "analyst", PASSWORD), HOTSPOTS_TILES=None,
                        HOTSPOTS_SERVER_PREFETCH="0")
    OperationsStore(env["HOTSPOTS_OPERATIONS"]).save_plan(
        name="Route notice", planned_for=dt.date.today(), team="PC 1", start_label=START.label,
        start=(START.lat, START.lon), stops=STOPS, created_by=USER)
    with streamlit_app(env) as (url, _proc):
        yield url


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_offline_a_plans_route_map_keeps_every_stop_clear_of_the_notice(server, browser, viewport):
    context = browser.new_context(viewport=viewport)
    _offline(context)
    page = context.new_page()
    try:
        sign_in(page, server + "/plans", USER, PASSWORD)
        holder = page.locator("iframe[title='streamlit_folium.st_folium']").first
        holder.wait_for(timeout=90_000)
        holder.scroll_into_view_if_needed()
        frame = holder.element_handle().content_frame()
        frame.wait_for_selector(".hs-tile-notice", timeout=30_000)
        frame.wait_for_selector(".leaflet-marker-icon", timeout=30_000)
        page.wait_for_timeout(1000)
        _assert_clear(frame.evaluate(MEASURE), expected_marks=3)
    finally:
        context.close()


# --- the plan's "last saved" -------------------------------------------------------------------------------------

def test_a_plan_says_when_it_was_last_saved_as_the_app_gives_dates_in_uk_time(demo_db, tmp_path,
                                                                             monkeypatch):
    """The same probe read "last saved 2026-12-02 07:36 UTC" among dates written "03 Dec 2026": the stamp is
    given as the Data page gives its load times, in UK time (an hour on from UTC in summer)."""
    import sqlite3

    from streamlit.testing.v1 import AppTest

    from operations.store import OperationsStore
    from tests.helpers import dashboard_on

    dashboard_on(demo_db, tmp_path, monkeypatch, viewer=USER, password=PASSWORD)
    store = OperationsStore()
    plan_id = store.save_plan(name="Summer", planned_for=dt.date.today(), team="PC 1", start_label=START.label,
                              start=(START.lat, START.lon), stops=STOPS, created_by=USER)
    with sqlite3.connect(store.path) as con:   # saved at 07:36 UTC on 2 July: 08:36 in the UK
        con.execute("UPDATE plans SET updated_at = ? WHERE id = ?", ["2026-07-02T07:36:00+00:00", int(plan_id)])
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.text_input(key="signin_name").input(USER)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    at.switch_page("views/plans.py").run()
    assert not at.exception, at.exception
    saved = [c.value for c in at.caption if "last saved" in c.value]
    assert saved == [f"Made by {USER} · last saved 02 Jul 2026 08:36"], saved
