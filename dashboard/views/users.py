"""Users (admins only): every account, and adding, re-roling, unlocking, setting passwords for and removing them."""
from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from access.store import MIN_PASSWORD, ROLES, AccountError, role_with_article
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
                            "state": u.state + ("; must choose a new password" if u.must_change else ""),
                            "failed attempts": u.failed_attempts, "last sign-in": u.last_sign_in or "never",
                            "created": u.created_at} for u in users]),
             hide_index=True, width="stretch", placeholder=labels.NO_VALUE)


def _change(what, done: str, *args) -> bool:
    """Make one account change as the admin signed in now, and say what was done (`done`). The buttons below
    run this as their on_click, which Streamlit calls before the page reruns, so before `auth.require` above
    has looked at the account again: it is checked here, and an admin re-roled, locked, removed or idle since
    the page was drawn changes nothing (and nothing is recorded)."""
    admin = auth.acting_user("users")
    if admin is None:
        st.session_state["users_message"] = ("error", "Nothing was changed: you are no longer signed in as an "
                                                      "administrator.")
        return False
    try:
        what(*args, actor=admin["name"])
    except AccountError as exc:
        st.session_state["users_message"] = ("error", f"Nothing was changed: {exc}.")
        return False
    st.session_state["users_message"] = ("success", done)
    return True


def _remove(who: str) -> None:
    """on_click of Remove: only with its confirmation ticked for this very user."""
    if not st.session_state.get("confirm_remove"):
        st.session_state["users_message"] = ("error", f"Nothing was changed: tick “Yes, remove {who}” first.")
        return
    st.session_state["confirm_remove"] = False
    _change(store.remove, f"{who} removed: they can no longer sign in.", who)


def _set_password(who: str) -> None:
    """on_click of Set password: the new password twice, then one that its user must change at next sign-in."""
    new, again = (str(st.session_state.get(k) or "") for k in ("reset_password", "reset_password_again"))
    st.session_state["reset_password"] = st.session_state["reset_password_again"] = ""
    if new != again:
        st.session_state["users_message"] = ("error", "Nothing was changed: the two passwords differ.")
        return
    _change(functools.partial(store.set_password, one_time=True),
            f"New password set for {who}: give it to them safely; they must choose their own at their next sign-in.",
            who, new)


kind, text = st.session_state.pop("users_message", (None, None))
if text:
    getattr(st, kind)(escape.markdown_text(text))   # an error may quote a typed user name: text, not markdown

st.subheader("Add a user")
if sso:
    st.caption("Sign-in is through single sign-on: add people by the e-mail address (user principal name) they "
               "sign in with. Their password and lockout are the identity provider's business.")
else:
    st.caption("The password you choose works once: they choose their own at their first sign-in.")
with st.form("add_user", clear_on_submit=True):
    name = st.text_input("E-mail address" if sso else "User name", key="new_user_name")
    role = st.selectbox("Role", ROLES, key="new_user_role")
    if not sso:
        password = st.text_input(f"Password (at least {MIN_PASSWORD} characters)", type="password",
                                 key="new_user_password")
    if st.form_submit_button("Add user"):
        if sso:
            _change(store.add_sso, f"{name.strip()} added as {role_with_article(role)}, signing in with single "
                                   "sign-on.", name.strip(), role)
        else:
            _change(functools.partial(store.add, one_time=True),
                    f"{name.strip()} added as {role_with_article(role)}: they choose their own password at their "
                    "first sign-in.", name.strip(), role, password)
        st.rerun()

accounts = {u.name: u for u in users}
if accounts:
    st.subheader("Change a user")
    who = st.selectbox("User", list(accounts), key="change_user")
    account = accounts[who]
    if st.session_state.get("change_user_shown") != who or "change_role" not in st.session_state:
        # Another user chosen (or the page opened again): their role, not the last one picked, and no removal
        # confirmed for them yet.
        st.session_state["change_role"] = account.role
        st.session_state["confirm_remove"] = False
        st.session_state["change_user_shown"] = who
    left, middle, right = st.columns(3)
    new_role = left.selectbox("New role", ROLES, key="change_role")
    left.button("Set role", on_click=_change, key="set_role", disabled=new_role == account.role,
                args=(store.set_role, f"{who} is now {role_with_article(new_role)}.", who, new_role),
                help=f"{who} is {role_with_article(account.role)} now." if new_role == account.role else None)
    middle.button("Unlock", on_click=_change, args=(store.unlock, f"{who} unlocked: they may sign in again.", who),
                  key="unlock", help="Lift this user name's locks now, for every computer, and clear its failed "
                                     "attempts (a lock also ends by itself: see the README's Access control).")
    myself = who == me["name"]
    confirmed = right.checkbox(f"Yes, remove {escape.markdown_text(who)}", key="confirm_remove", disabled=myself)
    right.button("Remove", on_click=_remove, args=(who,), key="remove", type="primary",
                 disabled=myself or not confirmed,
                 help="You can't remove yourself." if myself else "Tick the box above first.")

    if account.sso:
        st.caption(f"{escape.markdown_text(who)} signs in with single sign-on: their password is the identity "
                   "provider's business.")
    elif myself:
        st.caption("Change your own password with **Change password** in the sidebar.")
    else:
        with st.form("reset_password_form"):
            st.markdown(f"**Set a new password for {escape.markdown_text(who)}** (at least {MIN_PASSWORD} "
                        "characters): for a forgotten password, or one someone else may know. It works once: they "
                        "choose their own at their next sign-in, and a session they have open ends.")
            st.text_input("New password", type="password", key="reset_password", autocomplete="new-password")
            st.text_input("The new password again", type="password", key="reset_password_again",
                          autocomplete="new-password")
            st.form_submit_button("Set password", on_click=_set_password, args=(who,))
