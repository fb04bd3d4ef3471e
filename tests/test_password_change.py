"""Changing passwords: every password user their own (sidebar), an admin anyone's (Users page, `etl users
set-password`), and a password an admin chose works once (access/store.py's must_change).

Found by a tester: there was no way to change a password at all, and a user added by an admin kept signing
in with the password the admin chose.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from access.store import AccountError, Store
from etl.cli import main
from tests import test_access_sso as sso_tests
from tests.test_access_dashboard import PAGES, PASSWORD, accounts, sign_in, signed_in, start, texts  # noqa: F401

NEW = "a-brand-new-password"


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "accounts.db")
    store.add("alice", "analyst", PASSWORD)
    return store


def _password_sets(store: Store) -> list[tuple[str, str, dict]]:
    return [(r["actor"], r["target"], json.loads(r["detail"])) for r in store.audit_rows(action="user_set_password")]


# --- the account store --------------------------------------------------------------------------------------------

def test_a_user_changes_their_own_password_with_the_current_one(store):
    with pytest.raises(AccountError, match="current password is wrong"):
        store.change_password("alice", "not-the-password", NEW, "10.0.0.1")
    with pytest.raises(AccountError, match="too short"):
        store.change_password("alice", PASSWORD, "short", "10.0.0.1")
    with pytest.raises(AccountError, match="different from the old one"):
        store.change_password("alice", PASSWORD, PASSWORD, "10.0.0.1")
    assert store.authenticate("alice", PASSWORD).ok and _password_sets(store) == []
    store.change_password("alice", PASSWORD, NEW, "10.0.0.1")
    assert store.authenticate("alice", NEW).ok and not store.authenticate("alice", PASSWORD).ok
    assert _password_sets(store) == [("alice", "alice", {"by": "self"})]
    (wrong,) = [r for r in store.audit_rows(action="sign_in_failed") if "password change" in r["detail"]]
    assert wrong["actor"] == "alice" and json.loads(wrong["detail"])["client"] == "10.0.0.1"


def test_guessing_the_current_password_locks_like_signing_in(store):
    for _ in range(store.rules.attempts):
        with pytest.raises(AccountError, match="current password is wrong"):
            store.change_password("alice", "a-wrong-guess!", NEW, "10.0.0.1")
    with pytest.raises(AccountError, match="locked"):
        store.change_password("alice", PASSWORD, NEW, "10.0.0.1")    # even the right one, behind the lock
    assert not store.authenticate("alice", NEW, "10.0.0.2").ok
    assert store.authenticate("alice", PASSWORD, "10.0.0.2").ok         # other clients are not held up


def test_a_password_an_admin_sets_works_once(store):
    assert not store.get("alice").must_change                        # existing users are not forced
    store.set_password("alice", NEW, actor="boss", one_time=True)
    assert store.get("alice").must_change and store.authenticate("alice", NEW).user.must_change
    assert _password_sets(store) == [("boss", "alice", {"one_time": True})]
    store.set_password("alice", "alices-own-password", actor="alice")  # the first sign-in's form
    assert not store.get("alice").must_change
    assert store.add("bob", "viewer", PASSWORD, actor="boss", one_time=True).must_change
    assert json.loads(store.audit_rows(action="user_add")[0]["detail"]) == {"one_time": True, "role": "viewer"}
    store.add_sso("lead@force.police.uk", "viewer")
    for change in (lambda: store.set_password("lead@force.police.uk", NEW, one_time=True),
                   lambda: store.change_password("lead@force.police.uk", "", NEW)):
        with pytest.raises(AccountError, match="single sign-on and has no password"):
            change()


# --- the command line ---------------------------------------------------------------------------------------------

def test_users_set_password_and_add_make_one_time_passwords(store):
    def run(*args, input=None):
        return CliRunner().invoke(main, ["users", *args, "--accounts", str(store.path)], input=input)

    r = run("set-password", "alice", "--password-stdin", input=NEW + "\n")
    assert r.exit_code == 0 and "at their next sign-in" in r.output, r.output
    assert store.get("alice").must_change and store.authenticate("alice", NEW).ok
    (actor, target, detail) = _password_sets(store)[0]
    assert actor.startswith("cli") and target == "alice" and detail == {"one_time": True}
    r = run("set-password", "alice", input="typed-twice-password\ntyped-twice-password\n")   # prompted, hidden
    assert r.exit_code == 0 and store.authenticate("alice", "typed-twice-password").ok
    assert run("set-password", "alice", "--password-stdin", input="short\n").exit_code == 2
    r = run("set-password", "nobody", "--password-stdin", input=NEW + "\n")
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    store.add_sso("lead@force.police.uk", "viewer")
    r = run("set-password", "lead@force.police.uk", "--password-stdin", input=NEW + "\n")
    assert r.exit_code == 2 and "no password" in r.output
    r = run("add", "carol", "--role", "viewer", "--password-stdin", "--one-time", input=PASSWORD + "\n")
    assert r.exit_code == 0 and "first sign-in" in r.output and store.get("carol").must_change
    r = run("add", "dave", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")   # setting up your own
    assert r.exit_code == 0 and "first sign-in" not in r.output and not store.get("dave").must_change


# --- the dashboard ------------------------------------------------------------------------------------------------

def _change_own(at, current: str, new: str, again: str | None = None):
    at.text_input(key="own_password").input(current)
    at.text_input(key="own_new_password").input(new)
    at.text_input(key="own_new_password_again").input(new if again is None else again)
    next(b for b in at.button if b.label == "Change password").click().run()
    return at


def test_a_signed_in_user_changes_their_own_password_in_the_sidebar(accounts):
    at = sign_in(start(), "viewer1")
    assert at.title[0].value == "Map"
    _change_own(at, PASSWORD, NEW, NEW + "x")
    assert "differ" in at.sidebar.error[0].value and accounts.authenticate("viewer1", PASSWORD).ok
    _change_own(at, "not-my-password", NEW)
    assert "current password is wrong" in at.sidebar.error[0].value
    _change_own(at, PASSWORD, NEW)
    assert "password is changed" in at.sidebar.success[0].value
    assert signed_in(at) and at.title[0].value == "Map"
    assert accounts.authenticate("viewer1", NEW).ok and not accounts.authenticate("viewer1", PASSWORD).ok
    assert [(r["actor"], r["target"]) for r in accounts.audit_rows(action="user_set_password")] == \
        [("viewer1", "viewer1")]
    assert at.session_state["own_password"] == "" and at.session_state["own_new_password"] == ""


def test_an_idle_session_changes_no_password(accounts):
    at = sign_in(start(), "viewer1")
    user = dict(at.session_state["hs_user"])
    user["seen"] -= 31 * 60
    at.session_state["hs_user"] = user
    _change_own(at, PASSWORD, NEW)
    assert not signed_in(at) and accounts.authenticate("viewer1", PASSWORD).ok


def test_a_user_added_on_the_users_page_chooses_their_own_password_first(accounts):
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    at.text_input(key="new_user_name").input("newbie")
    at.text_input(key="new_user_password").input("chosen-by-the-admin")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert "newbie added as a viewer" in at.success[0].value.replace("\\", "")
    assert accounts.get("newbie").must_change
    newbie = sign_in(start(), "newbie", "chosen-by-the-admin")
    assert [t.value for t in newbie.title] == ["Choose a new password"] and not newbie.dataframe


def test_an_admin_sets_a_password_on_the_users_page(accounts):
    viewer = sign_in(start(), "viewer1")                # a session open elsewhere, perhaps not the owner's
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    assert not [t for t in at.text_input if t.key == "reset_password"]     # not for yourself: the sidebar
    at.selectbox(key="change_user").set_value("viewer1").run()
    at.text_input(key="reset_password").input(NEW)
    at.text_input(key="reset_password_again").input(NEW + "x")
    next(b for b in at.button if b.label == "Set password").click().run()
    assert "differ" in at.error[0].value and accounts.authenticate("viewer1", PASSWORD).ok
    at.text_input(key="reset_password").input(NEW)
    at.text_input(key="reset_password_again").input(NEW)
    next(b for b in at.button if b.label == "Set password").click().run()
    assert "New password set for viewer1" in at.success[0].value.replace("\\", "")
    assert accounts.get("viewer1").must_change
    assert [(r["actor"], r["target"]) for r in accounts.audit_rows(action="user_set_password")] == \
        [("admin1", "viewer1")]

    viewer.run()                                        # its next click: signed out, told why
    assert not signed_in(viewer) and "administrator set a new password" in texts(viewer)
    viewer = sign_in(viewer, "viewer1", NEW)
    assert [t.value for t in viewer.title] == ["Choose a new password"]
    viewer.text_input(key="new_password").input("viewer-own-password")
    viewer.text_input(key="new_password_again").input("viewer-own-password")
    next(b for b in viewer.button if b.label == "Change password").click().run()
    assert viewer.title[0].value == "Map" and not accounts.get("viewer1").must_change


def test_no_password_forms_for_single_sign_on_accounts(accounts):
    accounts.add_sso("lead@force.police.uk", "viewer")
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    at.selectbox(key="change_user").set_value("lead@force.police.uk").run()
    assert not [t for t in at.text_input if t.key == "reset_password"]
    assert "single sign-on" in texts(at)


def test_a_single_sign_on_user_has_no_password_to_change(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "missing.duckdb"))
    Store().add_sso("lead@force.police.uk", "analyst")
    at = sso_tests.start(sso_tests.claims("lead@force.police.uk"))
    assert at.title[0].value == "Map"
    assert not [t for t in at.text_input if t.key == "own_password"]
    assert not [e for e in at.expander if e.label == "Change password"]
