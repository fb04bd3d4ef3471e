"""Sign-in, roles and the audit trail in the dashboard (the storage itself is access/store.py).

Nobody sees a page without signing in. The signed-in user lives in the server-side session only
(st.session_state: nothing in the browser can set it); on every run the account is read again, so a
removed, locked or re-roled account takes effect at the user's next click. A session idle for longer
than $HOTSPOTS_IDLE_MINUTES (default 30) is signed out. A reload opens a new session: sign in again.
Wrong passwords are counted by the browser's address (`client`): a lock made from one machine holds
that machine only, so it never ends the session of the person already signed in elsewhere; only a
lock for every client does (access/lockout.toml).

Two ways in, never both: with an [auth] section in .streamlit/secrets.toml, single sign-on through
Streamlit's st.login (OpenID Connect, e.g. Microsoft Entra ID) and the account store's SSO accounts
(access/sso.py says which identity is which account); without one, local accounts with passwords.
Streamlit keeps an SSO identity in a cookie, so a reload signs the same person in again (audited);
a sign-in older than $HOTSPOTS_SSO_HOURS (default 12) is sent back to the identity provider.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

import streamlit as st

from access import sso
from access.store import MIN_PASSWORD, ROLES, AccountError, Store, has_role
from dashboard import downloads
from dashboard.escape import markdown_text

log = logging.getLogger("hotspots.dashboard")

SESSION = "hs_user"            # {"name", "role", "since", "seen", "must_change", "sso"}
MESSAGE = "hs_signin_message"
ACCOUNT_MESSAGE = "hs_account_message"   # (kind, text): how the sidebar's password change went
SSO_NOTE = "hs_sso_note"       # {"name", "state": "refused" | "expired"}: an SSO identity not let in (audited once)
LAST_VIEW = "hs_last_view"
DEMO_ADMIN = "demo-admin"

# Page (url_path) → the least role that may open it.
PAGE_ROLES = {
    "map": "viewer",
    "visits": "viewer",
    "plans": "viewer",
    "overview": "viewer",
    "data": "analyst",
    "users": "admin",
    "audit": "admin",
}
# What some roles may see inside a page (the page checks with `may`): → the least role.
FEATURE_ROLES = {
    "case_locations": "analyst",   # victim cases as exact points on the map (everyone else: areas of >= N cases)
    "rejects": "analyst",          # rejected rows with their raw values, on the Data page
}


def idle_seconds() -> float:
    try:
        minutes = float(os.environ.get("HOTSPOTS_IDLE_MINUTES", "30"))
    except ValueError:
        minutes = 30.0
    return max(minutes, 0.1) * 60


def store() -> Store:
    return Store()


def client() -> str:
    """Where this session's sign-in comes from, as the account store counts wrong passwords: the browser's IP
    address, or 'localhost' when Streamlit gives none (a browser on the server's own machine, and AppTest)."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context: counted as the server's own machine
        address = None
    return str(address) if address else "localhost"


def allowed(role: str | None, page: str) -> bool:
    needed = PAGE_ROLES.get(page)
    return needed is not None and has_role(role, needed)


def may_open(page: str) -> bool:
    """Whether the signed-in user's role may open `page` (PAGE_ROLES): for a message that points at that page."""
    user = st.session_state.get(SESSION)
    return isinstance(user, dict) and allowed(user.get("role"), page)


def may(feature: str) -> bool:
    """Whether the signed-in user's role may see `feature` (FEATURE_ROLES); unknown features: nobody."""
    user = st.session_state.get(SESSION)
    needed = FEATURE_ROLES.get(feature)
    return isinstance(user, dict) and needed is not None and has_role(user.get("role"), needed)


def sso_enabled() -> bool:
    """True when the secrets (.streamlit/secrets.toml, or --secrets.files) have an [auth] section."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # noqa: BLE001 - Streamlit logs a broken secrets file; local accounts stay the way in
        log.exception("secrets")
        return False


def current_user() -> dict[str, Any] | None:
    """The signed-in user, checked again against the account store; None when nobody is signed in."""
    user = st.session_state.get(SESSION)
    if sso_enabled():
        user = _from_sso(user)
    if not isinstance(user, dict):
        return None
    at = time.time()
    if at - float(user.get("seen", 0)) > idle_seconds():
        _audit(user["name"], "sign_out", {"why": "idle timeout", **_method(user)})
        _forget()
        st.session_state[MESSAGE] = ("info", f"You were signed out after {idle_seconds() / 60:g} minutes without "
                                             "activity. Sign in again to carry on.")
        if user.get("sso"):
            st.logout()  # else the identity cookie would sign them straight back in
        return None
    try:
        account = store().get(user["name"])
    except Exception:  # noqa: BLE001 - an unreadable store must not let anybody in
        log.exception("account store")
        _forget()
        st.session_state[MESSAGE] = ("error", "The account store can't be read: ask an administrator.")
        return None
    if not _active(account) or account.sso != bool(user.get("sso")):
        _forget()
        if user.get("sso"):  # still signed in with the provider: the refusal, and a way to sign out
            st.session_state[SSO_NOTE] = {"name": user["name"], "state": "refused"}
        else:
            st.session_state[MESSAGE] = ("warning", "Your account was removed or locked: ask an administrator.")
        return None
    if account.must_change and not user.get("must_change"):
        # An admin set a new password since this session signed in (perhaps because someone else knew the old
        # one): the session ends, or it could choose the next password without knowing the admin's.
        _audit(user["name"], "sign_out", {"why": "password set by an administrator"})
        _forget()
        st.session_state[MESSAGE] = ("warning", "An administrator set a new password for your account: sign in "
                                                "with it, then choose your own.")
        return None
    user = {**user, "role": account.role, "seen": at, "must_change": account.must_change}
    st.session_state[SESSION] = user
    return user


def _active(account) -> bool:
    """Whether a stored account may be signed in at all: it exists, has a known role and, signing in with a
    password, is not locked for every client. A lock for one client stops that client's sign-ins, not
    sessions already open elsewhere; a single sign-on account's lockout is the identity provider's."""
    return (account is not None and account.role in ROLES
            and not (account.locked and not account.sso))


def acting_user(page: str) -> dict[str, Any] | None:
    """The signed-in user, checked again now, when they may still act on `page`; else None.

    For widget callbacks that change something: Streamlit runs a callback before the script reruns, so
    before app.py's current_user() and the page's require() have looked at the account again. Without
    this, an admin re-roled, locked or removed a moment ago, or one whose session went idle, could
    still change other people's accounts with a page that was already on screen."""
    user = current_user()
    if user is None or user.get("must_change") or not allowed(user.get("role"), page):
        return None
    return user


def refused_reason(name: str | None, page: str, seen: float) -> str | None:
    """Why `name` may not act on `page` now (None: they may), from the account store and the time of the
    session's last click (`seen`). For code that runs outside a page run, such as a download's file
    generator, where the session itself can't be read."""
    if not name:
        return "nobody is signed in"
    if time.time() - float(seen or 0) > idle_seconds():
        return "the session went idle"
    try:
        account = store().get(name)
    except Exception:  # noqa: BLE001 - an unreadable store must not let anything out
        log.exception("account store")
        return "the account store can't be read"
    if not _active(account):
        return "the account was removed or locked"
    if account.must_change or not allowed(account.role, page):
        return "the account may not open this page"
    return None


class ExportRefused(RuntimeError):
    """A download asked for by someone who may no longer have it (the browser shows that it failed)."""


def audited_export(make: Any, page: str, detail: dict, target: str, rows: int | None) -> Any:
    """The `data` of a download button: a callable Streamlit runs only when the button is clicked, which
    checks the account again, builds the file and writes its audit row, in that order.

    Bytes handed to st.download_button are stored at a /media/ address on every run, and anyone holding
    that address can fetch them without clicking, so an on_click audit row could be skipped entirely.
    Built on demand, no file leaves without its row. Streamlit runs the callable in a worker thread
    with no session, so who is asking, and when they last clicked, are taken now; so is whether the warehouse
    is the demo's, whose files are marked as synthetic by `detail["format"]` (dashboard/downloads.py)."""
    user = st.session_state.get(SESSION) or {}
    name, seen = user.get("name"), float(user.get("seen", 0) or 0)
    make = downloads.marked(make, detail.get("format"))   # from a demo warehouse, the file says so

    def generate() -> bytes:
        why = refused_reason(name, page, seen)
        if why:
            log.warning("export refused for %s: %s", name, why)
            raise ExportRefused(f"download refused: {why}")
        data = make()
        _audit(name, "export", detail, target, rows)
        return data

    return generate


def _forget() -> None:
    st.session_state.pop(SESSION, None)
    st.session_state.pop(LAST_VIEW, None)


def _method(user: dict) -> dict:
    return {"method": "sso"} if user.get("sso") else {}


def _from_sso(user: Any) -> dict[str, Any] | None:
    """This session's user under single sign-on: signed in (and audited) from st.user at the session's first
    run; None while nobody is signed in with the identity provider or the identity has no access here."""
    if not st.user.is_logged_in:
        if isinstance(user, dict):
            _forget()
        return None
    claims = st.user.to_dict()
    name = sso.identity(claims)
    if sso.expired(claims):
        if isinstance(user, dict):
            _audit(user["name"], "sign_out", {"why": "single sign-on too old", "method": "sso"})
            _forget()
        _refuse_expired_once(name, claims)
        return None
    if isinstance(user, dict) and user.get("sso") and user.get("name") == name:
        return user
    if isinstance(user, dict):  # another identity than the one signed in: start again
        _forget()
    note = st.session_state.get(SSO_NOTE)
    try:
        if note and note.get("name") == name and note.get("state") == "refused":
            account = store().get(name) if name else None
            if account is None or not account.sso:
                return None  # still no access; the refusal was audited when it happened
        result = store().sso_sign_in(name, str(claims.get("sub") or "") or None)
    except Exception:  # noqa: BLE001 - an unreadable store must not let anybody in
        log.exception("account store")
        st.session_state[MESSAGE] = ("error", "The account store can't be read: ask an administrator.")
        return None
    if not result.ok:
        st.session_state[SSO_NOTE] = {"name": name, "state": "refused"}
        return None
    at = time.time()
    st.session_state.pop(SSO_NOTE, None)
    st.session_state.pop(MESSAGE, None)
    signed = {"name": result.user.name, "role": result.user.role, "since": at, "seen": at, "must_change": False,
              "sso": True}
    st.session_state[SESSION] = signed
    return signed


def _refuse_expired_once(name: str | None, claims: dict) -> None:
    """Remember (and audit, once per session) that an identity came with a sign-in too old to accept."""
    if st.session_state.get(SSO_NOTE) == {"name": name, "state": "expired"}:
        return
    st.session_state[SSO_NOTE] = {"name": name, "state": "expired"}
    actor = name or (f"sso:{claims.get('sub')}"[:80] if claims.get("sub") else "sso")
    _audit(actor, "sign_in_refused", {"why": f"single sign-on older than {sso.max_hours():g} hours",
                                      "method": "sso"}, target=name)


def _audit(actor: str | None, action: str, detail: dict | None = None, target: str | None = None,
           rows: int | None = None) -> None:
    store().audit(actor, action, target, detail, rows)


def audit(action: str, detail: dict | None = None, target: str | None = None, rows: int | None = None) -> None:
    """Append a row to the audit log as the signed-in user."""
    user = st.session_state.get(SESSION) or {}
    _audit(user.get("name"), action, detail, target, rows)


def audit_once(action: str, detail: dict, target: str | None = None, rows: int | None = None) -> None:
    """Audit `action` as the signed-in user whenever its details change within this session (a rerun for
    some other reason adds no row), like page views."""
    key = f"hs_audited_{action}"
    signature = (target, rows, repr(sorted((detail or {}).items())))
    if st.session_state.get(key) == signature:
        return
    st.session_state[key] = signature
    audit(action, detail, target, rows)


def _submit() -> None:
    """on_click of the sign-in form: check the password before the page runs."""
    name = str(st.session_state.get("signin_name") or "").strip()
    password = str(st.session_state.get("signin_password") or "")
    st.session_state["signin_password"] = ""
    if not name or not password:
        st.session_state[MESSAGE] = ("error", "Enter your user name and password.")
        return
    result = store().authenticate(name, password, client())
    if not result.ok:
        st.session_state[MESSAGE] = ("error", result.message)
        return
    at = time.time()
    st.session_state[SESSION] = {"name": result.user.name, "role": result.user.role, "since": at, "seen": at,
                                 "must_change": result.user.must_change}
    st.session_state.pop(MESSAGE, None)


def sign_in_form() -> None:
    """The only thing an anonymous visitor sees, whatever the address."""
    st.title("Sign in")
    st.caption("Hotspots is for authorised police and partner staff. Every sign-in, page view and export is "
               "recorded.")
    kind, text = st.session_state.get(MESSAGE) or (None, None)
    if text:
        getattr(st, kind)(text)
    if sso_enabled():
        _sso_sign_in()
        return
    with st.form("signin", clear_on_submit=False, enter_to_submit=True):
        st.text_input("User name", key="signin_name", autocomplete="username")
        st.text_input("Password", key="signin_password", type="password", autocomplete="current-password")
        st.form_submit_button("Sign in", on_click=_submit, type="primary")
    if _demo_hint():
        st.info(f"First run of the demo: sign in as **{DEMO_ADMIN}** with the one-time password printed in the "
                "terminal that runs the dashboard (`make run`), then add accounts on the Users page.")


def _sso_sign_in() -> None:
    """Single sign-on: a button to the identity provider, or why the identity that came back has no access."""
    note = st.session_state.get(SSO_NOTE) or {}
    if st.user.is_logged_in and note.get("state") == "refused":
        who = note.get("name")
        st.warning(f"You signed in as {markdown_text(who)}, but Hotspots has no account for you yet. Ask a Hotspots "
                   "administrator to add you; then sign in again." if who else
                   "Your sign-in did not say who you are (no user name or e-mail address): ask a Hotspots "
                   "administrator.")
        st.button("Sign out", key="sign_out", on_click=sign_out, help="Sign in with another account.")
        return
    if st.user.is_logged_in and note.get("state") == "expired":
        st.info(f"Your sign-in is more than {sso.max_hours():g} hours old: sign in again to carry on.")
    if st.button("Sign in with single sign-on", key="sso_sign_in", type="primary",
                 help="Your organisation's account (Microsoft Entra ID)."):
        try:
            st.login()
        except Exception:  # noqa: BLE001 - a misconfigured [auth] section: say so, the log has the details
            log.exception("st.login")
            st.error("Single sign-on is not set up correctly: ask an administrator.")


def _change_password() -> None:
    """on_click of the new-password form. The account is read again first: the callback runs before the
    page's own check, and a locked, removed or idle session must not set a password."""
    user = current_user()
    if user is None:
        return
    new, again = (str(st.session_state.get(k) or "") for k in ("new_password", "new_password_again"))
    st.session_state["new_password"] = st.session_state["new_password_again"] = ""
    if new != again:
        st.session_state[MESSAGE] = ("error", "The two passwords differ.")
        return
    try:
        store().set_password(user["name"], new, actor=user["name"])
    except AccountError as exc:
        st.session_state[MESSAGE] = ("error", _sentence(str(exc)))
        return
    st.session_state[SESSION] = {**user, "must_change": False}
    st.session_state[MESSAGE] = ("success", "Password changed.")


def _sentence(text: str) -> str:
    """An AccountError ("the password is too short: …", worded for the command line) as a sentence to show."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def change_password_form() -> None:
    """A one-time password (the demo admin's, or one an admin chose) is good for one thing: choosing a new one."""
    st.title("Choose a new password")
    st.caption("You signed in with a one-time password, or one an administrator set for you. Choose your own "
               f"(at least {MIN_PASSWORD} characters) before you carry on.")
    kind, text = st.session_state.pop(MESSAGE, None) or (None, None)
    if text:
        getattr(st, kind)(text)
    with st.form("change_password"):
        st.text_input("New password", key="new_password", type="password", autocomplete="new-password")
        st.text_input("The new password again", key="new_password_again", type="password",
                      autocomplete="new-password")
        st.form_submit_button("Change password", on_click=_change_password, type="primary")
    st.button("Sign out", key="sign_out", on_click=sign_out)


def _demo_hint() -> bool:
    try:
        user = store().get(DEMO_ADMIN)
    except Exception:  # noqa: BLE001
        return False
    return user is not None and user.last_sign_in is None


def sign_out() -> None:
    """on_click of Sign out. Under single sign-on, st.logout() also clears the identity cookie (and ends the
    session at the identity provider when it offers that)."""
    user = st.session_state.get(SESSION)
    if isinstance(user, dict):
        _audit(user["name"], "sign_out", _method(user))
    _forget()
    st.session_state.pop(SSO_NOTE, None)
    st.session_state[MESSAGE] = ("success", "You are signed out.")
    if sso_enabled():
        st.logout()


def sidebar(user: dict[str, Any]) -> None:
    st.caption(f"Signed in as **{markdown_text(user['name'])}** ({user['role']})")
    st.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")
    if not user.get("sso"):   # a single sign-on password is changed with the identity provider
        _own_password_form()
    _idle_watch()


def _own_password_form() -> None:
    """Change your own password: the current one, and the new one twice."""
    kind, text = st.session_state.pop(ACCOUNT_MESSAGE, None) or (None, None)
    with st.expander("Change password", icon=":material/key:", expanded=bool(text)):
        if text:
            getattr(st, kind)(markdown_text(text))
        with st.form("own_password_form", clear_on_submit=False, enter_to_submit=True):
            st.text_input("Current password", key="own_password", type="password", autocomplete="current-password")
            st.text_input(f"New password (at least {MIN_PASSWORD} characters)", key="own_new_password",
                          type="password", autocomplete="new-password")
            st.text_input("The new password again", key="own_new_password_again", type="password",
                          autocomplete="new-password")
            st.form_submit_button("Change password", on_click=_change_own_password)


def _change_own_password() -> None:
    """on_click of the sidebar's password form. The account is read again first (the callback runs before the
    page's own check): an idle, locked or removed session changes nothing."""
    user = current_user()
    if user is None or user.get("sso"):
        return
    keys = ("own_password", "own_new_password", "own_new_password_again")
    current, new, again = (str(st.session_state.get(k) or "") for k in keys)
    for k in keys:
        st.session_state[k] = ""
    if new != again:
        st.session_state[ACCOUNT_MESSAGE] = ("error", "The two new passwords differ: nothing was changed.")
        return
    try:
        store().change_password(user["name"], current, new, client())
    except AccountError as exc:
        st.session_state[ACCOUNT_MESSAGE] = ("error", _sentence(str(exc)))
        return
    st.session_state[ACCOUNT_MESSAGE] = ("success", "Your password is changed.")


@st.fragment(run_every=60)
def _idle_watch() -> None:
    """Once a minute, in the browser's own time: an idle session's page is replaced by the sign-in form
    (the server would refuse the next click anyway), so data is not left on an unattended screen."""
    user = st.session_state.get(SESSION)
    if isinstance(user, dict) and time.time() - float(user.get("seen", 0)) > idle_seconds():
        st.rerun(scope="app")


def require(page: str) -> dict[str, Any]:
    """Every page calls this first: it stops the page for anyone whose role may not see it."""
    user = st.session_state.get(SESSION)
    if not isinstance(user, dict) or not allowed(user.get("role"), page):
        st.error("You don't have access to this page.")
        st.stop()
    return user


def page_view(page: str, filters: dict | None) -> None:
    """Record a page view, with its filters, whenever the page or the filters change."""
    view = (page, tuple(sorted((filters or {}).items())))
    if st.session_state.get(LAST_VIEW) == view:
        return
    st.session_state[LAST_VIEW] = view
    audit("page_view", {"filters": filters or {}}, target=page)


def bootstrap_demo_admin(synthetic: bool) -> None:
    """A fresh demo warehouse and no account at all: create demo-admin and print its password once."""
    if not synthetic or sso_enabled():  # under single sign-on a password would be of no use
        return
    try:
        s = store()
        if s.count():
            return
        password = s.add_first_admin(DEMO_ADMIN)
    except Exception:  # noqa: BLE001 - the sign-in page still works; an admin adds accounts with the CLI
        log.exception("demo admin")
        return
    if password:
        bar = "=" * 72
        print(f"\n{bar}\nHotspots demo: sign in as {DEMO_ADMIN} with the one-time password\n\n    {password}\n\n"
              f"It is shown only this once and works only once: you choose your own password at the first sign-in.\n"
              f"(Accounts: {s.path}.)\n"
              f"Add real accounts with: python -m etl users add NAME --role viewer|analyst|admin --password-stdin\n"
              f"{bar}\n", flush=True)
