"""Users (admins only): every account, and adding, re-roling, unlocking and removing them."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from access.store import MIN_PASSWORD, ROLES, AccountError
from dashboard import auth, escape, labels

me = auth.require("users")  # the role is checked on every run, whatever the address

st.title("Users")
st.caption("Who may sign in, and what each role sees: viewers the map, visit list and overview (and visit-plan "
           "downloads); analysts also exact victim case locations and the Data page with the rejected rows; admins "
           "also this page and the audit log. Every change here is recorded in the audit log. The same is done with "
           "`python -m etl users`.")
store = auth.store()
sso = auth.sso_enabled()

users = store.users()
st.dataframe(pd.DataFrame([{"name": u.name, "role": u.role, "signs in with": "single sign-on" if u.sso else "password",
                            "state": u.state,
                            "failed attempts": u.failed_attempts, "last sign-in": u.last_sign_in or "never",
                            "created": u.created_at} for u in users]),
             hide_index=True, width="stretch", placeholder=labels.NO_VALUE)


def _change(what, *args) -> None:
    """Make one account change as the admin signed in now. The buttons below run this as their on_click,
    which Streamlit calls before the page reruns, so before `auth.require` above has looked at the
    account again: it is checked here, and an admin re-roled, locked, removed or idle since the page was
    drawn changes nothing (and nothing is recorded)."""
    admin = auth.acting_user("users")
    if admin is None:
        st.session_state["users_message"] = ("error", "Nothing was changed: you are no longer signed in as an "
                                                      "administrator.")
        return
    try:
        what(*args, actor=admin["name"])
    except AccountError as exc:
        st.session_state["users_message"] = ("error", str(exc))
    else:
        st.session_state["users_message"] = ("success", "Done.")


kind, text = st.session_state.pop("users_message", (None, None))
if text:
    getattr(st, kind)(escape.markdown_text(text))   # an error may quote a typed user name: text, not markdown

st.subheader("Add a user")
if sso:
    st.caption("Sign-in is through single sign-on: add people by the e-mail address (user principal name) they "
               "sign in with. Their password and lockout are the identity provider's business.")
with st.form("add_user", clear_on_submit=True):
    name = st.text_input("E-mail address" if sso else "User name", key="new_user_name")
    role = st.selectbox("Role", ROLES, key="new_user_role")
    if not sso:
        password = st.text_input(f"Password (at least {MIN_PASSWORD} characters)", type="password",
                                 key="new_user_password")
    if st.form_submit_button("Add user"):
        if sso:
            _change(store.add_sso, name.strip(), role)
        else:
            _change(store.add, name.strip(), role, password)
        st.rerun()

names = [u.name for u in users]
if names:
    st.subheader("Change a user")
    who = st.selectbox("User", names, key="change_user")
    left, middle, right = st.columns(3)
    new_role = left.selectbox("New role", ROLES, key="change_role")
    left.button("Set role", on_click=_change, args=(store.set_role, who, new_role), key="set_role")
    middle.button("Unlock", on_click=_change, args=(store.unlock, who), key="unlock",
                  help="Lift this user name's locks now, for every computer, and clear its failed attempts "
                       "(a lock also ends by itself: see the README's Access control).")
    right.button("Remove", on_click=_change, args=(store.remove, who), key="remove", type="primary",
                 disabled=who == me["name"], help="You can't remove yourself.")
