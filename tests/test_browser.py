"""The dashboard in a real browser (Debian's Chromium, driven by Playwright), offline.

The map must draw from assets the app serves itself, a filter must change what is counted,
and a visit plan must download. With UPDATE_SCREENSHOTS=1 the screenshots land in
docs/screenshots/ for the README; otherwise in a temporary folder.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.app_server import (CHROMIUM, DEMO_BANNER, choose_option, dashboard_env, demo_warehouse, downloaded_lines,
                              streamlit_app, submit_sign_in, tick_visit_rows)

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ("http://127.0.0.1", "data:", "blob:", "about:")
USER, PASSWORD = "lead", "browser-test-password"
DEMO_KEY = "ab" * 32    # the seed-3 demo's, as tests/test_security_exports_browser.py's: one build serves both
OPERATIONS: dict[str, str] = {}     # the server's operations store, for a test that records a visit itself

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")]


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS"):
        return ROOT / "docs" / "screenshots"
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_warehouse(tmp_path_factory, "browser", seed=3, key=DEMO_KEY)
    env = dashboard_env(db, DEMO_KEY, account=(USER, "analyst", PASSWORD))
    OPERATIONS["path"] = env["HOTSPOTS_OPERATIONS"]
    with streamlit_app(env) as (url, _proc):
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    page.requested, page.missing = [], []
    page.on("request", lambda r: page.requested.append(r.url))
    page.on("response", lambda r: page.missing.append(r.url) if r.status == 404 and "/app/static/" in r.url else None)
    yield page
    outside = {u for u in page.requested if not u.startswith(LOCAL)}
    context.close()
    assert not outside, f"requested from outside localhost: {sorted(outside)[:5]}"
    assert not page.missing, f"static files not found: {sorted(set(page.missing))[:5]}"   # Leaflet guessed its icons


def _open(page, url: str) -> None:
    """Open `url` in a new session: the sign-in form first, then the page the address names."""
    page.goto(url, timeout=60_000)
    page.get_by_text(DEMO_BANNER, exact=False).first.wait_for(timeout=60_000)
    form = page.get_by_role("button", name="Sign in")
    form.or_(page.get_by_text(f"Signed in as {USER}", exact=False)).first.wait_for(timeout=60_000)
    if form.count():
        submit_sign_in(page, USER, PASSWORD, state="visible")


def _metric(page, label: str) -> int:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    box.wait_for(timeout=60_000)
    value = box.locator("[data-testid='stMetricValue']").inner_text()
    return int(value.replace(",", ""))


def test_map_draws_hexagons_and_markers_from_local_assets(server, page, shots):
    _open(page, server + "/")
    frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000).content_frame()
    frame.wait_for_selector(".hs-cluster-hmo", timeout=60_000)
    counts = frame.evaluate("""() => {
        const layers = Object.values(window.map._layers);
        return {hexes: layers.filter(l => l.feature && l.feature.properties && l.feature.properties.kind === 'hex').length,
                clusters: document.querySelectorAll('.hs-cluster-hmo').length};
    }""")
    assert counts["hexes"] > 0 and counts["clusters"] > 0
    page.get_by_text("hotspots captured", exact=False).first.wait_for(timeout=60_000)
    assert "Traceback" not in page.content()
    page.screenshot(path=str(shots / "map.png"), full_page=True)


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_the_overview_charts_fit_a_phone_and_a_laptop(server, page, size):
    """Every chart on the Overview ends inside the screen: the trend's small multiples once ran 920 px wide."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _open(page, server + "/overview")
    charts = page.locator("[data-testid='stVegaLiteChart']")
    charts.first.wait_for(timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, "
                           "[data-testid='stVegaLiteChart'] svg\")].length >= 3", timeout=60_000)
    rights = page.evaluate("""() => [...document.querySelectorAll(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg.marks")]
        .map(e => e.getBoundingClientRect().right)""")
    assert rights and max(rights) <= size[0] + 1, (rights, size)


