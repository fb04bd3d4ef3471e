"""Hotspots dashboard: the entry point. `make run`, or `streamlit run dashboard/app.py`.

Every run: page settings, the demo banner, the shared filters in the sidebar (kept in the URL),
then the page the user chose. The pages are in dashboard/views/, one file per screen (not pages/: a folder of that name
next to the entry script switches Streamlit into its older multipage mode on a server's first run); the
warehouse is only ever read, through dashboard/connection.py.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the repo root that holds etl/ and analysis/.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import connection, map_render, state, ui  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"
log = logging.getLogger("hotspots.dashboard")


def filter_options(info: connection.WarehouseInfo) -> state.Options:
    """The values each filter offers: from the warehouse when it can be read, else the vocabularies."""
    if info.readable:
        try:
            return state.Options(**connection.query("filter_options"))
        except Exception:  # noqa: BLE001 - the pages explain a broken warehouse; the sidebar still works
            log.exception("filter options")
    from dashboard import labels

    return state.Options(districts=tuple(labels.districts()), exploitation_types=tuple(labels.exploitation_types()),
                         indicators=tuple(labels.indicators()), source_types=tuple(labels.SOURCE_TYPES))


st.set_page_config(page_title="Hotspots", page_icon="🗺️", layout="wide")
try:
    map_render.ensure_vendor_assets()
except OSError:  # read-only install: the map page says its assets are missing
    log.exception("could not copy the map's Leaflet files into %s", map_render.VENDOR_DIR)

info = connection.inspect()
if info.synthetic:
    ui.synthetic_banner()

page = st.navigation([
    st.Page(VIEWS / "map.py", title="Map", icon=":material/map:", url_path="map", default=True),
    st.Page(VIEWS / "visits.py", title="Visit list", icon=":material/checklist:", url_path="visits"),
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/bar_chart:", url_path="overview"),
    st.Page(VIEWS / "data.py", title="Data", icon=":material/database:", url_path="data"),
])

with st.sidebar:
    filters = state.sidebar(filter_options(info))
state.write_url(filters)

page.run()
