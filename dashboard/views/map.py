"""Map: where reports cluster, which HMOs are licensed, and what is known at a clicked place."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from analysis import settings as analysis_settings
from analysis import visit_outcomes
from dashboard import auth, connection, escape, labels, map_render, records, state, ui, visit_map
from operations import vocabulary

RESOLUTIONS = {  # short enough for the box on a laptop, where "(smaller as you zoom in)" was cut off
    "auto": "Follows the zoom",
    7: "Large areas (5 km²)",
    8: "Neighbourhoods (0.7 km²)",
    9: "Streets (0.1 km²)",
}
SIZE_NAMES = {7: "Large areas", 8: "Neighbourhoods", 9: "Streets"}
MIN_CASES = analysis_settings.min_cases()  # victim cases: only areas with at least this many
AFTER_MAP = "hs-after-map"   # where "Skip the map" takes the focus: the panel beside the map (under it on a phone)
SKIP_LINK = (
    "<style>.hs-skip-map{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}"
    ".hs-skip-map:focus{position:static;width:auto;height:auto;display:inline-block;padding:4px 10px;"
    "background:#fff;color:#0b3d91;border:2px solid #0b3d91;border-radius:4px;font-weight:600}</style>"
    f'<a class="hs-skip-map" href="#{AFTER_MAP}">Skip the map</a>')
RETURNED = ["last_object_clicked", "last_active_drawing"]  # clicks only: panning and zooming never rerun the page

def _reliability(hot) -> None:
    """How far to trust the hotspots: how last quarter's hotspots did, and the study area (too few reports to
    trust any is said above the map)."""
    test = None
    with ui.section("How reliable the hotspots are"):
        test = connection.query("backtest", f, today=today)   # dates ending before today test their own last month
    if test is not None:
        # A score on too few reports is said in the caption's weaker type, not the box a score to act on gets.
        say = st.info if test.reliable else st.caption
        say(f"{test.sentence} A hotspot map is only useful if it predicts where the next reports come from.")
        if test.warning:
            st.caption(test.warning)
    if hot.incidents or hot.outside_area:    # with no report placed, the warning above says all there is
        # The note names the districts as the boundary file does: text, not markdown.
        st.caption(f"Study area: every hexagon overlapping {escape.markdown_text(hot.area_note)}. "
                   f"{hot.incidents:,} report{'' if hot.incidents == 1 else 's'} counted there"
                   + (f", {hot.outside_area:,} outside it." if hot.outside_area else "."))


auth.require("map")  # the role is checked on every run, whatever the address
st.title("Map")
f = state.current()
today = state.today()
st.caption(ui.filter_summary(f))

info = connection.inspect()
if ui.warehouse_message(info) or ui.needs_tables(info, "reports", "hmo_licences", "cases") or ui.empty_message(info):
    st.stop()
ui.no_reports_in_dates(info, f)

# --- controls ------------------------------------------------------------------------------------------------
env_tiles, tiles_problem = map_render.tiles_from_env(os.environ.get("HOTSPOTS_TILES"))
# Only the base map HOTSPOTS_TILES names, or none: a force that set 'none' or its own tile server keeps every
# request for a map tile (which says what area is being looked at) off outside servers.
tile_choices = {env_tiles.kind: env_tiles, "none": map_render.Tiles("none")}
# Kept when the lead leaves the page and comes back; exact victim case locations are not: off each time.
KEPT_CONTROLS = ("map_resolution", "map_tiles", "map_points", "map_kde")
state.restore(*KEPT_CONTROLS)
left, right, third = st.columns([2, 2, 3])
resolution = left.selectbox(
    "Hexagon size", list(RESOLUTIONS), index=0, format_func=RESOLUTIONS.get, key="map_resolution",
    help="Reports are counted in hexagons of this size. Smaller hexagons point closer to an address; "
         "larger ones show the pattern across a district. 'Follows the zoom' switches to smaller hexagons as you "
         "zoom in. The figure in brackets is one hexagon's area, roughly.")
resolutions = [7, 8, 9] if resolution == "auto" else [resolution]
tiles_key = right.selectbox(
    "Base map", list(tile_choices), index=list(tile_choices).index(env_tiles.kind), key="map_tiles",
    format_func=lambda k: tile_choices[k].label,
    help="The street map under the layers. 'No base map' works without the internet; the other choice is the "
         "one HOTSPOTS_TILES names (OpenStreetMap unless it names a force's own tile server or 'none').")
if tiles_problem:
    st.caption(tiles_problem)
exact_cases = False
if auth.may("case_locations"):  # analysts and admins; a viewer gets no switch and no query
    exact_cases = third.toggle(
        "Exact victim case locations", value=False, key="map_case_points",
        help=f"Each potential victim's case at its own position, instead of only areas with at least {MIN_CASES} "
             "cases. For analysts and admins; every time it is shown is recorded in the audit log.")
extra_points, extra_kde = st.columns([4, 3])   # at [2, 5] a laptop cut the first label short
show_points = extra_points.checkbox(
    f"Individual reports (the newest {map_render.MAX_POINTS:,})", key="map_points",
    help="Each report as a point. Off, the hexagons still count every report; the points are only sent to your "
         "browser when you ask for them, so the map stays quick.")
show_kde = extra_kde.checkbox(
    "Report density (kernel)", key="map_kde",
    help="A smoother view of the same reports than the hexagons. Sent to your browser only when ticked.")
state.remember(*KEPT_CONTROLS)

# --- layers --------------------------------------------------------------------------------------------------
data = map_render.MapData(min_cases=MIN_CASES, districts_chosen=len(f.districts))
notes: list[str] = []
with ui.section("Hexagons of reports"):
    data.report_hexes = connection.query("report_hexes_by_resolution", f, resolutions=tuple(resolutions))
with ui.section("HMO licences"):
    # Capped in the warehouse: the most urgent markers, and the rest counted per area (grey circles).
    layer = connection.query("hmo_marker_layer", f, today=today, limit=map_render.MAX_POINTS)
    data.hmo, data.hmo_rest, hmo_total = layer.markers, layer.rest, layer.total
    if hmo_total > len(data.hmo):
        notes.append(f"Showing {len(data.hmo):,} of {hmo_total:,} HMO licences (possibly unlicensed and expired ones "
                     "first); the grey circles count the rest in each area: "
                     f"{map_render.rest_hint(data.districts_chosen)}.")
placed_reports = next((int(h["reports"].sum()) for h in data.report_hexes.values() if h is not None and not h.empty), 0)
if show_points or 0 < placed_reports <= map_render.SMALL_LAYER:
    # A hidden layer is only sent when it is small; a large one when asked for, capped in the warehouse.
    with ui.section("Reports"):
        data.reports = connection.query("report_points", f, limit=map_render.MAX_POINTS)
        data.visible["reports"] = show_points
        if placed_reports > len(data.reports):
            notes.append(f"Showing the newest {len(data.reports):,} of {placed_reports:,} reports as points; "
                         "the hexagons count them all. Narrow the filters to see every point.")
data.kde = show_kde
data.visible["kde"] = show_kde
with ui.section("Victim cases"):
    data.cases = connection.query("case_hexes", f, resolution=7, min_cases=MIN_CASES)
    if exact_cases and auth.may("case_locations"):  # checked again right before the exact positions are read
        data.case_points, cases_total = map_render.cap(connection.query("case_points", f), order_by="opened_on")
        auth.audit_once("view_case_locations", {"filters": f.to_params()}, target="map", rows=cases_total)
        notes.append(f"Showing the exact locations of {len(data.case_points):,} victim case"
                     f"{'' if len(data.case_points) == 1 else 's'} (pink): treat them as sensitive, and don't share "
                     "screenshots of them.")
if "boundaries" in info.tables:
    with ui.section("District boundaries"):
        data.districts = connection.query("district_geojson")
hot = None
with ui.section("Hotspot statistics"):
    hot = connection.query("hotspots", f, density=show_kde)  # the kernel density costs a pass: only when drawn
    data.hotspots = hot.cells if hot is not None else None

# --- the map and the side panel ------------------------------------------------------------------------------
# Too few reports to trust any hotspot: said before the map is read. With no report loaded at all, the line
# above the controls has said why, and "no report falls in these dates" would send the lead to other dates.
if hot is not None and hot.warning and ui.reports_loaded(info):
    st.warning(hot.warning)
if hot is not None and hot.incidents:
    # Districts whose boundary is loaded but no report file covers count as empty hexagons in Gi*: said beside it.
    with ui.section("Which districts the hotspots compare"):
        area_note = ui.hotspot_area_note(info, f)
        if area_note:
            st.warning(area_note)
# Tab stops at every hexagon and marker in the map: a keyboard user needs a way round it. Hidden until focused.
st.markdown(SKIP_LINK, unsafe_allow_html=True)   # constant HTML, nothing from the data
map_column, panel = st.columns([4, 3], gap="medium")
with map_column:
    base = map_render.asset_base(st.get_option("server.baseUrlPath") or "")
    visited = visit_outcomes.in_period(records.outcomes(), f)
    drawn = []
    folium_map = map_render.build_map(data, tile_choices[tiles_key], base=base,
                                      more_layers=lambda m: drawn.append(visit_map.add_visited(m, visited)))
    visited_count = drawn[0] if drawn else 0
    result = st_folium(folium_map, key="hotspot_map", height=620, use_container_width=True,
                       returned_objects=RETURNED)

with panel:
    st.markdown(f'<div id="{AFTER_MAP}" tabindex="-1" aria-label="After the map: what is known here"></div>',
                unsafe_allow_html=True)
    chosen = map_render.clicked(result, map_render.drawn_places(data))   # only a place this map drew
    if chosen is None:
        st.subheader("What is known here")
        st.info("Click a hexagon or a marker on the map to see the signs reported there, the latest reports, "
                "HMO licence details and the nationalities seen. Where markers sit on top of each other, click "
                "the group to spread them out.")
    else:
        with ui.section("The details of this place"):
            if chosen["kind"] in ("hex", "cases"):
                detail = connection.query("cell_detail", f, h3_cell=chosen["h3"], today=today)
                total = int(getattr(detail, "reports", 0) or 0)
                st.subheader("In this hexagon")
                st.caption(f"{total:,} report{'s' if total != 1 else ''} here, counted with the filters in the "
                           f"sidebar, as are the cases. Cell reference (for analysts): {chosen['h3']}.",
                           help="The same hexagon's row in the hotspot export (its `h3` column), for an analyst "
                                "who needs to find it.")
            else:
                detail = connection.query("marker_detail", f, lat=chosen["lat"], lon=chosen["lon"], today=today)
                total = int(getattr(detail, "reports", 0) or 0)
                st.subheader("Around this marker")
                st.caption(f"Within the small hexagon (about 0.1 km²) around {chosen['lat']:.5f}, {chosen['lon']:.5f}; "
                           "reports and cases counted with the filters in the sidebar.")

            counts = getattr(detail, "indicator_counts", None)
            st.markdown("**Signs reported here**")
            if counts is None or counts.empty:
                st.caption("No signs recorded in the reports here.")
            else:
                first = counts.columns[0]
                # The short names of the sidebar's filter and the Overview's chart: the panel's grid cut "Identity
                # documents held by someone else or missing" mid-word, on a laptop and on a phone.
                counts = pd.DataFrame({"Reports": counts["reports"] if "reports" in counts else counts.iloc[:, 1],
                                       "Sign reported": counts[first].map(labels.indicator_short)})
                st.dataframe(counts, hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                             column_config={"Reports": st.column_config.NumberColumn(width="small")})

            recent = getattr(detail, "recent_reports", None)
            st.markdown("**Latest reports**")
            if recent is None or recent.empty:
                st.caption("No reports here in this period.")
            else:
                # Escaped text in plain HTML: unlike markdown, nothing in a summary can turn into a link or an image.
                st.html(map_render.reports_html(recent.head(map_render.PANEL_REPORTS), labels.source_type))
                more = map_render.reports_not_shown(total, len(recent))
                if more:
                    st.caption(f"and {more:,} more in this period.")

            licences = getattr(detail, "licences", None)
            st.markdown("**HMO licences**")
            if licences is None or licences.empty:
                st.caption("No HMO licence and no possible unlicensed HMO here.")
            else:
                licences = licences.copy()
                if "status" in licences.columns:
                    licences["status"] = licences["status"].map(labels.licence_status)
                if "licence_ref" in licences.columns:
                    licences["licence_ref"] = licences["licence_ref"].fillna("none on record")
                st.dataframe(licences, hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                             column_config={
                    "licence_ref": st.column_config.TextColumn("Licence"),
                    "address": st.column_config.TextColumn("Address"),
                    "status": st.column_config.TextColumn("Status"),
                    "max_occupants": st.column_config.NumberColumn("Max. occupants",
                                                                   help="How many people the licence allows."),
                    "licence_expiry": st.column_config.DateColumn("Expires", format="DD/MM/YYYY"),
                })

            nationalities = getattr(detail, "nationalities", None)
            st.markdown("**Nationalities seen**")
            if nationalities is None or nationalities.empty:
                st.caption("No nationality recorded here.")
            else:
                nationalities = nationalities.copy()
                if not getattr(detail, "cases_by_nationality", False):
                    nationalities = nationalities.drop(columns="cases", errors="ignore")
                languages = analysis_settings.languages_to_bring()
                nationalities["languages"] = [", ".join(languages.get(str(n), [])) or "–"
                                              for n in nationalities.iloc[:, 0]]
                with ui.phone_or_grid(nationalities, ui.NATIONALITY_COLUMNS, "Nationalities seen here",
                                      "cell_nationalities"):
                    st.dataframe(nationalities, hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                                 column_config={c: (st.column_config.NumberColumn if c in ("reports", "cases")
                                                    else st.column_config.TextColumn)(name)
                                                for c, name in ui.NATIONALITY_COLUMNS.items()})
            cases = getattr(detail, "cases", 0)
            if not getattr(detail, "cases_by_nationality", False):
                st.caption((f"{cases:,} victim cases here, not counted by nationality: some nationality has fewer "
                            f"than {MIN_CASES}." if cases else f"Victim cases here: fewer than {MIN_CASES}, or none.")
                           + " A smaller number could identify a person, so it is not shown.")

# --- under the map and the panel: how far to trust it, and the key ------------------------------------------
# Below both columns, not under the map: on a phone the columns stack, and a clicked hexagon's details came
# after the notes and the open key, about 2,200 pixels below the map.
for note in notes:
    st.caption(note)
if hot is not None and ui.reports_loaded(info):    # no report loaded: nothing to test the hotspots on
    _reliability(hot)
off = connection.query("reports_off_the_map", f) or {"no_position": 0, "flagged": 0, "with_postcode": 0}
said = [f"{n:,} {what}" for n, what in ((off["no_position"], "with no usable location"),
                                        (off["flagged"], "flagged as outside the force area or with "
                                                         "coordinates that look swapped (each load's notes on the Data page count them)"))
        if n]
if placed_reports or said:
    st.caption(f"{placed_reports:,} {'report with a position is' if placed_reports == 1 else 'reports with a position are'}"
               " counted in the hexagons."
               + (f" Not on the map: {'; '.join(said)}. They still count on the Overview page." if said else ""))
# Why so many are off the map, or in no district, when the reference files that place them are not loaded (the Data
# page lists the loads, but a lead reads the map).
for missing in (ui.no_postcode_lookup(info, off.get("with_postcode", 0)), ui.no_districts(info)):
    if missing:
        st.caption(missing)
with st.expander("Key", expanded=True):
    chip = ('<span style="display:inline-block;background:{c};min-width:14px;height:14px;'
            'border:1px solid ' + map_render.HEX_OUTLINE + ';margin-right:4px;vertical-align:middle"></span>')
    rows = []
    if any(frame is not None and not frame.empty for frame in data.report_hexes.values()):
        rows.append('<div style="margin-bottom:4px">Reports in a hexagon, from fewer (light) to more (dark):</div>')
    for r, frame in sorted(data.report_hexes.items()):
        if frame is None or frame.empty:
            continue
        chips = " ".join(f'{chip.format(c=b.colour)}<span style="margin-right:10px">'
                         f'{escape.html_text(b.label)}</span>' for b in map_render.colour_bins(frame["reports"]))
        name = f"{SIZE_NAMES[r]}: " if len(data.report_hexes) > 1 else ""
        rows.append(f'<div style="margin:2px 0">{escape.html_text(name)}{chips}</div>')
    rest_drawn = data.hmo_rest is not None and not data.hmo_rest.empty
    for shape, colour, text in map_render.legend(rest=rest_drawn, districts_chosen=data.districts_chosen):
        style = {"circle": f"background:{colour};width:12px;height:12px;border-radius:50%;border:1px solid #222",
                 "cluster": f"background:{colour};width:20px;height:20px;border-radius:50%;color:#fff;"
                            "font:bold 10px/20px sans-serif;text-align:center",
                 "dashed": f"width:14px;height:14px;border:2px dashed {colour};background:{colour}33",
                 "line": f"width:18px;height:0;border-top:2px solid {colour}",
                 "square": f"background:{colour};width:14px;height:14px;border:1px solid #444"}[shape]
        inside = "22" if shape == "cluster" else ""   # as the map draws a group of 22 markers
        rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
                    f'<span style="display:inline-block;{style}">{inside}</span>'
                    f'<span>{escape.html_text(text)}</span></div>')
    if visited_count:
        for code in visit_map.OUTCOME_MARKS:
            rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
                        f'{visit_map.outcome_mark(code, 16)}<span>Visited in this period: '
                        f'{escape.html_text(vocabulary.outcome_label(code))}</span></div>')
    if data.case_points is not None and not data.case_points.empty:
        rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:2px 0"><span style="display:'
                    f'inline-block;background:{map_render.CASE_POINT_COLOUR};width:12px;height:12px;border-radius:'
                    f'50%;border:1px solid #222"></span><span>A victim case, at its exact location</span></div>')
    if show_kde:
        chips = "".join(chip.format(c=c) for c in map_render.KDE_COLOURS)
        rows.append(f'<div style="margin:2px 0">{chips}<span>Report density (kernel): where reports lie close '
                    'together, from less (light) to more (dark)</span></div>')
    trend = ", ".join(map_render.TREND_WORDS.values())
    rows.append('<div style="margin-top:6px;color:#555">Hot spot: more reports in a hexagon and the hexagons '
                'around it than chance would give; cold spot: fewer. The confidence says how sure that it is not '
                'chance (Getis-Ord Gi* on the hexagons, after a false-discovery-rate correction for testing many '
                f'hexagons at once). The trend ({escape.html_text(trend)}) comes from the last 12 four-week '
                'periods.</div>')
    st.markdown("".join(rows), unsafe_allow_html=True)  # colours and our own labels only, escaped
