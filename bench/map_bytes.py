"""Row 3a: the size of the folium map the dashboard's map page builds (what goes to the browser).

The layers are gathered as dashboard/views/map.py gathers them with its default controls
(hexagons at resolutions 7, 8 and 9 for "follows the zoom", the HMO marker layer capped in the
warehouse with the rest counted per area, report points only if they are few (they are hidden
until asked for), victim-case hexagons, district outlines, hotspot classes; the kernel layer is
off until asked for) and drawn with
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
    from analysis import hotspots, map_layers, settings
    from dashboard import map_render

    min_cases = settings.min_cases()
    hexes = map_layers.report_hexes_by_resolution(con, f, tuple(RESOLUTIONS))
    placed = int(hexes[RESOLUTIONS[0]]["reports"].sum())
    small = 0 < placed <= map_render.SMALL_LAYER
    return {
        "report_hexes": hexes,
        "hmo_layer": map_layers.hmo_marker_layer(con, f, today, map_render.MAX_POINTS),
        "reports": map_layers.report_points(con, f, limit=map_render.MAX_POINTS) if small else None,
        "placed_reports": placed,
        "cases": map_layers.case_hexes(con, f, resolution=7, min_cases=min_cases),
        "districts": map_layers.district_geojson(con),
        "hotspots": hotspots.compute(con, f).cells,
        "min_cases": min_cases,
    }


def dashboard_html(layers: dict) -> str:
    from dashboard import map_render

    data = map_render.MapData(min_cases=layers["min_cases"])
    data.report_hexes = layers["report_hexes"]
    data.hmo, data.hmo_rest = layers["hmo_layer"].markers, layers["hmo_layer"].rest
    data.reports = layers["reports"]
    data.visible["reports"] = False
    data.cases = layers["cases"]
    data.districts = layers["districts"]
    data.hotspots = layers["hotspots"]
    data.kde = False
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
    for name, frame in (("hmo", layers["hmo_layer"].markers), ("reports", layers["reports"])):
        if frame is None:
            continue
        group = folium.FeatureGroup(name=name).add_to(m)
        for lat, lon in frame[["lat", "lon"]].dropna().head(cap).itertuples(index=False):
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
        hmo = layers["hmo_layer"]
        sent = len(layers["reports"]) if layers["reports"] is not None else 0
        counts = (f"{sum(len(h) for h in layers['report_hexes'].values()):,} hexagons at res 7-9, "
                  f"{len(hmo.markers):,} of {hmo.total:,} HMO markers (+{len(hmo.rest):,} area counts), "
                  f"{sent:,} of {layers['placed_reports']:,} report points (hidden layer: sent only when small), "
                  f"{int((layers['hotspots']['gi_bin'] != 0).sum()):,} hotspot cells, kernel layer off, "
                  f"{len(layers['cases']):,} case hexagons")
        sec.rows.append(Row("3. Map payload", f"map HTML (folium, default filters; {counts})", scale, fmt_bytes(size),
                            runs=str(runs), target="≤ 2 MB", met=verdict(size <= TARGET_BYTES)))
        sec.rows.append(Row("3. Map payload", "building that map in Python (folium objects → HTML)", scale,
                            fmt_seconds(build.median), spread(build, fmt_seconds), runs=str(runs)))
        if how != "dashboard.map_render.build_map":
            sec.notes.append(f"Map HTML at {scale} scale was measured with {how}.")
        sec.data[f"map_html_{scale}"] = {"bytes": size, "how": how, "build_seconds": build.values}
    return sec
