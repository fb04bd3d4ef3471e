"""Without the internet the base map's tiles fail: the map must say so on itself, and still draw what it holds.

The folium pages are served from a local folder (with Leaflet from the app's vendored files) to Debian's
Chromium, with every request off localhost refused as on a machine with no internet, or answered with a
1x1 PNG as a reachable tile server would.
"""
from __future__ import annotations

import base64
import functools
import http.server
import os
import threading
from pathlib import Path

import pandas as pd
import pytest

from dashboard import map_render, visit_map
from operations.plans import Start
from tests.app_server import CHROMIUM

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
NOTICE = "Base map unavailable"
DISTRICTS = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "E1", "name": "A"},
             "geometry": {"type": "Polygon", "coordinates": [[[-0.3, 52.1], [0.3, 52.1], [0.3, 52.6],
                                                              [-0.3, 52.6], [-0.3, 52.1]]]}}]}
HMO = pd.DataFrame({"licence_ref": ["A"], "address": ["1 Road"], "lat": [52.3], "lon": [0.0], "status": ["expired"]})
START = Start("Parkside police station", 52.2, 0.13)
STOPS = pd.DataFrame({"address": ["1 Mill Road", "2 High Street"], "lat": [52.25, 52.3], "lon": [0.1, 0.05]})


def main_map(tiles: map_render.Tiles):
    return map_render.build_map(map_render.MapData(hmo=HMO, districts=DISTRICTS), tiles, base="/vendor")


def route_map(tiles: map_render.Tiles, districts=DISTRICTS):
    return visit_map.route_map(START, STOPS, districts, tiles, base="/vendor")


# --- the generated page --------------------------------------------------------------------------------------

@pytest.mark.parametrize("build", [main_map, route_map])
def test_a_map_with_a_base_map_listens_for_its_tiles_failing(build):
    html = map_render.render_html(build(map_render.Tiles("osm")))
    assert 'on("tileerror"' in html and 'on("tileload"' in html and NOTICE in html
    none = map_render.render_html(build(map_render.Tiles("none")))
    assert NOTICE not in none and "tileerror" not in none   # no base map asked for: nothing to miss


def test_a_force_tile_server_that_does_not_answer_is_named():
    html = map_render.render_html(main_map(map_render.Tiles("url", "http://127.0.0.1:9/{z}/{x}/{y}.png")))
    assert "force tile server did not answer" in html and "no internet" not in html


def test_the_route_map_draws_the_district_boundaries():
    html = map_render.render_html(route_map(map_render.Tiles("none")))
    assert "[-0.3, 52.1]" in html
    assert "[-0.3, 52.1]" not in map_render.render_html(route_map(map_render.Tiles("none"), districts=None))


# --- in the browser ------------------------------------------------------------------------------------------

def in_browser(test):
    return pytest.mark.browser(pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing")(test))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder served on localhost: the vendored Leaflet under /vendor, each test's page and a tiny tile server
    under /tiles (a PNG for every tile)."""
    root = tmp_path_factory.mktemp("site")
    map_render.ensure_vendor_assets(root / "vendor")
    (root / "tiles").mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/tiles/"):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _show(browser, site, m, tiles_online: str) -> tuple:
    """Open map `m` in a fresh page. tiles_online: "no" refuses every request off localhost (no internet);
    "yes" answers OpenStreetMap's tiles with a PNG; "hang" never answers them (a network that drops requests)."""
    root, origin = site
    name = f"map-{id(m)}.html"
    (root / name).write_text(map_render.render_html(m), encoding="utf-8")
    context = browser.new_context(viewport={"width": 900, "height": 600})
    page = context.new_page()
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        if url.startswith(origin):
            return route.continue_()
        outside.append(url)
        if tiles_online == "yes" and url.startswith("https://tile.openstreetmap.org/"):
            return route.fulfill(status=200, content_type="image/png", body=PNG)
        if tiles_online == "hang":
            return None   # left pending, as a request a firewall drops
        return route.abort("internetdisconnected")

    page.route("**/*", handle)
    page.goto(f"{origin}/{name}", timeout=30_000, wait_until="domcontentloaded")   # "load" waits on every tile
    page.wait_for_function("() => window.L && document.querySelector('.leaflet-container')", timeout=30_000)
    return context, page, outside


def _notice(page) -> str:
    return page.evaluate("() => Array.from(document.querySelectorAll('.hs-tile-notice'))"
                         ".map(e => e.innerText).join(' | ')")


@pytest.mark.parametrize("build", [main_map, route_map])
@in_browser
def test_offline_the_map_says_its_base_map_is_missing_and_still_draws_the_boundaries(browser, site, build):
    context, page, outside = _show(browser, site, build(map_render.Tiles("osm")), "no")
    try:
        page.wait_for_selector(".hs-tile-notice", timeout=10_000)
        text = _notice(page)
        assert text.startswith(NOTICE) and "boundaries and data are still drawn" in text
        assert page.locator(".hs-tile-notice").is_visible()
        assert outside and all(u.startswith("https://tile.openstreetmap.org/") for u in outside)
        # The district outline (fill none) is on the map, below the notice.
        assert page.evaluate("() => Array.from(document.querySelectorAll('path.leaflet-interactive, path'))"
                             ".filter(p => p.getAttribute('fill') === 'none' && "
                             "p.getAttribute('stroke') === '#333333').length") >= 1
    finally:
        context.close()


@pytest.mark.parametrize("build", [main_map, route_map])
@in_browser
def test_with_tiles_available_no_notice_appears(browser, site, build):
    context, page, _outside = _show(browser, site, build(map_render.Tiles("osm")), "yes")
    try:
        page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0",
                               timeout=10_000)
        page.wait_for_timeout(500)
        assert _notice(page) == ""
    finally:
        context.close()


@in_browser
def test_a_local_tile_server_shows_no_notice_and_a_missing_one_does(browser, site):
    _root, origin = site
    context, page, _ = _show(browser, site, main_map(map_render.Tiles("url", origin + "/tiles/{z}/{x}/{y}.png")),
                             "no")
    try:
        page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0",
                               timeout=10_000)
        page.wait_for_timeout(500)
        assert _notice(page) == ""
    finally:
        context.close()
    context, page, _ = _show(browser, site, main_map(map_render.Tiles("url", origin + "/nothing/{z}/{x}/{y}.png")),
                             "no")
    try:
        page.wait_for_selector(".hs-tile-notice", timeout=10_000)
        assert "force tile server did not answer" in _notice(page)
    finally:
        context.close()


@in_browser
def test_tiles_that_never_answer_bring_the_notice_after_a_wait(browser, site, monkeypatch):
    monkeypatch.setattr(map_render, "TILE_WAIT_MS", 1500)
    context, page, outside = _show(browser, site, main_map(map_render.Tiles("osm")), "hang")
    try:
        page.wait_for_timeout(500)
        assert outside and _notice(page) == ""   # still waiting
        page.wait_for_selector(".hs-tile-notice", timeout=10_000)
        assert _notice(page).startswith(NOTICE)
    finally:
        context.close()
