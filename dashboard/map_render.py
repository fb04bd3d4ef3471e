"""The hotspot map as a folium object: offline assets, bounded payload, escaped text. No Streamlit here.

- Offline: Leaflet, jQuery and Leaflet.markercluster come from the xstatic packages, copied into
  dashboard/static/vendor/ and served by Streamlit itself (server.enableStaticServing). Every CDN
  link folium adds by default (Bootstrap, Font Awesome, awesome-markers) is removed; markers are
  CircleMarkers, which need no icon files.
- Bounded: hexagons are aggregated in DuckDB (one feature per cell, not per report); points are
  drawn by one JavaScript loop over a compact array inside a marker-cluster layer, never one folium
  object per row; the page caps them at MAX_POINTS and says so.
- Escaped: every string from the data goes through dashboard/escape.py's html_text before it reaches a tooltip,
  because Leaflet tooltips and folium's GeoJsonTooltip insert their text as HTML.
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import folium
import h3
import numpy as np
import pandas as pd
from folium.plugins import MarkerCluster
from branca.element import MacroElement
from folium.template import Template

from analysis import settings
from dashboard import labels
from dashboard.escape import html_text

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
MAX_POINTS = 5000
MAP_MARGIN = (10, 10)   # pixels (across, down) kept between what is drawn and the map's controls when the tile notice comes
SMALL_LAYER = 1000   # a layer hidden on opening is sent anyway when it has at most this many points
# The force area (etl/vocab/area.toml's bbox): the map opens on it.
AREA_BOUNDS = [[52.00, -0.50], [52.74, 0.52]]

# Few → many reports, in greys: yellow to dark red shared the hot spots' hues (the busiest hexagon and a 99% hot
# spot differed by ΔE 8, by 3 to a protanope), so a busy hexagon read as a hot spot. Greys stay apart from red
# and blue in every kind of colour vision, and from the victim cases' purple (tests/test_map_colours.py).
HEX_COLOURS = ["#bdbdbd", "#9c9c9c", "#7c7c7c", "#5f5f5f", "#454545"]
# Their outline: dark grey like the hot spots', never the victim cases' purple.
HEX_OUTLINE = "#444444"
# HMO markers by licence status (analysis/licence_statuses.toml): the statuses with a colour, in the key's order.
STATUS_COLOURS = {code: spec["colour"] for code, spec in settings.licence_statuses().items() if "colour" in spec}
STATUS_ORDER = list(STATUS_COLOURS)
UNKNOWN_STATUS_COLOUR = "#7f7f7f"
REPORT_COLOUR = "#2c7bb6"
CASE_COLOUR = "#542788"
CASE_POINT_COLOUR = "#e7298a"
DISTRICT_COLOUR = "#333333"
HOTSPOT_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}
HOTSPOT_NAMES = {3: "Hot spot, 99% confidence", 2: "Hot spot, 95% confidence", 1: "Hot spot, 90% confidence",
                 -1: "Cold spot, 90% confidence", -2: "Cold spot, 95% confidence", -3: "Cold spot, 99% confidence"}
TREND_WORDS = labels.TRENDS
# The kernel density, less → more, in greens: it was in oranges, the hot spots' hues, so a dense area read as a
# hot spot. Greens are the one hue family no other area on the map uses: the hot spots run red to blue, the
# report counts grey, the victim cases purple (a purple density, darkest at #54278f, was the cases' own
# colour). Each class stays apart from all of those to each kind of colour vision (tests/test_kde_colours.py).
KDE_COLOURS = ["#b9f9a2", "#92dd9a", "#6eab27", "#4f7c54", "#27551b"]
MAX_KDE_CELLS = 3000
HEX_PANE = "hexes"
CASES_PANE = "cases"

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


# --- offline assets ------------------------------------------------------------------------------------------

def _vendor_files() -> dict[str, Path]:
    """Target path under vendor/ → the file in the installed xstatic package."""
    import xstatic.pkg.jquery as xs_jquery
    import xstatic.pkg.leaflet as xs_leaflet
    import xstatic.pkg.leaflet_markercluster as xs_cluster

    leaflet, jquery, cluster = Path(xs_leaflet.BASE_DIR), Path(xs_jquery.BASE_DIR), Path(xs_cluster.BASE_DIR)
    files = {
        "leaflet/leaflet.js": leaflet / "leaflet.js",
        "leaflet/leaflet.css": leaflet / "leaflet.css",
        "jquery/jquery.min.js": jquery / "jquery.min.js",
        "markercluster/leaflet.markercluster.js": cluster / "leaflet.markercluster.js",
        "markercluster/MarkerCluster.css": cluster / "MarkerCluster.css",
        "markercluster/MarkerCluster.Default.css": cluster / "MarkerCluster.Default.css",
    }
    for image in sorted((leaflet / "images").glob("*.png")):  # the layer control's icon, referenced by leaflet.css
        files[f"leaflet/images/{image.name}"] = image
    return files


def ensure_vendor_assets(target: Path = VENDOR_DIR) -> Path:
    """Copy the xstatic files into `target` if missing or different in size; safe to call on every run."""
    for relative, source in _vendor_files().items():
        dest = target / relative
        try:
            if dest.stat().st_size == source.stat().st_size:
                continue
        except FileNotFoundError:
            pass
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)  # a browser never fetches a half-copied file
    return target


def asset_base(base_url_path: str = "") -> str:
    """Where Streamlit serves dashboard/static/vendor/ (honours server.baseUrlPath)."""
    parts = [p for p in (base_url_path.strip("/"), "app/static/vendor") if p]
    return "/" + "/".join(parts)


def leaflet_assets(base: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    js = [("leaflet", f"{base}/leaflet/leaflet.js"), ("jquery", f"{base}/jquery/jquery.min.js")]
    css = [("leaflet_css", f"{base}/leaflet/leaflet.css")]
    return js, css


class _LeafletSetup(MacroElement):
    """Two corrections to Leaflet inside streamlit-folium's frame.

    Its default marker images: left to guess their folder from its stylesheet, it asked for
    '…/vendor/leafletmarker-icon.png' (a 404 on every map with a marker).

    Its keyboard handler focuses the map on mouse-down, and the browser scrolled the page to the focused
    frame: on a laptop a first click on a hexagon low on the map moved the page 254 px, the mouse-up
    landed elsewhere, and only a second click opened the panel. The map is focused without scrolling,
    so it still takes the arrow keys and + and - once clicked.

    And for the keyboard: a hexagon or marker reached with Tab opens its panel with Enter or Space, as a
    click does (Leaflet gives its shapes focus but no key), with a ring showing which one has the focus;
    the map itself has a name for a screen reader.
    """
    _template = Template("""{% macro script(this, kwargs) %}
        L.Icon.Default.imagePath = {{ this.path|tojson }};
        (function (map) {
            var keyboard = map.keyboard;
            if (keyboard) {
                keyboard.disable();
                keyboard._onMouseDown = function () {
                    if (!this._focused) { this._map._container.focus({preventScroll: true}); }
                };
                keyboard.enable();
            }
            var box = map.getContainer();
            box.setAttribute("role", "application");
            box.setAttribute("aria-label", {{ this.label|tojson }});
            var style = document.createElement("style");
            style.textContent = ".leaflet-interactive:focus { outline: 3px solid #1a73e8; outline-offset: 1px; }" +
                " path.leaflet-interactive:focus { stroke: #1a73e8; stroke-width: 4px; stroke-opacity: 1; }";
            document.head.appendChild(style);
            box.addEventListener("keydown", function (e) {
                if (e.key !== "Enter" && e.key !== " ") { return; }
                var target = e.target;
                if (!target || !target.classList || !target.classList.contains("leaflet-interactive")) { return; }
                var found = null;
                map.eachLayer(function (layer) {
                    if (layer._path === target || layer._icon === target) { found = layer; }
                });
                if (!found) { return; }
                e.preventDefault();
                e.stopPropagation();
                var at = found.getLatLng ? found.getLatLng() : found.getBounds().getCenter();
                // As a mouse click: to the shape's layer and on to its group, which streamlit-folium reads.
                found.fire("click", {latlng: at, layer: found, layerPoint: map.latLngToLayerPoint(at),
                                     containerPoint: map.latLngToContainerPoint(at), originalEvent: e}, true);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}""")

    def __init__(self, path: str, label: str):
        super().__init__()
        self.path = path
        self.label = label


MAP_LABEL = ("Map of reports, hotspots and HMO licences. Tab reaches each hexagon and marker; Enter opens what "
             "is known there. Arrow keys move the map, plus and minus zoom.")


def use_local_leaflet(m: folium.Map, base: str, label: str = MAP_LABEL) -> None:
    """Leaflet, jQuery and Leaflet's images from the app's own static files (no CDN, so the map draws offline),
    and Leaflet corrected for its frame (_LeafletSetup)."""
    m.default_js, m.default_css = leaflet_assets(base)
    m.add_child(_LeafletSetup(f"{base}/leaflet/images/", label))


def cluster_assets(base: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    js = [("markerclusterjs", f"{base}/markercluster/leaflet.markercluster.js")]
    css = [("markerclustercss", f"{base}/markercluster/MarkerCluster.css"),
           ("markerclusterdefaultcss", f"{base}/markercluster/MarkerCluster.Default.css")]
    return js, css


def asset_links(m: folium.Map) -> list[str]:
    """Every script and stylesheet URL the map asks for (what streamlit-folium will load)."""
    links: list[str] = []

    def walk(element):
        links.extend(url for _, url in getattr(element, "default_js", []) or [])
        links.extend(url for _, url in getattr(element, "default_css", []) or [])
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(links))


# --- base tiles ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tiles:
    kind: str                  # osm | none | url
    url: str | None = None

    @property
    def label(self) -> str:
        return {"osm": "OpenStreetMap", "none": "No base map", "url": "Force tile server"}[self.kind]


def tiles_from_env(value: str | None) -> tuple[Tiles, str | None]:
    """HOTSPOTS_TILES: 'osm' (default), 'none', or a URL template with {z}, {x} and {y}. Returns a problem too."""
    text = (value or "").strip()
    if not text or text.lower() == "osm":
        return Tiles("osm"), None
    if text.lower() == "none":
        return Tiles("none"), None
    if valid_tile_url(text):
        return Tiles("url", text), None
    return Tiles("osm"), ("HOTSPOTS_TILES is not 'osm', 'none' or a tile URL template with {z}, {x} and {y}; "
                          "using OpenStreetMap")


def valid_tile_url(text: str) -> bool:
    return (text.startswith(("https://", "http://", "/")) and all(p in text for p in ("{z}", "{x}", "{y}"))
            and not any(c in text for c in "<>\"'` \n"))


def add_tiles(m: folium.Map, tiles: Tiles, notice_at: str = "bottomleft") -> None:
    """The base map under the layers: OpenStreetMap, the force's own tile server, or none; with a notice on
    the map, in the corner `notice_at`, when its tiles can't be fetched."""
    if tiles.kind == "osm":
        layer = folium.TileLayer(OSM_URL, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19, control=False)
    elif tiles.kind == "url" and tiles.url:
        layer = folium.TileLayer(tiles.url, attr="Force tile server", name="Force tile server", max_zoom=20,
                                 control=False)
    else:
        return
    layer.add_to(m)
    TileNotice(m, layer, TILE_NOTICES[tiles.kind], position=notice_at).add_to(m)


TILE_NOTICES = {
    "osm": "Base map unavailable (no internet?): boundaries and data are still drawn.",
    "url": "Base map unavailable (the force tile server did not answer): boundaries and data are still drawn.",
}
TILE_WAIT_MS = 10_000   # no tile after this long: a network that drops requests rather than refusing them


class TileNotice(MacroElement):
    """A line on the map when its base map can't be fetched. Offline, every tile fails and the map was a grey
    field with only the tile server's credit, which read as a broken page rather than a missing street map.

    Shown while tiles fail and none has loaded since the last one failed (a pan that fetches new tiles starts
    the count again), or when none has loaded after TILE_WAIT_MS; hidden as soon as one loads. Showing or hiding
    it fires "hs:controls" on the map, so KeepClear moves the data out from under it."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function (map, tiles) {
            var box = null, loaded = 0, ever = false;
            function show() {
                if (box) { return; }
                box = L.control({position: {{ this.position|tojson }}});
                box.onAdd = function () {
                    var div = L.DomUtil.create("div", "hs-tile-notice");
                    div.setAttribute("role", "status");
                    // Never wider than the map leaves beside the zoom buttons (a phone, a narrow column).
                    var room = Math.max(160, map.getSize().x - 66);
                    div.style.cssText = "background:rgba(255,255,255,0.92);padding:3px 8px;border-radius:4px;" +
                        "border:1px solid #999;font:12px/1.4 sans-serif;color:#222;box-sizing:border-box;max-width:" +
                        Math.min(320, room) + "px";
                    div.textContent = {{ this.text|tojson }};
                    return div;
                };
                box.addTo(map);
                map.fire("hs:controls");
            }
            function hide() {
                if (box) { map.removeControl(box); box = null; map.fire("hs:controls"); }
            }
            tiles.on("loading", function () { loaded = 0; });
            tiles.on("tileerror", function () { if (!loaded) { show(); } });
            tiles.on("tileload", function () { loaded += 1; ever = true; hide(); });
            setTimeout(function () { if (!ever && map.hasLayer(tiles)) { show(); } }, {{ this.wait }});
        })({{ this.map.get_name() }}, {{ this.layer.get_name() }});
        {% endmacro %}""")

    def __init__(self, m: folium.Map, layer: folium.TileLayer, text: str, wait_ms: int | None = None,
                 position: str = "bottomleft"):
        super().__init__()
        self._name = "TileNotice"
        self.map, self.layer, self.text, self.position = m, layer, text, position
        self.wait = int(TILE_WAIT_MS if wait_ms is None else wait_ms)


class KeepClear(MacroElement):
    """Fits the map to `bounds` inside what its controls leave clear: the zoom buttons and the tile notice
    above, the scale bar, the notice and the credit below, with `margin` pixels (across, down) to spare. Leaflet's own fitBounds
    knows nothing of them: offline, the notice sat on a plan's first stop and the scale bar on its last.

    `at_start`: fit so when the map opens (the route map); otherwise only when the controls change (the notice
    comes or goes), as the main map's opening view is left as it was online. Refits only until the user
    moves the map: a view they chose is theirs. An open layer list is left out of the count (it folds away on
    a map too narrow for it, LayerListFits)."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function (map, bounds, mx, my) {
            var box = map.getContainer(), touched = false, tries = 0, wanted;
            ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (type) {
                box.addEventListener(type, function () { touched = true; }, {capture: true, passive: true});
            });
            function clearance() {   // pixels taken from the top and from the bottom of the map by its controls
                var outer = box.getBoundingClientRect(), top = 0, bottom = 0;
                box.querySelectorAll(".leaflet-control").forEach(function (control) {
                    if (control.classList.contains("leaflet-control-layers-expanded")) { return; }
                    var r = control.getBoundingClientRect();
                    if (!r.width || !r.height) { return; }
                    if (control.closest(".leaflet-top")) { top = Math.max(top, r.bottom - outer.top); }
                    else { bottom = Math.max(bottom, outer.bottom - r.top); }
                });
                return [top, bottom];
            }
            function fit() {
                if (touched || !wanted) { return; }
                var size = map.getSize(), c = clearance();
                if (size.x <= 2 * mx || size.y <= c[0] + c[1] + 2 * my) {   // the frame not laid out yet
                    if (tries++ < 50) { setTimeout(fit, 100); }
                    return;
                }
                map.fitBounds(bounds, {paddingTopLeft: [mx, c[0] + my], paddingBottomRight: [mx, c[1] + my],
                                       animate: false});
            }
            wanted = {{ "true" if this.at_start else "false" }};
            map.on("hs:controls", function () { wanted = true; fit(); });
            map.on("resize", fit);   // the frame sized after the first fit: fit again
            fit();
        })({{ this.map.get_name() }}, {{ this.bounds|tojson }}, {{ this.margin[0] }}, {{ this.margin[1] }});
        {% endmacro %}""")

    def __init__(self, m: folium.Map, bounds: list[list[float]], margin: tuple[int, int], at_start: bool = True):
        super().__init__()
        self._name = "KeepClear"
        self.map, self.bounds, self.at_start = m, bounds, at_start
        self.margin = (int(margin[0]), int(margin[1]))


# --- colours -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    colour: str

    @property
    def label(self) -> str:
        return f"{self.low:,}" if self.low == self.high else f"{self.low:,} to {self.high:,}"


def colour_bins(counts: Iterable[int], classes: int = len(HEX_COLOURS)) -> list[Bin]:
    """Up to `classes` ranges of report counts, by quantile, each with a colour from light to dark."""
    values = sorted(int(v) for v in counts if v is not None and not (isinstance(v, float) and math.isnan(v)))
    values = [v for v in values if v > 0]
    if not values:
        return []
    if len(set(values)) <= classes:  # few distinct counts: one class each
        distinct = sorted(set(values))
        k = len(distinct)
        palette = [HEX_COLOURS[round(i * (len(HEX_COLOURS) - 1) / (k - 1))] if k > 1 else HEX_COLOURS[-1]
                   for i in range(k)]
        return [Bin(v, v, c) for v, c in zip(distinct, palette)]
    uppers = sorted({int(math.ceil(q)) for q in np.quantile(values, [i / classes for i in range(1, classes + 1)])})
    uppers[-1] = values[-1]
    bins: list[tuple[int, int]] = []
    low = values[0]
    for high in uppers:
        if high >= low:
            bins.append((low, high))
            low = high + 1
    k = len(bins)
    palette = [HEX_COLOURS[round(i * (len(HEX_COLOURS) - 1) / (k - 1))] if k > 1 else HEX_COLOURS[-1]
               for i in range(k)]
    return [Bin(lo, hi, c) for (lo, hi), c in zip(bins, palette)]


def colour_for(count: int, bins: list[Bin]) -> str:
    for b in bins:
        if count <= b.high:
            return b.colour
    return bins[-1].colour if bins else HEX_COLOURS[-1]


# --- layers --------------------------------------------------------------------------------------------------


def _ring(cell: str, boundary: Any) -> list[list[float]]:
    """A closed GeoJSON ring ([lon, lat] pairs) from [[lat, lon], ...], or from the cell itself."""
    points = None
    if boundary is not None:
        try:
            points = [[float(p[1]), float(p[0])] for p in list(boundary)]
        except (TypeError, ValueError, IndexError):
            points = None
    if not points:
        points = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
    points = [[round(x, COORDINATE_DECIMALS), round(y, COORDINATE_DECIMALS)] for x, y in points]
    if points[0] != points[-1]:
        points.append(points[0])
    return points


def hex_features(frame: pd.DataFrame, count_column: str, kind: str, bins: list[Bin] | None,
                 tip: str) -> dict:
    """A FeatureCollection with one polygon per H3 cell; `tip` is a format string over {n}."""
    features = []
    for row in frame.itertuples(index=False):
        cell = str(getattr(row, "h3"))
        n = int(getattr(row, count_column))
        props = {"kind": kind, "h3": cell, "count": n,
                 "tip": html_text(tip.format(n=f"{n:,}", s="" if n == 1 else "s"))}
        if bins is not None:
            props["colour"] = colour_for(n, bins)
        features.append({"type": "Feature", "id": f"{kind}-{cell}", "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [_ring(cell, getattr(row, "boundary", None))]}})
    return {"type": "FeatureCollection", "features": features}


class PointCluster(MarkerCluster):
    """Many points in one marker-cluster layer, built by a loop in the browser over a compact array.

    Each row is [lat, lon, colour index, tooltip HTML (already escaped)], or, when `tips` is given,
    [lat, lon, colour index, bold text, ref] with the tooltip put together in the browser as
    "<b>text</b><br>tips[index]<br>Licence ref" (every part already escaped), which keeps thousands of
    rows light. A clicked marker's GeoJSON (which streamlit-folium returns as last_active_drawing)
    carries {"kind": kind}.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var colours = {{ this.colours|tojson }};
                var kind = {{ this.kind|tojson }};
                var data = {{ this.data|tojson }};
                var tips = {{ this.tips|tojson }};
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                cluster.options.iconCreateFunction = function(c) {
                    var n = c.getChildCount();
                    var size = n < 10 ? 'small' : (n < 100 ? 'medium' : 'large');
                    return L.divIcon({html: '<div><span>' + n + '</span></div>',
                                      className: 'marker-cluster marker-cluster-' + size + ' hs-cluster-' + kind,
                                      iconSize: L.point(32, 32)});
                };
                var markers = [];
                for (var i = 0; i < data.length; i++) {
                    var row = data[i];
                    var marker = L.circleMarker([row[0], row[1]], {
                        radius: {{ this.radius }}, color: '#222222', weight: 1,
                        fillColor: colours[row[2]], fillOpacity: 0.9});
                    marker.feature = {type: 'Feature', properties: {kind: kind}};
                    marker.bindTooltip(tips ? '<b>' + row[3] + '</b><br>' + tips[row[2]] +
                                       (row[4] ? '<br>Licence ' + row[4] : '') : row[3]);
                    markers.push(marker);
                }
                cluster.addLayers(markers);
                return cluster;  // folium adds it to the map when the layer is shown on opening
            })();
        {% endmacro %}"""
    )

    def __init__(self, data: list[list], colours: list[str], kind: str, *, base: str, name: str,
                 show: bool = True, radius: int = 7, tips: list[str] | None = None):
        super().__init__(name=name, show=show, chunked_loading=True, max_cluster_radius=45,
                         spiderfy_on_max_zoom=True, show_coverage_on_hover=False)
        self._name = "PointCluster"
        self.data = data
        self.colours = colours
        self.tips = tips
        self.kind = kind
        self.radius = min(int(radius), 10)  # ≤ 10 px: Leaflet reports the marker's own position on click
        self.default_js, self.default_css = cluster_assets(base)


class RestCounts(folium.map.Layer):
    """Markers beyond the cap, as one grey circle per area with the count: nothing is silently left off.

    Rows are [lat, lon, count] (the area's centre); the tooltip says how to see them. Not clickable.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var group = L.featureGroup();
                var data = {{ this.data|tojson }};
                for (var i = 0; i < data.length; i++) {
                    var n = data[i][2];
                    L.circleMarker([data[i][0], data[i][1]], {
                        radius: Math.min(6 + Math.sqrt(n) / 2, 22), color: '#555555', weight: 1,
                        fillColor: '#bbbbbb', fillOpacity: 0.55, interactive: true, bubblingMouseEvents: false})
                     .bindTooltip(n.toLocaleString() + ' more HMO' + (n === 1 ? '' : 's') +
                                  ' (licensed or possibly unlicensed) in this area, not drawn: ' + {{ this.hint|tojson }})
                     .addTo(group);
                }
                return group;  // folium adds it to the map when the layer is shown on opening
            })();
        {% endmacro %}"""
    )

    def __init__(self, frame: pd.DataFrame, name: str, show: bool = True, districts_chosen: int = 0):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RestCounts"
        self.hint = rest_hint(districts_chosen)
        d = COORDINATE_DECIMALS
        self.data = [[round(float(r.lat), d), round(float(r.lon), d), int(r.markers)]
                     for r in frame.itertuples(index=False)]


COORDINATE_DECIMALS = 5   # ~1 m: enough for a marker or a hexagon's corner, and far lighter than 15 digits


def hmo_tips() -> list[str]:
    """The status line of an HMO marker's tooltip, by colour index (STATUS_ORDER, then unknown), escaped."""
    return [html_text(labels.licence_status(s)) for s in STATUS_ORDER] + [html_text("HMO")]


def hmo_rows(frame: pd.DataFrame) -> list[list]:
    """[lat, lon, status index, address, licence ref] per marker, text escaped (see PointCluster's `tips`)."""
    rows = []
    d = COORDINATE_DECIMALS
    for r in frame.itertuples(index=False):
        status = str(getattr(r, "status", "") or "")
        index = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        ref = getattr(r, "licence_ref", None)
        rows.append([round(float(r.lat), d), round(float(r.lon), d), index,
                     html_text(getattr(r, "address", "")), html_text(ref) if ref is not None else ""])
    return rows


def report_rows(frame: pd.DataFrame) -> list[list]:
    rows = []
    for r in frame.itertuples(index=False):
        received = getattr(r, "received_on", None)
        when = pd.Timestamp(received).strftime("%d %b %Y") if received is not None and not pd.isna(received) else ""
        grading = html_text(getattr(r, "grading", ""))
        tip = f"<b>{html_text(getattr(r, 'address', '') or 'Report')}</b><br>Received {html_text(when)}"
        if grading:
            tip += f" · graded {grading}"
        rows.append([round(float(r.lat), COORDINATE_DECIMALS), round(float(r.lon), COORDINATE_DECIMALS), 0, tip])
    return rows


def case_rows(frame: pd.DataFrame) -> list[list]:
    """Exact victim cases: position, and only when the case was opened and the kind of exploitation."""
    rows = []
    for r in frame.itertuples(index=False):
        opened = getattr(r, "opened_on", None)
        when = pd.Timestamp(opened).strftime("%d %b %Y") if opened is not None and not pd.isna(opened) else "no date"
        tip = (f"<b>Potential victim</b><br>Case opened {html_text(when)}<br>"
               f"Exploitation: {html_text(labels.exploitation(getattr(r, 'exploitation_type', '')))}")
        rows.append([round(float(r.lat), 6), round(float(r.lon), 6), 0, tip])
    return rows


def cap(frame: pd.DataFrame | None, limit: int = MAX_POINTS, order_by: str | None = None) -> tuple[pd.DataFrame, int]:
    """At most `limit` rows with a position (the newest first when `order_by` is given), and how many there were."""
    if frame is None or frame.empty:
        return pd.DataFrame(), 0
    placed = frame.dropna(subset=["lat", "lon"])
    total = len(placed)
    if total > limit:
        if order_by and order_by in placed.columns:
            placed = placed.sort_values(order_by, ascending=False, kind="stable")
        placed = placed.head(limit)
    return placed, total


# Hexagon resolution by zoom, when the resolution follows the zoom: (resolution, lowest zoom, highest zoom).
ZOOM_RESOLUTIONS = [(7, 0, 10), (8, 11, 12), (9, 13, 99)]


MARKER_PRIORITY = settings.marker_priority()  # kept first when markers are capped (licence_statuses.toml)


def cap_licences(frame: pd.DataFrame | None, limit: int = MAX_POINTS) -> tuple[pd.DataFrame, int]:
    """`cap` for HMO markers: possibly unlicensed, then expired, expiring and current ones are kept first."""
    if frame is None or frame.empty or "status" not in frame.columns:
        return cap(frame, limit)
    rank = frame["status"].map({s: i for i, s in enumerate(MARKER_PRIORITY)}).fillna(len(MARKER_PRIORITY))
    ordered = frame.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")
    placed, total = cap(ordered, limit)
    return placed.head(limit), total


@dataclass
class MapData:
    report_hexes: dict[int, pd.DataFrame] = field(default_factory=dict)   # resolution → report_hexes()
    hmo: pd.DataFrame | None = None
    reports: pd.DataFrame | None = None
    cases: pd.DataFrame | None = None
    case_points: pd.DataFrame | None = None  # exact positions: only filled for roles allowed to see them
    districts: dict | None = None
    hotspots: pd.DataFrame | None = None   # analysis.hotspots.compute(...).cells
    hmo_rest: pd.DataFrame | None = None   # markers beyond the cap, per cell: h3, lat, lon, markers
    kde: bool = True                       # draw the kernel density layer (the page sends it only when asked)
    min_cases: int = 3
    visible: dict[str, bool] = field(default_factory=dict)
    districts_chosen: int = 0              # how many districts the filters name (0: the whole force area)


LAYER_NAMES = {
    "hotspots": "Hotspot classes (Gi*)",
    "kde": "Report density (kernel)",
    "hexes": "Reports by area (hexagons)",
    "hmo": "HMO licences",
    "hmo_rest": "HMO licences not drawn (counts per area)",
    "reports": "Reports (individual)",
    "cases": "Victim cases (areas only)",
    "case_points": "Victim cases (exact locations)",
    "districts": "District boundaries",
}

class LayerListFits(MacroElement):
    """Keeps the layer list open only on a map wide enough to leave most of it visible: on a narrower one
    (a laptop's half page, a phone) it is folded to its button, opened by hovering or tapping it. Open,
    the list is about 300 px wide and hid a third of a laptop's map. Runs in the browser, which alone knows
    the map's width (the list's own size is not known until the page's styles have loaded)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this.map.get_name() }};
            var control = {{ this.control.get_name() }};
            var tries = 0;
            function fit() {   // 0 until the frame is laid out
                var width = map.getSize().x;
                if (!width && tries++ < 50) { return setTimeout(fit, 100); }
                if (width >= {{ this.min_width }}) { control.expand(); } else { control.collapse(); }
            }
            fit();
        })();
        {% endmacro %}"""
    )

    def __init__(self, m: folium.Map, control: folium.LayerControl, min_width: int = 760):
        super().__init__()
        self._name = "LayerListFits"
        self.map, self.control, self.min_width = m, control, min_width


