"""Visit plans: the route and team needs of a saved plan, its briefing pack, and the outcomes of its visits."""
from __future__ import annotations

import datetime as dt
import hashlib
import os

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from analysis import spreadsheets as exports
from dashboard import auth, connection, escape, labels, map_render, plan_form, records, state, ui, visit_map
from operations import briefing_pdf, gpx, plans, vocabulary
from operations.store import Outcome

OPEN_PLAN = "open_plan"
OUTCOME_SAVED = "outcome_saved"         # what the last save recorded, said once after the rerun
OUTCOME_FORM_ROUND = "outcome_form_round"   # bumped by each save: a new, empty outcome form
OUTCOME_NEXT_STOP = "outcome_next_stop"     # the stop to choose after a save: the next one without an outcome
OUTCOME_DAYS_BACK = 365                     # how long before the plan's date a visit may be recorded

user = auth.require("plans")  # the role is checked on every run, whatever the address
st.title("Visit plans")
store = records.store()
saved = store.plans()
if saved.empty:
    st.info("No visit plans yet. On the Visit list, tick the addresses to visit and save them as a plan.")
    st.page_link("views/visits.py", label="Go to the Visit list", icon=":material/checklist:",
                 query_params=state.current().to_params())  # a link clears the address's filters otherwise
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
stops = plans.annotate(plan.stops, start)
done = store.outcomes(plan_id=plan_id)

# --- what the team needs -------------------------------------------------------------------------------------
st.caption(f"Made by {escape.markdown_text(plan.created_by or 'unknown')} · "
           f"last saved {plan.updated_at[:16].replace('T', ' ')} UTC")
a, b, c, d = st.columns(4)
a.metric("Date", f"{plan.planned_for:%d %b %Y}")
b.metric("Stops", len(stops))
c.metric("Route", f"{plans.total_km(stops):.1f} km", help="Straight lines from the start through every stop, "
         "in the order below (nearest neighbour, then 2-opt). Roads add to it.")
d.metric("Outcomes recorded", f"{done['address_key'].nunique()} of {len(stops)}")
st.markdown(f"**Team:** {escape.markdown_text(plan.team) if plan.team else 'not set'}  \n"
            f"**Start:** {escape.markdown_text(start.label)}")
langs = plans.languages(stops)
st.markdown("**Language support to bring:** "
            + (escape.markdown_text(", ".join(langs)) if langs else "none identified"))
partner_rows = plans.partners(stops)
if partner_rows:
    st.markdown("**Partners to invite:**\n"
                + "\n".join(f"- {escape.markdown_text(label)}: {n} stop{'s' if n != 1 else ''} "
                            f"({escape.markdown_text(why)})" for label, n, why in partner_rows))
else:
    st.markdown("**Partners to invite:** none identified")

# --- the route -----------------------------------------------------------------------------------------------
map_column, table_column = st.columns([3, 4], gap="medium")
districts = None
info = connection.inspect()
if info.readable and "boundaries" in info.tables:
    with ui.section("District boundaries"):
        districts = connection.query("district_outlines")
with map_column:
    tiles, _problem = map_render.tiles_from_env(os.environ.get("HOTSPOTS_TILES"))
    base = map_render.asset_base(st.get_option("server.baseUrlPath") or "")
    st_folium(visit_map.route_map(start, stops, districts, tiles, base), key=f"route_{plan_id}", height=420,
              use_container_width=True, returned_objects=[])
    unplaced = int(stops["lat"].isna().sum())
    if unplaced:
        st.caption(f"{unplaced} stop(s) have no map position; they are listed last.")
latest = done.sort_values(["visited_on", "id"]).groupby("address_key").tail(1).set_index("address_key")
shown = stops.assign(
    stop=range(1, len(stops) + 1),
    licence=stops["licence_status"].map(labels.licence_status),
    outcome=[vocabulary.outcome_label(latest.at[k, "outcome"]) if k in latest.index else "" for k in stops["address_key"]])
with table_column:
    st.dataframe(shown[["stop", "address", "postcode", "licence", "reasons", "languages", "partners", "leg_km",
                        "outcome"]],
                 hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                 height=min(420, 40 + 35 * len(shown)),
                 column_config={"stop": st.column_config.NumberColumn("Stop", width="small"),
                                "address": "Address", "postcode": "Postcode", "licence": "HMO licence",
                                "reasons": st.column_config.TextColumn("Why", width="large"),
                                "languages": "Language support", "partners": "Partners",
                                "leg_km": st.column_config.NumberColumn("km from previous", format="%.1f"),
                                "outcome": "Outcome recorded"})
    # A phone has room for the stop and the address: each stop follows as a card (dashboard/static/narrow.css).
    ui.narrow_screen_styles()
    with st.container(key="stop_doors"):
        # The stop number stands where the visit list's rank would: the list's own rank and status make way.
        st.html(ui.doors_html(shown.drop(columns=["rank", "licence_status"], errors="ignore")
                              .rename(columns={"stop": "rank", "licence": "licence_status"})))

with st.expander("Change this plan"):
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
downloads = [
    ("Briefing pack (PDF)", lambda: briefing_pdf.render(pack), f"{stem}.pdf", "application/pdf", "pdf",
     "For the briefing room: a map of the route, what each stop needs, recent reports and the victim-first reminder."),
    ("Stops (CSV)", lambda: exports.to_csv(table), f"{stem}.csv", "text/csv", "csv",
     "Opens in Excel. Text that a spreadsheet could run as a formula is made plain."),
    ("Stops (Excel)", lambda: exports.to_xlsx(table), f"{stem}.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "One sheet, the stops in order."),
    ("Route (GPX)", lambda: gpx.render(plan.name, start, stops), f"{stem}.gpx", "application/gpx+xml", "gpx",
     "For a sat-nav or phone: the start and each stop as waypoints and a route."),
]
for column, (label, make, name, mime, fmt, help_text) in zip(cols, downloads):
    # Built, and audited, only when clicked (auth.audited_export): no file waits at a /media/ address.
    column.download_button(label, auth.audited_export(make, "plans", {**audit_args, "format": fmt}, "visit_plan",
                                                      len(stops)),
                           file_name=name, mime=mime, help=help_text, on_click="ignore")

# --- outcomes ------------------------------------------------------------------------------------------------
st.subheader("Record what the visit found")
st.caption("One record per address visited. A correction is a newer record: the latest one counts. Outcomes are "
           "kept apart from the warehouse, so a data refresh never loses them, and they move the Visit list: "
           "no concerns lowers an address for a while; potential victims raise the addresses nearby and those "
           "with the same licence holder.")
kinds = vocabulary.outcomes()
next_stop = st.session_state.pop(OUTCOME_NEXT_STOP, None)
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
    note = st.text_area("Note", max_chars=2000, help="What was found and done. No names: this is an operational "
                        "record, seen by everyone with access to plans.")
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

if not done.empty:
    recorded = done.sort_values(["visited_on", "id"], ascending=False).assign(
        outcome=lambda d: d["outcome"].map(vocabulary.outcome_label))
    st.dataframe(recorded[["visited_on", "address", "outcome", "potential_victims", "safeguarding_referral",
                           "nrm_referral", "partner_enforcement", "note", "recorded_by"]],
                 hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                 column_config={"visited_on": st.column_config.DateColumn("Visited", format="DD/MM/YYYY"),
                                "address": "Address", "outcome": "Outcome",
                                "potential_victims": "Potential victims",
                                **{k: st.column_config.CheckboxColumn(v) for k, v in vocabulary.actions().items()},
                                "note": "Note", "recorded_by": "Recorded by"})
