"""The account store and `python -m etl users` / `audit`: argon2 hashes, lockout, the append-only log."""
from __future__ import annotations

import csv
import datetime as dt
import os
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from access.lockout import rules
from access.store import AccountError, Store, has_role, store_path

MAX_FAILURES = rules().attempts
from etl.cli import main

PASSWORD = "a-long-enough-password"


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "accounts.db")


def test_passwords_are_argon2_hashes_and_the_file_is_owner_only(store):
    store.add("alice", "analyst", PASSWORD)
    con = sqlite3.connect(store.path)
    (digest,) = con.execute("SELECT password_hash FROM users WHERE name = 'alice'").fetchone()
    con.close()
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.authenticate("alice", PASSWORD).ok
    assert not store.authenticate("alice", PASSWORD + "x").ok
    assert not store.authenticate("nobody", PASSWORD).ok


def test_the_store_sits_beside_the_warehouse_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "w" / "hotspots.duckdb"))
    assert store_path() == tmp_path / "w" / "hotspots-accounts.db"
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "elsewhere.db"))
    assert store_path() == tmp_path / "elsewhere.db"


def test_five_failures_lock_until_an_admin_unlocks(store):
    """A caller that names no client locks the account for every client (tests/test_security_lockout.py has
    the timed locks, the locks for one client and the throttle)."""
    store.add("bob", "viewer", PASSWORD)
    for i in range(MAX_FAILURES - 1):
        assert not store.authenticate("bob", "wrong").ok
    assert store.authenticate("bob", PASSWORD).ok  # a success clears the count
    for i in range(MAX_FAILURES):
        result = store.authenticate("bob", "wrong")
    assert "locked" in result.message and store.get("bob").locked
    assert not store.authenticate("bob", PASSWORD).ok  # even the right password
    store.unlock("bob", actor="admin")
    assert store.authenticate("bob", PASSWORD).ok
    actions = [r["action"] for r in store.audit_rows()]
    assert actions.count("sign_in_failed") == 2 * MAX_FAILURES - 1
    assert "sign_in_refused" in actions and "user_unlock" in actions and actions.count("sign_in") == 2


def test_account_rules(store):
    store.add("carol", "admin", PASSWORD)
    with pytest.raises(AccountError, match="exists already"):
        store.add("carol", "viewer", PASSWORD)
    with pytest.raises(AccountError, match="too short"):
        store.add("dave", "viewer", "short")
    with pytest.raises(AccountError, match="unknown role"):
        store.add("dave", "superuser", PASSWORD)
    with pytest.raises(AccountError, match="user name"):
        store.add("<script>", "viewer", PASSWORD)
    with pytest.raises(AccountError, match="no user"):
        store.remove("nobody")
    store.add("erin", "admin", PASSWORD)     # carol is not the only admin (tests/test_admin_safety.py)
    store.set_role("carol", "viewer")
    assert store.get("carol").role == "viewer"
    store.remove("carol")
    assert [u.name for u in store.users()] == ["erin"]
    assert has_role("admin", "analyst") and has_role("analyst", "viewer") and not has_role("viewer", "analyst")
    assert not has_role(None, "viewer") and not has_role("root", "viewer")


def test_the_audit_log_is_append_only(store):
    store.audit("alice", "export", "visit_plan", {"filters": {"district": "E07000010"}}, rows=3)
    con = sqlite3.connect(store.path)
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()
    (row,) = store.audit_rows()
    assert row["actor"] == "alice" and row["rows"] == 3 and "E07000010" in row["detail"]


def test_first_admin_only_into_an_empty_store(store):
    password = store.add_first_admin("demo-admin")
    assert password and store.authenticate("demo-admin", password).ok
    assert store.get("demo-admin").role == "admin"
    assert store.add_first_admin("demo-admin") is None


# --- the command line ------------------------------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_users_commands_and_exit_codes(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "acc.db"))
    assert "no accounts yet" in run("users", "list").output
    r = run("users", "add", "alice", "--role", "analyst", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "added alice (analyst)" in r.output
    r = run("users", "add", "alice", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "exists already" in r.output
    r = run("users", "add", "bob", "--role", "viewer", "--password-stdin", input="short\n")
    assert r.exit_code == 2 and "too short" in r.output
    assert run("users", "add", "bob", "--role", "god", "--password-stdin", input=PASSWORD).exit_code == 2
    assert run("users", "set-role", "alice", "admin").exit_code == 0
    assert Store().get("alice").role == "admin"
    for _ in range(MAX_FAILURES):
        Store().authenticate("alice", "wrong")
    listing = run("users", "list")
    assert listing.exit_code == 0 and "alice" in listing.output and "locked" in listing.output
    assert run("users", "unlock", "alice").exit_code == 0 and not Store().get("alice").locked
    assert run("users", "unlock", "nobody").exit_code == 2
    r = run("users", "remove", "alice")
    assert r.exit_code == 2 and "only admin" in r.output      # tests/test_admin_safety.py
    Store().add("root", "admin", PASSWORD)
    assert run("users", "remove", "alice").exit_code == 0
    assert run("users", "remove", "alice").exit_code == 2
    assert [u.name for u in Store().users()] == ["root"]


def test_audit_export(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "acc.db"))
    store = Store()
    store.add("alice", "viewer", PASSWORD, actor="cli:root")
    store.audit("alice", "page_view", "map", {"filters": {"district": "=cmd|' /C calc'!A0"}})
    out = tmp_path / "audit.csv"
    out.write_text("an older export, readable by all\n")
    out.chmod(0o644)
    r = run("audit", "--since", "2000-01-01", "--out", str(out))
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["action"] for row in rows] == ["user_add", "page_view"]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert run("audit", "--since", "2999-01-01", "--out", str(out)).output.startswith("wrote 0 audit row(s)")
    assert store.audit_rows(limit=1)[0]["action"] == "audit_export"  # exporting the log is itself recorded
    assert run("audit", "--since", "yesterday", "--out", str(out)).exit_code == 2


def test_audit_since_counts_from_midnight_on_uk_clocks(tmp_path, monkeypatch):
    """The Audit page's Since date counts from UK midnight; `etl audit --since` gives the same rows, so a row
    written at 00:30 BST on 15 July (23:30 UTC on the 14th) is in an export from the 15th, and 23:30 BST is not."""
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "acc.db"))
    for at, page in (("2026-07-14T22:30:00+00:00", "before"), ("2026-07-14T23:30:00+00:00", "after")):
        Store(clock=lambda at=at: dt.datetime.fromisoformat(at)).audit("alice", "page_view", page)
    out = tmp_path / "audit.csv"
    assert run("audit", "--since", "2026-07-15", "--out", str(out)).exit_code == 0
    assert [row["target"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["after"]