class ZoomSwitch(MacroElement):
    """Shows, inside `group`, the hexagon layer whose resolution suits the map's zoom (ZOOM_RESOLUTIONS).
    Runs in the browser: zooming never reruns the page."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this.map.get_name() }};
            var group = {{ this.group.get_name() }};
            var layers = [
            {%- for layer, low, high in this.entries %}
                [{{ layer.get_name() }}, {{ low }}, {{ high }}],
            {%- endfor %}
            ];
            function update() {
                var z = map.getZoom();
                layers.forEach(function(e) {
                    var want = z >= e[1] && z <= e[2];
                    if (want && !group.hasLayer(e[0])) { group.addLayer(e[0]); }
                    if (!want && group.hasLayer(e[0])) { group.removeLayer(e[0]); }
                });
            }
            map.on("zoomend", update);
            update();
        })();
        {% endmacro %}"""
    )

    def __init__(self, m: folium.Map, group: folium.FeatureGroup, layers: dict[int, folium.GeoJson]):
        super().__init__()
        self._name = "ZoomSwitch"
        self.map = m
        self.group = group
        self.entries = [(layers[r], low, high) for r, low, high in ZOOM_RESOLUTIONS if r in layers]


_CSS = """
<style>
.hs-cluster-report div { background-color: rgba(44, 123, 182, 0.85); color: #fff; }
.hs-cluster-report { background-color: rgba(44, 123, 182, 0.35); }
.hs-cluster-hmo div { background-color: rgba(60, 60, 60, 0.7); color: #fff; }
.hs-cluster-hmo { background-color: rgba(60, 60, 60, 0.2); }
.hs-cluster-case div { background-color: rgba(231, 41, 138, 0.85); color: #fff; }
.hs-cluster-case { background-color: rgba(231, 41, 138, 0.3); }
.hs-cluster-hmo, .hs-cluster-report, .hs-cluster-case { opacity: 0.9; }
.marker-cluster.hs-cluster-hmo div, .marker-cluster.hs-cluster-report div, .marker-cluster.hs-cluster-case div {
    width: 24px; height: 24px; margin-left: 4px; margin-top: 4px; font-size: 11px; }
.marker-cluster.hs-cluster-hmo span, .marker-cluster.hs-cluster-report span,
.marker-cluster.hs-cluster-case span { line-height: 24px; }
.leaflet-tooltip { white-space: normal; width: max-content; max-width: 260px; }
</style>
"""


