"""Maps of visits: a plan's route, and the visited addresses layer on the main map.

Both use the same offline Leaflet as the main map (dashboard/map_render.py). Every string from a
record (addresses, outcome labels) is escaped before it reaches a tooltip.
"""
from __future__ import annotations

import folium
import pandas as pd
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template

from dashboard import map_render
from dashboard.escape import html_text
from operations import vocabulary
from operations.plans import Start

# A visited address is a square with a sign, never a circle: circles are licences, and their colours (green
# current, amber expiring, purple possibly unlicensed, grey unknown) must not be read as a visit's outcome.
# Each outcome's colour and sign are in operations/vocab/outcomes.toml.
OUTCOME_MARKS = vocabulary.outcome_marks()
UNKNOWN_OUTCOME = ("#404040", "?")
ROUTE_COLOUR = "#b2182b"
LAYER_NAME = "Visited addresses (last outcome)"
POINT_DECIMALS = 6     # about 10 cm: visits closer than that share one square
MAX_LISTED = 10        # visits named in one square's tooltip; the rest are counted
# Leaflet stacks markers by how far down the screen they are: a visited square just north of an HMO cluster's badge
# was drawn under it (seen on a phone, where the badges cover more of the map). Lifted above every badge.
VISITED_ABOVE = 1000
BADGE = 24             # a stop number's badge, in pixels
# Pixels (across, down) from a stop's point to the map's edge or a control: half a badge and a gap; across, half
# a shared badge ("S | 1, 2" is about 60 px wide).
STOP_MARGIN = (36, BADGE // 2 + 8)
START_PART = 18        # the black "S" a shared badge begins with when it holds the start, in pixels
# Stops whose badges would touch at the map's zoom share one badge listing their numbers ("3, 4, 7"; a run of
# flats "3–6"): drawn one on another, the numbers of close stops (one street, one building) could not be read.
# Zooming in parts them; stops at one point stay together, and a click spreads them out.
# The start's "S" joins them the same way (marker option stop 0): a team starting at, or next door to, its first
# door saw stop 1's badge drawn over the S (or the S over it), and read one place where there were two. A shared
# badge holding the start begins with a black "S", as the start's own badge is black: "S | 1, 2". Shifting the
# S aside was the other way, but it would then mark a place the team does not start from.
STOP_GROUP_ICON = """function (group) {
    var stops = group.getAllChildMarkers().map(function (m) { return m.options.stop; });
    var start = stops.indexOf(0) >= 0;
    var numbers = stops.filter(function (n) { return n > 0; }).sort(function (a, b) { return a - b; });
    var parts = [];
    for (var i = 0; i < numbers.length; i++) {
        var j = i;
        while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) { j++; }
        parts.push(j - i >= 2 ? numbers[i] + "\u2013" + numbers[j] : numbers.slice(i, j + 1).join(", "));
        i = j;
    }
    var text = parts.join(", ");
    var width = Math.max(%(badge)d, 12 + 7 * text.length) + (start ? %(start_part)d : 0);
    var mark = start ? '<span class="hs-stop-group-start" style="display:inline-block;background:#000000;'
                       + 'margin:0 4px 0 -6px;padding:0 5px 0 6px;border-radius:10px 0 0 10px">S</span>' : '';
    return L.divIcon({html: '<div class="hs-stop-group" style="background:%(colour)s;color:#fff;border:2px solid #fff;'
                            + 'border-radius:12px;height:%(badge)dpx;padding:0 6px;text-align:center;overflow:hidden;'
                            + 'white-space:nowrap;box-sizing:border-box;font:bold 12px/20px sans-serif;'
                            + 'box-shadow:0 0 2px #000">' + mark + text + '</div>',
                      className: "", iconSize: [width, %(badge)d], iconAnchor: [width / 2, %(badge)d / 2]});
}"""
START_STOP = 0         # the start's number among the stops' (STOP_GROUP_ICON's 0): it is listed first on hover


def route_map(start: Start, stops: pd.DataFrame, districts: dict | None, tiles: map_render.Tiles,
              base: str) -> folium.Map:
    """The start, the stops numbered in visiting order, and straight lines between them."""
    m = folium.Map(location=[start.lat, start.lon], zoom_start=11, tiles=None, control_scale=True)
    m.options.update(min_zoom=7, max_zoom=19)
    map_render.use_local_leaflet(m, base, "Map of the plan's route: the start and the stops, numbered in visiting "
                                          "order. Tab reaches each stop.")
    # The notice top right, by the zoom buttons: the stops are kept clear of both (KeepClear).
    map_render.add_tiles(m, tiles, notice_at="topright")
    if districts and districts.get("features"):
        folium.GeoJson(districts, style_function=lambda _f: {"color": map_render.DISTRICT_COLOUR, "weight": 1.5,
                                                             "fill": False}, interactive=False).add_to(m)
    placed = stops[stops["lat"].notna() & stops["lon"].notna()]
    path = [[start.lat, start.lon]] + [[float(r.lat), float(r.lon)] for r in placed.itertuples(index=False)]
    if len(path) > 1:
        folium.PolyLine(path, color=ROUTE_COLOUR, weight=3, opacity=0.8).add_to(m)
    group = _StopGroup(base).add_to(m)
    folium.Marker([start.lat, start.lon], tooltip=html_text(f"Start: {start.label}"), stop=START_STOP,
                  icon=folium.DivIcon(html=_badge("S", "#000000"), icon_size=(BADGE, BADGE),
                                      icon_anchor=(BADGE // 2, BADGE // 2))).add_to(group)
    for number, r in enumerate(stops.itertuples(index=False), start=1):
        if pd.isna(r.lat) or pd.isna(r.lon):
            continue
        folium.Marker([float(r.lat), float(r.lon)], tooltip=html_text(f"{number}. {r.address}"), stop=number,
                      icon=folium.DivIcon(html=_badge(str(number), ROUTE_COLOUR), icon_size=(BADGE, BADGE),
                                          icon_anchor=(BADGE // 2, BADGE // 2))).add_to(group)
    lats, lons = [p[0] for p in path], [p[1] for p in path]
    bounds = [[min(lats), min(lons)], [max(lats), max(lons)]]
    m.fit_bounds(bounds, padding=STOP_MARGIN)   # until the frame is laid out
    map_render.KeepClear(m, bounds, margin=STOP_MARGIN).add_to(m)
    return m


class _StopGroup(MarkerCluster):
    """The start's and the stops' badges, those that would overlap at the zoom shown drawn as one
    (STOP_GROUP_ICON), with the places it holds named on hover. From the app's own copy of
    Leaflet.markercluster, as the main map's."""

    def __init__(self, base: str):
        icon = STOP_GROUP_ICON % {"badge": BADGE, "colour": ROUTE_COLOUR, "start_part": START_PART}
        super().__init__(control=False, icon_create_function=icon,
                         max_cluster_radius=BADGE, spiderfy_on_max_zoom=True, show_coverage_on_hover=False)
        self.default_js, self.default_css = map_render.cluster_assets(base)
        self.add_child(_GroupTooltips(self))


class _GroupTooltips(MacroElement):
    """On hover, a shared badge lists its stops, each line as the stop's own (escaped) tooltip says it: folium
    writes a tooltip as one <div>, so the lines stack as they are."""
    _template = Template("""{% macro script(this, kwargs) %}
        {{ this.group.get_name() }}.on("clustermouseover", function (e) {
            var lines = e.layer.getAllChildMarkers()
                .sort(function (a, b) { return a.options.stop - b.options.stop; })
                .map(function (m) { var t = m.getTooltip(); return t ? t.getContent() : String(m.options.stop); });
            e.layer.bindTooltip(lines.join("")).openTooltip();   // each line is a <div> of its own
        });
        {% endmacro %}""")

    def __init__(self, group: MarkerCluster):
        super().__init__()
        self.group = group


def add_visited(m: folium.Map, outcomes: pd.DataFrame, show: bool = True) -> int:
    """One square per visited point, in the colour and sign of the newest visit there; returns how many were drawn.

    Flats in one building, or addresses placed at their postcode's point, share a position: a square each drew
    them exactly on top of one another, and only the last drawn could be seen or hovered. One square holds
    them all, and its tooltip lists every visit there, newest first."""
    if outcomes is None or outcomes.empty:
        return 0
    placed = outcomes[outcomes["lat"].notna() & outcomes["lon"].notna()]
    # One line per visit: an address's later record for the same day is a correction, and replaces the earlier.
    visits = (placed.sort_values(["visited_on", "id"]).groupby(["address_key", "visited_on"], as_index=False).tail(1)
              .sort_values(["visited_on", "id"], ascending=False))
    if visits.empty:
        return 0
    group = folium.FeatureGroup(name=LAYER_NAME, show=show).add_to(m)
    points = visits.assign(_lat=visits["lat"].astype(float).round(POINT_DECIMALS),
                           _lon=visits["lon"].astype(float).round(POINT_DECIMALS))
    drawn = 0
    for _point, here in points.groupby(["_lat", "_lon"], sort=False):
        newest = here.iloc[0]
        folium.Marker([float(newest.lat), float(newest.lon)], tooltip=visits_tooltip(here),
                      icon=folium.DivIcon(html=outcome_mark(newest.outcome), icon_size=(20, 20),
                                          icon_anchor=(10, 10)), z_index_offset=VISITED_ABOVE).add_to(group)
        drawn += 1
    return drawn


def visits_tooltip(here: pd.DataFrame) -> str:
    """The visits at one point, newest first, each with its address; every word from a record escaped."""
    def said(r) -> str:
        n = 0 if pd.isna(r.potential_victims) else int(r.potential_victims or 0)
        victims = f", {n} potential victim{'s' if n != 1 else ''}" if n else ""
        return f"{pd.Timestamp(r.visited_on):%d/%m/%Y}: {vocabulary.outcome_label(r.outcome)}{victims}"

    rows = list(here.head(MAX_LISTED).itertuples(index=False))
    if len(here) == 1:
        return f"{html_text('Visited ' + said(rows[0]))}<br>{html_text(rows[0].address)}"
    lines = [html_text(f"{len(here)} visits here, newest first:")]
    lines += [html_text(f"{said(r)} · {r.address}") for r in rows]
    if len(here) > MAX_LISTED:
        lines.append(html_text(f"and {len(here) - MAX_LISTED:,} more"))
    return "<br>".join(lines)


def outcome_mark(outcome: str | None, size: int = 20) -> str:
    """The visited-address marker (also drawn in the map's key): a square in the outcome's colour with its sign."""
    colour, sign = OUTCOME_MARKS.get(outcome or "", UNKNOWN_OUTCOME)
    return (f'<div style="background:{colour};color:#fff;border:2px solid #fff;border-radius:3px;width:{size}px;'
            f'height:{size}px;line-height:{size - 4}px;text-align:center;font:bold {size // 2 + 2}px sans-serif;'
            f'box-shadow:0 0 0 1px #000;box-sizing:border-box">{html_text(sign)}</div>')


def _badge(text: str, colour: str) -> str:
    return (f'<div style="background:{colour};color:#fff;border:2px solid #fff;border-radius:12px;width:24px;'
            f'height:24px;text-align:center;font:bold 12px/20px sans-serif;box-sizing:border-box;'
            f'box-shadow:0 0 2px #000">{html_text(text)}</div>')
