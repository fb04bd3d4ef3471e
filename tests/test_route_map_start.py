"""A plan's route map never hides its start under a stop's number, nor a number under the start.

The start's "S" was a marker of its own, outside the group that merges close stops' badges: a team starting at
its first door (or next door to it) saw stop 1's badge drawn over the S, and read one place where there were two.
The start now joins the same group, so an S that would touch a stop's badge shares it: "S | 1, 2", the S in the
start's black. The browser test draws the map in Chromium, offline, and measures every badge on screen."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from dashboard import map_render, visit_map
from operations.plans import Start
from tests.app_server import CHROMIUM

# Flats 1 and 2 at the start's own point (a team briefed in the block it visits), a door 12 m on, and one across
# town; then the same with the start 8 m from stop 1 (the police station next door).
STOPS = pd.DataFrame({"address": ["Flat 1, 5 Mill Road", "Flat 2, 5 Mill Road", "7 Mill Road", "2 Fen Lane"],
                      "lat": [52.57300, 52.57300, 52.57310, 52.59000],
                      "lon": [-0.24000, -0.24000, -0.23990, -0.20000]})
AT_STOP_1 = Start("5 Mill Road <car park>", 52.57300, -0.24000)
NEXT_DOOR = Start("Mill Road police post", 52.57305, -0.24008)


def _map(start: Start, base: str):
    return visit_map.route_map(start, STOPS, None, map_render.Tiles("none"), base)


def test_the_start_is_drawn_in_the_group_that_merges_close_badges():
    html = map_render.render_html(_map(AT_STOP_1, "/app/static/vendor"))
    group = re.search(r"var (marker_cluster_[0-9a-f]+) = L\.markerClusterGroup", html).group(1)
    start = re.search(r'L\.marker\(\s*\[52\.573, -0\.24\],\s*\{\s*"stop": 0,\s*\}\s*\)\.addTo\((\w+)\)', html)
    assert start, "the start is a marker numbered 0 among the stops"
    assert start.group(1) == group, "the start must be in the stops' group, or a stop's badge can cover it"
    icon = re.search(r"\.options\.iconCreateFunction =\s*(function.*?\n\})", html, re.S).group(1)
    assert "indexOf(0)" in icon and "hs-stop-group-start" in icon   # a shared badge names the start first
    assert "Start: 5 Mill Road &lt;car park&gt;" in html             # its tooltip, escaped, listed on hover


def _places(label: str) -> list[str]:
    """'S1–3' or 'S1, 2' (a shared badge's text) or '4' → ['S', '1', '2', '3'] …"""
    out: list[str] = []
    if label.startswith("S"):
        out.append("S")
        label = label[1:]
    for part in label.replace(" ", "").split(","):
        if "–" in part:
            a, b = part.split("–")
            out += [str(n) for n in range(int(a), int(b) + 1)]
        elif part:
            out.append(part)
    return out


def _badges(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('.leaflet-marker-icon')].map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.innerText.replace(/\\s+/g, ' ').trim(), x: r.left, y: r.top, w: r.width, h: r.height};
    }).filter(b => b.w > 0)""")


def _apart(badges: list[dict]) -> bool:
    return all(a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"]
               or b["y"] + b["h"] <= a["y"] for i, a in enumerate(badges) for b in badges[i + 1:])


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")
@pytest.mark.parametrize("start", [AT_STOP_1, NEXT_DOOR], ids=["at-stop-1", "next-door"])
def test_on_screen_the_start_and_every_stop_number_show_once_apart_at_any_zoom(tmp_path, browser, start):
    vendor = map_render.ensure_vendor_assets()
    page_file = tmp_path / "route.html"
    page_file.write_text(map_render.render_html(_map(start, Path(vendor).as_uri())), encoding="utf-8")
    page = browser.new_page(viewport={"width": 700, "height": 420})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_selector(".leaflet-marker-icon")
        page.wait_for_timeout(500)
        map_name = re.search(r"var (map_[0-9a-f]+) = L\.map", page_file.read_text()).group(1)
        for zoom in (12, 15, 17, 19):
            page.evaluate(f"() => {{ {map_name}.setView([52.5730, -0.2400], {zoom}, {{animate: false}}); }}")
            page.wait_for_timeout(400)
            badges = _badges(page)
            assert _apart(badges), (zoom, badges)
            places = [p for b in badges for p in _places(b["text"])]
            assert len(places) == len(set(places)), (zoom, badges)                  # none drawn twice
            assert {"S", "1", "2", "3"} <= set(places), (zoom, badges)              # none hidden (stop 4 may be
            assert zoom > 12 or "4" in places, badges                                # out of view zoomed in)
            if zoom == 19 and start is AT_STOP_1:   # the start and the flats at its point stay one badge, S first
                assert "S1, 2" in [b["text"] for b in badges], badges
    finally:
        page.close()