def build_map(data: MapData, tiles: Tiles, base: str = "/app/static/vendor",
              more_layers: Callable[[folium.Map], None] | None = None) -> folium.Map:
    """The folium map with every layer present, each switchable in the layer control. `more_layers` adds the
    page's own (the visited addresses) before the control: a layer added after it is named by the control's
    script before it exists, and Leaflet then draws no map at all."""
    # SVG, not canvas: each pane then only catches clicks where something is drawn, so markers above and
    # hexagons below are both clickable (a canvas would swallow every click meant for a lower pane).
    m = folium.Map(location=[52.37, 0.0], zoom_start=9, tiles=None, control_scale=True, prefer_canvas=False)
    # The map's own zoom limits: with no tile layer, Leaflet can't fit bounds without a maxZoom.
    m.options.update(min_zoom=7, max_zoom=19)
    use_local_leaflet(m, base)
    m.get_root().header.add_child(folium.Element(_CSS), name="hotspots_css")
    add_tiles(m, tiles)
    # Areas sit below the markers (overlayPane is 400): a marker inside a hexagon stays visible and clickable.
    folium.map.CustomPane(CASES_PANE, z_index=340).add_to(m)
    folium.map.CustomPane(HEX_PANE, z_index=350).add_to(m)
    show = {"hotspots": True, "kde": False, "hexes": True, "hmo": True, "reports": False, "cases": True,
            "case_points": True, "districts": True, **data.visible}

    if data.districts and data.districts.get("features"):
        features = [{"type": "Feature", "properties": {}, "geometry": feat.get("geometry")}
                    for feat in data.districts["features"] if feat.get("geometry")]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name=LAYER_NAMES["districts"], show=show["districts"],
            style_function=lambda _f: {"color": DISTRICT_COLOUR, "weight": 2, "fill": False, "interactive": False},
            interactive=False, control=True,
        ).add_to(m)

    if data.cases is not None and not data.cases.empty:
        fc = hex_features(data.cases, "cases", "cases", None,
                          "{n} victim case{s} in this area (areas with fewer than %d are not shown)" % data.min_cases)
        max_cases = max(f["properties"]["count"] for f in fc["features"])
        for feat in fc["features"]:
            feat["properties"]["opacity"] = round(0.08 + 0.27 * feat["properties"]["count"] / max_cases, 3)
        folium.GeoJson(
            fc, name=LAYER_NAMES["cases"], show=show["cases"],
            style_function=lambda f: {"color": CASE_COLOUR, "weight": 2, "dashArray": "6 4",
                                      "fillColor": CASE_COLOUR, "fillOpacity": f["properties"]["opacity"]},
            highlight_function=lambda _f: {"weight": 4},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), pane=CASES_PANE,
        ).add_to(m)

    if data.hotspots is not None and not data.hotspots.empty:
        _add_hotspot_layers(m, data.hotspots, show, kde=data.kde)

    hex_layers = {}
    for resolution, frame in sorted(data.report_hexes.items()):
        if frame is None or frame.empty:
            continue
        bins = colour_bins(frame["reports"])
        fc = hex_features(frame, "reports", "hex", bins, "{n} report{s} in this area. Click for details.")
        hex_layers[resolution] = folium.GeoJson(
            fc, name=f"{LAYER_NAMES['hexes']} ({resolution})", control=False,
            style_function=lambda f: {"color": HEX_OUTLINE, "weight": 0.6, "fillColor": f["properties"]["colour"],
                                      "fillOpacity": 0.65},
            highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), pane=HEX_PANE,
        )
    if hex_layers:
        group = folium.FeatureGroup(name=LAYER_NAMES["hexes"], show=show["hexes"]).add_to(m)
        if len(hex_layers) == 1:
            next(iter(hex_layers.values())).add_to(group)
        else:
            for layer in hex_layers.values():
                layer.show = False  # the zoom switch below adds the one that fits
                layer.add_to(group)
            ZoomSwitch(m, group, hex_layers).add_to(m)

    if data.hmo is not None and not data.hmo.empty:
        colours = [STATUS_COLOURS[s] for s in STATUS_ORDER] + [UNKNOWN_STATUS_COLOUR]
        PointCluster(hmo_rows(data.hmo), colours, "hmo", base=base, name=LAYER_NAMES["hmo"],
                     show=show["hmo"], tips=hmo_tips()).add_to(m)

    if data.hmo_rest is not None and not data.hmo_rest.empty:
        RestCounts(data.hmo_rest, name=LAYER_NAMES["hmo_rest"], show=show.get("hmo_rest", True),
                   districts_chosen=data.districts_chosen).add_to(m)

    if data.reports is not None and not data.reports.empty:
        PointCluster(report_rows(data.reports), [REPORT_COLOUR], "report", base=base,
                     name=LAYER_NAMES["reports"], show=show["reports"], radius=6).add_to(m)

    if data.case_points is not None and not data.case_points.empty:
        PointCluster(case_rows(data.case_points), [CASE_POINT_COLOUR], "case", base=base,
                     name=LAYER_NAMES["case_points"], show=show["case_points"], radius=6).add_to(m)

    if more_layers is not None:
        more_layers(m)
    control = folium.LayerControl(collapsed=True).add_to(m)
    LayerListFits(m, control).add_to(m)
    bounds = data_bounds(data)
    m.fit_bounds(bounds)
    KeepClear(m, bounds, margin=MAP_MARGIN, at_start=False).add_to(m)   # offline: off the notice's line
    return m


