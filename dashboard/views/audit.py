"""Audit log (admins only): sign-ins, page views with their filters, exports and account changes."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth

auth.require("audit")  # the role is checked on every run, whatever the address

st.title("Audit log")
st.caption("Append-only: rows are never changed or deleted. Export it with "
           "`python -m etl audit --since YYYY-MM-DD --out FILE.csv`.")
store = auth.store()
left, middle, right = st.columns(3)
since = left.date_input("Since", dt.date.today() - dt.timedelta(days=7), key="audit_since", format="DD/MM/YYYY")
actions = ["", "sign_in", "sign_in_failed", "sign_in_refused", "sign_out", "page_view", "export", "view_case_locations", "user_add",
           "user_remove", "user_set_role", "user_unlock", "user_set_password", "audit_export", "retention"]
action = middle.selectbox("Action", actions, key="audit_action", format_func=lambda a: a or "Every action")
actor = right.text_input("User", key="audit_actor")
rows = store.audit_rows(since if isinstance(since, dt.date) else None, limit=2000, action=action or None,
                        actor=actor.strip() or None)
st.caption(f"{len(rows):,} row(s), newest first (at most 2,000 shown).")
st.dataframe(pd.DataFrame(rows, columns=["id", "at", "actor", "action", "target", "detail", "rows"]),
             hide_index=True, width="stretch")
