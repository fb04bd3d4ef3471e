"""The Overview's chart of visits each week, by what they found.

Drawn as the reports' trend is: the whole of the dates chosen, ticks on the Mondays the weeks begin ("30 Nov").
With Vega's own axis one week of visits was a hairline across the full width, its only tick "Mon 30"."""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from analysis.overview import period_start
from operations import vocabulary

MAX_TICKS = 12
PLOT_HEIGHT = 220
# The whole chart: the plot, its axis, and the legend's row per outcome below it. Streamlit draws a chart in a
# height of its own; given the plot's alone, the legend squeezed the bars to a line along the axis.
HEIGHT = PLOT_HEIGHT + 60 + 20 * (1 + len(vocabulary.outcomes()))


def _outcome_colours() -> alt.Scale:
    """Each outcome in the colour the map's visited squares use (operations/vocab): "potential victims" is the
    same magenta on both pages, never a default blue that the map gives to no concerns' neighbours."""
    kinds = vocabulary.outcomes().values()
    return alt.Scale(domain=[k["label"] for k in kinds], range=[k["colour"] for k in kinds])


def _mondays(date_from: dt.date, date_to: dt.date) -> list[alt.DateTime]:
    first, last = period_start(date_from, "week"), period_start(date_to, "week")
    weeks = pd.date_range(first, last, freq="7D")
    step = max(1, -(-len(weeks) // MAX_TICKS))
    return [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in weeks[::step]]


def weekly_visits(weekly: pd.DataFrame, date_from: dt.date, date_to: dt.date) -> alt.Chart:
    """`weekly` (week, outcome, visits, potential_victims; analysis.visit_outcomes.weekly) as stacked bars a week
    wide, over every week of the dates chosen, so a week without visits shows as the gap it is."""
    frame = weekly.assign(week=pd.to_datetime(weekly["week"]))
    frame = frame.assign(week_end=frame["week"] + pd.Timedelta(days=6))   # a day's gap between weeks
    # Stacked here: with the week's span on x, Vega-Lite laid the bars along x, each a line at its count.
    top = frame.groupby("week")["visits"].cumsum()
    frame = frame.assign(top=top, bottom=top - frame["visits"])
    domain = [period_start(date_from, "week").isoformat(),
              (period_start(date_to, "week") + dt.timedelta(days=7)).isoformat()]
    return (alt.Chart(frame).mark_bar()
            .encode(x=alt.X("week:T", title="Week beginning", scale=alt.Scale(domain=domain),
                            axis=alt.Axis(values=_mondays(date_from, date_to), format="%d %b", labelAngle=0)),
                    x2="week_end:T",
                    y=alt.Y("bottom:Q", title="Visits", axis=alt.Axis(format="d", tickMinStep=1)),
                    y2="top:Q",
                    color=alt.Color("outcome:N", title="What the visit found", scale=_outcome_colours(),
                                    legend=alt.Legend(orient="bottom", columns=1, labelLimit=320)),
                    tooltip=[alt.Tooltip("week:T", title="Week beginning", format="%d %b %Y"),
                             alt.Tooltip("outcome:N", title="What the visit found"),
                             alt.Tooltip("visits:Q", title="Visits"),
                             alt.Tooltip("potential_victims:Q", title="Potential victims")])
            .properties(height=PLOT_HEIGHT))
