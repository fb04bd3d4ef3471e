"""Visits and their outcomes over time, for the overview: how many doors, what was found, who was helped."""
from __future__ import annotations

import pandas as pd

from analysis.filters import Filters
from operations import vocabulary

ACTION_COLUMNS = ["safeguarding_referral", "nrm_referral", "partner_enforcement"]


def in_period(outcomes: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Outcomes whose visit date is inside the filter dates (visits have no district code of their own)."""
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=list(outcomes.columns) if outcomes is not None else [])
    dates = pd.to_datetime(outcomes["visited_on"]).dt.date
    return outcomes[(dates >= f.date_from) & (dates <= f.date_to)]


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
