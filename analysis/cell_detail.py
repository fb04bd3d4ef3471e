"""What lies in one H3 cell: the panel shown when a hexagon or marker on the map is clicked.

A row is "in the cell" when its point's H3 cell at the cell's resolution is that cell, the
same rule the hexagon layers count by, so a panel always agrees with the hexagon clicked.
SQL pre-selects candidates by the cell's bounding box; h3 then keeps the exact members, and
the counting runs in DuckDB over just those points.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from analysis import hexes, settings
from analysis.filters import Filters, cases_where, reports_where

PLACED = "{a}.lat IS NOT NULL AND {a}.lon IS NOT NULL AND {a}.location_flag IS NULL"
IN_BOX = "{a}.lat BETWEEN ? AND ? AND {a}.lon BETWEEN ? AND ?"


@dataclass
class CellDetail:
    """indicator_counts: indicator (label), reports · recent_reports: received_on, grading, source_type,
    address, summary (newest first) · licences: licence_ref, address, status, max_occupants,
    licence_expiry (possible unlicensed HMOs included, licence_ref NULL) · nationalities:
    nationality, reports, cases (cases NA for every row when the cell holds fewer victim cases
    than the privacy threshold, or when any nationality has fewer: "1 Latvian victim case" in one
    hexagon could identify a person; nationalities known only from cases are then not listed)."""
    indicator_counts: pd.DataFrame
    recent_reports: pd.DataFrame
    licences: pd.DataFrame
    nationalities: pd.DataFrame
    h3: str = ""
    reports: int = 0              # reports in the cell (every indicator_counts row counts some of these)
    cases_shown: bool = False     # False when the cell's case count was below the threshold
    cases: int = 0                # the cell's victim cases when shown (at least the threshold), else 0
    cases_by_nationality: bool = False  # whether nationalities["cases"] holds numbers


def _points_in_cell(con, table: str, alias: str, where: str, params: list, cell: str,
                    box: tuple[float, float, float, float]) -> tuple[list[float], list[float], int]:
    """Distinct placed points of `table` in the cell, and how many rows they hold."""
    pts = con.execute(f"""
        SELECT {alias}.lat AS lat, {alias}.lon AS lon, count(*) AS n FROM {table} {alias}
        WHERE {where} AND {PLACED.format(a=alias)} AND {IN_BOX.format(a=alias)}
        GROUP BY 1, 2
    """, [*params, *box]).df()
    inside = hexes.in_cell(pts, cell)
    return inside["lat"].tolist(), inside["lon"].tolist(), int(inside["n"].sum()) if len(inside) else 0


def cell_detail(con, f: Filters, cell: str, today: dt.date, markers: Callable) -> CellDetail:
    """The panel for `cell` under the page's filters: it counts what the clicked hexagon counted, so the two
    always agree. Victim cases are counted only when the cell holds at least the privacy threshold, so a panel
    can't identify a person. `cell` may come from a URL: ValueError when it is no H3 cell, before any query.
    `markers(con, f, today, bbox=…)` gives the licence markers (the map's own, so its statuses are the map's)."""
    hexes.check_cell(cell)
    box = hexes.cell_bbox(cell)
    labels = settings.indicator_labels()

    where, params = reports_where(f, "r")
    lats, lons, n_reports = _points_in_cell(con, "reports", "r", where, params, cell, box)
    sel = f"""
        WITH pts AS (SELECT unnest(?::DOUBLE[]) AS lat, unnest(?::DOUBLE[]) AS lon),
        sel AS (SELECT r.* FROM reports r JOIN pts ON r.lat = pts.lat AND r.lon = pts.lon
                WHERE {where} AND r.location_flag IS NULL)
    """
    sel_params = [lats, lons, *params]
    ind = con.execute(sel + """
        SELECT code, count(*) AS reports FROM (SELECT unnest(indicators) AS code FROM sel)
        GROUP BY code ORDER BY reports DESC, code
    """, sel_params).df()
    indicator_counts = pd.DataFrame({"indicator": [labels.get(c, c) for c in ind["code"]],
                                     "reports": ind["reports"].astype("int64")})
    recent = con.execute(sel + """
        SELECT received_on, grading, source_type, address, summary FROM sel
        ORDER BY received_on DESC, source, report_ref LIMIT ?
    """, [*sel_params, int(settings.section("map")["recent_reports"])]).df()
    rep_nat = con.execute(sel + """
        SELECT nationality, count(*) AS reports FROM (SELECT unnest(nationalities) AS nationality FROM sel)
        GROUP BY nationality
    """, sel_params).df()

    cwhere, cparams = cases_where(f, "c")
    clats, clons, n_cases = _points_in_cell(con, "cases", "c", cwhere, cparams, cell, box)
    threshold = settings.min_cases()
    cases_shown = by_nationality = n_cases >= threshold
    if cases_shown:
        case_nat = con.execute(f"""
            WITH pts AS (SELECT unnest(?::DOUBLE[]) AS lat, unnest(?::DOUBLE[]) AS lon)
            SELECT coalesce(c.nationality, 'Unknown') AS nationality, count(*) AS cases
            FROM cases c JOIN pts ON c.lat = pts.lat AND c.lon = pts.lon
            WHERE {cwhere} AND c.location_flag IS NULL
            GROUP BY 1
        """, [clats, clons, *cparams]).df()
        by_nationality = bool((case_nat["cases"] >= threshold).all())
    if by_nationality:
        nat = rep_nat.merge(case_nat, on="nationality", how="outer")
    else:
        nat = rep_nat.assign(cases=pd.NA)
    nat["reports"] = nat["reports"].fillna(0).astype("int64")
    nat["cases"] = (nat["cases"].fillna(0) if by_nationality else nat["cases"]).astype("Int64")
    nat = (nat.assign(_total=nat["reports"] + nat["cases"].fillna(0))
              .sort_values(["_total", "nationality"], ascending=[False, True])
              .drop(columns="_total").reset_index(drop=True))[["nationality", "reports", "cases"]]

    lic = markers(con, f, today, bbox=box)
    lic = hexes.in_cell(lic, cell)[["licence_ref", "address", "status", "max_occupants", "licence_expiry"]]

    return CellDetail(indicator_counts=indicator_counts, recent_reports=recent,
                      licences=lic.reset_index(drop=True), nationalities=nat, h3=cell, reports=n_reports,
                      cases_shown=cases_shown, cases=n_cases if cases_shown else 0,
                      cases_by_nationality=by_nationality)