def hotspot_features(cells: pd.DataFrame) -> dict:
    """Hot and cold cells (after FDR) as polygons; each tooltip says the class, trend and count in words."""
    shown = cells[cells["gi_bin"] != 0]
    features = []
    for row in shown.itertuples(index=False):
        words = HOTSPOT_NAMES[int(row.gi_bin)]
        if isinstance(row.trend, str):
            words += f"; {TREND_WORDS.get(row.trend, row.trend)} ({row.trend})"
        if row.reports:
            words += f"; {int(row.reports):,} report{'s' if row.reports != 1 else ''} in the period. Click for details."
        elif row.gi_bin > 0:   # Gi* weighs a hexagon with its neighbours: hot by what surrounds it
            words += "; no report in this hexagon itself: it is hot because of the reports in the hexagons around it."
        else:
            words += "; no report in the period."
        features.append({"type": "Feature", "id": f"hot-{row.h3}",
                         "properties": {"kind": "hex", "h3": row.h3, "tip": html_text(words),
                                        "colour": HOTSPOT_COLOURS[int(row.gi_bin)]},
                         "geometry": {"type": "Polygon", "coordinates": [_ring(row.h3, None)]}})
    return {"type": "FeatureCollection", "features": features}


def kde_features(cells: pd.DataFrame) -> dict:
    """The densest cells (at most MAX_KDE_CELLS, so the payload stays bounded), coloured in five classes."""
    dense = cells[cells["kde"] > 0].nlargest(MAX_KDE_CELLS, "kde")
    if dense.empty:
        return {"type": "FeatureCollection", "features": []}
    edges = np.quantile(dense["kde"], [0.2, 0.4, 0.6, 0.8])
    features = []
    for row in dense.itertuples(index=False):
        level = int(np.searchsorted(edges, row.kde, side="right"))
        features.append({"type": "Feature", "id": f"kde-{row.h3}",
                         "properties": {"kind": "hex", "h3": row.h3, "colour": KDE_COLOURS[level],
                                        "tip": html_text(f"About {row.kde:.1f} reports per km² nearby "
                                                         "(kernel density). Click for details.")},
                         "geometry": {"type": "Polygon", "coordinates": [_ring(row.h3, None)]}})
    return {"type": "FeatureCollection", "features": features}


