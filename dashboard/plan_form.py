"""The form that names a visit plan: its date, name, team and start point. New plans and changed ones share it.

And what the Visit list needs to add its ticked addresses to a saved plan: which plans a user may add to, and
the words saying what was added, shown on the plan's page."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.escape import markdown_text
from operations import plans

OTHER_START = "other"
NOTICE = "plan_notice"    # what a change to a plan did, said once on the Visit plans page after it opens
NAMED = 5                 # addresses named in a notice; the rest are counted


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


def open_plans(saved: pd.DataFrame, user_name: str | None, admin: bool, today: dt.date) -> pd.DataFrame:
    """The saved plans (`OperationsStore.plans()`) this user may add stops to: their own, or any for an admin
    (as for removing a stop), dated today or later (a past plan is the record of that day), soonest first."""
    mine = saved["created_by"].eq(user_name) if user_name else pd.Series(False, index=saved.index)
    return saved[(mine | admin) & (saved["planned_for"] >= today)].sort_values(["planned_for", "id"])


def stop_choice_keys(plan_id: int) -> tuple[str, ...]:
    """The Visit plans page's boxes that hold a stop by its number: after stops are added or removed the same
    number is another door, so the choice must not outlive the change."""
    return f"outcome_stop_{plan_id}", f"remove_stop_{plan_id}", f"remove_stop_sure_{plan_id}"


def added_notice(plan_name: str, added: list[str], already: list[str], stops: int) -> str:
    """What adding to a plan did, in Markdown with every address and the name escaped (a reporter's text)."""
    def listed(addresses: list[str]) -> str:
        more = len(addresses) - NAMED
        return "; ".join(markdown_text(a) for a in addresses[:NAMED]) + (f" and {more:,} more" if more > 0 else "")

    said = ""
    if added:
        said = (f"Added {len(added)} stop{'s' if len(added) != 1 else ''} to the plan {markdown_text(plan_name)}: "
                f"{listed(added)}. Its {stops} stops are in a new visiting order.")
    if already:
        verb = "was" if len(already) == 1 else "were"
        said += (f"{' ' if said else ''}{listed(already)} {verb} already in the plan, so not added again.")
    return said
