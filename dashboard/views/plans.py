"""Visit plans: the route and team needs of a saved plan, its briefing pack, and the outcomes of its visits.

A plan's creator or an admin may change it, add stops to it (from the Visit list), remove a stop or delete
it; an outcome saved by mistake is withdrawn (kept, counted nowhere) by whoever recorded it or an admin.
Deleting a plan keeps its outcomes: they are facts about visits, go on counting, and are listed at the foot
of this page."""
from __future__ import annotations

import datetime as dt
import hashlib
import os

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from access.store import has_role
from analysis import outcome_feedback, wording
from analysis import spreadsheets as exports
from dashboard import (auth, connection, downloads, escape, labels, map_render, plan_form, records, state,
                       stops_grid, ui, visit_map)
from etl.uk_time import utc_to_uk
from operations import briefing_pdf, gpx, plans, vocabulary
from operations.store import REASON_MAX, Outcome, counted

OPEN_PLAN = "open_plan"
OUTCOME_SAVED = "outcome_saved"         # what the last save recorded, said once after the rerun
OUTCOME_FORM_ROUND = "outcome_form_round"   # bumped by each save: a new, empty outcome form
OUTCOME_NEXT_STOP = "outcome_next_stop"     # the stop to choose after a save: the next one without an outcome
OUTCOME_DAYS_BACK = 365                     # how long before the plan's date a visit may be recorded
PLAN_NOTICE = plan_form.NOTICE              # what a delete, a removal, an addition (from the Visit list) or a
                                            # withdrawal did, said once after the rerun
NO_NAMES = ("No names or personal details of the people met: this record is seen by everyone with access to "
            "plans.")

user = auth.require("plans")  # the role is checked on every run, whatever the address
is_admin = has_role(user.get("role"), "admin")
st.title("Visit plans")
store = records.store()


def outcome_records(frame: pd.DataFrame, key: str) -> None:
    """The outcomes in `frame` (read with their withdrawn ones): those that count, those withdrawn, and the
    form to withdraw one saved by mistake, offered to whoever recorded it and to admins."""
    live, gone = counted(frame), frame[frame["withdrawn_at"].notna()]
    columns = {"visited_on": st.column_config.DateColumn("Visited", format="DD/MM/YYYY"), "address": "Address",
               "outcome": "Outcome", "potential_victims": "Potential victims",
               **{k: st.column_config.CheckboxColumn(v) for k, v in vocabulary.actions().items()},
               "note": "Note", "recorded_by": "Recorded by", "withdrawn_by": "Withdrawn by",
               "withdrawn_at": "Withdrawn at (UTC)", "withdrawn_reason": "Why withdrawn"}
    shown = frame.sort_values(["visited_on", "id"], ascending=False).assign(
        outcome=lambda d: d["outcome"].map(vocabulary.outcome_label),
        withdrawn_at=lambda d: d["withdrawn_at"].str[:16].str.replace("T", " "))
    if not live.empty:
        st.dataframe(shown[shown["id"].isin(live["id"])][
                         ["visited_on", "address", "outcome", "potential_victims", "safeguarding_referral",
                          "nrm_referral", "partner_enforcement", "note", "recorded_by"]],
                     hide_index=True, width="stretch", placeholder=labels.NO_VALUE, column_config=columns)
    if not gone.empty:
        st.markdown(f"**Withdrawn** ({len(gone)}): kept for the record, counted nowhere.")
        st.dataframe(shown[shown["id"].isin(gone["id"])][
                         ["visited_on", "address", "outcome", "potential_victims", "recorded_by", "withdrawn_by",
                          "withdrawn_at", "withdrawn_reason"]],
                     hide_index=True, width="stretch", placeholder=labels.NO_VALUE, column_config=columns)
    if live.empty:
        return
    mine = live if is_admin else live[live["recorded_by"] == user["name"]]
    with st.expander("Withdraw an outcome saved by mistake"):
        st.caption("A withdrawn outcome is kept, with who withdrew it, when and why, but no longer counts on the "
                   "Visit list, the Overview, the maps, the plan's progress or the downloads. Only whoever "
                   "recorded it, or an admin, can withdraw it. Withdrawing can't be undone: record the visit again.")
        if mine.empty:
            st.caption("None of these outcomes was recorded by you.")
            return
        chosen = mine.sort_values(["visited_on", "id"], ascending=False)
        lines = {int(r.id): f"{r.visited_on:%d/%m/%Y} · {r.address} · {vocabulary.outcome_label(r.outcome)} · "
                            f"recorded by {r.recorded_by or 'unknown'}" for r in chosen.itertuples(index=False)}
        with st.form(f"withdraw_{key}"):
            which = st.selectbox("Outcome to withdraw", list(lines), index=None, format_func=lines.get,
                                 placeholder="Choose the outcome saved by mistake")
            why = st.text_input("Why it is withdrawn", max_chars=REASON_MAX,
                                placeholder="e.g. wrong door: the visit was at number 14")
            st.caption("Required, one line. " + NO_NAMES)
            go = st.form_submit_button("Withdraw the outcome")
        if not go:
            return
        if which is None or not why.strip():
            st.error("Choose the outcome and say why it is withdrawn. Nothing was withdrawn.")
            return
        try:
            was = store.withdraw(which, by=user["name"], reason=why, admin=is_admin)
        except (KeyError, ValueError, PermissionError) as problem:
            st.error(f"Not withdrawn: {escape.markdown_text(str(problem))}.")
            return
        auth.audit("outcome_withdrawn", {"plan_id": was["plan_id"], "outcome": was["outcome"],
                                         "recorded_by": was["recorded_by"]}, f"outcome {which}", 1)
        st.session_state[PLAN_NOTICE] = (f"Withdrawn: {escape.markdown_text(vocabulary.outcome_label(was['outcome']))}"
                                         f" on {dt.date.fromisoformat(was['visited_on']):%a %d %b %Y} at "
                                         f"{escape.markdown_text(was['address'])}. It no longer counts.")
        st.rerun()