def _add_hotspot_layers(m: folium.Map, cells: pd.DataFrame, show: dict, kde: bool = True) -> None:
    layers = ([("kde", kde_features(cells), 0.55)] if kde else []) + [("hotspots", hotspot_features(cells), 0.7)]
    for key, fc, opacity in layers:
        if not fc["features"]:
            continue
        folium.GeoJson(
            fc, name=LAYER_NAMES[key], show=show[key],
            style_function=lambda f, o=opacity: {"color": "#444444", "weight": 0.8, "fillColor": f["properties"]["colour"],
                                                 "fillOpacity": o},
            highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), pane=HEX_PANE,
        ).add_to(m)


def data_bounds(data: MapData, margin: float = 0.01) -> list[list[float]]:
    """The box around everything drawn (so a district filter zooms in), else the whole force area."""
    lats: list[float] = []
    lons: list[float] = []
    frames = [*data.report_hexes.values(), data.hmo, data.reports, data.cases]
    for frame in frames:
        if frame is not None and not frame.empty and {"lat", "lon"} <= set(frame.columns):
            placed = frame.dropna(subset=["lat", "lon"])
            lats += placed["lat"].astype(float).tolist()
            lons += placed["lon"].astype(float).tolist()
    if not lats:
        return AREA_BOUNDS
    return [[min(lats) - margin, min(lons) - margin], [max(lats) + margin, max(lons) + margin]]


