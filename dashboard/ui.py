"""Small pieces every page shares: the demo banner, failure messages and number formatting."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from typing import Iterator

import duckdb
import pandas as pd
import streamlit as st

from analysis import wording
from analysis.filters import Filters
from dashboard import auth, connection, labels, state, styles
from dashboard.connection import WarehouseInfo
from dashboard.escape import html_text, markdown_text
from etl.warehouse import WarehouseError

log = logging.getLogger("hotspots.dashboard")

BANNER = ("SYNTHETIC DEMO DATA: every report, case and licence in this dashboard is made up. "
          "No real person or address is shown, and nothing here can be used for operational decisions.")
MIXED_BANNER = ("SYNTHETIC DEMO DATA MIXED WITH LOADED FILES: this is the demo warehouse, and files have been "
                "loaded into it since. Its made-up reports, cases and licences sit beside what those files hold, so "
                "nothing here can be used for operational decisions. Load real files into a warehouse of their own.")
INIT_HINT = "run `python -m etl init` to bring it up to date"


def synthetic_banner(mixed: bool = False) -> None:
    """The demo's banner on every page; once files were loaded into the demo (`mixed`), it no longer says that no
    real person or address is shown."""
    st.markdown(
        '<div role="alert" data-testid="synthetic-banner" style="background:#b71c1c;color:#fff;'
        'border-left:12px solid #ffb300;padding:0.6rem 1rem;border-radius:4px;font-weight:600;margin-bottom:0.5rem;">'
        f"{MIXED_BANNER if mixed else BANNER}</div>",  # constants: nothing from the data goes into this HTML
        unsafe_allow_html=True,
    )


def warehouse_message(info: WarehouseInfo) -> bool:
    """Explain a warehouse that can't be shown; True when the page should stop here."""
    if info.state == "missing":
        st.info("No warehouse yet: run `make run` or `python -m etl demo` to build the demo, "
                "or load files with `python -m etl load KIND FILE`.")
        st.caption(f"Looked for {markdown_text(info.path)} (set HOTSPOTS_DB to read another file).")
        return True
    if info.state == "refreshing" and not info.readable:
        st.info("The warehouse is being refreshed by a load right now. This page shows the data as soon as "
                "the load finishes: wait a moment, then press **Check again**.")
        st.button("Check again", key="check_again")
        return True
    if info.state == "unreadable" or not info.readable:
        st.error(f"The warehouse at {markdown_text(info.path)} can't be read: "
                 f"{markdown_text(info.error) if info.error else 'it is not a DuckDB warehouse'}. "
                 "Rebuild it (`python -m etl demo` for the demo), or point HOTSPOTS_DB at the right file.")
        return True
    if info.outdated:
        st.warning(f"This warehouse was made by an older version of Hotspots (schema {info.schema}), and the pages "
                   "need what a newer one adds. An analyst upgrades it in place, keeping every row, with "
                   f"`python -m etl init` (`make run` does it too); the dashboard then shows it by itself.")
        st.caption(f"The warehouse: {markdown_text(info.path)}.")
        return True
    if info.state == "refreshing":
        st.caption("A load is running: you are seeing the data from before it. The page picks up the new data "
                   "by itself once the load finishes.")
    return False


def needs_tables(info: WarehouseInfo, *tables: str) -> bool:
    """Warn about tables this page can't do without; True when the page should stop."""
    missing = info.missing(*tables)
    if missing:
        names = ", ".join(f"`{t}`" for t in missing)
        st.warning(f"The warehouse has no {names} table{'s' if len(missing) > 1 else ''}, so this page can't be "
                   f"shown: {INIT_HINT}.")
        return True
    return False


def empty_message(info: WarehouseInfo) -> bool:
    """Say that no report, case or licence is loaded, and who can change that. A viewer was told to run
    `python -m etl load` and "see the Data page": a tactical lead has neither. And boundaries or postcodes may be
    loaded already, so "nothing has been loaded" was not so."""
    if info.empty:
        how = ("Load files with `python -m etl load KIND FILE` (the Data page then shows what each load did), or "
               "build the demo with `python -m etl demo`." if auth.may_open("data") else
               "An analyst loads the files; the pages show them by themselves once loaded.")
        st.info(f"The warehouse is empty: no report, victim case or HMO licence has been loaded yet. {how}")
        return True
    return False


