"""Compute the default view's data while the sign-in form is on screen.

After a server start, or after a load swaps in a new warehouse, the first person to open the map
waits for every one of its queries: seconds at national scale. Those answers depend only on the
warehouse version and the default filters, not on who signs in. So when the sign-in form is shown,
a background thread asks the same queries the map (then the visit list) will ask, through the
same cache (dashboard/connection.py). By the time the password is typed they are ready; a page
that gets there first waits for the query in progress (Streamlit holds one lock per cached value)
rather than starting it again. Each warehouse version is prefetched once per server process; the
first of those queries also makes the version's in-memory copy of the reports (analysis/report_index.py).

HOTSPOTS_PREFETCH=0 turns it off. Nothing is shown, written or audited: the thread only fills the
cache, and a failure is logged, never raised (the page then asks again, and reports the error).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from typing import Any

from analysis import settings as analysis_settings
from analysis.filters import Filters
from dashboard import connection, map_render, records

VISIT_LIMIT = 100               # the visit list's default length (dashboard/views/visits.py)
log = logging.getLogger("hotspots.dashboard")

_lock = threading.Lock()
_started: dict[tuple[str, Any], threading.Thread] = {}


def enabled() -> bool:
    return os.environ.get("HOTSPOTS_PREFETCH", "1").strip() not in ("0", "false", "no", "off")


def default_view(today: dt.date, boundaries: bool) -> list[tuple[str, Filters | None, dict]]:
    """(query, filters, arguments) exactly as the pages ask with their default controls: the sidebar,
    the map (hexagons following the zoom, markers, case areas, districts, hotspots), the visit list.
    tests/test_prefetch.py checks the map page then finds every one of them cached."""
    f = Filters.default(today)
    view: list[tuple[str, Filters | None, dict]] = [
        ("filter_options", None, {}),
        ("report_hexes_by_resolution", f, {"resolutions": (7, 8, 9)}),
        ("hmo_marker_layer", f, {"today": today, "limit": map_render.MAX_POINTS}),
        ("case_hexes", f, {"resolution": 7, "min_cases": analysis_settings.min_cases()}),
    ]
    if boundaries:
        view.append(("district_geojson", None, {}))
    view += [
        ("hotspots", f, {"density": False}),
        ("visit_list", f, {"today": today, "limit": VISIT_LIMIT, "outcomes": records.outcomes()}),
    ]
    return view


def start(info: connection.WarehouseInfo, today: dt.date) -> threading.Thread | None:
    """Prefetch the pinned version's default view in the background, unless done or under way already."""
    if not enabled() or not info.readable or info.outdated:
        return None
    with connection.pinned() as snap:
        key = (str(snap.path), snap.token)
    with _lock:
        if key in _started:
            return None
        try:
            view = default_view(today, "boundaries" in info.tables)
        except Exception:  # noqa: BLE001 - e.g. the operations store unreadable: prefetch the rest next time
            log.exception("prefetch: could not list the default view")
            return None
        thread = threading.Thread(target=_warm, args=(view,), name="hotspots-prefetch", daemon=True)
        _started[key] = thread
        if len(_started) > 32:            # old versions: forget them
            _started.pop(next(iter(_started)))
    _attach_script_context(thread)
    thread.start()
    return thread


def _warm(view: list[tuple[str, Filters | None, dict]]) -> None:
    """Each query through the page's own cache, on a version pinned for this thread.

    The thread carries the signing-in session's script context (`_attach_script_context`). When that
    session's run is stopped (the form submitted, the tab closed), Streamlit raises its stop signal in
    this thread too, at the cache's next message: a BaseException, not an Exception. The warming then
    ends quietly; the pages ask for what is left."""
    with connection.pinned():
        for name, f, kwargs in view:
            try:
                connection.query(name, f, **kwargs)
            except _SCRIPT_CONTROL:
                log.info("prefetch: stopped with the session's run, before %s", name)
                return
            except Exception:  # noqa: BLE001 - the page will ask again and show the problem
                log.exception("prefetch: %s failed", name)


def _script_control() -> tuple[type[BaseException], ...]:
    try:
        from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
    except ImportError:
        return ()
    return (ScriptControlException,)


_SCRIPT_CONTROL = _script_control()


def _attach_script_context(thread: threading.Thread) -> None:
    """Streamlit's cache expects a session's context on the thread; without one it only logs a warning."""
    try:
        from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None:
            add_script_run_ctx(thread, ctx)
    except ImportError:
        pass
