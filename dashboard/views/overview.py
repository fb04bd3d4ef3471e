"""Overview: the headline numbers against the previous period, weekly trends, and what is reported."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analysis import settings as analysis_settings
from analysis import visit_outcomes
from analysis.overview import period_start, range_of_periods, runs
from dashboard import auth, connection, labels, records, state, ui, visit_chart
from operations import vocabulary

auth.require("overview")  # the role is checked on every run, whatever the address
st.title("Overview")
f = state.current()
today = state.today()
st.caption(ui.filter_summary(f))

info = connection.inspect()
if ui.warehouse_message(info) or ui.needs_tables(info, "reports", "cases", "hmo_licences") or ui.empty_message(info):
    st.stop()
ui.no_reports_in_dates(info, f)

previous = f.previous_period()

# --- headline numbers ----------------------------------------------------------------------------------------
with ui.section("The headline numbers"):
    metrics = connection.query("headline", f, today=today)
    row = ui.metric_row()
    for m in metrics:
        value = m.value
        delta, arrow = None, "auto"
        if m.previous is not None and value is not None and not pd.isna(m.previous):
            delta = f"{value - m.previous:+,}" if value != m.previous else "no change"
            arrow = "auto" if value != m.previous else "off"      # not "↑ +0"
        help_text = (m.help or "").strip()
        if m.previous is not None:
            help_text += (f" The change compares {ui.period(f)} with {ui.period(previous)} "
                          f"({m.previous:,} then).")
        row.metric(m.label, (getattr(m, "hidden", None) or "–") if value is None else f"{value:,}", delta=delta,
                   delta_color="off", delta_arrow=arrow, help=help_text.strip() or None, width="content")
    st.caption(f"The small figures under each number are the change on the previous {previous.days} days "
               f"({previous.date_from:%d %b %Y} to {previous.date_to:%d %b %Y}).")

# --- trend per district, by week (or by month, for month-dated reports) --------------------------------------
with ui.section("The trend"):
    trend = connection.query("report_trend", f)
    unit, counts = trend if trend is not None else ("week", None)
    st.subheader(f"Reports each {unit}, by district")
    no_districts = ui.no_districts(info)   # every report in Unknown district: no zero per district to read
    if no_districts:
        st.info(no_districts)
    if counts is None or counts.empty:
        st.info("No reports in this period.")
    else:
        counts = counts.copy()
        counts["district"] = counts["district"].map(labels.district)
        counts["run"] = runs(list(counts["period"]), unit)   # no line across periods no file speaks for
        counts["period"] = pd.to_datetime(counts["period"])
        axis, when = ("Month", "%b %Y") if unit == "month" else ("Week beginning", "%d %b %Y")
        # Weekly ticks on the Mondays the weeks begin (Vega's own fall on other days, "Tue 15"), at most 12.
        starts = sorted(counts["period"].unique())
        mondays = [alt.DateTime(year=d.year, month=d.month, date=d.day)
                   for d in pd.to_datetime(starts[::max(1, -(-len(starts) // 12))])]
        ticks = (alt.Axis(format="%b %Y", tickCount="month") if unit == "month"
                 else alt.Axis(values=mondays, format="%d %b", labelAngle=0))
        # One chart, a line per district, as wide as the page: small multiples side by side ran off a phone's
        # screen, and off the right of a laptop's. Counts are whole numbers: no "0.2" ticks, no "0.000000".
        pick = alt.selection_point(fields=["district"], bind="legend")
        chart = (
            alt.Chart(counts)
            .mark_line(point=True)
            # The whole of the dates chosen, so that periods left out show as the gaps they are.
            .encode(x=alt.X("period:T", title=axis, axis=ticks, scale=alt.Scale(domain=[
                        period_start(f.date_from, unit).isoformat(), period_start(f.date_to, unit).isoformat()])),
                    y=alt.Y("reports:Q", title="Reports", axis=alt.Axis(format="d", tickMinStep=1)),
                    color=alt.Color("district:N", title="District",
                                    legend=alt.Legend(orient="bottom", columns=2, labelLimit=160)),
                    detail="run:N",
                    opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
                    tooltip=[alt.Tooltip("district:N", title="District"),
                             alt.Tooltip("period:T", title=axis, format=when),
                             alt.Tooltip("reports:Q", title="Reports")])
            .add_params(pick)
            .properties(height=240)
        )
        st.altair_chart(chart, width="stretch", height=420)   # the plot's 240 px, the legend's rows below it
        st.caption(("One line per district, by month: many reports in this view come from a source that dates "
                    "them by their month alone (as police.uk does), so weeks would show one spike a month. "
                    if unit == "month" else "One line per district; weeks start on Monday, and the first and "
                    "last weeks hold only the days inside the dates chosen, so they may look low. ")
                   + "Click a district in the legend to pick out its line. Reports with no district (outside "
                     "the force area, or not placed on a map) have a line of their own.")
        ui.chart_in_words(*ui.trend_in_words(counts, unit), f"Reports each {unit}")
        every = len(range_of_periods(f.date_from, f.date_to, unit))
        if counts["period"].nunique() < every:   # periods no loaded file speaks for are left out
            st.caption(ui.outside_coverage(connection.query("report_coverage") or [], unit))

# --- what is reported ----------------------------------------------------------------------------------------
BREAKDOWNS = {"indicator": ("Signs reported", labels.indicator),
              "exploitation_type": ("Type of exploitation", labels.exploitation),
              "source_type": ("Who reported", labels.source_type)}
st.subheader("What the reports say")


def bar_chart(by: str, title: str, label_of, axis_label_of=None) -> None:
    """`axis_label_of`: a shorter name for the axis than `label_of`'s, which the tooltip and the table keep:
    a half-width chart cut "GLAA (Gangmasters and Labour Abuse Authority)" to "GLAA (Gangmasters and Labour …"."""
    with ui.section(title):
        frame = connection.query("breakdown", f, by=by)
        st.markdown(f"**{title}**")
        if frame is None or frame.empty:
            # Reports can be there with no sign recorded in them (police.uk's, or a feed without indicators).
            st.caption("No signs recorded in the reports of this period." if by == "indicator"
                       else "No reports in this period.")
            return
        frame = frame.assign(axis=frame["label"].map(axis_label_of or label_of), label=frame["label"].map(label_of))
        # 28 px a bar, the axes on top of that: a fixed height for the whole chart left one bar a hairline and
        # three too little room for their labels, which Vega then hid.
        chart = (alt.Chart(frame).mark_bar()
                 .encode(x=alt.X("reports:Q", title="Reports", axis=alt.Axis(format="d", tickMinStep=1)),
                         y=alt.Y("axis:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
                         tooltip=[alt.Tooltip("label:N", title=title), alt.Tooltip("reports:Q", title="Reports")])
                 .properties(height=alt.Step(28)))
        st.altair_chart(chart)
        ui.chart_in_words(*ui.bars_in_words(frame, title), title)


bar_chart("indicator", "Signs reported", labels.indicator, labels.indicator_short)
st.caption("A report can mention several signs, so the signs add up to more than the reports.")
left, right = st.columns(2)
with left:
    bar_chart("exploitation_type", "Type of exploitation", labels.exploitation)
with right:
    bar_chart("source_type", "Who reported", labels.source_type, labels.source_type_short)

# --- nationalities and languages -----------------------------------------------------------------------------
def languages_text(value) -> str:
    """A nationality's languages as one line; none known (British) is "–", as the Map's panel says it, where this
    table left a blank cell."""
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return ", ".join(map(str, value)) or labels.NO_VALUE
    return labels.NO_VALUE if value is None or value == "" else value


st.subheader("Nationalities and the languages to bring")
with ui.section("Nationalities and languages"):
    nat = connection.query("nationality_languages", f)
    threshold = analysis_settings.min_cases()
    if nat is None or nat.empty:
        st.info("No nationality recorded in this period.")
    else:
        nat = nat.copy()
        if "cases" in nat.columns:  # a count below the privacy threshold comes as NA: say so, not "None"
            nat["cases"] = [f"{int(v):,}" if not pd.isna(v) else f"fewer than {threshold}" for v in nat["cases"]]
        if "languages" in nat.columns:
            nat["languages"] = nat["languages"].map(languages_text)
        # A phone's table wraps each cell: at 390 px the grid ran "Languages to bring" off its right edge, the
        # languages a lead reads it for.
        with ui.phone_or_grid(nat, ui.NATIONALITY_COLUMNS, "Nationalities and the languages to bring",
                              "nationalities"):
            heads = ui.NATIONALITY_COLUMNS
            st.dataframe(nat, hide_index=True, width="stretch", placeholder=labels.NO_VALUE, column_config={
                "nationality": st.column_config.TextColumn(heads["nationality"]),
                "reports": st.column_config.NumberColumn(heads["reports"],
                                                         help="Reports that mention this nationality."),
                "cases": st.column_config.TextColumn(heads["cases"], help="Potential victims of this nationality in "
                                                     f"victim cases opened in the period. Fewer than {threshold} is not "
                                                     "shown as a number: it could identify a person."),
                "languages": st.column_config.TextColumn(heads["languages"], help="Interpreter or Victim Care "
                                                         "Coordinator languages for this nationality."),
            })

# --- visits and what they found ------------------------------------------------------------------------------
st.subheader("Visits and what they found")
outcomes = records.outcomes()
if f.districts and not outcomes.empty:
    codes = connection.query("districts_of", points=visit_outcomes.points(outcomes))
    outcomes = visit_outcomes.in_districts(outcomes, codes, f)
counts = visit_outcomes.totals(outcomes, f)
if not counts["visits"]:
    st.info(f"No visit outcome recorded {'in the chosen districts ' if f.districts else ''}"
            f"between {f.date_from:%d %b %Y} and {f.date_to:%d %b %Y}. Outcomes are "
            "recorded on the Visit plans page, or loaded from a file by an analyst.")
else:
    # The follow-up actions in the words the Visit plans page records them with (operations/vocab/outcomes.toml
    # [actions]): this page said "Partner enforcement" where that one said "Enforcement by a partner".
    action = vocabulary.actions()
    shown = [("Addresses visited", "visits", "One per address and visit day, whatever was found."),
             ("Potential victims identified", "potential_victims", "People the teams treated as potential victims "
                                                                   "and offered support."),
             (action["nrm_referral"], "nrm_referral", "Visits that led to a National Referral Mechanism referral."),
             (action["safeguarding_referral"], "safeguarding_referral", "Visits that led to a safeguarding "
                                                                        "referral."),
             (action["partner_enforcement"], "partner_enforcement", "Visits after which a partner took enforcement "
                                                                    "action.")]
    row = ui.metric_row()
    for label, key, help_text in shown:
        row.metric(label, f"{counts[key]:,}", help=help_text, width="content")
    weekly_visits = visit_outcomes.weekly(outcomes, f)
    chart = visit_chart.weekly_visits(weekly_visits, f.date_from, f.date_to)
    st.altair_chart(chart, width="stretch", height=visit_chart.HEIGHT)   # the legend's rows below the plot
    if not weekly_visits.empty:
        ui.chart_in_words(*ui.visits_in_words(weekly_visits), "Visits each week")
    st.caption("Visits in the chosen dates and districts, whatever the other filters (a visit has no "
               "exploitation type, sign or source of its own).")
