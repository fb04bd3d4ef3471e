"""Visit list: addresses ranked for a visit, with the reasons, and a visit plan to export."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from access.store import has_role
from analysis import settings
from analysis import spreadsheets as exports
from dashboard import auth, connection, downloads, escape, labels, plan_form, prefetch, records, state, ticks, ui
from operations import plans, vocabulary

LIMITS = [25, 50, 100, 200]
# The list's grid, in pixels. A row taller than 64 px wraps its text: ROW_HEIGHT holds five lines of a reason
# (about 300 characters at REASONS_WIDTH). The widths up to the languages fit a 1366 px laptop, sidebar open.
ROW_HEIGHT, TABLE_HEIGHT = 112, 600
ADDRESS_WIDTH, LAST_VISIT_WIDTH, REASONS_WIDTH, LANGUAGES_WIDTH = 170, 104, 400, 140
# Says the tags in the visit list's own words (analysis/settings.toml [visits]), so a change there changes both.
_AT, _NEAR = (settings.section("visits")[k].capitalize() for k in ("language_at_address", "language_nearby"))
_LANGUAGE_HELP = (f"Interpreters or Victim Care Coordinators to bring. \"{_AT}\": "
                  f"from the nationalities in its own reports. \"{_NEAR}\": only "
                  f"from reports and victim cases around it, not at this door. \"+2 more\": as many more languages, "
                  f"needed as much as the last one listed.")


def _save_plan_form(picked, f, today: dt.date, user_name: str) -> None:
    """Save the ticked addresses as a visit plan in a short route order, then open it on the Visit plans page."""
    st.markdown("**Save these addresses as a visit plan** to order them into a route, make the briefing pack "
                "and record outcomes afterwards.")
    details = plan_form.details_form("save_plan", planned_for=today + dt.timedelta(days=1),
                                     submit="Save the plan and open it")
    if details is None:
        return
    stops = plans.ordered(picked, details.start)
    plan_id = records.store().save_plan(name=details.name, planned_for=details.planned_for, team=details.team,
                                        start_label=details.start.label, start=(details.start.lat, details.start.lon),
                                        stops=stops, created_by=user_name, filters=f.to_params())
    auth.audit("plan_saved", {"plan_id": plan_id, "stops": len(stops), "filters": f.to_params()}, f"plan {plan_id}",
               len(stops))
    st.session_state[ticks.TICKED] = ticks.saved(st.session_state.get(ticks.TICKED, {}),
                                                 ticks.identities(picked["address_key"], picked["address"]))
    st.session_state["open_plan"] = plan_id
    st.switch_page("views/plans.py", query_params={**f.to_params(), "plan": str(plan_id)})


def _add_to_plan_form(picked, f, today: dt.date, user: dict) -> None:
    """Add the ticked addresses to a plan the user made (an admin: any plan) dated today or later, in a new
    route order, then open it: one more door found for the day needed a whole new plan."""
    store = records.store()
    mine = plan_form.open_plans(store.plans(), user["name"], has_role(user.get("role"), "admin"), today)
    st.markdown("**Or add them to a plan already made**, for today or later: the plan's stops are put in a new "
                "visiting order; an address already in it is not added twice.")
    if mine.empty:
        st.caption("You have no visit plan dated today or later to add to (only a plan's maker or an admin can).")
        return
    names = {int(r.id): f"{r.planned_for:%a %d %b %Y} · {r.name} ({r.stops} stop{'s' if r.stops != 1 else ''}"
                        f"{'' if r.created_by == user['name'] else ', made by ' + str(r.created_by or 'unknown')})"
             for r in mine.itertuples(index=False)}
    with st.form("add_to_plan"):
        chosen = st.selectbox("Add to plan", list(names), index=None, format_func=names.get,
                              placeholder="Choose a plan")
        go = st.form_submit_button("Add to the plan and open it")
    if not go:
        return
    if chosen is None:
        st.error("Choose the plan to add these addresses to. Nothing was added.")
        return
    try:
        added, already = store.add_stops(chosen, picked, by=user["name"], today=today,
                                         admin=has_role(user.get("role"), "admin"))
    except (KeyError, ValueError, PermissionError) as problem:
        st.error(f"Nothing was added: {escape.markdown_text(str(problem))}.")
        return
    if not added:
        st.warning(plan_form.added_notice("", added, already, 0) + " Nothing was added.")
        return
    plan = store.plan(chosen)
    stops = len(plan.stops) if plan is not None else len(added)
    auth.audit("plan_stops_added", {"plan_id": chosen, "added": len(added), "already": len(already), "stops": stops,
                                    "filters": f.to_params()}, f"plan {chosen}", len(added))
    st.session_state[ticks.TICKED] = ticks.saved(st.session_state.get(ticks.TICKED, {}),
                                                 ticks.identities(picked["address_key"], picked["address"]))
    for key in plan_form.stop_choice_keys(chosen):   # stop numbers chosen on the plan's page: now other stops
        st.session_state.pop(key, None)
    st.session_state[plan_form.NOTICE] = plan_form.added_notice(plan.name if plan is not None else "", added,
                                                                already, stops)
    st.session_state["open_plan"] = chosen
    st.switch_page("views/plans.py", query_params={**f.to_params(), "plan": str(chosen)})


def _ticked_elsewhere(elsewhere: dict[str, str]) -> None:
    """Name the ticked addresses this list does not hold: they stay ticked, out of the plan, until a list
    holds them again or the lead lets them go."""
    if not elsewhere:
        return
    names = "; ".join(escape.markdown_text(a) if a else "(no address)" for a in list(elsewhere.values())[:5])
    more = f" and {len(elsewhere) - 5:,} more" if len(elsewhere) > 5 else ""
    st.caption(f"{len(elsewhere):,} ticked address{'es are' if len(elsewhere) != 1 else ' is'} not in this list "
               f"(ranked lower, or outside these filters), so not in the plan below: {names}{more}. "
               "They are ticked again in a list that holds them.")
    if st.button("Untick them", key="untick_elsewhere"):
        st.session_state[ticks.TICKED] = {k: v for k, v in st.session_state[ticks.TICKED].items()
                                          if k not in elsewhere}
        st.rerun()


def _last_visit(day, outcome) -> str | None:
    """A recorded visit in a few words, '12 Nov 2026: No concerns'; None (shown as –) when there is none."""
    if day is None or pd.isna(day):
        return None
    said = vocabulary.outcome_label(outcome) if isinstance(outcome, str) else "outcome not recorded"
    return f"{pd.Timestamp(day):%d %b %Y}: {said}"


def _limit_in_link() -> int:
    """The list's length the page's address names (`limit`), if it is one of LIMITS; else the default."""
    try:
        asked = int(st.query_params.get("limit", ""))
    except ValueError:
        return prefetch.VISIT_LIMIT
    return asked if asked in LIMITS else prefetch.VISIT_LIMIT


def _readable(plan):
    """The plan's words, wrapped in a static table: the reasons in full, which the list's cells cut short.
    st.table reads every cell as Markdown, so text from the data ("**12** [Mill Lane](http://…)") is escaped."""
    shown = plan[[c for c in ("Rank", "Address", "District", "Language support", "HMO licence", "Why", "Reports")
                  if c in plan.columns]].copy()
    for text in ("Address", "District", "Language support", "HMO licence", "Why"):
        if text in shown.columns:
            shown[text] = shown[text].map(escape.markdown_text)   # a blank cell (None, NaN) stays blank
    return shown


user = auth.require("visits")  # the role is checked on every run, whatever the address
st.title("Visit list")
f = state.current()
today = state.today()
st.caption(ui.filter_summary(f))

info = connection.inspect()
if ui.warehouse_message(info) or ui.needs_tables(info, "reports", "hmo_licences") or ui.empty_message(info):
    st.stop()
if ui.no_reports_in_dates(info, f):
    # Licences ranked on their licence and hotspots alone, in dates that hold no report, read as a list of
    # findings for those dates: the list starts from the reports.
    st.stop()

st.markdown("Addresses ranked for a visit: recent, well-graded reports of serious signs count most, and an expired, "
            "expiring or missing HMO licence adds to the rank. Each row says why it is where it is. "
            "Tick rows to build a visit plan, then download it (by keyboard: Tab into the table, arrow keys to a "
            "row, Shift+Space ticks it).")
if "visit_limit" not in st.session_state:    # a shared link shows the list at the sender's length
    st.session_state["visit_limit"] = _limit_in_link()
limit = st.columns([1, 3])[0].selectbox("How many addresses", LIMITS, key="visit_limit",
                                        help="The top addresses by rank. Addresses further down are less urgent, "
                                             "not cleared.")
if st.query_params.get("limit", str(prefetch.VISIT_LIMIT)) != str(limit):   # the default needs no rewrite
    st.query_params["limit"] = str(limit)

with ui.section("The visit list"):
    ranked = connection.query("visit_list", f, today=today, limit=limit, outcomes=records.outcomes())
    # Said when the list is short, or holds only licences without reports (police.uk's data alone names no door).
    reported = ranked is not None and not ranked.empty and bool((ranked["reports"] > 0).any())
    doorless = connection.query("reports_without_a_door", f) if ranked is None or len(ranked) < limit \
        or not reported else 0
    said = (f"{doorless:,} report{'s' if doorless != 1 else ''} in this view name{'s' if doorless == 1 else ''} "
            "no door (no address, or only a street or landmark, as police.uk's \"On or near …\" does): "
            "the map counts them, this list can't.") if doorless else ""
    if ranked is None or ranked.empty or not (reported or doorless):
        # No report at all in the view (a gap between files, a filter nothing matches): licences ranked on their
        # licence alone would read as findings for these dates.
        st.info(f"No door to list in this view. {said}" if said else
                "No address has a report in this period with these filters. Widen the dates or clear a filter.")
        st.stop()
    if said:
        st.caption(said)
    # A rank raised "in a hotspot" was judged against districts no report file covers, when some are in view.
    if ranked["reasons"].astype(str).str.contains("hotspot").any():
        area_note = ui.hotspot_area_note(info, f)
        if area_note:
            st.caption(area_note)

    shown = ranked.copy()
    if "licence_status" in shown.columns:
        shown["licence_status"] = shown["licence_status"].map(labels.licence_status)
    if "last_visit" in shown.columns:
        shown["last_visit"] = [_last_visit(day, outcome) for day, outcome in
                               zip(shown["last_visit"], shown.get("last_outcome", [None] * len(shown)))]
    # The reasons run to 200-300 characters. At 400 px on one line a laptop (1366 px, sidebar open) showed the
    # first 15 of them at the right edge. Now the cells wrap (rows taller than 64 px let Streamlit's grid wrap
    # text), the reasons come right after the address and the last visit, and the language support after them:
    # on that laptop the rank, address, last visit, reasons and languages are all in view without scrolling
    # sideways (checked in Chromium at 1366x768). The ticked rows are shown below with their reasons in full.
    columns = [c for c in ["rank", "address", "last_visit", "reasons", "languages", "district", "licence_status",
                           "reports", "last_report", "postcode", "score"] if c in shown.columns]
    shown = shown[columns]
    for text in ("postcode", "district", "languages"):  # blank, not a grey "None" to misread
        if text in shown.columns:
            shown[text] = shown[text].fillna("")
    config = {
        "rank": st.column_config.NumberColumn("Rank", help="1 is the address to visit first.", width=50),
        "address": st.column_config.TextColumn("Address", width=ADDRESS_WIDTH),
        "postcode": st.column_config.TextColumn("Postcode", width="small"),
        "district": st.column_config.TextColumn("District", width=120),
        "reasons": st.column_config.TextColumn("Why it is ranked here", width=REASONS_WIDTH,
                                               help="The reports, signs and licence facts behind the rank."),
        "reports": st.column_config.NumberColumn("Reports", width="small",
                                                 help="Reports about this address in the chosen period."),
        "last_report": st.column_config.DateColumn("Last report", format="DD/MM/YYYY",
                                                   help="When the most recent report about it was received."),
        "last_visit": st.column_config.TextColumn("Last visit", width=LAST_VISIT_WIDTH,
                                                  help="The last recorded visit and what it found (Visit plans page, "
                                                       "or an outcomes file an analyst loaded); – when none is on "
                                                       "record. No concerns lowers an address for a while; potential "
                                                       "victims raise its neighbours."),
        "licence_status": st.column_config.TextColumn("HMO licence", width="medium",
                                                      help="Whether the address holds a current HMO licence, one "
                                                           "that expires within 90 days or has expired, or looks "
                                                           "like an unlicensed HMO."),
        "languages": st.column_config.TextColumn("Language support", width=LANGUAGES_WIDTH,
                                                 help=_LANGUAGE_HELP),
        "score": st.column_config.NumberColumn("Score", format="%.1f", width="small",
                                               help="The number the rank comes from (higher is more urgent). "
                                                    "It adds up the reasons; it is not a probability."),
    }
    # Ticks are kept by address: a list of another length or other filters starts with the addresses ticked.
    ids = ticks.identities(ranked["address_key"], ranked["address"])
    ticked = st.session_state.get(ticks.TICKED, {})
    event = st.dataframe(shown, key=ticks.table_key(ids), on_select="rerun", selection_mode="multi-row",
                         hide_index=True, width="stretch", placeholder=labels.NO_VALUE, height=TABLE_HEIGHT,
                         row_height=ROW_HEIGHT,
                         column_config=config,
                         alt="The visit list: addresses ranked for a visit, with why. Shift+Space ticks a row.",
                         selection_default={"selection": {"rows": ticks.rows_of(ids, ticked), "columns": [],
                                                          "cells": []}})
    selected = list(event.selection.rows) if event is not None else []
    ticked = st.session_state[ticks.TICKED] = ticks.after_selection(ids, list(ranked["address"]), selected, ticked)
    _ticked_elsewhere(ticks.not_in(ids, ticked))
    # On a phone (below 640 px, dashboard/static/narrow.css) the table shows the rank and the address alone:
    # the addresses follow as cards, whole, in a box of their own so the plan below stays in reach.
    ui.narrow_screen_styles()
    with st.container(height=640, key="visit_doors"):
        st.markdown("**Why each address is ranked, and what to bring**")
        st.html(ui.doors_html(shown))

    st.subheader("Visit plan")
    if not selected:
        st.info("Tick the rows of the addresses you plan to visit; they are listed here to download.")
    else:
        picked = ranked.iloc[sorted(selected)]
        plan = picked.copy()
        plan_columns = [c for c in ["rank", "address", "postcode", "district", "reasons", "reports", "last_report",
                                    "last_visit", "licence_status", "languages", "lat", "lon"] if c in plan.columns]
        plan = plan[plan_columns]
        if "last_visit" in plan.columns:    # the date with what it found, as the list says it
            plan["last_visit"] = [_last_visit(day, outcome) for day, outcome in
                                  zip(picked["last_visit"], picked["last_outcome"])]
        if "licence_status" in plan.columns:
            plan["licence_status"] = plan["licence_status"].map(labels.licence_status)
        plan = plan.rename(columns={
            "rank": "Rank", "address": "Address", "postcode": "Postcode", "district": "District",
            "reasons": "Why", "reports": "Reports", "last_report": "Last report", "last_visit": "Last visit",
            "licence_status": "HMO licence", "languages": "Language support", "lat": "Latitude", "lon": "Longitude"})
        st.caption(f"{len(plan)} address{'es' if len(plan) != 1 else ''} in the plan, each with why it is ranked "
                   "where it is in full; the downloads also hold the dates, postcodes and points.")
        with st.container(key="plan_table"):
            st.table(_readable(plan), hide_index=True)   # an index beside the rank read as a second rank
        with st.container(key="plan_doors"):    # a phone's view of the same (dashboard/static/narrow.css)
            st.html(ui.doors_html(shown.iloc[sorted(selected)]))
        stem = f"visit-plan-{today:%Y-%m-%d}"
        left, right, _ = st.columns([1, 1, 3])
        audit_args = {"filters": f.to_params(), "limit": limit, "ranks": [int(r) for r in plan["Rank"]]
                      if "Rank" in plan.columns else []}
        # Built, and audited, only when clicked (auth.audited_export): no file waits at a /media/ address.
        left.download_button("Download CSV", auth.audited_export(lambda: exports.to_csv(plan), "visits",
                                                                 {**audit_args, "format": "csv"}, "visit_plan",
                                                                 len(plan)),
                             file_name=downloads.file_name(f"{stem}.csv"), mime="text/csv", on_click="ignore",
                             help="Opens in Excel. Text that a spreadsheet could run as a formula is made plain.")
        right.download_button("Download Excel (XLSX)", auth.audited_export(lambda: exports.to_xlsx(plan), "visits",
                                                                           {**audit_args, "format": "xlsx"},
                                                                           "visit_plan", len(plan)),
                              file_name=downloads.file_name(f"{stem}.xlsx"), on_click="ignore",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              help="An Excel workbook with one sheet, the visit plan.")

        _save_plan_form(picked, f, today, user["name"])
        _add_to_plan_form(picked, f, today, user)