def render_html(m: folium.Map) -> str:
    """The whole standalone page, as folium writes it (for tests and inspection)."""
    return m.get_root().render()


# The only hexagon sizes the map draws (ZOOM_RESOLUTIONS; hotspots.toml's resolution is one of them).
HEX_RESOLUTIONS = frozenset(r for r, *_ in ZOOM_RESOLUTIONS)
MARKER_KINDS = ("hmo", "report", "case")


def drawn_places(data: MapData) -> dict[str, frozenset]:
    """What a click on this map can name: the cells of each hexagon layer ("hex": reports, hotspots, density;
    "cases": the victim-case areas) and the kinds of marker drawn ("markers")."""
    hexes: set[str] = set()
    for frame in [*data.report_hexes.values(), data.hotspots]:
        if frame is not None and not frame.empty and "h3" in frame.columns:
            hexes.update(frame["h3"].astype(str))
    cases = set() if data.cases is None or data.cases.empty else set(data.cases["h3"].astype(str))
    markers = {kind for kind, frame in (("hmo", data.hmo), ("report", data.reports), ("case", data.case_points))
               if frame is not None and not frame.empty}
    return {"hex": frozenset(hexes), "cases": frozenset(cases), "markers": frozenset(markers)}


def clicked(value: Any, drawn: dict[str, frozenset] | None = None) -> dict | None:
    """What the user clicked, from st_folium's return value: {"kind", "h3"} or {"kind", "lat", "lon"}; None for
    anything the map could not have sent.

    The value comes from the browser, so a viewer can write any cell into it. A valid cell of a finer
    resolution (15 is about a square metre) would make the panel count the victim cases at one point:
    cases placed by postcode share a point, and at 3 or more the panel shows them, down to the door. So
    only cells at a resolution the map draws are read, and with `drawn` (drawn_places of this map) only
    cells and marker kinds that are on it. A marker click is looked up in its small cell around the point
    (marker_detail), the finest the hexagons go anyway."""
    if not isinstance(value, dict):
        return None
    feature = value.get("last_active_drawing")
    if not isinstance(feature, dict):
        return None
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return None
    kind = props.get("kind")
    if kind in ("hex", "cases"):
        cell = props.get("h3")
        if not (isinstance(cell, str) and h3.is_valid_cell(cell) and h3.get_resolution(cell) in HEX_RESOLUTIONS):
            return None
        if drawn is not None and cell not in drawn.get(kind, ()):
            return None
        return {"kind": kind, "h3": cell}
    geometry = feature.get("geometry") or {}
    if kind in MARKER_KINDS and isinstance(geometry, dict) and geometry.get("type") == "Point":
        if drawn is not None and kind not in drawn.get("markers", ()):
            return None
        try:
            lon, lat = (float(v) for v in geometry["coordinates"][:2])
        except (TypeError, ValueError, KeyError):
            return None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        return {"kind": kind, "lat": lat, "lon": lon}
    return None