def outside_coverage(spans: list[tuple[dt.date, dt.date]], unit: str) -> str:
    """Why a trend leaves out periods of the dates chosen (`analysis.overview.report_coverage`)."""
    said = "; ".join(f"{a:%d %b %Y} to {b:%d %b %Y}" for a, b in spans[:3]) + (
        f"; and {len(spans) - 3} more" if len(spans) > 3 else "")
    return (f"The chart shows only the {unit}s that the loaded files speak for ({said}). Before, between and "
            "after them no file has been loaded, so the count is not known rather than zero, and no line is drawn.")


# What a warehouse without reports may hold instead, in the words the pages use (DATA_TABLES' other two).
_HELD_INSTEAD = (("hmo_licences", "HMO licences"), ("cases", "victim cases"))


def reports_loaded(info: WarehouseInfo) -> bool:
    """Whether any report file is loaded: without one, "no report in these filters" is true of every date."""
    return bool(info.rows.get("reports"))


def no_reports_loaded(info: WarehouseInfo) -> bool:
    """Say so when the warehouse holds licences or cases but no report at all (a force's first days: the
    council registers loaded before the intelligence). The pages said "no report falls in these filters" and
    "widen the dates", which sent a lead through every date for reports that were never loaded. Returns
    whether it said so."""
    if not info.readable or info.empty or reports_loaded(info):
        return False
    held = [words for table, words in _HELD_INSTEAD if info.rows.get(table)]
    st.info(f"No intelligence report has been loaded yet: the warehouse holds {' and '.join(held)} only. "
            "Hotspots, the visit list and the report charts start from reports, so other dates or filters "
            "will not fill them. An analyst loads reports with `python -m etl load reports FILE`; the pages "
            "show them by themselves once loaded.")
    return True


def no_reports_in_dates(info: WarehouseInfo, f: Filters) -> bool:
    """Say so when the dates hold no report at all but the warehouse has reports outside them, and offer
    the same number of days up to the newest report before them, or from the first one after them.

    A warehouse of older files (police.uk's archive, a register from last year) otherwise opens on an
    empty map under the default "last 90 days", which reads as "nothing is known" rather than "nothing
    is recent"; dates in a gap between two files read the same. The dates are not moved by themselves:
    an empty recent window is news a lead must see. Returns whether it said so.
    """
    if no_reports_loaded(info):
        return True
    if info.reports_span is None:
        return False
    first, newest = info.reports_span
    if newest < f.date_from:
        before, after = newest, None
        st.info(f"No report was received in these dates. The newest report in the warehouse was received on "
                f"{newest:%d %b %Y}, {wording.age((f.date_from - newest).days)} before they start.")
    elif f.date_to < first:
        before, after = None, first
        st.info(f"No report was received in these dates. The first report in the warehouse was received on "
                f"{first:%d %b %Y}, {wording.age((first - f.date_to).days)} after they end.")
    else:
        around = connection.query("reports_around", date_from=f.date_from, date_to=f.date_to)
        if around is None:
            return False
        before, after = around
        st.info(f"No report was received in these dates: they fall between the files loaded. The nearest reports "
                f"were received on {before:%d %b %Y} and on {after:%d %b %Y}.")
    shown = connection.query("reported_dates", before=before, after=after, days=f.days)
    for key, (start, end) in zip(("show_reported_dates", "show_reported_dates_after"), shown):
        st.button(f"Show {start:%d %b %Y} to {end:%d %b %Y} instead", key=key, on_click=state.show_dates,
                  args=(start, end))
    return True


def _an_analyst_loads(what: str, command: str) -> str:
    """Who can place the reports, in words the reader can act on: an analyst gets the command, a viewer (who has
    no shell and no Data page) is told that an analyst loads it. Loading it places the reports already loaded."""
    if auth.may_open("data"):
        return f"Load {what} with `{command}`: the reports already loaded are placed by it."
    return f"An analyst loads {what}; the pages then place the reports already loaded by themselves."


def reference(info: WarehouseInfo):
    """The boundaries and postcode lookup loaded (`analysis.placing.reference`), or None where there is nothing to
    say them about: no readable warehouse, or no report loaded."""
    if not info.readable or not reports_loaded(info):
        return None
    return connection.query("reference")


def no_districts(info: WarehouseInfo) -> str | None:
    """Why every report, or every report in some districts, is in "Unknown district": no district boundary is loaded
    and no postcode lookup names districts, or the boundaries loaded are some districts' only. Beside it, "Cambridge
    0" read as a count of reports when no report could be in Cambridge."""
    ref = reference(info)
    if ref is None:
        return None
    if not ref.districts_known:
        return ("No district boundaries are loaded (nor a postcode lookup that names districts), so no report can be "
                "placed in a district: every report counts under Unknown district, and no district's own count is "
                "known. " + _an_analyst_loads("the district boundaries", "python -m etl load boundaries FILE"))
    if ref.districts_missing:
        return _some_districts_only(ref)
    return None


