"""Data: what is loaded, from whom, how fresh it is, and what was rejected or could not be placed."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analysis import data_health
from analysis import spreadsheets as exports
from dashboard import auth, connection, downloads, escape, labels, state, ui
from dashboard import warehouse_view as view

auth.require("data")  # the role is checked on every run, whatever the address (viewers never get here)
st.title("Data")
st.caption("What the warehouse holds, source by source, and how far to trust it. The sidebar filters do not "
           "apply here.")
today = state.today()
SHOWN_ROWS = 2000  # on screen; the download has every rejected row of the load


def _load_label(load) -> str:
    when = data_health.uk_time(load.loaded_at)
    when = f"{when:%d %b %Y %H:%M}" if pd.notna(when) else str(load.loaded_at)
    failed = ", the whole file refused" if load.status == "failed" else ""
    return (f"{labels.kind(load.kind)} from {load.source} · {load.file_name} · {when} · "
            f"{load.rejected:,} rejected{failed}{_since(load)} (load {load.load_id})")


def _since(load) -> str:
    """What later loads did about a load's rejects: '' when all are still to fix, else e.g. ', 2 outstanding,
    9 since loaded' or ', superseded by load 9'."""
    if load.outstanding == load.rejected:
        return ""
    parts = [f"{load.outstanding:,} outstanding"] if load.outstanding else ["none outstanding"]
    if load.since_loaded:
        parts.append(f"{load.since_loaded:,} since loaded")
    if load.superseded:
        parts.append(f"{'the others ' if load.since_loaded else ''}superseded by load {int(load.superseded_by)}")
    return ", " + ", ".join(parts)


LOADED = ["kind", "source", "file_name", "files", "last_load", "age_days", "newest", "rows"]
QUALITY = ["kind", "source", "rejected", "not_geocoded", "failed_attempts_since", "top_reasons"]


def _present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in frame.columns]


_LOADED_COLUMNS = {
    "kind": st.column_config.TextColumn("What"),
    "source": st.column_config.TextColumn("Source", help="Who the file came from."),
    "file_name": st.column_config.TextColumn("Latest file", help="The file of the last successful load."),
    "files": st.column_config.NumberColumn("Files", help="Files of this source loaded. Each file of reports "
                                           "or cases adds to the ones before (a police.uk month each), so "
                                           "the source holds them all; a register replaces the one before."),
    "last_load": st.column_config.DatetimeColumn("Last load", format="DD/MM/YYYY HH:mm",
                                                 help="When the last successful load finished, in UK time (BST "
                                                      "in summer)."),
    "age_days": st.column_config.NumberColumn("Days old", help="Days since the last successful load."),
    "newest": st.column_config.TextColumn("Newest record",
                                          help="Reports: the newest one's date received. Cases: the newest "
                                               "one's date opened. HMO registers: the newest licence's "
                                               "start. A source is only as fresh as this."),
    "rows": st.column_config.NumberColumn("Rows", help="Rows this source holds in the warehouse now."),
}
_QUALITY_COLUMNS = {
    "kind": _LOADED_COLUMNS["kind"],
    "source": _LOADED_COLUMNS["source"],
    "rejected": st.column_config.NumberColumn("Rejected", help="Rows of the last load that failed a check "
                                              "and were not loaded (see them under Rejected rows)."),
    "not_geocoded": st.column_config.NumberColumn("Not on the map", help="Rows kept in the warehouse that "
                                                  "no map draws: no position could be found, or the position "
                                                  "is outside the force area or its coordinates look swapped "
                                                  "(see each load's notes)."),
    "failed_attempts_since": st.column_config.NumberColumn(
        "Failed loads since", help="Later load attempts that failed and changed nothing."),
    "top_reasons": st.column_config.TextColumn("Main reasons for rejects", width=360),
}


def _replaced_note(replaced: pd.DataFrame) -> str:
    """Why a source is not in the table: listed with 0 rows, one a later file replaced read as a load that failed
    or came empty. Named, not hidden; `etl status` lists it with its loads still."""
    named = "; ".join(f"{escape.markdown_text(labels.kind(r.kind))} from {escape.markdown_text(r.source)}, replaced "
                      f"by {escape.markdown_text(r.replaced_by)} on {ui.date_text(r.replaced_on)}"
                      for r in replaced.itertuples(index=False))
    return (f"Not listed, as a later file of another source replaced every row they held: {named}. "
            "`python -m etl status` still lists them, with their loads.")


