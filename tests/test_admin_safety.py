"""The last admin stays an admin, and the Users page says what it is about to do and what it did.

Found by a tester: the only admin demoted themselves in one click (the role select offered "viewer" whoever was
chosen) and nobody was left to manage accounts; Remove acted without asking; every action said only "Done."
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from access.store import AccountError, Store
from etl.cli import main
from tests.test_access_dashboard import PAGES, PASSWORD, accounts, sign_in, start, texts  # noqa: F401


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "accounts.db")
    store.add("boss", "admin", PASSWORD)
    store.add("alice", "analyst", PASSWORD)
    return store


# --- the account store (so the CLI and the dashboard alike) ------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_the_only_admin_can_not_be_demoted(store, role):
    with pytest.raises(AccountError, match="'boss' is the only admin.*make another user an admin first"):
        store.set_role("boss", role, actor="boss")
    assert store.get("boss").role == "admin"
    assert "user_set_role" not in [r["action"] for r in store.audit_rows()]


def test_the_only_admin_can_not_be_removed(store):
    with pytest.raises(AccountError, match="can't remove 'boss': 'boss' is the only admin"):
        store.remove("boss", actor="cli:root")
    assert store.get("boss") is not None


def test_with_a_second_admin_either_may_go(store):
    store.set_role("boss", "admin")             # re-setting an admin's own role is no demotion
    store.set_role("alice", "admin")
    store.set_role("boss", "viewer", actor="alice")
    assert store.get("boss").role == "viewer"
    with pytest.raises(AccountError, match="only admin"):
        store.remove("alice")
    store.remove("boss", actor="alice")
    store.set_role("alice", "admin")


def test_a_single_sign_on_admin_counts(store):
    store.add_sso("lead@force.police.uk", "admin")
    store.set_role("boss", "viewer")
    with pytest.raises(AccountError, match="only admin"):
        store.set_role("Lead@Force.Police.UK", "analyst")


def test_the_cli_refuses_with_one_line_and_status_2(store):
    run = CliRunner()
    r = run.invoke(main, ["users", "set-role", "boss", "viewer", "--accounts", str(store.path)])
    assert r.exit_code == 2 and "'boss' is the only admin" in r.output and "Traceback" not in r.output
    r = run.invoke(main, ["users", "remove", "boss", "--accounts", str(store.path)])
    assert r.exit_code == 2 and "only admin" in r.output
    r = run.invoke(main, ["users", "set-role", "alice", "analyst", "--accounts", str(store.path)])
    assert r.exit_code == 0 and "alice is now an analyst" in r.output
    assert store.get("boss").role == "admin"


# --- the Users page ---------------------------------------------------------------------------------------------

def _users_page(name: str = "admin1"):
    at = sign_in(start(), name)
    at.switch_page(PAGES["users"]).run()
    assert at.title[0].value == "Users"
    return at


def _choose(at, who: str):
    return at.selectbox(key="change_user").set_value(who).run()


def test_the_role_select_starts_at_the_chosen_users_role(accounts):
    at = _users_page()
    assert at.selectbox(key="change_user").value == "admin1"
    assert at.selectbox(key="change_role").value == "admin"
    assert at.button(key="set_role").disabled          # nothing to change yet
    _choose(at, "analyst1")
    assert at.selectbox(key="change_role").value == "analyst"
    at.selectbox(key="change_role").set_value("viewer").run()
    assert not at.button(key="set_role").disabled
    _choose(at, "viewer1")
    assert at.selectbox(key="change_role").value == "viewer"   # not the role picked for someone else
    at.switch_page(PAGES["map"]).run()
    at.switch_page(PAGES["users"]).run()
    _choose(at, "analyst1")
    assert at.selectbox(key="change_role").value == "analyst"


def test_the_only_admin_demoting_themselves_is_refused_on_the_page(accounts):
    at = _users_page()
    at.selectbox(key="change_role").set_value("viewer").run()
    at.button(key="set_role").click().run()
    assert accounts.get("admin1").role == "admin"
    assert "only admin" in at.error[0].value and "Nothing was changed" in at.error[0].value
    assert at.title[0].value == "Users"


def test_set_role_and_unlock_say_what_they_did(accounts):
    at = _users_page()
    _choose(at, "analyst1")
    at.selectbox(key="change_role").set_value("admin").run()
    at.button(key="set_role").click().run()
    assert accounts.get("analyst1").role == "admin"
    assert "analyst1 is now an admin" in at.success[0].value.replace("\\", "")
    at.button(key="unlock").click().run()
    assert "analyst1 unlocked" in at.success[0].value.replace("\\", "")
    assert "Done." not in texts(at)


def test_remove_asks_first_and_says_who_went(accounts):
    at = _users_page()
    _choose(at, "viewer1")
    assert at.button(key="remove").disabled
    assert "viewer1" in at.checkbox(key="confirm_remove").label.replace("\\", "")
    at.checkbox(key="confirm_remove").check().run()
    assert not at.button(key="remove").disabled
    at.checkbox(key="confirm_remove").uncheck()         # untick and click in one go: the server checks again
    at.button(key="remove").click().run()
    assert accounts.get("viewer1") is not None
    assert "Nothing was changed" in at.error[0].value
    at.checkbox(key="confirm_remove").check().run()
    _choose(at, "analyst1")                            # a tick is for the user it named
    assert not at.checkbox(key="confirm_remove").value and at.button(key="remove").disabled
    _choose(at, "viewer1")
    at.checkbox(key="confirm_remove").check().run()
    at.button(key="remove").click().run()
    assert accounts.get("viewer1") is None
    assert "viewer1 removed" in at.success[0].value.replace("\\", "")
    assert [r["action"] for r in accounts.audit_rows(actor="admin1") if r["action"] == "user_remove"] == \
        ["user_remove"]