PANEL_REPORTS = 10   # the newest reports the side panel lists


def reports_not_shown(total: int, fetched: int) -> int:
    """How many of a place's reports the panel leaves out: counted in the whole place (`total`), not in the
    newest few fetched for it (`recent_reports` in analysis/settings.toml)."""
    return max(total, fetched) - min(fetched, PANEL_REPORTS)


def reports_html(frame: pd.DataFrame, source_label=str) -> str:
    """The side panel's list of reports: date, grading, who reported, address, then the summary; all escaped."""
    items = []
    for row in frame.to_dict("records"):
        received = row.get("received_on")
        when = pd.Timestamp(received).strftime("%d %b %Y") if received is not None and not pd.isna(received) else "no date"
        bits = [f"<b>{html_text(when)}</b>"]
        if html_text(row.get("grading")):
            bits.append(f"graded {html_text(row['grading'])}")
        if html_text(row.get("source_type")):
            bits.append(html_text(source_label(row["source_type"])))
        if html_text(row.get("address")):
            bits.append(html_text(row["address"]))
        items.append(f'<div style="margin:0 0 0.8rem 0">{" · ".join(bits)}'
                     f'<div style="margin-top:0.2rem">{html_text(row.get("summary"))}</div></div>')
    return "".join(items)


def rest_hint(districts_chosen: int = 0) -> str:
    """How to see the HMO markers beyond the cap. Only the district filter narrows the licences, so with a
    district chosen "choose a district" was advice already followed: there the panel lists them instead."""
    if not districts_chosen:
        return "choose a district to see them"
    where = "the chosen district" if districts_chosen == 1 else "the chosen districts"
    return f"too many to draw even in {where}; click a hexagon next to the circle to list its licences"