@pytest.mark.parametrize("size, folded", [((1280, 800), True), ((1920, 1080), False)])
def test_the_layer_list_is_folded_on_a_laptops_map_and_open_on_a_wide_one(server, page, size, folded):
    """Open, the list of layers is about 300 px wide: on a laptop's half-page map it hid a third of the area."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _open(page, server + "/")
    frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000).content_frame()
    control = frame.wait_for_selector(".leaflet-control-layers", state="attached", timeout=60_000)
    page.wait_for_timeout(1000)
    assert ("leaflet-control-layers-expanded" not in control.get_attribute("class")) == folded
    if folded:  # hovering opens it
        control.hover()
        frame.wait_for_selector(".leaflet-control-layers-expanded", timeout=10_000)


def test_the_map_draws_once_a_visit_is_recorded(server, page):
    """The visited addresses are a layer of the map's own: added after the layer control, its script named
    the layer before it existed and Leaflet drew nothing at all, for every user, once anyone recorded a visit."""
    import datetime as dt

    from dashboard.visit_map import LAYER_NAME
    from operations.store import OperationsStore, Outcome

    OperationsStore(OPERATIONS["path"]).record(Outcome(visited_on=dt.date.today(), address_key="A|1 TEST ST|PE13 1AA",
                                                       address="1 Test St", outcome="no_concerns", lat=52.665,
                                                       lon=0.160), recorded_by=USER)
    _open(page, server + "/")
    frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000).content_frame()
    frame.wait_for_selector(".hs-cluster-hmo", timeout=60_000)
    assert frame.get_by_text(LAYER_NAME).count() == 1
    assert frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature).length") > 0


def test_a_link_to_the_map_page_by_its_name_opens_it(server, page):
    """/map is the default page's name: a shared link to it opens the map, with its filters, not Streamlit's
    "Page not found" over the sign-in form."""
    _open(page, server + "/map?district=E07000010")
    page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000)
    assert "district=E07000010" in page.url
    assert page.get_by_text("Page not found", exact=False).count() == 0


def test_a_district_filter_changes_the_counts(server, page, shots):
    _open(page, server + "/overview")
    everywhere = _metric(page, "Reports")
    _open(page, server + "/overview?district=E07000010")  # the filters live in the URL: a shared link
    fenland = _metric(page, "Reports")
    assert 0 < fenland < everywhere
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    # and through the sidebar, as a tactical lead would
    _open(page, server + "/overview")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stMultiSelect']").first.click()  # the first multi-select is Districts
    page.get_by_role("option", name="Peterborough").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('district=E06000031')", timeout=60_000)
    deadline = time.monotonic() + 60
    while _metric(page, "Reports") == everywhere and time.monotonic() < deadline:
        time.sleep(0.5)
    assert 0 < _metric(page, "Reports") < everywhere


def test_one_click_on_a_hexagon_low_on_a_laptops_map_opens_its_panel(server, browser):
    """Leaflet focused the map on mouse-down and the browser scrolled the page to it: at 1280 x 800 a first click
    on a hexagon below the middle moved the page 254 px, and only a second click opened the panel."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        _open(page, server + "/")
        frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000).content_frame()
        frame.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
        page.wait_for_timeout(1500)
        at = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        # The centres (in the frame) of the report hexagons that are topmost there, lowest first.
        centres = frame.evaluate("""() => Object.values(window.map._layers)
            .filter(l => l._path && l.feature && l.feature.properties && l.feature.properties.kind === 'hex')
            .map(l => { const r = l._path.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, l]; })
            .filter(([x, y, l]) => document.elementFromPoint(x, y) === l._path)
            .map(([x, y]) => [x, y]).sort((a, b) => b[1] - a[1])""")
        low = [(at["x"] + x, at["y"] + y) for x, y in centres if 560 < at["y"] + y < 780]
        assert low, "no report hexagon low in the visible part of the map"
        scrolled = "() => document.querySelector('[data-testid=stMain]').scrollTop"
        before = page.evaluate(scrolled)
        page.mouse.click(*low[0])
        page.get_by_text("In this hexagon", exact=True).first.wait_for(timeout=30_000)
        assert page.evaluate(scrolled) == before
    finally:
        context.close()


def test_a_hexagon_reached_by_keyboard_opens_its_panel_with_enter(server, page):
    """Tab reached the hexagons, but Enter and Space did nothing: a lead without a mouse could never open
    "In this hexagon". The map has a name, and the focused hexagon a ring."""
    _open(page, server + "/")
    frame = page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000).content_frame()
    frame.wait_for_selector("path.leaflet-interactive", state="attached", timeout=60_000)
    page.wait_for_timeout(1500)
    assert "Tab reaches each hexagon" in frame.evaluate("() => window.map.getContainer().getAttribute('aria-label')")
    focused = frame.evaluate("""() => {
        const hex = Object.values(window.map._layers).find(l => l._path && l.feature && l.feature.properties
                                                               && l.feature.properties.kind === 'hex');
        hex._path.focus();
        return document.activeElement === hex._path && getComputedStyle(hex._path).strokeWidth;
    }""")
    assert focused == "4px", focused        # focused, and ringed
    page.keyboard.press("Enter")
    page.get_by_text("In this hexagon", exact=True).first.wait_for(timeout=30_000)


def test_a_table_offers_no_download_of_its_own(server, page):
    """The grid's toolbar had "Download as CSV": the whole visit list, with reasons, and no line in the audit log
    (the page's own download buttons write one). client.disableDataExport in .streamlit/config.toml turns it off."""
    _open(page, server + "/visits")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=60_000)
    grid.hover()
    toolbar = page.locator("[data-testid='stElementToolbar']").first
    toolbar.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    labels = [b.get_attribute("aria-label") or b.inner_text() for b in toolbar.locator("button").all()]
    assert labels and not any("download" in (label or "").lower() for label in labels), labels


