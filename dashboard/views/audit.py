"""Audit log (admins only): sign-ins, page views with their filters, exports and account changes."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, labels

auth.require("audit")  # the role is checked on every run, whatever the address

st.title("Audit log")
st.caption("Append-only: rows are never changed or deleted. Export it with "
           "`python -m etl audit --since YYYY-MM-DD --out FILE.csv`.")
store = auth.store()
left, middle, right = st.columns(3)
since = left.date_input("Since", dt.date.today() - dt.timedelta(days=7), key="audit_since", format="DD/MM/YYYY")
actions = ["", *labels.AUDIT_ACTIONS]
action = middle.selectbox("Action", actions, key="audit_action", format_func=lambda a: labels.audit_action(a) or "Every action")
actor = right.text_input("User", key="audit_actor")
rows = store.audit_rows(since if isinstance(since, dt.date) else None, limit=2000, action=action or None,
                        actor=actor.strip() or None)
st.caption(f"{len(rows):,} row(s), newest first (at most 2,000 shown).")
log = pd.DataFrame(rows, columns=["id", "at", "actor", "action", "target", "detail", "rows"])
log["at"] = pd.to_datetime(log["at"], utc=True, errors="coerce").dt.tz_localize(None)   # stored as ISO text
log["action"] = log["action"].map(labels.audit_action)
log["detail"] = log["detail"].map(labels.audit_detail)
log["rows"] = [f"{int(v):,}" if pd.notna(v) else "" for v in log["rows"]]   # a blank, not "None", without rows
for text in ("actor", "target"):
    log[text] = log[text].fillna("")
st.dataframe(log, hide_index=True, width="stretch", placeholder=labels.NO_VALUE, column_config={
    "id": st.column_config.NumberColumn("No.", width="small"),
    "at": st.column_config.DatetimeColumn("When (UTC)", format="DD/MM/YYYY HH:mm:ss"),
    "actor": st.column_config.TextColumn("User"),
    "action": st.column_config.TextColumn("What"),
    "target": st.column_config.TextColumn("On", help="The page, export, user or table the action was on."),
    "detail": st.column_config.TextColumn("Details", help="The filters in force, the file's format, and the like."),
    "rows": st.column_config.TextColumn("Rows", help="How many rows an export or a view of exact locations held."),
})
