"""Single sign-on: which identity is which account (access/sso.py, the store), the `users add --sso` command,
and the dashboard's SSO sign-in, refusal, sign-out and expiry with Streamlit's AppTest (st.user seeded by the
test; tests/test_oidc_browser.py runs the real OpenID Connect flow)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from access import sso
from access.lockout import rules
from access.store import AccountError, Store
from etl.cli import main

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "hotspots", "client_secret": "s", "server_metadata_url": "http://localhost:1/.well-known/x"}
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


# --- which identity is which account ---------------------------------------------------------------------------

def test_identity_prefers_the_user_principal_name_and_ignores_case():
    assert sso.identity({"preferred_username": "Alice.Smith@Force.Police.UK", "email": "x@y"}) == \
        "alice.smith@force.police.uk"
    assert sso.identity({"email": "Bob@force.police.uk"}) == "bob@force.police.uk"
    assert sso.identity({"email": "bob@force.police.uk", "email_verified": False}) is None
    assert sso.identity({"preferred_username": "sean.o'brien+hs@force.police.uk"}) == "sean.o'brien+hs@force.police.uk"
    assert sso.identity({"preferred_username": "<img src=x>", "email": "ok@force.police.uk"}) == "ok@force.police.uk"
    assert sso.identity({"sub": "123"}) is None
    assert sso.identity({"preferred_username": "a" * 255}) is None


def test_an_old_sign_in_has_expired(monkeypatch):
    issued = NOW - dt.timedelta(hours=13)
    assert sso.expired({"iat": issued.timestamp()}, NOW)
    assert not sso.expired({"iat": issued.timestamp()}, NOW, hours=14)
    assert not sso.expired({"iat": (NOW - dt.timedelta(hours=1)).timestamp()}, NOW)
    assert not sso.expired({}, NOW) and not sso.expired({"iat": True}, NOW)
    monkeypatch.setenv("HOTSPOTS_SSO_HOURS", "0.5")
    assert sso.expired({"iat": (NOW - dt.timedelta(hours=1)).timestamp()}, NOW)


# --- the store -------------------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "accounts.db")


def test_sso_accounts_have_no_password_and_no_lockout(store):
    user = store.add_sso("Alice@Force.Police.UK", "analyst", actor="admin")
    assert user.name == "alice@force.police.uk" and user.sso and user.role == "analyst"
    with pytest.raises(AccountError, match="exists already"):
        store.add_sso("ALICE@force.police.uk", "viewer")
    with pytest.raises(AccountError, match="exists already"):
        store.add("alice@force.police.uk", "viewer", "a-long-enough-password")
    with pytest.raises(AccountError, match="no password"):
        store.set_password("alice@force.police.uk", "a-long-enough-password")
    for _ in range(rules().any_client_attempts + 1):  # a password never opens it, and guessing never locks it
        assert not store.authenticate("alice@force.police.uk", "", "10.9.9.9").ok
    assert store.sso_sign_in("alice@force.police.uk").ok  # lockout is the identity provider's business
    store.set_role("Alice@Force.Police.UK", "viewer")  # any case finds the SSO account
    assert store.get("alice@force.police.uk").role == "viewer"
    with pytest.raises(AccountError, match="e-mail address"):
        store.add_sso("not an address", "viewer")


def test_sso_sign_in_lets_in_only_sso_accounts_and_audits_every_answer(store):
    store.add_sso("alice@force.police.uk", "analyst")
    store.add("bob@force.police.uk", "admin", "a-long-enough-password")  # a password account of that name
    ok = store.sso_sign_in("alice@force.police.uk")
    assert ok.ok and ok.user.role == "analyst" and store.get("alice@force.police.uk").last_sign_in
    for name in ("carol@force.police.uk", "bob@force.police.uk", None):
        result = store.sso_sign_in(name, subject="sub-123")
        assert not result.ok and "ask a Hotspots administrator" in result.message
    rows = list(reversed(store.audit_rows()))[2:]  # after the two user_add rows
    assert [(r["actor"], r["action"], json.loads(r["detail"])) for r in rows] == [
        ("alice@force.police.uk", "sign_in", {"method": "sso"}),
        ("carol@force.police.uk", "sign_in_refused", {"method": "sso", "why": "unknown user"}),
        ("bob@force.police.uk", "sign_in_refused", {"method": "sso", "why": "not a single sign-on account"}),
        ("sso:sub-123", "sign_in_refused", {"method": "sso", "why": "no usable user name from single sign-on"}),
    ]


def test_an_older_store_gains_the_sso_column(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, "
                "failed_attempts INTEGER NOT NULL DEFAULT 0, locked_at TEXT, created_at TEXT NOT NULL, "
                "last_sign_in TEXT, must_change INTEGER NOT NULL DEFAULT 0)")
    con.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES ('old', 'viewer', 'x', 'then')")
    con.commit()
    con.close()
    store = Store(path)
    assert store.get("old").sso is False
    assert store.add_sso("new@force.police.uk", "viewer").sso


def test_users_add_sso_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "acc.db"))
    r = CliRunner().invoke(main, ["users", "add", "Lead@Force.Police.UK", "--role", "viewer", "--sso"])
    assert r.exit_code == 0, r.output
    assert "added lead@force.police.uk (viewer, single sign-on)" in r.output
    r = CliRunner().invoke(main, ["users", "add", "x@force.police.uk", "--role", "viewer", "--sso",
                                  "--password-stdin"], input="a-long-enough-password\n")
    assert r.exit_code == 2 and "no password" in r.output
    listing = CliRunner().invoke(main, ["users", "list"]).output
    assert "lead@force.police.uk" in listing and "single sign-on" in listing
    assert Store().get("lead@force.police.uk").sso


# --- the dashboard (AppTest) -----------------------------------------------------------------------------------

@pytest.fixture
def accounts(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "missing.duckdb"))  # pages say "no warehouse": fast
    store = Store()
    store.add_sso("lead@force.police.uk", "analyst")
    store.add_sso("viewer@force.police.uk", "viewer")
    return store


def claims(name: str, **extra) -> dict:
    return {"is_logged_in": True, "sub": f"sub-{name}", "preferred_username": name, "email": name,
            "iat": time.time(), **extra}


def start(user: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = dict(AUTH)
    at.user = user
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "caption", "markdown", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def test_sso_replaces_the_password_form(accounts):
    at = start({"is_logged_in": False})
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.text_input  # no user name, no password
    button = at.button(key="sso_sign_in")
    assert button.label == "Sign in with single sign-on"
    button.click().run()  # this test's real secrets have no [auth]: st.login refuses, the page says so
    assert "Single sign-on is not set up correctly" in texts(at)
    assert "hs_user" not in at.session_state


def test_a_known_identity_is_signed_in_with_its_role_and_audited(accounts):
    at = start(claims("Lead@Force.Police.UK"))
    assert not at.exception
    assert at.title[0].value == "Map"
    assert at.session_state["hs_user"]["role"] == "analyst" and at.session_state["hs_user"]["sso"]
    assert "Signed in as **lead@force\\.police\\.uk** (analyst)" in texts(at)
    at.switch_page("views/data.py").run()  # analysts' page
    assert at.title[0].value == "Data"
    at.run()
    rows = list(reversed(accounts.audit_rows(actor="lead@force.police.uk")))
    assert [r["action"] for r in rows] == ["sign_in", "page_view", "page_view"]  # signed in once per session
    assert json.loads(rows[0]["detail"]) == {"method": "sso"}


def test_a_viewer_gets_only_the_viewer_pages(accounts):
    at = start(claims("viewer@force.police.uk"))
    assert at.title[0].value == "Map"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data.py")


def test_an_unknown_identity_is_refused_once_and_let_in_once_added(accounts):
    at = start(claims("stranger@force.police.uk"))
    assert not at.exception and "hs_user" not in at.session_state
    assert [t.value for t in at.title] == ["Sign in"]
    assert "has no account for you yet. Ask a Hotspots administrator to add you" in texts(at)
    assert not at.dataframe and not at.multiselect  # nothing of the data
    at.run()
    at.run()
    refused = accounts.audit_rows(action="sign_in_refused")
    assert len(refused) == 1 and refused[0]["actor"] == "stranger@force.police.uk"
    assert json.loads(refused[0]["detail"]) == {"method": "sso", "why": "unknown user"}
    accounts.add_sso("stranger@force.police.uk", "viewer", actor="admin")
    at.run()
    assert at.title[0].value == "Map" and at.session_state["hs_user"]["name"] == "stranger@force.police.uk"
    # and the refused identity can sign out to try another account
    at2 = start(claims("other@force.police.uk"))
    at2.button(key="sign_out").click().run()
    assert at2.user == {"is_logged_in": False}


def test_sign_out_is_audited_and_calls_st_logout(accounts):
    at = start(claims("lead@force.police.uk"))
    at.button(key="sign_out").click().run()
    assert at.user == {"is_logged_in": False}  # st.logout() cleared the identity
    assert "hs_user" not in at.session_state and [t.value for t in at.title] == ["Sign in"]
    actions = [(r["action"], json.loads(r["detail"])) for r in accounts.audit_rows(actor="lead@force.police.uk")]
    assert actions[0] == ("sign_out", {"method": "sso"})


def test_an_idle_sso_session_is_signed_out_at_the_provider_too(accounts):
    at = start(claims("lead@force.police.uk"))
    user = dict(at.session_state["hs_user"])
    user["seen"] -= 31 * 60
    at.session_state["hs_user"] = user
    at.run()
    assert at.user == {"is_logged_in": False} and "hs_user" not in at.session_state
    assert "without activity" in texts(at)
    row = accounts.audit_rows(limit=1)[0]
    assert row["action"] == "sign_out" and json.loads(row["detail"]) == {"method": "sso", "why": "idle timeout"}


def test_an_old_sso_sign_in_must_be_renewed(accounts):
    at = start(claims("lead@force.police.uk", iat=time.time() - 13 * 3600))
    assert "hs_user" not in at.session_state and [t.value for t in at.title] == ["Sign in"]
    assert "more than 12 hours old" in texts(at)
    assert at.button(key="sso_sign_in")
    (row,) = accounts.audit_rows(action="sign_in_refused")
    assert row["actor"] == "lead@force.police.uk" and "older than 12 hours" in row["detail"]


def test_a_removed_sso_account_loses_access_at_the_next_click(accounts):
    at = start(claims("lead@force.police.uk"))
    assert at.title[0].value == "Map"
    accounts.remove("lead@force.police.uk")
    at.run()
    assert "hs_user" not in at.session_state and "no account for you" in texts(at)


def test_admins_add_sso_users_on_the_users_page(accounts):
    accounts.add_sso("admin@force.police.uk", "admin")
    at = start(claims("admin@force.police.uk"), page="views/users.py")
    assert at.title[0].value == "Users"
    assert not [t for t in at.text_input if t.key == "new_user_password"]
    at.text_input(key="new_user_name").input("New.Person@force.police.uk")
    at.selectbox(key="new_user_role").set_value("viewer")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    added = accounts.get("new.person@force.police.uk")
    assert added.sso and added.role == "viewer"
    assert "single sign-on" in at.dataframe[0].value["signs in with"].tolist()


def test_no_demo_admin_password_under_sso(tmp_path, monkeypatch, capsys):
    from tests.helpers import empty_synthetic_warehouse

    empty_synthetic_warehouse(tmp_path, monkeypatch)
    start({"is_logged_in": False})
    assert "one-time password" not in capsys.readouterr().out
    assert Store().count() == 0