def saved_at(stamp: str) -> str:
    """'02 Dec 2026 07:36' from a stored UTC stamp, in UK time: the page said '2026-12-02 07:36 UTC', a machine's
    date in the middle of '03 Dec 2026's, and an hour behind the team's clocks all summer. As the Data page
    gives its load times (day, month's name, year, hours and minutes)."""
    return f"{utc_to_uk(stamp):%d %b %Y %H:%M}"   # written as UTC (access/sqlite_file.py's now), said or not


def route_help(placed: int, unplaced: int) -> str:
    """The Route figure's help. A plan whose stops have no map position (reports with no postcode match or
    coordinates) showed "0.0 km", which reads as every door being at the start."""
    if not placed:
        return "No stop has a map position, so there is no route to measure: find each stop by its address."
    left_out = (f" The {wording.plural(unplaced, 'stop')} with no map position {'is' if unplaced == 1 else 'are'} "
                "not in it." if unplaced else "")
    return ("Straight lines from the start through every stop, in the order below (nearest neighbour, then "
            f"2-opt). Roads add to it.{left_out}")


def gpx_note(placed: int, unplaced: int) -> str:
    """Why the GPX route lacks some stops, or is not offered: a sat-nav can't take a stop without a position,
    and the file left them out without a word, so a team could drive the route and miss those doors."""
    if not placed:
        return ("No route (GPX) to download: no stop has a map position. The briefing pack and the stops' files "
                "list every address.")
    return (f"The route (GPX) holds {wording.plural(placed, 'stop')}: the {wording.plural(unplaced, 'stop')} "
            f"with no map position {'is' if unplaced == 1 else 'are'} left out of it (a sat-nav can't use "
            f"{'it' if unplaced == 1 else 'them'}); the briefing pack and the stops' files list every address.")


def deleted_plans_outcomes() -> None:
    """Outcomes whose plan was deleted: still counted everywhere, and here to read and, if need be, withdraw."""
    orphans = store.outcomes(deleted_plans=True, include_withdrawn=True)
    if orphans.empty:
        return
    st.subheader("Outcomes of deleted plans")
    st.caption("Kept when their plan was deleted: they are facts about visits, and still count on the Visit list, "
               "the Overview and the map.")
    outcome_records(orphans, "deleted_plans")


notice = st.session_state.pop(PLAN_NOTICE, None)
if notice:
    st.success(notice)
saved = store.plans()
if saved.empty:
    st.info("No visit plans yet. On the Visit list, tick the addresses to visit and save them as a plan.")
    st.page_link("views/visits.py", label="Go to the Visit list", icon=":material/checklist:",
                 query_params=state.current().to_params())  # a link clears the address's filters otherwise
    deleted_plans_outcomes()
    st.stop()

