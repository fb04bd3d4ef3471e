"""The folium map: escaped text from the data, local assets only, a bounded payload, and clicks."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import map_layers
from analysis.filters import Filters
from dashboard import map_render
from etl.loading import load_file
from etl.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
XSS = "<img src=x onerror=alert(1)>"
TODAY = dt.date.today()


def _unescape_js(text: str) -> str:
    """What the browser's JavaScript sees in a JSON string that Jinja's tojson wrote."""
    return (text.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
            .replace("\\u0027", "'").replace('\\"', '"'))


def assert_escaped(payload: str) -> None:
    seen = _unescape_js(payload)
    assert "onerror=alert(1)" in seen, "the hostile address should be on the map, as text"
    assert "<img src=x" not in seen, "a data string reached the map as HTML"
    assert "&lt;img src=x onerror=alert(1)&gt;" in seen


@pytest.fixture
def xss_db(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "xss.duckdb"
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    reports = tmp_path / "reports.csv"
    reports.write_text(
        "Report Ref,Date Received,Source Type,Address,Postcode,Latitude,Longitude,Indicators,Exploitation Type,"
        "Nationalities,People Seen,Grading,Summary\n"
        f'X-1,{day},Member of public,"{XSS}",PE13 2ZZ,52.6641,0.1597,many people coming and going,Labour,Romanian,9,'
        f'2-B-P,"Seen <b>men</b> {XSS} collected by van"\n'
        f'X-2,{day},Police,"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,mattresses on floors,Labour,Polish,3,'
        f'1-A-P,"=HYPERLINK(""http://evil"") ![x](http://evil/x.png)"\n', encoding="utf-8")
    hmo = tmp_path / "hmo.csv"
    hmo.write_text(
        "Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
        f'"<b>L-1</b>","{XSS}",PE13 2ZZ,52.6643,0.1599,5,01/04/2024,31/03/2029\n', encoding="utf-8")
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    load_file("reports", reports, db=db, source="Test reports")
    load_file("hmo", hmo, db=db, source="Test council")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    return db


def _layers(db: Path) -> map_render.MapData:
    con = Warehouse(db).connect_read_only()
    try:
        f = Filters.default(TODAY)
        return map_render.MapData(
            report_hexes={r: map_layers.report_hexes(con, f, r) for r in (7, 8, 9)},
            hmo=map_layers.hmo_markers(con, f, TODAY), reports=map_layers.report_points(con, f),
            cases=map_layers.case_hexes(con, f), districts=map_layers.district_geojson(con))
    finally:
        con.close()


def test_hostile_text_is_escaped_in_the_folium_html(xss_db):
    data = _layers(xss_db)
    assert XSS in data.hmo["address"].tolist() and XSS in data.reports["address"].tolist()
    m = map_render.build_map(data, map_render.Tiles("none"))
    html = map_render.render_html(m)
    assert_escaped(html)
    assert "<b>L-1</b>" not in _unescape_js(html) and "&lt;b&gt;L-1&lt;/b&gt;" in _unescape_js(html)
    assert not re.findall(r"https?://(?!www\.openstreetmap\.org/copyright)", html)  # tiles off: nothing remote


def test_hostile_text_is_escaped_on_the_map_page(xss_db, tmp_path, monkeypatch):
    from access.store import Store

    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    Store().add("viewer1", "viewer", "viewer-password-1")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.text_input(key="signin_name").input("viewer1")  # every page sits behind the sign-in form
    at.text_input(key="signin_password").input("viewer-password-1")
    at.button[0].click().run()
    assert not at.exception, at.exception
    component = next(c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium"))
    args = json.loads(component.proto.json_args)
    assert_escaped(args["script"])
    at.selectbox(key="map_resolution").set_value(9).run()  # any hexagon size
    assert_escaped(json.loads(next(c for c in at.get("component_instance")).proto.json_args)["script"])

    at.switch_page("views/visits.py").run()
    assert not at.exception
    assert XSS in at.dataframe[0].value["address"].tolist()  # a table cell: shown as text


def test_side_panel_reports_are_escaped(xss_db):
    con = Warehouse(xss_db).connect_read_only()
    try:
        cell = h3.latlng_to_cell(52.6641, 0.1597, 9)
        detail = map_layers.cell_detail(con, Filters.default(TODAY), cell, TODAY)
    finally:
        con.close()
    html = map_render.reports_html(detail.recent_reports, str)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "&lt;b&gt;men&lt;/b&gt;" in html and "<b>men</b>" not in html
    assert "<a " not in html and "![x](http://evil/x.png)" in html  # plain text: never a link or an image


def test_map_uses_only_local_assets_and_circle_markers():
    frame = pd.DataFrame({"licence_ref": ["A"], "address": ["1 Road"], "lat": [52.5], "lon": [-0.2],
                          "status": ["expired"]})
    m = map_render.build_map(map_render.MapData(hmo=frame, reports=pd.DataFrame(
        {"report_ref": ["r"], "received_on": [pd.Timestamp("2026-01-02")], "address": ["x"], "lat": [52.51],
         "lon": [-0.21], "grading": ["1-A-P"]})), map_render.Tiles("none"), base="/app/static/vendor")
    links = map_render.asset_links(m)
    assert links == ["/app/static/vendor/leaflet/leaflet.js", "/app/static/vendor/jquery/jquery.min.js",
                     "/app/static/vendor/leaflet/leaflet.css",
                     "/app/static/vendor/markercluster/leaflet.markercluster.js",
                     "/app/static/vendor/markercluster/MarkerCluster.css",
                     "/app/static/vendor/markercluster/MarkerCluster.Default.css"]
    html = map_render.render_html(m)
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrap", "awesome", "fontawesome"):
        assert cdn not in html
    assert "L.circleMarker" in html and "L.marker(" not in html


def test_vendor_assets_are_copied_once(tmp_path):
    target = map_render.ensure_vendor_assets(tmp_path / "vendor")
    for name in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png", "jquery/jquery.min.js",
                 "markercluster/leaflet.markercluster.js", "markercluster/MarkerCluster.Default.css"):
        assert (target / name).stat().st_size > 0, name
    stamp = (target / "leaflet/leaflet.js").stat().st_mtime_ns
    map_render.ensure_vendor_assets(target)
    assert (target / "leaflet/leaflet.js").stat().st_mtime_ns == stamp
    assert map_render.asset_base("") == "/app/static/vendor"
    assert map_render.asset_base("/hotspots/") == "/hotspots/app/static/vendor"


def test_points_are_capped_and_one_array_not_one_object_per_row():
    n = 7000
    frame = pd.DataFrame({"report_ref": [f"r{i}" for i in range(n)],
                          "received_on": pd.date_range("2020-01-01", periods=n, freq="h"),
                          "address": ["a"] * n, "lat": [52.2 + i * 1e-5 for i in range(n)],
                          "lon": [0.1] * n, "grading": ["1-A-P"] * n})
    capped, total = map_render.cap(frame, order_by="received_on")
    assert (len(capped), total) == (map_render.MAX_POINTS, n)
    assert capped["received_on"].min() == frame["received_on"].iloc[n - map_render.MAX_POINTS]  # the newest kept
    m = map_render.build_map(map_render.MapData(reports=capped), map_render.Tiles("none"))
    assert len(m._children) < 10  # a handful of layers, whatever the rows
    html = map_render.render_html(m)
    assert html.count("L.circleMarker(") == 1


def test_licence_markers_keep_the_urgent_ones_when_capped():
    statuses = ["current"] * 50 + ["expired"] * 5 + ["possible_unlicensed"] * 5 + ["expiring"] * 5
    frame = pd.DataFrame({"status": statuses, "lat": 52.3, "lon": 0.1})
    kept, total = map_render.cap_licences(frame, limit=12)
    assert total == 65 and len(kept) == 12
    assert kept["status"].tolist() == ["possible_unlicensed"] * 5 + ["expired"] * 5 + ["expiring"] * 2


def test_victim_cases_are_areas_only(xss_db):
    frame = pd.DataFrame({"h3": [h3.latlng_to_cell(52.6, 0.16, 7)], "cases": [4]})
    m = map_render.build_map(map_render.MapData(cases=frame), map_render.Tiles("none"))
    html = map_render.render_html(m)
    assert "4 victim cases in this area" in html
    assert "circleMarker" not in html


def test_clicks_are_read_from_the_returned_feature():
    cell = h3.latlng_to_cell(52.2, 0.12, 8)
    assert map_render.clicked({"last_active_drawing": {"type": "Feature", "properties": {"kind": "hex", "h3": cell},
                                                       "geometry": {"type": "Polygon", "coordinates": []}}}) \
        == {"kind": "hex", "h3": cell}
    marker = {"type": "Feature", "properties": {"kind": "hmo"}, "geometry": {"type": "Point", "coordinates": [0.12, 52.2]}}
    assert map_render.clicked({"last_active_drawing": marker}) == {"kind": "hmo", "lat": 52.2, "lon": 0.12}
    for junk in (None, {}, {"last_active_drawing": None}, {"last_active_drawing": {"properties": {"kind": "hex",
                                                                                               "h3": "zz"}}},
                 {"last_active_drawing": {"properties": {"kind": "district"}, "geometry": {"type": "Polygon"}}}):
        assert map_render.clicked(junk) is None


def test_colour_classes_and_tiles_setting():
    bins = map_render.colour_bins([1, 1, 2, 3, 5, 8, 13, 21, 34, 55])
    assert bins[0].low == 1 and bins[-1].high == 55 and len(bins) == 5
    assert map_render.colour_for(55, bins) == map_render.HEX_COLOURS[-1]
    assert [b.label for b in map_render.colour_bins([1, 2])] == ["1", "2"]
    assert map_render.colour_bins([]) == []
    assert map_render.tiles_from_env(None) == (map_render.Tiles("osm"), None)
    assert map_render.tiles_from_env("none")[0] == map_render.Tiles("none")
    url = "https://tiles.force.example/{z}/{x}/{y}.png"
    assert map_render.tiles_from_env(url)[0] == map_render.Tiles("url", url)
    tiles, problem = map_render.tiles_from_env('javascript:alert(1)//{z}{x}{y}')
    assert tiles == map_render.Tiles("osm") and problem


def test_the_panel_counts_the_reports_it_leaves_out_in_the_whole_place():
    """364 reports in a hexagon, the newest 20 fetched, 10 listed: "and 354 more", not "and 10 more"."""
    assert map_render.reports_not_shown(364, 20) == 354
    assert map_render.reports_not_shown(7, 7) == 0 and map_render.reports_not_shown(12, 12) == 2


def test_a_hot_spot_without_reports_of_its_own_says_why_it_is_hot():
    cells = pd.DataFrame({"h3": [h3.latlng_to_cell(52.66, 0.16, 8), h3.latlng_to_cell(52.57, -0.24, 8)],
                          "gi_bin": [3, 3], "trend": [None, None], "reports": [0, 4]})
    tips = [f["properties"]["tip"] for f in map_render.hotspot_features(cells)["features"]]
    assert "no report in this hexagon itself: it is hot because of the reports in the hexagons around it" in tips[0]
    assert "4 reports in the period" in tips[1]


TEMPLATE_HOSTILE = "13 High Way ${alert(document.domain)} `x` \\u0060 O'Brien's, Wisbech"


def _template_literals(page_html: str) -> list[str]:
    return re.findall(r"bindTooltip\(\s*`(.*?)`\s*,", page_html, flags=re.S)


def test_a_visited_address_never_looks_like_a_licence():
    """Licences are circles in green, amber, red, purple or grey; a visit's outcome in the same colours read
    "no concerns" as "licensed" and "potential victims" as "possibly unlicensed". Visits are squares with a
    sign, in colours no licence, hotspot or report uses."""
    from dashboard import visit_map

    taken = {c.lower() for c in [*map_render.STATUS_COLOURS.values(), map_render.UNKNOWN_STATUS_COLOUR,
                                 *map_render.HOTSPOT_COLOURS.values(), *map_render.HEX_COLOURS,
                                 map_render.REPORT_COLOUR, map_render.CASE_COLOUR, map_render.CASE_POINT_COLOUR]}
    colours = [c.lower() for c, _sign in visit_map.OUTCOME_MARKS.values()]
    assert len(set(colours)) == len(colours) and not set(colours) & taken
    signs = [sign for _c, sign in visit_map.OUTCOME_MARKS.values()]
    assert len(set(signs)) == len(signs)
    main = map_render.folium.Map(location=[52.6, 0.1])
    outcomes = pd.DataFrame({"visited_on": [dt.date.today()] * 2, "id": [1, 2], "address_key": ["a", "b"],
                             "address": ["1 A St", "2 B St"], "outcome": ["no_concerns", "potential_victims"],
                             "potential_victims": [0, 2], "lat": [52.665, 52.667], "lon": [0.160, 0.162]})
    assert visit_map.add_visited(main, outcomes) == 2
    html = main.get_root().render()
    assert "L.circleMarker" not in html and html.count("border-radius:3px") == 2
    assert "\\u2713" in html and "\\u003eV\\u003c" in html   # the signs, as folium writes the icons (JSON)


def test_an_address_cannot_break_out_of_a_markers_tooltip():
    """folium puts a marker's tooltip inside a JavaScript template literal: '${alert(document.domain)}' in an address
    ran in the lead's browser on the visit plan's route map and on the main map's visited markers, and a backtick
    blanked the map."""
    from dashboard import visit_map
    from operations.plans import Start

    stops = pd.DataFrame({"address": [TEMPLATE_HOSTILE], "lat": [52.665], "lon": [0.160]})
    route = visit_map.route_map(Start("Wisbech police station", 52.66, 0.16), stops, None,
                                map_render.Tiles("none"), "/app/static/vendor/")
    main = map_render.folium.Map(location=[52.6, 0.1])
    outcomes = pd.DataFrame({"visited_on": [dt.date.today()], "id": [1], "address_key": ["k"],
                             "address": [TEMPLATE_HOSTILE], "outcome": ["no_concerns"], "potential_victims": [0],
                             "lat": [52.665], "lon": [0.160]})
    assert visit_map.add_visited(main, outcomes) == 1
    for m in (route, main):
        literals = _template_literals(m.get_root().render())
        assert any("13 High Way" in t for t in literals)
        for text in literals:
            assert "${" not in text and "\\" not in text, text     # the literal holds no code and no escape
        assert any("&#36;{alert(document.domain)} &#96;x&#96;" in t for t in literals)
