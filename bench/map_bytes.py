"""Row 3a: the size of the folium map the dashboard's map page builds (what goes to the browser).

The layers are gathered as dashboard/views/map.py gathers them with its default controls
(hexagons at resolutions 7, 8 and 9 for "follows the zoom", HMO markers and report points
capped as the page caps them, victim-case hexagons, district outlines) and drawn with
dashboard.map_render.build_map. If that module is missing or fails, a stand-in folium map with
the same layers is measured instead, and the table says so.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from bench.common import fmt_bytes, fmt_seconds, Row, Runs, say, Section, spread, verdict

TARGET_BYTES = 2 * 1024 * 1024
RESOLUTIONS = [7, 8, 9]


def map_page_layers(con, f, today: dt.date) -> dict:
    """The map page's queries, as dashboard/views/map.py makes them."""
    from analysis import map_layers, settings

    min_cases = settings.min_cases()
    return {
        "report_hexes": {r: map_layers.report_hexes(con, f, r) for r in RESOLUTIONS},
        "hmo": map_layers.hmo_markers(con, f, today),
        "reports": map_layers.report_points(con, f),
        "cases": map_layers.case_hexes(con, f, resolution=7, min_cases=min_cases),
        "districts": map_layers.district_geojson(con),
        "min_cases": min_cases,
    }


def dashboard_html(layers: dict) -> str:
    from dashboard import map_render

    data = map_render.MapData(min_cases=layers["min_cases"])
    data.report_hexes = layers["report_hexes"]
    data.hmo, _ = map_render.cap_licences(layers["hmo"])
    data.reports, _ = map_render.cap(layers["reports"], order_by="received_on")
    data.cases = layers["cases"]
    data.districts = layers["districts"]
    m = map_render.build_map(data, map_render.Tiles("osm"), base=map_render.asset_base(""))
    return map_render.render_html(m)


def stand_in_html(layers: dict, cap: int = 5000) -> str:
    """A plain folium map with the same layers, for when dashboard.map_render can't be used."""
    import folium
    import h3

    m = folium.Map(location=[52.37, 0.0], zoom_start=9)
    for resolution, frame in layers["report_hexes"].items():
        features = [{"type": "Feature", "properties": {"h3": c, "reports": int(n)},
                     "geometry": {"type": "Polygon",
                                  "coordinates": [[[lon, lat] for lat, lon in h3.cell_to_boundary(c)]]}}
                    for c, n in zip(frame["h3"], frame["reports"])]
        folium.GeoJson({"type": "FeatureCollection", "features": features}, name=f"hexes {resolution}").add_to(m)
    for name in ("hmo", "reports"):
        group = folium.FeatureGroup(name=name).add_to(m)
        for lat, lon in layers[name][["lat", "lon"]].dropna().head(cap).itertuples(index=False):
            folium.CircleMarker([lat, lon], radius=4).add_to(group)
    if layers["districts"]:
        folium.GeoJson(layers["districts"], name="districts").add_to(m)
    return m.get_root().render()


def measure(dbs: dict[str, Path], runs: int, today: dt.date, log=say) -> Section:
    from analysis.filters import Filters
    from etl.warehouse import Warehouse

    sec = Section()
    f = Filters.default(today)
    for scale, db in dbs.items():
        con = Warehouse(db).connect_read_only()
        try:
            layers = map_page_layers(con, f, today)
        finally:
            con.close()
        build, html, how = Runs(), "", "dashboard.map_render.build_map"
        for _ in range(runs):
            start = time.perf_counter()
            try:
                html = dashboard_html(layers)
            except Exception as exc:  # noqa: BLE001 - another engineer's module may be mid-change
                how = f"a stand-in folium map (dashboard.map_render failed: {exc.__class__.__name__}: {exc})"
                html = stand_in_html(layers)
            build.add(time.perf_counter() - start)
        size = len(html.encode("utf-8"))
        log(f"  {scale}: map HTML {fmt_bytes(size)} via {how}, built in {fmt_seconds(build.median)}")
        counts = (f"{sum(len(h) for h in layers['report_hexes'].values()):,} hexagons at res 7-9, "
                  f"{min(len(layers['hmo']), 5000):,} of {len(layers['hmo']):,} HMO markers, "
                  f"{min(len(layers['reports']), 5000):,} of {len(layers['reports']):,} report points, "
                  f"{len(layers['cases']):,} case hexagons")
        sec.rows.append(Row("3. Map payload", f"map HTML (folium, default filters; {counts})", scale, fmt_bytes(size),
                            runs=str(runs), target="≤ 2 MB", met=verdict(size <= TARGET_BYTES)))
        sec.rows.append(Row("3. Map payload", "building that map in Python (folium objects → HTML)", scale,
                            fmt_seconds(build.median), spread(build, fmt_seconds), runs=str(runs)))
        if how != "dashboard.map_render.build_map":
            sec.notes.append(f"Map HTML at {scale} scale was measured with {how}.")
        sec.data[f"map_html_{scale}"] = {"bytes": size, "how": how, "build_seconds": build.values}
    return sec