# --- which plan ----------------------------------------------------------------------------------------------
wanted = st.session_state.get(OPEN_PLAN) or st.query_params.get("plan")
ids = [int(i) for i in saved["id"]]
try:
    index = ids.index(int(wanted)) if wanted is not None else 0
except ValueError:
    index = 0
names = {int(r.id): f"{r.planned_for:%a %d %b %Y} · {r.name} ({r.stops} stop{'s' if r.stops != 1 else ''}, "
                   f"{r.outcomes} with an outcome)" for r in saved.itertuples(index=False)}
# The browser keeps a keyed select box's labels while its key stays the same, so an outcome saved below left
# "0 with an outcome" on show: the key changes with the labels (the choice itself comes from OPEN_PLAN).
labels_digest = hashlib.sha1("\n".join(names.values()).encode()).hexdigest()[:12]
plan_id = st.selectbox("Plan", ids, index=index, format_func=names.get, key=f"plan_choice_{labels_digest}",
                       help="Every saved plan, the latest visit date first.")
st.session_state[OPEN_PLAN] = plan_id
if st.query_params.get("plan", str(ids[0])) != str(plan_id):   # a link with no plan opens the latest: no rewrite
    st.query_params["plan"] = str(plan_id)
plan = store.plan(plan_id)
if plan is None:
    st.error("This plan no longer exists.")
    st.stop()
start = plans.Start(plan.start_label, plan.start_lat, plan.start_lon)
# The reasons are as the visit list wrote them when the plan was saved: a visit withdrawn since is taken out.
stops = outcome_feedback.without_withdrawn(plans.annotate(plan.stops, start), store.outcomes(include_withdrawn=True))
recorded_all = store.outcomes(plan_id=plan_id, include_withdrawn=True)
done = counted(recorded_all)
# Progress counts the stops with an outcome: one at a stop since removed is kept, but is not this plan's progress.
with_outcome = int(stops["address_key"].isin(set(done["address_key"])).sum())

# --- what the team needs -------------------------------------------------------------------------------------
st.caption(f"Made by {escape.markdown_text(plan.created_by or 'unknown')} · "
           f"last saved {saved_at(plan.updated_at)}")
a, b, c, d = st.columns(4)
a.metric("Date", f"{plan.planned_for:%d %b %Y}")
b.metric("Stops", len(stops))
placed = int(plans.has_position(stops).sum())
unplaced = len(stops) - placed
c.metric("Route", f"{plans.total_km(stops):.1f} km" if placed else "–", help=route_help(placed, unplaced))
d.metric("Outcomes recorded", f"{with_outcome} of {len(stops)}")
st.markdown(f"**Team:** {escape.markdown_text(plan.team) if plan.team else 'not set'}  \n"
            f"**Start:** {escape.markdown_text(start.label)}")
langs = plans.languages(stops)
st.markdown("**Language support to bring:** "
            + (escape.markdown_text(", ".join(langs)) if langs else "none identified")
            + (" (and more at some stops: see each stop)" if plans.more_languages_at_some_stops(stops) else ""))
partner_rows = plans.partners(stops)
if partner_rows:
    st.markdown("**Partners to invite:**\n"
                + "\n".join(f"- {escape.markdown_text(label)}: {n} stop{'s' if n != 1 else ''} "
                            f"({escape.markdown_text(why)})" for label, n, why in partner_rows))
else:
    st.markdown("**Partners to invite:** none identified")

# --- the route -----------------------------------------------------------------------------------------------
# The map, then the stops under it at the page's width: beside the map the table showed a laptop the stop, the
# address and the postcode, and why, the languages and the outcome needed a sideways scroll (stops_grid.py).
districts = None
info = connection.inspect()
if info.readable and "boundaries" in info.tables:
    with ui.section("District boundaries"):
        districts = connection.query("district_outlines")
tiles, _problem = map_render.tiles_from_env(os.environ.get("HOTSPOTS_TILES"))
base = map_render.asset_base(st.get_option("server.baseUrlPath") or "")
st_folium(visit_map.route_map(start, stops, districts, tiles, base), key=f"route_{plan_id}", height=420,
          use_container_width=True, returned_objects=[])
if unplaced:
    st.caption(f"{unplaced} stop(s) have no map position; they are listed last.")
latest = done.sort_values(["visited_on", "id"]).groupby("address_key").tail(1).set_index("address_key")
shown = stops.assign(
    stop=range(1, len(stops) + 1),
    licence=stops["licence_status"].map(labels.licence_status),
    outcome=[vocabulary.outcome_label(latest.at[k, "outcome"]) if k in latest.index else "" for k in stops["address_key"]])
