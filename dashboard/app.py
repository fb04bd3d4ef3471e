"""Hotspots dashboard: for now, one honest page that shows what the warehouse holds.

Presentation only; the queries live in dashboard/warehouse_view.py. Run with `make run`.
"""
from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on the path, not the repo root that holds etl/.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from dashboard import warehouse_view as view  # noqa: E402

NO_WAREHOUSE = "No warehouse yet: run `make run` or `python -m etl demo`"
KIND_LABELS = {"hmo": "HMO register", "reports": "Intelligence reports", "cases": "Victim cases",
               "boundaries": "Boundaries", "postcodes": "Postcodes"}


def synthetic_banner() -> None:
    st.markdown(
        '<div role="alert" data-testid="synthetic-banner" style="background:#b71c1c;color:#fff;'
        'border-left:12px solid #ffb300;padding:0.8rem 1rem;border-radius:4px;font-weight:600;">'
        "SYNTHETIC DEMO DATA: every report, case and licence on this page is made up. "
        "No real person or address is shown, and nothing here can be used for operational decisions."
        "</div>",
        unsafe_allow_html=True,
    )


def sources_table(loads: list[view.SourceLoad]) -> None:
    st.subheader("Sources loaded")
    if not loads:
        st.info("Nothing has been loaded yet: load files with `python -m etl load KIND FILE`, "
                "or build the demo with `python -m etl demo`.")
        return
    frame = pd.DataFrame(
        {
            "kind": [KIND_LABELS.get(s.kind, s.kind) for s in loads],
            "source": [s.source for s in loads],
            "file": [s.file_name for s in loads],
            "last load": [s.last_load for s in loads],
            "rows loaded": [s.rows_loaded for s in loads],
            "rejected": [s.rows_rejected for s in loads],
            "not geocoded": [s.rows_ungeocoded for s in loads],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"last load": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    st.caption("Rejected rows are not in the warehouse: list them with `python -m etl rejects`. "
               "Rows not geocoded are kept, but cannot appear on a map.")
    failed = [s for s in loads if s.failed_since]
    for s in failed:
        st.warning(f"{KIND_LABELS.get(s.kind, s.kind)} from {s.source}: {s.failed_since} later load attempt(s) "
                   "failed and changed nothing; the figures above are from the last load that succeeded.")


def counts_row(counts: dict[str, int | None]) -> None:
    st.subheader("What the warehouse holds")
    columns = st.columns(len(counts))
    for column, (table, count) in zip(columns, counts.items()):
        label = view.COUNTED_TABLES[table]
        column.metric(label, "missing" if count is None else f"{count:,}")
    absent = [t for t, c in counts.items() if c is None]
    if absent:
        st.warning(f"The warehouse has no {', '.join(f'`{t}`' for t in absent)} table: "
                   "run `python -m etl init` to bring it up to date.")


def main() -> None:
    st.set_page_config(page_title="Hotspots", page_icon="🗺️", layout="wide")
    st.title("Hotspots")
    st.caption("Modern slavery hotspots in Cambridgeshire & Peterborough: what the warehouse holds.")

    path = view.resolve_path()
    if not view.warehouse_exists(path):
        st.info(NO_WAREHOUSE)
        st.caption(f"Looked for {path} (set HOTSPOTS_DB to read another file).")
        return

    try:
        missing = view.missing_tables(path)
        if "meta" not in missing and view.is_synthetic(path):
            synthetic_banner()
        if "loads" in missing:
            st.warning("The warehouse has no `loads` table: run `python -m etl init` to bring it up to date.")
        else:
            sources_table(view.source_loads(path))
        counts_row(view.row_counts(path))
        if "meta" in missing:
            st.warning("The warehouse has no `meta` table, so it cannot say whether its data is synthetic: "
                       "run `python -m etl init`.")
    except view.WarehouseError as exc:
        if not view.warehouse_exists(path):  # removed while the page was reading it
            st.info(NO_WAREHOUSE)
        else:
            st.error(f"The warehouse can't be read: {exc}")
        return
    except duckdb.Error as exc:
        st.error(f"The warehouse at {path} can't be read ({type(exc).__name__}): {str(exc).splitlines()[0]}")
        return

    st.caption(f"Read-only view of {path}. Each view reopens the file, so a finished load shows on refresh.")


main()