def _rejected_rows() -> None:
    """One load's rejected rows with the raw values from the file, and a CSV of them (audited). The loads listed
    are those with rows still to fix; the rest (every row since loaded by a later load of the source, or of a
    register a later one superseded) on request."""
    loads = connection.query("reject_loads")
    if loads is None or loads.empty:
        st.success("No load has rejected rows.")
        return
    done = loads[loads["outstanding"] == 0]
    if len(done):
        every = st.toggle(f"Also the {len(done):,} load(s) with nothing left to fix", key="rejects_all_loads",
                          help="Loads every rejected row of which a later load of the same source has since "
                               "loaded (a corrected file), or whose HMO register a later one superseded.")
        if not every:
            loads = loads[loads["outstanding"] > 0]
    if loads.empty:
        st.success(f"No rejected row is left to fix: later loads of their sources loaded or superseded all "
                   f"{int(done['rejected'].sum()):,}.")
        return
    by_id = {int(load.load_id): load for load in loads.itertuples(index=False)}
    chosen = st.selectbox("Load", list(by_id), format_func=lambda i: _load_label(by_id[i]), key="rejects_load",
                          help="Every load with rejected rows still to fix, newest first.")
    load = by_id[chosen]
    rows = connection.query("rejected_rows", load_id=chosen, limit=SHOWN_ROWS)
    st.caption("Each row as it was in the file, with why it was rejected, and whether it is still to fix "
               "(outstanding), or a later load of the same source has since loaded it or superseded the register. "
               "Row numbers count from the top of the file, header included."
               + (f" The first {SHOWN_ROWS:,} of {load.rejected:,} are shown; the download has them all."
                  if load.rejected > SHOWN_ROWS else ""))
    st.dataframe(rows, hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                 column_config={  # plain text cells: nothing renders
        "row_number": st.column_config.NumberColumn("Row", width="small"),
        "reasons": st.column_config.TextColumn("Why it was rejected", width="large"),
        "now": st.column_config.TextColumn("Now", help="outstanding: still to fix. since loaded (load N): load N, "
                                                       "of the same source, stored its reference. superseded by "
                                                       "load N: a later register of the source replaced this one."),
    })
    everything = connection.query("rejected_rows", load_id=chosen) if load.rejected > SHOWN_ROWS else rows
    # Built, and audited, only when clicked (auth.audited_export): no file waits at a /media/ address.
    st.download_button(
        "Download the rejected rows (CSV)",
        auth.audited_export(lambda: exports.to_csv(everything), "data",
                            {"load_id": chosen, "kind": load.kind, "source": load.source, "file": load.file_name,
                             "format": "csv"}, "rejects", len(everything)),
        file_name=downloads.file_name(f"rejects-load-{chosen}.csv"), mime="text/csv", key="rejects_download", on_click="ignore",
        help="Opens in Excel. Text that a spreadsheet could run as a formula is made plain.")


info = connection.inspect()
if ui.warehouse_message(info) or ui.needs_tables(info, "loads"):
    st.stop()

# --- sources -------------------------------------------------------------------------------------------------
st.subheader("Sources loaded")
with ui.section("The sources"):
    health = connection.query("source_health", today=today)
    if health is None or health.empty:
        st.info("Nothing has been loaded yet: load files with `python -m etl load KIND FILE`, "
                "or build the demo with `python -m etl demo`.")
    else:
        replaced = health[health["replaced_by"].notna()]
        health = health[health["replaced_by"].isna()]
        for row in health.itertuples(index=False):
            warning = getattr(row, "warning", None)
            if isinstance(warning, str) and warning.strip():
                st.warning(escape.markdown_text(warning))   # names a source as the analyst typed it: not markdown
        shown = health.copy()
        shown["kind"] = shown["kind"].map(labels.kind)
        # Registers, postcodes and boundaries have no events to date: blank, not a grey "None" to misread.
        shown["newest"] = [ui.date_text(d) if pd.notna(d) else (n if isinstance(n, str) else "")
                           for d, n in zip(shown["newest"], shown["newest_note"])]
        if "top_reasons" in shown.columns:
            shown["top_reasons"] = shown["top_reasons"].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) or hasattr(v, "tolist")
                else ("" if v is None or v != v else v))      # no rejects: blank, not a grey "None"
        # Two tables, not one of twelve columns: one wide enough for every question scrolled sideways on a
        # laptop, and the rejects' columns, what an analyst looks for first, were the ones out of sight.
        st.dataframe(shown[_present(shown, LOADED)], hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                     column_config=_LOADED_COLUMNS)
        if len(replaced):
            st.caption(_replaced_note(replaced))
        st.markdown("**Rows not loaded, or not on the map**")
        st.dataframe(shown[_present(shown, QUALITY)], hide_index=True, width="stretch", placeholder=labels.NO_VALUE,
                     column_config=_QUALITY_COLUMNS)
        noted = [(r.kind, r.source, r.notes) for r in health.itertuples(index=False)
                 if isinstance(getattr(r, "notes", None), str) and r.notes.strip()]
        if noted:
            with st.expander(f"What the last load of each source noted ({len(noted)})"):
                for kind, source, notes in noted:
                    st.markdown(f"**{escape.markdown_text(labels.kind(kind))} from "
                                f"{escape.markdown_text(source)}**\n\n"
                                + "\n".join(f"- {escape.markdown_text(n)}" for n in notes.splitlines() if n.strip()))
        st.caption("Rejected rows are not in the warehouse: see them under Rejected rows below (or with "
                   "`python -m etl rejects`), fix them in the original file and load it again. Rows not on the "
                   "map still count in the totals.")

# --- rejected rows -------------------------------------------------------------------------------------------
if auth.may("rejects") and "rejects" in info.tables:
    st.subheader("Rejected rows")
    with ui.section("The rejected rows"):
        _rejected_rows()

# --- the warehouse file --------------------------------------------------------------------------------------
st.subheader("The warehouse")
with ui.section("The warehouse file"):
    counts = connection.query("row_counts")  # the same version of the file as the table above
    row = ui.metric_row()
    for table, count in counts.items():
        row.metric(view.COUNTED_TABLES[table], "missing" if count is None else f"{count:,}",
                   help=f"Rows in the `{table}` table.", width="content")
    absent = [t for t, c in counts.items() if c is None]
    if absent:
        st.warning(f"The warehouse has no {', '.join(f'`{t}`' for t in absent)} table: {ui.INIT_HINT}.")
    if info.token:
        changed = dt.datetime.fromtimestamp(info.token[1] / 1e9, tz=data_health.UK_TIME)   # as the loads' times
        st.caption(f"Read-only view of {escape.markdown_text(info.path)}, last changed {changed:%d %b %Y %H:%M}. "
                   "A finished load shows here by itself on the next click or refresh.")
