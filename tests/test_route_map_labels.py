"""A plan's route map keeps its stop numbers readable when stops are close together.

Each stop's numbered badge was drawn on its own: stops in one street, one block or one building (flats placed
at their postcode's point) put their badges one on another, and the visiting order could not be read. Badges
that would overlap at the zoom shown are now one badge listing their numbers ("1–3, 5"), parted by zooming in.
The browser test draws the map in Chromium, offline, and measures the badges on screen."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from dashboard import map_render, visit_map
from operations.plans import Start
from tests.app_server import CHROMIUM

START = Start("Thorpe Wood <Police>", 52.5700, -0.3000)
# Seven stops: three flats at one point, two doors 15 m apart in one street, two more in that street
# (one 40 m on), one across town.
STOPS = pd.DataFrame({
    "address": ["Flat 1, 5 Mill Road", "Flat 2, 5 Mill Road", "Flat 3, 5 Mill Road", "7 Mill Road",
                "9 Mill Road", "<b>13</b> Mill Road", "2 Fen Lane"],
    "lat": [52.57300, 52.57300, 52.57300, 52.57310, 52.57323, 52.57340, 52.59000],
    "lon": [-0.24000, -0.24000, -0.24000, -0.23990, -0.23982, -0.23960, -0.20000]})


def _map(base: str):
    return visit_map.route_map(START, STOPS, None, map_render.Tiles("none"), base)


def test_close_stops_share_one_badge_from_the_apps_own_assets():
    m = _map("/app/static/vendor")
    html = map_render.render_html(m)
    assert "L.markerClusterGroup" in html and "iconCreateFunction" in html
    for n in range(1, len(STOPS) + 1):        # each stop keeps its number, for the shared badge to list
        assert re.search(rf'"stop": {n}\b', html), n
    assert all(link.startswith("/app/static/vendor/") for link in map_render.asset_links(m))   # offline, no CDN
    assert "&lt;b&gt;13&lt;/b&gt; Mill Road" in html and "<b>13</b>" not in html   # tooltips stay escaped


def _numbers(label: str) -> list[int]:
    out: list[int] = []
    for part in label.replace(" ", "").split(","):
        if "–" in part:
            a, b = part.split("–")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def _badges(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('.leaflet-marker-icon')].map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.innerText.trim(), x: r.left, y: r.top, w: r.width, h: r.height};
    }).filter(b => b.w > 0 && b.text !== 'S')""")


def _apart(badges: list[dict]) -> bool:
    return all(a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"]
               or b["y"] + b["h"] <= a["y"] for i, a in enumerate(badges) for b in badges[i + 1:])


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")
def test_on_screen_no_two_stop_numbers_overlap_at_any_zoom(tmp_path, browser):
    vendor = map_render.ensure_vendor_assets()
    page_file = tmp_path / "route.html"
    page_file.write_text(map_render.render_html(_map(Path(vendor).as_uri())), encoding="utf-8")
    page = browser.new_page(viewport={"width": 700, "height": 420})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_selector(".leaflet-marker-icon")
        page.wait_for_timeout(500)
        map_name = re.search(r"var (map_[0-9a-f]+) = L\.map", page_file.read_text()).group(1)
        seen_shared = False
        for zoom in (13, 15, 17, 19):
            page.evaluate(f"() => {{ {map_name}.setView([52.5732, -0.2398], {zoom}, {{animate: false}}); }}")
            page.wait_for_timeout(400)
            badges = _badges(page)
            assert _apart(badges), (zoom, badges)
            numbers = sorted(n for b in badges for n in _numbers(b["text"]))
            on_screen = [n for n in range(1, 7)]    # the Mill Road stops are all in view
            assert set(on_screen) <= set(numbers) and len(numbers) == len(set(numbers)), (zoom, badges)
            seen_shared |= any(len(_numbers(b["text"])) > 1 for b in badges)
            if zoom == 19:   # the three flats at one point stay one badge, in order, as a run
                assert "1–3" in [b["text"] for b in badges], badges
        assert seen_shared
    finally:
        page.close()
