"""Hotspots dashboard: the entry point. `make run`, or `streamlit run dashboard/app.py`.

Every run: page settings, the demo banner, then the sign-in form for anyone not signed in (dashboard/auth.py);
for a signed-in user the pages their role may open, the shared filters in the sidebar (kept in the URL),
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

from analysis import report_index  # noqa: E402
from dashboard import auth, connection, heap, map_render, prefetch, server_options, state, ui  # noqa: E402

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


def _districts_note(info: connection.WarehouseInfo) -> str | None:
    """Why the District filter offers no district, or only some, if so; a failure leaves the sidebar as it is (the pages say it)."""
    try:
        return ui.no_districts(info)
    except Exception:  # noqa: BLE001 - the pages explain a broken warehouse; the sidebar still works
        log.exception("districts note")
        return None


st.set_page_config(page_title="Hotspots", page_icon="🗺️", layout="wide")
settings_changed = server_options.enforce()   # config.toml's safety settings, whichever folder it started in
heap.freeze_startup_heap(connection.query_modules())      # once per process: see dashboard/heap.py
report_index.use(report_index.BACKGROUND)     # the first page after a start or a load does not wait for it
try:
    map_render.ensure_vendor_assets()
except OSError:  # read-only install: the map page says its assets are missing
    log.exception("could not copy the map's Leaflet files into %s", map_render.VENDOR_DIR)

PAGES = [  # (url_path, view file, title, icon); who may open which: auth.PAGE_ROLES
    ("map", "map.py", "Map", ":material/map:"),
    ("visits", "visits.py", "Visit list", ":material/checklist:"),
    ("plans", "plans.py", "Visit plans", ":material/route:"),
    ("overview", "overview.py", "Overview", ":material/bar_chart:"),
    ("data", "data.py", "Data", ":material/database:"),
    ("users", "users.py", "Users", ":material/group:"),
    ("audit", "audit.py", "Audit log", ":material/policy:"),
]

# A page's own URL parameters, kept beside the filters: a link to one plan, a visit list of the sender's length.
PAGE_PARAMS = {"plans": ("plan",), "visits": ("limit",)}


def _addresses(path: str) -> list[dict]:
    """Where a page is served: the map, the default page, at the root and also, unlisted, at /map, so a link
    to /map (which the sign-in form and shared links use) opens it instead of "Page not found"."""
    if path == "map":
        return [dict(url_path="", default=True), dict(url_path="map", visibility="hidden")]
    return [dict(url_path=path)]


# One version of the warehouse for the whole run: a load that swaps in a new file part-way through
# never gives this page the old file's numbers next to the new one's (dashboard/connection.py).
with connection.pinned():
    info = connection.inspect()
    if info.synthetic:
        ui.synthetic_banner(info.mixed)

    auth.bootstrap_demo_admin(info.synthetic)
    user = auth.current_user()
    if user is None or user.get("must_change"):
        # Anonymous: every address is the sign-in form (no page script is registered), so a shared link
        # still opens its page, with its filters, once the visitor has signed in. A one-time password
        # (the demo admin's) first has to be replaced.
        prefetch.start(info, state.today())  # the default view's data, computed while the password is typed
        form = auth.sign_in_form if user is None else auth.change_password_form
        st.navigation([st.Page(form, title="Sign in", **where) for path, *_ in PAGES for where in _addresses(path)],
                      position="hidden")
        server_options.rerun_if(settings_changed)
        form()
        st.stop()

    # Only the pages this role may open are registered: any other address falls back to the map.
    page = st.navigation([
        st.Page(VIEWS / file, title=title, icon=icon, **where)
        for path, file, title, icon in PAGES if auth.allowed(user["role"], path) for where in _addresses(path)
    ])
    server_options.rerun_if(settings_changed)

    with st.sidebar:
        filters = state.sidebar(filter_options(info), districts_note=_districts_note(info))
        st.divider()
        auth.sidebar(user)
    state.write_url(filters, keep=PAGE_PARAMS.get(page.url_path, ()))
    auth.page_view(page.url_path or "map", filters.to_params())

    page.run()
