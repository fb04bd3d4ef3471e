"""What a briefing pack needs from the warehouse: recent reports at each stop, and the district outlines.

A briefing happens before dawn in a room that may have no internet, so the pack's map is drawn
from the warehouse's own boundaries, not from tiles.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis import addresses, settings
from analysis.filters import Filters
from analysis.map_layers import district_geojson

REPORT_COLUMNS = ["address_key", "received_on", "grading", "source_type", "summary", "indicators"]


def stop_reports(con, address_keys: list[str], today: dt.date, days: int | None = None,
                 per_stop: int | None = None) -> pd.DataFrame:
    """The newest reports (up to `per_stop`) at each address, from the last `days` days up to `today`.

    The summary comes from `reports` itself: the shared address CTE leaves it out to stay small.
    """
    cfg = settings.section("briefing")
    days = int(days or cfg["report_days"])
    per_stop = int(per_stop or cfg["reports_per_stop"])
    keys = [k for k in address_keys if isinstance(k, str) and k]
    if not keys:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    window = Filters(date_from=today - dt.timedelta(days=days - 1), date_to=today)
    cte, params = addresses.report_addresses(window)
    return con.execute(f"""
        WITH {cte}
        SELECT ra.group_key AS address_key, ra.received_on, ra.grading, ra.source_type, r.summary,
               coalesce(ra.indicators, []) AS indicators
        FROM rep_matched ra JOIN reports r ON r.source = ra.source AND r.report_ref = ra.report_ref
        WHERE ra.group_key IN (SELECT unnest(?::VARCHAR[]))
        QUALIFY row_number() OVER (PARTITION BY ra.group_key ORDER BY ra.received_on DESC, ra.source,
                                   ra.report_ref) <= ?
        ORDER BY ra.group_key, ra.received_on DESC
    """, [*params, keys, per_stop]).df()


def district_outlines(con) -> dict | None:
    """District outlines (GeoJSON), or None without district boundaries; the same shapes as the map's."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return district_geojson(con) if "boundaries" in tables else None
