"""Visits at one point (flats in one building, addresses placed at their postcode's point) share one square:
a square each drew them exactly on top of one another, and only the last drawn could be seen."""
from __future__ import annotations

import datetime as dt
import re

import folium
import pandas as pd

from dashboard import visit_map

DAY = dt.date(2026, 11, 20)
HOSTILE = "Flat 3 <img src=x onerror=alert(1)> ${alert(1)} `x`, 1 Mill Lane"


def _outcomes() -> pd.DataFrame:
    rows = [  # id, days before DAY, address key, address, outcome, potential victims, lat, lon
        (1, 9, "f1", "Flat 1, 1 Mill Lane", "no_concerns", 0, 52.665, 0.16),
        (2, 2, "f2", "Flat 2, 1 Mill Lane", "potential_victims", 3, 52.665, 0.16),
        (3, 5, "f3", HOSTILE, "no_access", 0, 52.665, 0.16),
        (4, 0, "f1", "Flat 1, 1 Mill Lane", "no_access", 0, 52.665, 0.16),           # Flat 1 again, newest
        (5, 7, "other", "9 Quay Way", "no_concerns", 0, 52.7, 0.2),
        (6, 7, "other", "9 Quay Way", "no_access", 0, 52.7, 0.2),                      # a correction, same day
    ]
    return pd.DataFrame([{"id": i, "visited_on": DAY - dt.timedelta(days=d), "address_key": k, "address": a,
                          "outcome": o, "potential_victims": v, "lat": lat, "lon": lon}
                         for i, d, k, a, o, v, lat, lon in rows])


def _markers(m: folium.Map) -> list[folium.Marker]:
    layer = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup))
    return [c for c in layer._children.values() if isinstance(c, folium.Marker)]


def _tooltip(marker: folium.Marker) -> str:
    tip = next(c for c in marker._children.values() if isinstance(c, folium.Tooltip))
    return tip.text


def test_one_square_per_point_in_the_newest_visits_colour():
    m = folium.Map(location=[52.6, 0.1])
    assert visit_map.add_visited(m, _outcomes()) == 2
    markers = _markers(m)
    assert len(markers) == 2
    by_place = {tuple(round(x, 3) for x in mk.location): mk for mk in markers}
    mill, quay = by_place[(52.665, 0.16)], by_place[(52.7, 0.2)]
    colour = {code: c for code, (c, _sign) in visit_map.OUTCOME_MARKS.items()}
    assert colour["no_access"] in mill.icon.options["html"]          # Flat 1's visit today is the newest
    assert colour["no_access"] in quay.icon.options["html"]          # the correction counts, not the first record
    html = m.get_root().render()
    assert html.count("border-radius:3px") == 2


def test_the_tooltip_lists_every_visit_there_newest_first_escaped():
    m = folium.Map(location=[52.6, 0.1])
    visit_map.add_visited(m, _outcomes())
    by_place = {tuple(round(x, 3) for x in mk.location): mk for mk in _markers(m)}
    tip = _tooltip(by_place[(52.665, 0.16)])
    lines = tip.split("<br>")
    assert lines[0] == "4 visits here, newest first:"
    assert [re.match(r"\d\d/\d\d/\d{4}", line).group(0) for line in lines[1:]] == [
        "20/11/2026", "18/11/2026", "15/11/2026", "11/11/2026"]
    assert "Potential victims identified, 3 potential victims · Flat 2, 1 Mill Lane" in lines[2]
    assert "<img" not in tip and "&lt;img src=x onerror=alert(1)&gt;" in lines[3]
    assert "${" not in tip and "`" not in tip
    quay = _tooltip(by_place[(52.7, 0.2)])   # one visit, said as before; the corrected record alone
    assert quay.startswith("Visited 13/11/2026: No access") and quay.endswith("<br>9 Quay Way")


def test_a_long_history_at_one_point_is_counted_past_the_first_ten():
    rows = pd.DataFrame({"id": range(14), "visited_on": [DAY - dt.timedelta(days=i) for i in range(14)],
                         "address_key": [f"k{i}" for i in range(14)], "address": [f"Flat {i}" for i in range(14)],
                         "outcome": "no_concerns", "potential_victims": 0, "lat": 52.665, "lon": 0.16})
    m = folium.Map(location=[52.6, 0.1])
    assert visit_map.add_visited(m, rows) == 1
    lines = _tooltip(_markers(m)[0]).split("<br>")
    assert lines[0] == "14 visits here, newest first:" and lines[-1] == "and 4 more"
    assert len(lines) == 1 + visit_map.MAX_LISTED + 1 and lines[1].endswith("Flat 0")


def test_a_visited_square_is_drawn_above_the_licence_clusters_badges():
    """Leaflet stacks markers by their place down the screen: a square just north of a cluster's badge was drawn
    under it. Every visited square is lifted above the badges, which carry no offset."""
    m = folium.Map(location=[52.6, 0.1])
    assert visit_map.add_visited(m, _outcomes()) == 2
    assert visit_map.VISITED_ABOVE >= 1000
    assert re.findall(r'"zIndexOffset": (\d+)', m.get_root().render()) == [str(visit_map.VISITED_ABOVE)] * 2