st.dataframe(stops_grid.shown(shown), hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
             height=stops_grid.height(len(shown)), row_height=stops_grid.ROW_HEIGHT,
             column_config=stops_grid.column_config())
# A phone has room for the stop and the address: each stop follows as a card (dashboard/static/narrow.css).
ui.narrow_screen_styles()
with st.container(key="stop_doors"):
    # The stop number stands where the visit list's rank would: the list's own rank and status make way.
    st.html(ui.doors_html(shown.drop(columns=["rank", "licence_status"], errors="ignore")
                          .rename(columns={"stop": "rank", "licence": "licence_status"})))

editable = is_admin or (bool(plan.created_by) and plan.created_by == user["name"])
if not editable:
    st.caption(f"Only {escape.markdown_text(plan.created_by or 'whoever made this plan')} or an admin can change "
               "this plan, remove a stop or delete it.")
else:
    with st.expander("Change this plan"):
        if plan.planned_for >= state.today():
            st.caption("To add stops, tick their addresses on the Visit list and choose this plan under \"Or add "
                       "them to a plan already made\": the stops are then put in a new visiting order.")
        changed = plan_form.details_form(f"change_plan_{plan_id}", planned_for=plan.planned_for, name=plan.name,
                                         team=plan.team, start=start, stops=plan.stops, submit="Save the changes")
        if changed is not None:
            if not changed.keep:
                st.error("A plan needs at least one stop. Keep one, or make a new plan from the Visit list.")
            else:
                kept = plans.ordered(plan.stops.iloc[list(changed.keep)], changed.start)
                store.save_plan(name=changed.name, planned_for=changed.planned_for, team=changed.team,
                                start_label=changed.start.label, start=(changed.start.lat, changed.start.lon),
                                stops=kept, created_by=plan.created_by, filters=plan.filters, plan_id=plan_id)
                auth.audit("plan_changed", {"plan_id": plan_id, "stops": len(kept)}, f"plan {plan_id}", len(kept))
                st.rerun()
    with st.expander("Remove a stop or delete this plan"):
        st.markdown("**Remove a stop**")
        if len(stops) == 1:
            st.caption("This is the plan's only stop: delete the plan instead.")
        else:
            drop_keys = (f"remove_stop_{plan_id}", f"remove_stop_sure_{plan_id}")
            drop = st.selectbox("Stop to remove", list(range(len(stops))), index=None, key=drop_keys[0],
                                format_func=lambda i: f"{i + 1}. {stops.iloc[i]['address']}",
                                placeholder="Choose a stop")
            st.caption("The other stops keep their order. An outcome recorded at this stop is kept and still "
                       "counts.")
            sure = st.checkbox("Yes, remove this stop from the plan", key=drop_keys[1])
            if st.button("Remove the stop", disabled=drop is None or not sure, key=f"remove_stop_go_{plan_id}"):
                gone_stop = stops.iloc[int(drop)]
                try:
                    store.remove_stop(plan_id, int(gone_stop["seq"]), gone_stop["address_key"])
                except (KeyError, ValueError) as problem:
                    st.error(f"Not removed: {escape.markdown_text(str(problem))}.")
                else:
                    auth.audit("plan_stop_removed", {"plan_id": plan_id, "stop": int(drop) + 1,
                                                     "stops": len(stops) - 1}, f"plan {plan_id}", 1)
                    for k in plan_form.stop_choice_keys(plan_id):   # no tick, nor stop number, outlives it
                        st.session_state.pop(k, None)
                    st.session_state[PLAN_NOTICE] = (f"Removed stop {int(drop) + 1}, "
                                                     f"{escape.markdown_text(gone_stop['address'])}, from the plan.")
                    st.rerun()
        st.markdown("**Delete this plan**")
        st.caption(f"Deletes the plan, its route and its {len(stops)} stop{'s' if len(stops) != 1 else ''}. The "
                   "outcomes recorded on its visits are kept: they are facts about the visits, still count on the "
                   "Visit list, the Overview and the map, and are listed under \"Outcomes of deleted plans\" on "
                   "this page.")
        sure_delete = st.checkbox("Yes, delete this plan", key=f"delete_plan_sure_{plan_id}")
        if st.button("Delete this plan", disabled=not sure_delete, key=f"delete_plan_go_{plan_id}"):
            outcomes_kept = store.delete_plan(plan_id)
            auth.audit("plan_deleted", {"plan_id": plan_id, "planned_for": plan.planned_for.isoformat(),
                                        "stops": len(stops), "outcomes_kept": outcomes_kept}, f"plan {plan_id}",
                       len(stops))
            st.session_state.pop(OPEN_PLAN, None)
            st.session_state.pop(f"delete_plan_sure_{plan_id}", None)
            st.query_params.pop("plan", None)
            st.session_state[PLAN_NOTICE] = (
                f"Deleted the plan {escape.markdown_text(plan.name)}."
                + (f" Its {wording.plural(outcomes_kept, 'outcome')} {'is' if outcomes_kept == 1 else 'are'} kept, "
                   "still counted, and listed under \"Outcomes of deleted plans\"." if outcomes_kept else ""))
            st.rerun()