def _some_districts_only(ref) -> str:
    """Boundaries for some districts only: a point in another is flagged outside the area, so those districts hold no
    report; they are not offered under District and the trend draws no line for them."""
    have = _and_listed(tuple(labels.district(c) for c in ref.districts))
    missing = _and_listed(tuple(labels.district(c) for c in ref.districts_missing), "or")
    return (markdown_text(f"District boundaries are loaded for {have} only, so a report in {missing} is in no loaded "
                          "district: it counts under Unknown district, flagged as outside the force area")
            + ". Those districts' counts are not known, so they are not offered under District and the trend draws no "
              "line for them. "
            + _an_analyst_loads("the boundaries of all six districts", "python -m etl load boundaries FILE"))


def no_postcode_lookup(info: WarehouseInfo, with_postcode: int) -> str | None:
    """Why reports with a postcode are off the map, when no postcode lookup is loaded to give them a position."""
    ref = reference(info)
    if ref is None or ref.postcodes or not with_postcode:
        return None
    return (f"No postcode lookup is loaded, so {'the report' if with_postcode == 1 else f'the {with_postcode:,} reports'}"
            f" with only a postcode {'has' if with_postcode == 1 else 'have'} no position. "
            + _an_analyst_loads("a postcode lookup", "python -m etl load postcodes FILE"))


def _and_listed(names: tuple[str, ...], last: str = "and") -> str:
    """"A, B and C" (or "A, B or C")."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def hotspot_area_note(info: WarehouseInfo, f: Filters) -> str | None:
    """Where the hotspot statistics judge the districts with reports against districts no report file covers
    (`analysis.placing.districts_without_reports`): their hexagons count as zero reports, which makes the others look
    hotter. Said only when the District filter takes such a district in; the method is not changed."""
    if not info.readable or not reports_loaded(info) or "boundaries" not in info.tables:
        return None
    cover = connection.query("districts_without_reports", districts=f.districts)
    if cover is None or not cover.uneven:
        return None
    empty, held = _and_listed(cover.without_reports), _and_listed(cover.with_reports)
    return (f"No loaded report is placed in {markdown_text(empty)}, yet {'its' if len(cover.without_reports) == 1 else 'their'}"
            f" hexagons count as zero reports in the hotspot statistics, so hot spots in {markdown_text(held)} are "
            f"judged partly against areas no report file covers. To compare within the districts with reports, choose "
            f"{markdown_text(held)} under District.")


_MISSING_TABLE = re.compile(r"Table with name (\w+) does not exist", re.IGNORECASE)


@contextlib.contextmanager
def section(what: str) -> Iterator[None]:
    """Run one part of a page; a failure becomes a plain message under `what`, never a traceback."""
    try:
        yield
    except duckdb.CatalogException as exc:
        match = _MISSING_TABLE.search(str(exc))
        table = f"`{match.group(1)}` table" if match else "table it needs"
        st.warning(f"{what} can't be shown: the warehouse has no {table}: {INIT_HINT}.")
    except WarehouseError as exc:
        st.error(f"{what} can't be shown: {markdown_text(exc)}. If a load is running, wait a moment and reload "
                 "the page.")
    except duckdb.Error as exc:
        log.exception("query failed: %s", what)
        st.error(f"{what} can't be shown: the warehouse could not answer ({type(exc).__name__}: "
                 f"{markdown_text(str(exc).strip().splitlines()[0]) if str(exc).strip() else 'no detail'}).")
    except Exception as exc:  # noqa: BLE001 - an unexpected bug must not print a traceback to the user
        log.exception("section failed: %s", what)
        st.error(f"{what} can't be shown because of an error in the dashboard ({type(exc).__name__}). "
                 "The details are in the server log.")


def narrow_screen_styles() -> None:
    """The page's CSS for phones (dashboard/static/narrow.css): which of a table and its cards is shown."""
    styles.add("narrow.css")


