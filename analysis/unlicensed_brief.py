"""The map's possible unlicensed HMOs in brief, from the in-memory copy of the reports
(analysis/report_index.py): each one's id, newest report and best point's res-7 cell, as
`map_layers._brief_unlicensed` finds them in SQL.

Counting and capping the HMO markers needs this for every such address in the view (at national
scale the SQL pass was about 150 ms of the map's data); only the few drawn then need words from
the warehouse.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis import addresses
from analysis.address_scores import crowded_reports
from analysis.filters import Filters, reports_where
from analysis.report_index import EPOCH, ReportIndex, run_starts

COLUMNS = ["addr_id", "last_report", "cell"]


def brief(index: ReportIndex, bits: dict[str, int], rows: np.ndarray) -> pd.DataFrame:
    """One row per address on no licence with a crowded report at `rows` (`index.in_scope`, of the
    view's dates and districts) and a usable point: addr_id, last_report (its newest report there)
    and cell (the res-7 cell of the point `addresses.best_position` picks)."""
    if not len(rows):
        return pd.DataFrame({"addr_id": pd.Series(dtype="int64"), "last_report": pd.Series(dtype="datetime64[s]"),
                             "cell": pd.Series(dtype="uint64")})
    group = index.group[rows]
    starts = run_starts(group)
    crowded = np.logical_or.reduceat(crowded_reports(index, bits)[rows], starts)
    on_licence = index.on_licence(index.first_members(rows, starts))
    chosen = np.flatnonzero(crowded & ~on_licence)
    ids = group[starts[chosen]]
    last = np.maximum.reduceat(index.day[rows], starts)[chosen]
    # A group's reports are sorted best point first, so its first placed report in scope is the one picked.
    placed = np.flatnonzero(index.placed[rows])
    cells, found = np.zeros(len(ids), dtype=np.uint64), np.zeros(len(ids), dtype=bool)
    if len(placed):
        best = placed[run_starts(group[placed])]
        at = np.minimum(np.searchsorted(group[best], ids), len(best) - 1)
        cells = index.cell7[rows[best[at]]]
        found = (group[best[at]] == ids) & (cells != 0)
    return pd.DataFrame({
        "addr_id": ids[found].astype(np.int64),
        "last_report": (EPOCH + last[found].astype("timedelta64[D]")).astype("datetime64[s]"),
        "cell": cells[found].astype(np.uint64),
    })[COLUMNS]


def markers(con, index: ReportIndex, f: Filters, rows: np.ndarray, found: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first `n` of `found` (the `brief` of `rows`, the reports in scope(f)) by newest report, then
    id, with what their markers show:
    map_layers.MARKER_COLUMNS and cell, as `map_layers._unlicensed_markers` gives them.

    Sources and points come from the copy; only the address and postcode as last reported are read
    from the warehouse, and only from the days since the oldest of those newest reports: the drawn
    are the most recent, so that is a few days of reports rather than the whole view."""
    drawn = found.sort_values(["last_report", "addr_id"], ascending=[False, True]).head(n).reset_index(drop=True)
    ids = drawn["addr_id"].to_numpy(dtype=np.int64)
    wanted = np.zeros(index.addresses, dtype=bool)
    wanted[ids] = True
    rows = rows[wanted[index.group[rows]]]
    group = index.group[rows]
    placed = np.flatnonzero(index.placed[rows])
    best = rows[placed[run_starts(group[placed])]] if len(placed) else placed
    point = pd.DataFrame({"lat": index.lat[best], "lon": index.lon[best]}, index=index.group[best])
    words = _last_reported(con, f, ids, drawn["last_report"].min()) if len(ids) else pd.DataFrame(
        columns=["address", "postcode"])
    return pd.DataFrame({
        "licence_ref": None, "address": words["address"].reindex(ids).to_numpy(dtype=object),
        "postcode": words["postcode"].reindex(ids).to_numpy(dtype=object),
        "lat": point["lat"].reindex(ids).to_numpy(), "lon": point["lon"].reindex(ids).to_numpy(),
        "status": "possible_unlicensed",
        "licence_expiry": np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[us]"),   # as DuckDB gives a DATE
        "max_occupants": pd.NA,
        "source": _sources(index, rows, group).reindex(ids).to_numpy(dtype=object),
        "cell": drawn["cell"].to_numpy(dtype=np.uint64),
    })


def _sources(index: ReportIndex, rows: np.ndarray, group: np.ndarray) -> pd.Series:
    """Per group: its reports' sources, sorted, distinct, '; '-joined (as `addresses._marker_words`)."""
    codes = index.source.codes[rows].astype(np.int64)
    pairs = np.unique(group.astype(np.int64) * (len(index.source.values) + 1) + codes)
    groups, codes = np.divmod(pairs, len(index.source.values) + 1)
    names = ("",) + index.source.values
    joined = {}
    for g, c in zip(groups.tolist(), codes.tolist()):
        if c:
            joined.setdefault(g, []).append(names[c])
    return pd.Series({g: "; ".join(sorted(v)) for g, v in joined.items()}, dtype=object)


def _last_reported(con, f: Filters, ids: np.ndarray, since) -> pd.DataFrame:
    """Address and postcode as last reported (`addresses._marker_words`), indexed by addr_id."""
    newest = addresses.newest_first("r")
    scope = replace(addresses.scope(f), date_from=max(f.date_from, pd.Timestamp(since).date()))
    where, params = reports_where(scope, "r")
    return con.execute(f"""
        SELECT r.addr_id, arg_min_null(r.address, {newest}) AS address, arg_min_null(r.postcode, {newest}) AS postcode
        FROM reports r WHERE {where} AND r.addr_id IN (SELECT unnest(?::BIGINT[]))
        GROUP BY r.addr_id
    """, [*params, ids.tolist()]).df().set_index("addr_id")