# --- the briefing pack and the other downloads ---------------------------------------------------------------
st.subheader("Briefing pack and downloads")
stem = f"visit-plan-{plan.planned_for:%Y-%m-%d}-{plan_id}"
audit_args = {"plan_id": plan_id, "stops": len(stops)}
reports = pd.DataFrame(columns=["address_key"])
if info.readable and "reports" in info.tables:
    with ui.section("Recent reports for the briefing pack"):
        reports = connection.query("stop_reports", address_keys=tuple(stops["address_key"]),
                                   today=min(plan.planned_for, state.today()))
pack = briefing_pdf.Pack(name=plan.name, planned_for=plan.planned_for, team=plan.team, start=start, stops=stops,
                         reports=reports if reports is not None else pd.DataFrame(columns=["address_key"]),
                         districts=districts, prepared_by=user["name"])
table = plans.stops_table(stops, labels.licence_status)
cols = st.columns(4)
files = [
    ("Briefing pack (PDF)", lambda: briefing_pdf.render(pack), f"{stem}.pdf", "application/pdf", "pdf",
     "For the briefing room: a map of the route, what each stop needs, recent reports and the victim-first reminder."),
    ("Stops (CSV)", lambda: exports.to_csv(table), f"{stem}.csv", "text/csv", "csv",
     "Opens in Excel. Text that a spreadsheet could run as a formula is made plain."),
    ("Stops (Excel)", lambda: exports.to_xlsx(table), f"{stem}.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "One sheet, the stops in order."),
    ("Route (GPX)", lambda: gpx.render(plan.name, start, stops), f"{stem}.gpx", "application/gpx+xml", "gpx",
     "For a sat-nav or phone: the start and each stop as waypoints and a route."),
]
for column, (label, make, name, mime, fmt, help_text) in zip(cols, files):
    # Built, and audited, only when clicked (auth.audited_export): no file waits at a /media/ address.
    column.download_button(label, auth.audited_export(make, "plans", {**audit_args, "format": fmt}, "visit_plan",
                                                      len(stops)),
                           file_name=downloads.file_name(name), mime=mime, help=help_text, on_click="ignore",
                           disabled=fmt == "gpx" and not placed)   # the start alone: nothing to drive to
if unplaced:
    st.caption(gpx_note(placed, unplaced))

# --- outcomes ------------------------------------------------------------------------------------------------
st.subheader("Record what the visit found")
st.caption("One record per address visited. A correction is a newer record: the latest one counts; one saved by "
           "mistake (the wrong door, the wrong outcome) is withdrawn below the list of outcomes. Outcomes are "
           "kept apart from the warehouse, so a data refresh never loses them, and they move the Visit list: "
           "no concerns lowers an address for a while; potential victims raise the addresses nearby and those "
           "with the same licence holder.")
kinds = vocabulary.outcomes()
next_stop = st.session_state.pop(OUTCOME_NEXT_STOP, None)
if next_stop is None and f"outcome_stop_{plan_id}" not in st.session_state:
    # A plan opened again starts at its first door without an outcome: stop 1, already recorded, was offered
    # first, and a save in haste landed a second record on it.
    next_stop = next((i for i, key in enumerate(stops["address_key"]) if key not in set(done["address_key"])), 0)
if next_stop is not None and 0 <= next_stop < len(stops):
    st.session_state[f"outcome_stop_{plan_id}"] = next_stop   # set before the box is drawn, as Streamlit requires
choice = st.selectbox("Address", list(range(len(stops))), key=f"outcome_stop_{plan_id}",
                      format_func=lambda i: f"{i + 1}. {stops.iloc[i]['address']}")
stop = stops.iloc[int(choice)]
# The date sits outside the form, so the line by the button says which date a save takes. A date typed outside
# the range is refused by the box, which keeps the date it had ("Date set outside allowed range"): a save then
# took that date, and only the line by the button shows it. The range is in the label for the same reason.
latest_day = state.today()
earliest_day = min(plan.planned_for, latest_day) - dt.timedelta(days=OUTCOME_DAYS_BACK)
visited_on = st.date_input(f"Visit date (from {earliest_day:%d/%m/%Y} to today, {latest_day:%d/%m/%Y})",
                           value=min(plan.planned_for, latest_day), min_value=earliest_day, max_value=latest_day,
                           format="DD/MM/YYYY", key=f"outcome_date_{plan_id}",
                           help="The day of the visit. A date outside this range is not taken: the box keeps its "
                                "last date, which the line above the Save button names.")
# The form keeps what was typed when a check fails; after a save it starts empty (a new key) and the page,
# rerun so the counts above include the outcome, says what was saved.
saved_note = st.session_state.pop(OUTCOME_SAVED, None)
if saved_note:
    st.success(saved_note)
form_round = st.session_state.get(OUTCOME_FORM_ROUND, 0)
with st.form(f"outcome_{plan_id}_{form_round}", clear_on_submit=False):
    left, right = st.columns(2)
    # No outcome is chosen for the lead: "No concerns" chosen by default lowered an address for 90 days when
    # a save was made in haste.
    outcome = left.selectbox("Outcome", list(kinds), index=None, format_func=lambda k: kinds[k]["label"],
                             placeholder="Choose what the visit found")
    victims = left.number_input("Potential victims identified", min_value=0, max_value=500, value=0, step=1,
                                help="People the team treated as potential victims of modern slavery.")
    actions = {col: right.checkbox(text) for col, text in vocabulary.actions().items()}
    note = st.text_area("Note", max_chars=2000, help="What was found and done.")
    st.caption(NO_NAMES)
    door = escape.markdown_text(f"{int(choice) + 1}. {stop['address']}")
    st.caption(f"Saves a visit on **{visited_on:%a %d %b %Y}** at **{door}**.")
    submitted = st.form_submit_button("Save the outcome", type="primary")
if submitted:
    if outcome is None:
        st.error("Choose an outcome: what did the visit find? Nothing was saved.")
    elif victims and outcome != "potential_victims":
        st.error("Potential victims were counted, but the outcome is not 'Potential victims identified'. "
                 "Choose that outcome, or set the number to 0.")
    elif outcome == "potential_victims" and not victims:
        st.error("How many potential victims were identified? Enter at least 1.")
    else:
        record = Outcome(visited_on=visited_on, address_key=stop["address_key"], address=stop["address"],
                         postcode=stop["postcode"] if isinstance(stop["postcode"], str) else None,
                         lat=None if pd.isna(stop["lat"]) else float(stop["lat"]),
                         lon=None if pd.isna(stop["lon"]) else float(stop["lon"]),
                         licence_ref=stop["licence_ref"] if isinstance(stop["licence_ref"], str) else None,
                         outcome=outcome, potential_victims=int(victims), note=note.strip(), plan_id=plan_id,
                         **actions)
        outcome_id = store.record(record, user["name"])
        auth.audit("outcome_recorded", {"plan_id": plan_id, "outcome": outcome, "potential_victims": int(victims),
                                        **{k: bool(v) for k, v in actions.items()}}, f"outcome {outcome_id}", 1)
        # The address is a reporter's text: shown literally, never as markdown (a link, an image to fetch).
        st.session_state[OUTCOME_SAVED] = (f"Saved: {escape.markdown_text(kinds[outcome]['label'])} on "
                                           f"{visited_on:%a %d %b %Y} at {escape.markdown_text(stop['address'])}.")
        # The next stop without an outcome is chosen, so a second save does not land on the same door unasked.
        recorded_keys = set(done["address_key"]) | {stop["address_key"]}
        st.session_state[OUTCOME_NEXT_STOP] = next(
            (i for i in [*range(int(choice) + 1, len(stops)), *range(int(choice))]
             if stops.iloc[i]["address_key"] not in recorded_keys), int(choice))
        st.session_state[OUTCOME_FORM_ROUND] = form_round + 1
        st.rerun()

outcome_records(recorded_all, f"plan_{plan_id}")
deleted_plans_outcomes()
