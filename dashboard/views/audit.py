"""Audit log (admins only): sign-ins, page views with their filters, exports and account changes."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, labels
from etl.uk_time import LABEL, uk_day_start, uk_today, utc_to_uk

auth.require("audit")  # the role is checked on every run, whatever the address

st.title("Audit log")
st.caption("Append-only: rows are never changed or deleted. Export it with "
           "`python -m etl audit --since YYYY-MM-DD --out FILE.csv`.")
store = auth.store()
left, middle, right = st.columns(3)
since = left.date_input("Since", uk_today() - dt.timedelta(days=7), key="audit_since", format="DD/MM/YYYY",
                        help=f"From midnight {LABEL} on that day, the clock the times below are in.")
actions = ["", *labels.AUDIT_ACTIONS]
action = middle.selectbox("Action", actions, key="audit_action", format_func=lambda a: labels.audit_action(a) or "Every action")
actor = right.text_input("User", key="audit_actor")
# The log is stamped in UTC; a day picked beside UK times starts at the UK's midnight (23:00 UTC before, in summer).
rows = store.audit_rows(uk_day_start(since) if isinstance(since, dt.date) else None, limit=2000, action=action or None,
                        actor=actor.strip() or None)
st.caption(f"{len(rows):,} row(s), newest first (at most 2,000 shown). Times are {LABEL} (BST in summer), "
           "as on the other pages; the log itself and its export are stamped in UTC.")
log = pd.DataFrame(rows, columns=["id", "at", "actor", "action", "target", "detail", "rows"])
log["at"] = pd.to_datetime([utc_to_uk(at) for at in log["at"]])   # stored as UTC ISO text, with its offset
log["action"] = log["action"].map(labels.audit_action)
log["detail"] = log["detail"].map(labels.audit_detail)
log["rows"] = [f"{int(v):,}" if pd.notna(v) else "" for v in log["rows"]]   # a blank, not "None", without rows
for text in ("actor", "target"):
    log[text] = log[text].fillna("")
st.dataframe(log, hide_index=True, width="stretch", placeholder=labels.NO_VALUE, column_config={
    "id": st.column_config.NumberColumn("No.", width="small"),
    "at": st.column_config.DatetimeColumn(f"When ({LABEL})", format="DD/MM/YYYY HH:mm:ss"),
    "actor": st.column_config.TextColumn("User"),
    "action": st.column_config.TextColumn("What"),
    "target": st.column_config.TextColumn("On", help="The page, export, user or table the action was on."),
    "detail": st.column_config.TextColumn("Details", help="The filters in force, the file's format, and the like."),
    "rows": st.column_config.TextColumn("Rows", help="How many rows an export or a view of exact locations held."),
})
