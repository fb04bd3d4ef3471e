"""The form that names a visit plan: its date, name, team and start point. New plans and changed ones share it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from operations import plans

OTHER_START = "other"


@dataclass(frozen=True)
class PlanDetails:
    planned_for: dt.date
    name: str
    team: str
    start: plans.Start
    keep: tuple[int, ...] = ()     # the stops (row positions) a changed plan keeps


def details_form(key: str, *, planned_for: dt.date, name: str = "", team: str = "",
                 start: plans.Start | None = None, stops: pd.DataFrame | None = None,
                 submit: str) -> PlanDetails | None:
    """Draw the form; the details once submitted, else None. With `stops`, the user may also drop some."""
    starts = {f"s{i}": s for i, s in enumerate(plans.start_points())}
    current = next((k for k, s in starts.items() if start and (s.lat, s.lon) == (start.lat, start.lon)),
                   OTHER_START if start else "s0")
    with st.form(key):
        left, middle, right = st.columns(3)
        day = left.date_input("Visit date", value=planned_for, format="DD/MM/YYYY")
        name_in = middle.text_input("Plan name", value=name or f"Visits {planned_for:%d %b %Y}", max_chars=120)
        team_in = right.text_input("Team", value=team, max_chars=200,
                                   placeholder="e.g. 2 officers, VCC (Lithuanian), council HMO officer")
        # A row of its own, the choice wider than a third of the page: "Parkside Police Station, Cambridge" was
        # cut short at 1280 px.
        where, lat_at, lon_at = st.columns([2, 1, 1])
        choice = where.selectbox("Start from", [*starts, OTHER_START], index=[*starts, OTHER_START].index(current),
                                 format_func=lambda k: starts[k].label if k in starts else "Somewhere else (latitude "
                                                                                           "and longitude →)")
        lat = lat_at.number_input("Start latitude (somewhere else)", min_value=49.0, max_value=61.0, format="%.5f",
                                  value=float(start.lat) if start and current == OTHER_START else 52.2)
        lon = lon_at.number_input("Start longitude (somewhere else)", min_value=-8.0, max_value=2.0, format="%.5f",
                                  value=float(start.lon) if start and current == OTHER_START else 0.12)
        keep: tuple[int, ...] = ()
        if stops is not None:
            positions = list(range(len(stops)))
            keep = tuple(st.multiselect("Stops to keep", positions, default=positions,
                                        format_func=lambda i: f"{i + 1}. {stops.iloc[i]['address']}",
                                        help="Drop a stop by removing it here; the rest are put in a new order."))
        submitted = st.form_submit_button(submit, type="primary")
    if not submitted:
        return None
    if choice in starts:
        chosen = starts[choice]
    elif start and current == OTHER_START and (float(lat), float(lon)) == (start.lat, start.lon):
        chosen = start
    else:
        chosen = plans.Start("Chosen start point", float(lat), float(lon))
    return PlanDetails(planned_for=day, name=name_in.strip() or f"Visits {day:%d %b %Y}", team=team_in.strip(),
                       start=chosen, keep=keep)
