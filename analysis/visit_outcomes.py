"""Visits and their outcomes over time, for the overview: how many doors, what was found, who was helped."""
from __future__ import annotations

import duckdb
import pandas as pd

from analysis.filters import NO_DISTRICT, Filters
from operations import vocabulary
from operations.store import counted

ACTION_COLUMNS = ["safeguarding_referral", "nrm_referral", "partner_enforcement"]


def in_period(outcomes: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Outcomes that count (none withdrawn) whose visit date is inside the filter dates (visits have no district
    code of their own)."""
    outcomes = counted(outcomes)
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=list(outcomes.columns) if outcomes is not None else [])
    dates = pd.to_datetime(outcomes["visited_on"]).dt.date
    return outcomes[(dates >= f.date_from) & (dates <= f.date_to)]


def points(outcomes: pd.DataFrame) -> tuple[tuple[float | None, float | None, str | None], ...]:
    """Each outcome's (lat, lon, postcode), in order: what places a visit in a district (`districts_of`), as
    a value a query's cache can key on."""
    def value(v):
        return None if v is None or pd.isna(v) else v
    return tuple((value(lat), value(lon), value(pc)) for lat, lon, pc in
                 zip(outcomes["lat"], outcomes["lon"], outcomes["postcode"]))


def districts_of(con: duckdb.DuckDBPyConnection, points: tuple = ()) -> list[str | None]:
    """The district of each (lat, lon, postcode), placed as the loaders place a report: in the district
    boundary holding its point (its postcode's point when it has none), or by its postcode's district where no
    boundaries are loaded; None where neither places it.

    A visit stores its point and postcode, not a district: without this, a lead who chose Fenland saw the
    whole force's visits beside Fenland's reports."""
    if not points:
        return []
    lats, lons, postcodes = (list(c) for c in zip(*points))
    rows = con.execute("""
        WITH v AS (SELECT unnest(range(len(?::DOUBLE[]))) AS i, unnest(?::DOUBLE[]) AS lat,
                          unnest(?::DOUBLE[]) AS lon, unnest(?::VARCHAR[]) AS postcode),
             placed AS (SELECT v.i, coalesce(v.lat, p.lat) AS lat, coalesce(v.lon, p.lon) AS lon,
                               p.district_code AS postcode_district
                        FROM v LEFT JOIN postcodes p ON p.postcode = v.postcode),
             shapes AS (SELECT code, geometry FROM boundaries WHERE level = 'district')
        SELECT placed.i,
               CASE WHEN EXISTS (SELECT 1 FROM shapes)
                    THEN (SELECT min(s.code) FROM shapes s
                          WHERE placed.lat IS NOT NULL AND ST_Contains(s.geometry, ST_Point(placed.lon, placed.lat)))
                    ELSE placed.postcode_district END
        FROM placed ORDER BY placed.i
    """, [lats, lats, lons, postcodes]).fetchall()
    return [code for _, code in rows]


def in_districts(outcomes: pd.DataFrame, codes: list[str | None], f: Filters) -> pd.DataFrame:
    """The outcomes in the filter's districts, given each one's district (`districts_of`); "Unknown district"
    takes the visits placed in none."""
    if not f.districts:
        return counted(outcomes)
    wanted = set(f.districts)
    keep = [(code in wanted) if code is not None else (NO_DISTRICT in wanted) for code in codes]
    return counted(outcomes[keep])


def totals(outcomes: pd.DataFrame, f: Filters) -> dict[str, int]:
    """Visits (one per address and day), potential victims identified, and each follow-up action."""
    rows = in_period(outcomes, f)
    out = {"visits": int(rows[["visited_on", "address_key"]].drop_duplicates().shape[0]) if not rows.empty else 0,
           "potential_victims": int(rows["potential_victims"].sum()) if not rows.empty else 0}
    for c in ACTION_COLUMNS:
        out[c] = int(rows[c].astype(bool).sum()) if not rows.empty else 0
    return out


def weekly(outcomes: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """week, outcome (label), visits, potential_victims: one row per week and outcome with visits."""
    rows = in_period(outcomes, f)
    if rows.empty:
        return pd.DataFrame(columns=["week", "outcome", "visits", "potential_victims"])
    rows = rows.assign(week=pd.to_datetime(rows["visited_on"]).dt.to_period("W-SUN").dt.start_time,
                       outcome=rows["outcome"].map(vocabulary.outcome_label))
    return (rows.groupby(["week", "outcome"], as_index=False)
            .agg(visits=("address_key", "size"), potential_victims=("potential_victims", "sum"))
            .sort_values(["week", "outcome"]).reset_index(drop=True))
