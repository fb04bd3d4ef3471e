"""The shared filters: Filters ↔ st.session_state (the sidebar widgets) ↔ st.query_params (the URL).

On a session's first run (and whenever the widgets' state is missing) they are seeded from the URL, so a shared link reproduces the
view. On every run after that the widgets are the truth, and the URL is rewritten from them when it says
something else (`write_url`).
The sidebar is drawn by the entry script (app.py) on every run, whatever the page, so the
filters persist across pages.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from analysis.filters import NO_DISTRICT, Filters
from dashboard import labels, styles
from dashboard.escape import markdown_text

LAST_DATES = "_filters_last_dates"
KEYS = {  # Filters field → widget key
    "districts": "f_districts",
    "exploitation_types": "f_exploitation",
    "indicators": "f_indicators",
    "source_types": "f_source_types",
    "nationalities": "f_nationalities",
}
DATES = "f_dates"
EARLIEST = dt.date(1990, 1, 1)  # the ETL rejects older dates as typos


@dataclass(frozen=True)
class Options:
    """What each multi-select offers: stored values, in display order."""
    districts: tuple[str, ...] = ()
    exploitation_types: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    source_types: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()


def today() -> dt.date:
    return dt.date.today()


def url_params() -> dict[str, str]:
    """The address's parameters, a repeated one joined as a list (`district=A&district=B` is both, as
    `district=A,B`; a plain dict keeps only the last)."""
    return {key: ",".join(st.query_params.get_all(key)) for key in st.query_params}


def _seed_from_url() -> None:
    """Copy the URL's filters into the widgets' state, once per session."""
    f = Filters.from_params(url_params(), today())
    st.session_state[DATES] = (f.date_from, f.date_to)
    st.session_state[LAST_DATES] = (f.date_from, f.date_to)
    for field, key in KEYS.items():
        st.session_state[key] = list(getattr(f, field))
    st.session_state[KEYS["districts"]] = district_codes(f.districts)


def district_codes(values: tuple[str, ...]) -> list[str]:
    """A link written by hand may name a district as people do ("Fenland", "Unknown district") where the sidebar
    writes its code: each is read as its code, so the link shows that district instead of nothing at all."""
    by_name = {name.casefold(): code for code, name in labels.districts().items()}
    by_name[labels.UNKNOWN_DISTRICT.casefold()] = NO_DISTRICT
    return sorted({by_name.get(v.strip().casefold(), v) for v in values})


def not_offered(options: Options) -> list[str]:
    """The chosen filter values this warehouse has no rows for (a link's typo, or a value since removed), as a
    tactical lead reads them: a filter on one of them matches nothing, and the page's zeros would say
    "none here" when the link is what is wrong."""
    shown = {"districts": labels.district, "exploitation_types": labels.exploitation, "indicators": labels.indicator,
             "source_types": labels.source_type, "nationalities": str}
    return [shown[field](v) for field, key in KEYS.items()
            for v in st.session_state.get(key) or [] if v not in getattr(options, field)]


def current() -> Filters:
    """The filters as the widgets hold them now (the defaults before the sidebar is first drawn)."""
    if DATES not in st.session_state:
        _seed_from_url()
    dates = st.session_state.get(DATES) or st.session_state.get(LAST_DATES)
    if not isinstance(dates, (tuple, list)) or len(dates) != 2:
        # A date range half picked (start chosen, end not yet): keep the last complete range.
        dates = st.session_state.get(LAST_DATES) or (Filters.default(today()).date_from, today())
    date_from, date_to = sorted(dates)
    lists = {field: tuple(sorted({str(v) for v in (st.session_state.get(key) or [])})) for field, key in KEYS.items()}
    return Filters(date_from=date_from, date_to=date_to, **lists)


def write_url(f: Filters, keep: tuple[str, ...] = ()) -> None:
    """Make the URL say what the page shows, so it can be copied and shared; `keep` names the page's own
    parameters (the Visit plans page's `plan`), which stay as they are.

    An address that already says it, in fewer words, is left alone: the browser adds a history entry for every
    rewrite, so a shared `?district=…` link (no dates: the last 90 days) spelled out on its first run took two
    presses of Back to leave. Once a filter changes, the whole view is written, dates included."""
    have = url_params()
    wanted = {**f.to_params(), **{k: have[k] for k in keep if k in have}}
    if have != wanted and not says_the_same(have, wanted):
        st.query_params.from_dict(wanted)


def says_the_same(have: dict[str, str], wanted: dict[str, str]) -> bool:
    """Whether an address's parameters show the view `wanted` spells out: every one it has is as `wanted` writes
    it, and the ones it leaves out are the default dates."""
    default = Filters.default(today()).to_params()
    return (all(wanted.get(key) == value for key, value in have.items())
            and all(key in ("from", "to") and wanted[key] == default[key] for key in wanted.keys() - have.keys()))


def reset() -> None:
    """on_click of "Reset filters": the last 90 days, everything else cleared."""
    f = Filters.default(today())
    st.session_state[DATES] = (f.date_from, f.date_to)
    st.session_state[LAST_DATES] = (f.date_from, f.date_to)
    for key in KEYS.values():
        st.session_state[key] = []


def show_dates(date_from: dt.date, date_to: dt.date) -> None:
    """on_click of a button that moves the date filter (every other filter stays as it is)."""
    st.session_state[DATES] = (date_from, date_to)
    st.session_state[LAST_DATES] = (date_from, date_to)


def _with_selected(options: tuple[str, ...], key: str) -> list[str]:
    """The options plus anything already selected (a link may name a value this warehouse lacks):
    a multiselect refuses a selected value that is not among its options."""
    out = list(options)
    for value in st.session_state.get(key) or []:
        if value not in out:
            out.append(value)
    return out


def sidebar(options: Options, districts_note: str | None = None) -> Filters:
    """Draw the filter widgets (call inside `with st.sidebar:`) and return the filters they give. `districts_note`
    says under the District filter why it offers no district, or only some (`ui.no_districts`)."""
    if DATES not in st.session_state:  # first run, or the sidebar was hidden last run (its state was dropped)
        _seed_from_url()
    t = today()
    chosen = st.session_state.get(DATES)
    chosen = tuple(d for d in chosen if isinstance(d, dt.date)) if isinstance(chosen, (tuple, list)) else ()
    styles.add("sidebar.css")     # a chosen value wraps, never cut off
    st.header("Filters")
    st.caption("Every page uses these filters. The page's address (URL) keeps them, so you can share the view.")
    dates = st.date_input(
        "Reports received between", key=DATES, min_value=EARLIEST, max_value=max(t, *chosen),
        format="DD/MM/YYYY",
        help="Reports, cases and visits counted on every page fall between these dates (inclusive). "
             "The default is the last 90 days.")
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        st.session_state[LAST_DATES] = tuple(dates)
    else:
        st.caption("Pick the end date too; until then the previous range is used.")

    st.multiselect("Districts", _with_selected(options.districts, KEYS["districts"]), key=KEYS["districts"],
                   format_func=labels.district_short, placeholder="All districts",
                   help="Only reports, cases and HMO licences in these districts. Empty means all: the six "
                        "districts and the rows in none. \"Unknown district\" picks those: rows not placed (no "
                        "usable location) or flagged (outside the area, or coordinates that look swapped).")
    if districts_note:
        st.caption(districts_note)
    st.multiselect("Exploitation types", _with_selected(options.exploitation_types, KEYS["exploitation_types"]),
                   key=KEYS["exploitation_types"], format_func=labels.exploitation, placeholder="All types",
                   help="The kind of exploitation a report or case describes. Empty means all.")
    st.multiselect("Indicators seen", _with_selected(options.indicators, KEYS["indicators"]),
                   key=KEYS["indicators"], format_func=labels.indicator_short, placeholder="Any indicator",
                   help="Reports that mention at least one of these signs, by the short names the Overview's "
                        "\"Signs reported\" chart uses (the sidebar cut the full ones off). Cases have no "
                        "indicators, so this filter does not narrow them.")
    st.multiselect("Who reported", _with_selected(options.source_types, KEYS["source_types"]),
                   key=KEYS["source_types"], format_func=labels.source_type_short, placeholder="All report sources",
                   help="The kind of organisation or person a report came from, by the short names the Overview's "
                        "\"Who reported\" chart uses (GLAA: the Gangmasters and Labour Abuse Authority; NCA: the "
                        "National Crime Agency). Cases are not narrowed by it.")
    st.multiselect("Nationalities", _with_selected(options.nationalities, KEYS["nationalities"]),
                   key=KEYS["nationalities"], placeholder="All nationalities",
                   help="Reports that mention at least one of these nationalities, and cases of these nationalities.")
    unknown = not_offered(options)
    if unknown:
        st.warning("No row in this warehouse has " + ", ".join(f"“{markdown_text(v)}”" for v in unknown)
                   + ": filtering on it matches nothing. Remove it from the filters above to see the rows.")
    f = current()
    if not f.is_default(t):
        st.button("Reset filters", on_click=reset, help="Back to the last 90 days, with every other filter cleared.")
    return f


KEPT = "_kept_"


def restore(*keys: str) -> None:
    """Put back the values a page's own controls had when the lead last left the page. Streamlit drops a widget's
    state on every run that does not draw it, so going to the Overview and back reset the map's hexagon size
    and layers. Call before drawing the widgets, and `remember` after."""
    for key in keys:
        if key not in st.session_state and KEPT + key in st.session_state:
            st.session_state[key] = st.session_state[KEPT + key]


def remember(*keys: str) -> None:
    """Keep the values of a page's controls under keys of their own, which no run drops (see `restore`)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[KEPT + key] = st.session_state[key]
