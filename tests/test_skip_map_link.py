"""A keyboard user had to Tab through every hexagon and marker to get past the map: "Skip the map", the Tab stop
right before it, shows itself when focused and takes the focus to the panel beside the map.

Checked in Debian's Chromium against the running dashboard on a small demo warehouse."""
from __future__ import annotations

import os

import pytest

from tests.app_server import CHROMIUM, dashboard_env, demo_warehouse, sign_in, streamlit_app

USER, PASSWORD = "lead", "skip-map-test-password"
DEMO_KEY = "ef" * 32
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")]
ACTIVE = "() => { const a = document.activeElement; return {tag: a.tagName, id: a.id, text: a.innerText || '', " \
         "inPanel: !!(a.closest && a.closest('[data-testid=\"stColumn\"]') && " \
         "a.closest('[data-testid=\"stColumn\"]').querySelector('#hs-after-map'))}; }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_warehouse(tmp_path_factory, "skipmap", seed=7, key=DEMO_KEY)
    with streamlit_app(dashboard_env(db, DEMO_KEY, account=(USER, "viewer", PASSWORD))) as (url, _proc):
        yield url


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}])
def test_skip_the_map_is_the_tab_stop_before_it_and_lands_after_it(server, browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        sign_in(page, server + "/", USER, PASSWORD)
        page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=90_000)
        page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=90_000)
        page.wait_for_timeout(1500)
        link = page.get_by_role("link", name="Skip the map")
        assert link.bounding_box()["width"] <= 1            # out of sight until a keyboard reaches it
        # The last control above the map (the density box's help), then Tab: the link, not the map's first hexagon.
        page.get_by_role("button", name="Help for Report density (kernel)").focus()
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE)["text"] == "Skip the map"
        box = link.bounding_box()
        assert box["width"] > 60 and box["height"] > 15 and link.is_visible()
        assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"]
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'hs-after-map'",
                               timeout=10_000)
        page.keyboard.press("Tab")      # on into the panel's own content, never back into the map
        after = page.evaluate(ACTIVE)
        assert after["tag"] != "IFRAME" and after["inPanel"], after
    finally:
        context.close()