def doors_html(rows: pd.DataFrame) -> str:
    """Addresses as cards a phone shows whole, one under the other, with why each is where it is, the language
    support and the last visit: at 390 px a table shows the rank, the address and part of the district, and
    the rest is off the right edge. Every value is escaped: addresses and reasons come from reporters' text.

    `rows` has the visit list's own column names (rank, address, district, reasons, languages, last_visit,
    licence_status, score); the ones it lacks are left out."""
    def text(row, column) -> str:
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip() == "":
            return ""
        return html_text(value)

    cards = []
    for row in rows.to_dict("records"):
        heading = f"{text(row, 'rank')}. {text(row, 'address') or '(no address)'}"
        said = [(label, text(row, column) or html_text(blank)) for label, column, blank in DOOR_FACTS
                if column in rows.columns]
        cards.append(f'<article class="hs-door" aria-label="{heading}"><h4>{heading}</h4>'
                     + "".join(f'<p><span class="hs-what">{label}:</span> {value}</p>'
                               for label, value in said if value)
                     + "</article>")
    return "".join(cards)


# The Overview's and the Map panel's nationality tables: column → heading, in the grid and in a phone's table.
NATIONALITY_COLUMNS = {"nationality": "Nationality", "reports": "Reports", "cases": "Victim cases",
                       "languages": "Languages to bring"}


@contextlib.contextmanager
def phone_or_grid(rows: pd.DataFrame, columns: dict[str, str], caption: str, name: str) -> Iterator[None]:
    """`rows` as a table whose cells wrap on a phone (`phone_table_html`), and as the grid drawn inside the `with`
    on a wider screen: narrow.css shows one of the two, at the width where Streamlit stacks its columns."""
    narrow_screen_styles()
    with st.container(key=f"phone_view_{name}"):
        st.html(phone_table_html(rows, columns, caption))
    with st.container(key=f"wide_view_{name}"):
        yield


