"""Maps of visits: a plan's route, and the visited addresses layer on the main map.

Both use the same offline Leaflet as the main map (dashboard/map_render.py). Every string from a
record (addresses, outcome labels) is escaped before it reaches a tooltip.
"""
from __future__ import annotations

import folium
import pandas as pd

from dashboard import map_render
from operations import vocabulary
from operations.plans import Start

OUTCOME_COLOURS = {"no_concerns": "#1a9850", "concerns_intelligence": "#f39c12", "potential_victims": "#762a83",
                   "no_access": "#7f7f7f"}
ROUTE_COLOUR = "#b2182b"
LAYER_NAME = "Visited addresses (last outcome)"


def route_map(start: Start, stops: pd.DataFrame, districts: dict | None, tiles: map_render.Tiles,
              base: str) -> folium.Map:
    """The start, the stops numbered in visiting order, and straight lines between them."""
    m = folium.Map(location=[start.lat, start.lon], zoom_start=11, tiles=None, control_scale=True)
    m.options.update(min_zoom=7, max_zoom=19)
    map_render.use_local_leaflet(m, base)
    map_render.add_tiles(m, tiles)
    if districts and districts.get("features"):
        folium.GeoJson(districts, style_function=lambda _f: {"color": map_render.DISTRICT_COLOUR, "weight": 1.5,
                                                             "fill": False}, interactive=False).add_to(m)
    placed = stops[stops["lat"].notna() & stops["lon"].notna()]
    path = [[start.lat, start.lon]] + [[float(r.lat), float(r.lon)] for r in placed.itertuples(index=False)]
    if len(path) > 1:
        folium.PolyLine(path, color=ROUTE_COLOUR, weight=3, opacity=0.8).add_to(m)
    folium.Marker([start.lat, start.lon], tooltip=map_render.esc(f"Start: {start.label}"),
                  icon=folium.DivIcon(html=_badge("S", "#000000"), icon_size=(24, 24), icon_anchor=(12, 12))).add_to(m)
    for number, r in enumerate(stops.itertuples(index=False), start=1):
        if pd.isna(r.lat) or pd.isna(r.lon):
            continue
        folium.Marker([float(r.lat), float(r.lon)], tooltip=map_render.esc(f"{number}. {r.address}"),
                      icon=folium.DivIcon(html=_badge(str(number), ROUTE_COLOUR), icon_size=(24, 24),
                                          icon_anchor=(12, 12))).add_to(m)
    lats, lons = [p[0] for p in path], [p[1] for p in path]
    m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    return m


def add_visited(m: folium.Map, outcomes: pd.DataFrame, show: bool = True) -> int:
    """One circle per visited address, coloured by its latest outcome; returns how many were drawn."""
    if outcomes is None or outcomes.empty:
        return 0
    latest = (outcomes[outcomes["lat"].notna() & outcomes["lon"].notna()]
              .sort_values(["visited_on", "id"]).groupby("address_key", as_index=False).tail(1))
    if latest.empty:
        return 0
    group = folium.FeatureGroup(name=LAYER_NAME, show=show).add_to(m)
    for r in latest.itertuples(index=False):
        label = vocabulary.outcome_label(r.outcome)
        victims = f", {int(r.potential_victims)} potential victim(s)" if r.potential_victims else ""
        tip = map_render.esc(f"Visited {pd.Timestamp(r.visited_on):%d/%m/%Y}: {label}{victims}")
        folium.CircleMarker([float(r.lat), float(r.lon)], radius=8, color="#000000", weight=2,
                            fill=True, fill_color=OUTCOME_COLOURS.get(r.outcome, "#7f7f7f"), fill_opacity=0.9,
                            tooltip=f"{tip}<br>{map_render.esc(r.address)}").add_to(group)
    return len(latest)


def _badge(text: str, colour: str) -> str:
    return (f'<div style="background:{colour};color:#fff;border:2px solid #fff;border-radius:12px;width:24px;'
            f'height:24px;line-height:20px;text-align:center;font:bold 12px sans-serif;'
            f'box-shadow:0 0 2px #000">{map_render.esc(text)}</div>')