def legend(*, rest: bool = True, districts_chosen: int = 0) -> list[tuple[str, str, str]]:
    """(shape, colour, label) rows for the legend drawn beside the map (the hexagon colours come apart).
    `rest`: grey circles count HMOs not drawn (there are more than the map draws)."""
    rows = [("square", HOTSPOT_COLOURS[b], HOTSPOT_NAMES[b]) for b in (3, 2, 1, -1, -2, -3)]
    rows += [("circle", STATUS_COLOURS[s], labels.licence_status(s)) for s in STATUS_ORDER]
    # The marker-cluster groups drawn for HMOs (the hs-cluster-hmo style in _CSS): read as "22 reports" or
    # a hotspot's score when the key left them out.
    rows += [("cluster", "rgba(60, 60, 60, 0.7)", "A number in a dark circle: that many HMO markers close "
                                                  "together; zoom in or click to spread them")]
    if rest:
        rows += [("circle", "#bbbbbb", f"HMO licences not drawn, counted per area ({rest_hint(districts_chosen)})")]
    rows += [("circle", REPORT_COLOUR, "A report (tick “Individual reports” above the map); a number in a blue "
                                       "circle: that many reports close together"),
             ("dashed", CASE_COLOUR, "Victim cases: areas only, never addresses"),
             ("line", DISTRICT_COLOUR, "District boundary")]
    return rows