def phone_table_html(rows: pd.DataFrame, columns: dict[str, str], caption: str) -> str:
    """`rows`' `columns` (column → heading) as an HTML table whose cells wrap, for a phone: Streamlit's grid keeps
    each cell on one line and runs the last columns off a 390 px screen. Every value is escaped (nationalities
    come from reporters' text); a missing one is shown as nothing."""
    shown = [c for c in columns if c in rows.columns]
    head = "".join(f'<th scope="col">{html_text(columns[c])}</th>' for c in shown)
    body = "".join("<tr>" + "".join(f"<td>{html_text(row.get(c))}</td>" for c in shown) + "</tr>"
                   for row in rows.to_dict("records"))
    return (f'<table class="hs-table"><caption>{html_text(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


DOOR_FACTS = [("Why", "reasons", ""), ("Language support", "languages", "none identified"),
              ("Last visit", "last_visit", "none on record"), ("HMO licence", "licence_status", ""),
              ("District", "district", "")]   # (label, visit list column, said when blank; "" leaves it out)


def _n(count, one: str, many: str | None = None) -> str:
    return f"{int(count):,} {one if int(count) == 1 else (many or one + 's')}"


def trend_in_words(counts: pd.DataFrame, unit: str) -> tuple[str, pd.DataFrame]:
    """What the Overview's trend chart shows, as a sentence and as a table (a row per week or month, a column per
    district): Vega gives a screen reader "line chart" and little else, and a lead without the colours can't
    follow seven lines. `counts` has `period` (dates), `district` (names) and `reports`."""
    when = "%b %Y" if unit == "month" else "%d %b %Y"
    per_period = counts.groupby("period")["reports"].sum().sort_index()
    by_district = counts.groupby("district")["reports"].sum().sort_values(ascending=False, kind="stable")
    total = int(per_period.sum())
    busiest = per_period.idxmax()
    sentence = (f"In words: {_n(total, 'report')} over the {_n(len(per_period), unit)} drawn. The most in one {unit}: "
                f"{int(per_period.max()):,}, in the {unit} {'of' if unit == 'month' else 'beginning'} "
                f"{pd.Timestamp(busiest).strftime(when)}.")
    if len(per_period) >= 4:
        half = len(per_period) // 2
        earlier, later = int(per_period.iloc[:half].sum()), int(per_period.iloc[-half:].sum())
        change = "more than" if later > earlier else "fewer than" if later < earlier else "the same as"
        sentence += (f" The last {_n(half, unit)} had {later:,}, {change} the {earlier:,} of the first {half}.")
    sentence += " By district: " + ", ".join(f"{d} {int(n):,}" for d, n in by_district.items()) + "."
    table = (counts.pivot_table(index="period", columns="district", values="reports", aggfunc="sum", fill_value=0)
             .reindex(columns=list(by_district.index)).sort_index())
    table["All districts"] = table.sum(axis=1)
    table.index = [pd.Timestamp(p).strftime(when) for p in table.index]
    table = table.astype(int).rename_axis("Month" if unit == "month" else "Week beginning").reset_index()
    return sentence, table


def bars_in_words(frame: pd.DataFrame, title: str, shown: int = 3) -> tuple[str, pd.DataFrame]:
    """A bar chart of `label` and `reports` as a sentence naming the largest bars, and as a table of them all."""
    ordered = frame.sort_values("reports", ascending=False, kind="stable")
    top = "; ".join(f"{label} {int(n):,}" for label, n in zip(ordered["label"].head(shown), ordered["reports"]))
    rest = len(ordered) - shown
    sentence = f"In words, the most reports: {top}" + (f"; and {rest:,} more in the table." if rest > 0 else ".")
    table = ordered[["label", "reports"]].rename(columns={"label": title, "reports": "Reports"})
    return sentence, table.astype({"Reports": int})


def visits_in_words(weekly: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The Overview's chart of visits (`week`, `outcome`, `visits`) as a sentence and a table, a row per week."""
    by_outcome = weekly.groupby("outcome")["visits"].sum().sort_values(ascending=False, kind="stable")
    per_week = weekly.groupby("week")["visits"].sum().sort_index()
    # "by what each found": the counts are visits, not people ("Potential victims identified 1" sat under a
    # headline of 2, the people found on that one visit).
    sentence = (f"In words: {_n(per_week.sum(), 'visit')} in {_n(len(per_week), 'week')}, by what each found: "
                + ", ".join(f"{outcome} {int(n):,}" for outcome, n in by_outcome.items())
                + f". The most in one week: {int(per_week.max()):,}, in the week beginning "
                  f"{pd.Timestamp(per_week.idxmax()):%d %b %Y}.")
    table = (weekly.pivot_table(index="week", columns="outcome", values="visits", aggfunc="sum", fill_value=0)
             .reindex(columns=list(by_outcome.index)).sort_index())
    table.index = [f"{pd.Timestamp(w):%d %b %Y}" for w in table.index]
    return sentence, table.astype(int).rename_axis("Week beginning").reset_index()


def chart_in_words(sentence: str, table: pd.DataFrame, what: str) -> None:
    """Under a chart: what it shows in words, and its numbers in a table a screen reader can walk (st.table is
    HTML; st.dataframe is drawn on a canvas). Names in it are ours or escaped."""
    st.caption(markdown_text(sentence))
    with st.expander(f"{what}: the numbers"):
        shown = table.copy()
        shown.columns = [markdown_text(c) for c in shown.columns]
        for column in shown.columns:
            if shown[column].dtype == object:
                shown[column] = shown[column].map(markdown_text)
        st.table(shown, hide_index=True)


def metric_row():
    """A row for st.metric that wraps, each metric as wide as its label: in equal columns six labels on a
    laptop were cut short ("Addresses of c…"), and a label's help is no place for its name."""
    return st.container(horizontal=True, gap="medium")


def period(f: Filters) -> str:
    return f"{f.date_from:%d %b %Y} to {f.date_to:%d %b %Y} ({f.days} days)"


def _listed(values, label=str) -> str:
    """Filter values, named and escaped one by one: they come from the page's address, and a shared link
    must not put a link, an image to fetch or emphasis into the caption of whoever opens it."""
    return ", ".join(markdown_text(label(v)) for v in values)


def filter_summary(f: Filters) -> str:
    """One line of markdown saying what the filters narrow, for captions under page titles; every value in
    it is escaped text (see `_listed`)."""
    parts = [period(f)]
    if f.districts:
        parts.append(_listed(f.districts, labels.district))
    if f.exploitation_types:
        parts.append(_listed(f.exploitation_types, labels.exploitation) + " exploitation")
    if f.indicators:
        parts.append(f"{len(f.indicators)} indicator{'s' if len(f.indicators) > 1 else ''}")
    if f.source_types:
        parts.append("reported by " + _listed(f.source_types, labels.source_type))
    if f.nationalities:
        parts.append(_listed(f.nationalities))
    return "Showing " + " · ".join(parts)


def date_text(value) -> str:
    if value is None:
        return "never"
    try:
        if pd.isna(value):
            return "never"
    except (TypeError, ValueError):
        pass
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{pd.Timestamp(value):%d %b %Y}"
    return str(value)