def test_ticks_stay_on_their_addresses_when_the_list_is_shortened(server, page):
    """The table's frontend starts a new list with the addresses already ticked: a tick added after the
    list changed length joins them, where row numbers alone would have left one tick."""
    _open(page, server + "/visits?district=E06000031")
    tick_visit_rows(page, (0, 1))
    page.get_by_text("2 addresses in the plan", exact=False).first.wait_for(timeout=60_000)
    page.get_by_role("combobox", name="How many addresses").click()
    page.get_by_role("option", name="25", exact=True).click()
    page.get_by_text("2 addresses in the plan", exact=False).first.wait_for(timeout=60_000)
    tick_visit_rows(page, (2,))
    page.get_by_text("3 addresses in the plan", exact=False).first.wait_for(timeout=60_000)
    assert "Traceback" not in page.content()


def test_a_visit_plan_downloads(server, page, shots, tmp_path):
    _open(page, server + "/visits?district=E06000031")  # Peterborough: the plan page keeps the filters
    tick_visit_rows(page, (0, 1))   # the first two addresses
    download_button = page.get_by_role("button", name="Download CSV")
    download_button.wait_for(timeout=60_000)
    page.screenshot(path=str(shots / "visits.png"), full_page=True)
    lines = downloaded_lines(page, download_button, tmp_path / "plan.csv")
    assert lines[0].startswith("Rank,Address,Postcode") and len(lines) == 3

    # Save the two addresses as a plan: the Visit plans page opens on it, with its briefing pack.
    page.get_by_label("Team").fill("PC 1234, VCC (Lithuanian)")
    page.get_by_role("button", name="Save the plan and open it").click()
    pdf_button = page.get_by_role("button", name="Briefing pack (PDF)")
    pdf_button.wait_for(timeout=60_000)
    assert "/plans" in page.url and "district=E06000031" in page.url  # switching pages kept the filters
    page.get_by_text("Language support to bring", exact=False).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "plans.png"), full_page=True)
    with page.expect_download() as info:
        pdf_button.click()
    pdf = tmp_path / "briefing.pdf"
    info.value.save_as(pdf)
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    addresses = [line.split(",")[1].strip('"') for line in lines[1:]]
    assert "Stop 1." in text and "Stop 2." in text and "Victims first" in text
    for address in addresses:
        assert address.split(",")[0] in text

    # Record an outcome for the first stop (none is chosen for the lead); the page counts it.
    choose_option(page, "Outcome", "No concerns")
    page.get_by_role("button", name="Save the outcome").click()
    page.get_by_text("Saved: No concerns", exact=False).or_(
        page.locator("[data-testid='stMetric']", has_text="1 of 2")).first.wait_for(timeout=60_000)
    # ...and so does the plan picker's label (the browser kept "0 with an outcome" while its key stayed the same)
    picker = page.locator("[data-testid='stSelectbox']", has_text="Plan").first.locator("input")
    page.wait_for_function("(el) => el.value.includes('1 with an outcome')", arg=picker.element_handle(),
                           timeout=60_000)


def test_a_link_to_one_plan_opens_that_plan_after_signing_in(server, page):
    """The filters are written into the address on every run; the plan's own parameter must survive it."""
    import datetime as dt

    import pandas as pd

    from operations.store import OperationsStore

    store = OperationsStore(OPERATIONS["path"])
    stops = pd.DataFrame({"address_key": ["A|1 LINK ST|PE13 1AA"], "address": ["1 Link St"], "lat": [52.665],
                          "lon": [0.16]})
    ids = [store.save_plan(name=name, planned_for=dt.date.today(), team="", start_label="Wisbech",
                           start=(52.66, 0.16), stops=stops, created_by=USER) for name in ("Linked A", "Linked B")]
    _open(page, server + f"/plans?plan={ids[0]}&district=E07000010")
    page.get_by_role("button", name="Briefing pack (PDF)").wait_for(timeout=60_000)
    picker = page.locator("[data-testid='stSelectbox']", has_text="Plan").first.locator("input")
    assert "Linked A" in picker.input_value()
    assert f"plan={ids[0]}" in page.url and "district=E07000010" in page.url


def test_data_page(server, page, shots):
    _open(page, server + "/data")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    page.locator("td", has_text="Peterborough City Council").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "data.png"), full_page=True)
    # At 1500 px, neither table of sources scrolls sideways: in one table of twelve columns, the rejects'
    # columns were out of sight.
    widths = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stDataFrame'] .dvn-scroller")]
                                      .slice(0, 2).map(s => [s.scrollWidth, s.clientWidth])""")
    assert len(widths) == 2 and all(scroll <= client + 1 for scroll, client in widths), widths
    page.get_by_text("Rows not loaded, or not on the map").first.wait_for(timeout=10_000)
