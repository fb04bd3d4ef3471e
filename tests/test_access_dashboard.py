"""Sign-in and roles in the dashboard (AppTest): anonymous visitors see only the sign-in form, each role
exactly its pages, five failures lock an account (for the client that failed), idle sessions end, exports and page views are audited."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from access.store import Store
from etl.loading import load_file
from tests.helpers import empty_synthetic_warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PAGES = {"map": "views/map.py", "visits": "views/visits.py", "plans": "views/plans.py", "overview": "views/overview.py",
         "data": "views/data.py", "users": "views/users.py", "audit": "views/audit.py"}
TITLES = {"map": "Map", "visits": "Visit list", "plans": "Visit plans", "overview": "Overview", "data": "Data", "users": "Users",
          "audit": "Audit log"}
ROLE_PAGES = {"viewer": {"map", "visits", "plans", "overview"},
              "analyst": {"map", "visits", "plans", "overview", "data"},
              "admin": set(PAGES)}
PASSWORD = "the-right-password"
XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "`${alert(2)}`\\"    # ends or runs code in the JavaScript template literal folium writes a tooltip into


@pytest.fixture
def accounts(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "missing.duckdb"))  # pages say "no warehouse": fast
    store = Store()
    for role in ROLE_PAGES:
        store.add(role + "1", role, PASSWORD)
    return store


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "caption", "markdown", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def start(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        go(at, page)
    return at


def go(at: AppTest, page: str) -> AppTest:
    """Open a page by its address. Signed out, every address is a sign-in form (named by its url path)."""
    try:
        at.switch_page(PAGES[page])
    except ValueError:  # AppTest finds pages by file; the anonymous sign-in pages are functions
        at._page_hash = calc_hash(page)
    return at.run()


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def signed_in(at: AppTest) -> bool:
    return "hs_user" in at.session_state


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_sees_only_the_sign_in_form(accounts, page):
    at = start(page, query={"district": "E07000010"})
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.sidebar.children or not at.multiselect  # no filters, no page
    assert not at.dataframe and not at.metric
    assert not signed_in(at)


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_sees_exactly_its_pages(accounts, role):
    at = sign_in(start(), role + "1")
    assert not at.exception and signed_in(at)
    assert f"Signed in as **{role}1** ({role})" in texts(at)
    for page in PAGES:
        if page in ROLE_PAGES[role]:
            at.switch_page(PAGES[page]).run()
            assert not at.exception, (role, page, at.exception)
            assert at.title[0].value == TITLES[page], (role, page)
        else:  # never registered for this role (its address falls back to the map)
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(PAGES[page])


def test_a_page_refuses_a_role_even_when_run_directly(accounts):
    """Each page checks the role itself, in case it is ever reached without the navigation."""
    def page():
        import streamlit as st

        from dashboard import auth

        st.session_state["hs_user"] = {"name": "viewer1", "role": "viewer", "since": 0, "seen": 0}
        auth.require("data")
        st.title("Data")

    at = AppTest.from_function(page).run()
    assert [e.value for e in at.error] == ["You don't have access to this page."]
    assert not at.title


def test_a_deep_link_opens_its_page_with_its_filters_after_sign_in(accounts):
    at = sign_in(start("overview", query={"district": "E07000010"}), "viewer1")
    assert at.title[0].value == "Overview"
    assert at.multiselect(key="f_districts").value == ["E07000010"]
    views = accounts.audit_rows(action="page_view")
    assert views[0]["target"] == "overview" and "E07000010" in views[0]["detail"]


def test_wrong_passwords_lock_the_account_after_five(accounts):
    at = start()
    for attempt in range(5):
        sign_in(at, "viewer1", "wrong password")
        assert not signed_in(at)
    assert "locked" in texts(at)
    sign_in(at, "viewer1")  # the right password no longer opens it, from this client (tests/test_security_lockout.py)
    assert not signed_in(at) and "locked" in texts(at)
    assert accounts.get("viewer1").clients_locked == 1
    accounts.unlock("viewer1", actor="admin1")
    sign_in(at, "viewer1")
    assert signed_in(at)
    assert not at.session_state["signin_password"]  # the password is not kept in the session


def test_sign_out_and_audit(accounts):
    at = sign_in(start(), "analyst1")
    next(b for b in at.button if b.key == "sign_out").click().run()
    assert not signed_in(at) and [t.value for t in at.title] == ["Sign in"]
    actions = [r["action"] for r in reversed(accounts.audit_rows(actor="analyst1"))]
    assert actions == ["sign_in", "page_view", "sign_out"]


def test_an_idle_session_times_out(accounts, monkeypatch):
    at = sign_in(start(), "viewer1")
    assert signed_in(at)
    user = dict(at.session_state["hs_user"])
    user["seen"] -= 31 * 60
    at.session_state["hs_user"] = user
    at.run()
    assert not signed_in(at) and "without activity" in texts(at)
    assert accounts.audit_rows(limit=1)[0]["action"] == "sign_out"


def test_a_removed_or_demoted_account_loses_access_at_the_next_click(accounts):
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    assert at.title[0].value == "Users"
    accounts.add("admin2", "admin", PASSWORD)   # the only admin can't be demoted or removed
    accounts.set_role("admin1", "viewer")
    at.run()
    assert at.title[0].value == "Map"
    accounts.remove("admin1")
    at.run()
    assert not signed_in(at) and [t.value for t in at.title] == ["Sign in"]


def test_admin_pages_manage_users_and_show_the_audit_log(accounts):
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    names = at.dataframe[0].value["name"].tolist()
    assert names == ["admin1", "analyst1", "viewer1"]
    at.text_input(key="new_user_name").input("newbie")
    at.selectbox(key="new_user_role").set_value("analyst")
    at.text_input(key="new_user_password").input("newbie-password-1")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert accounts.get("newbie").role == "analyst"
    at.selectbox(key="change_user").set_value("newbie").run()
    at.checkbox(key="confirm_remove").check().run()
    at.button(key="remove").click().run()
    assert accounts.get("newbie") is None
    at.switch_page(PAGES["audit"]).run()
    log = at.dataframe[0].value
    assert {"Added a user", "Removed a user", "Signed in"} <= set(log["action"])   # words, not codes
    assert set(log.loc[log["action"] == "Added a user", "actor"]) >= {"admin1"}
    views = log.loc[log["action"] == "Opened a page", "detail"]
    assert len(views) and all(d.startswith("filters: from ") and "{" not in d for d in views)
    assert "None" not in set(log["rows"].astype(str)) and "" in set(log["rows"])
    assert str(log["at"].dtype).startswith("datetime64") and log["at"].notna().all()   # a time, not ISO text
    from dashboard import labels
    pages_write = {"page_view", "export", "view_case_locations", "plan_saved", "plan_changed", "outcome_recorded",
                   "sign_out", "sign_in_refused"}
    assert pages_write <= set(labels.AUDIT_ACTIONS)     # every action the pages record has its words and filter


def test_a_fresh_demo_warehouse_gets_a_demo_admin_printed_once(tmp_path, monkeypatch, capsys):
    empty_synthetic_warehouse(tmp_path, monkeypatch)
    at = start()
    out = capsys.readouterr().out
    assert "demo-admin" in out
    password = out.split("one-time password")[1].split()[0]
    assert "one-time password printed in the terminal" in texts(at)
    store = Store()
    assert store.path == tmp_path / "hotspots-accounts.db"
    start()
    assert "one-time password" not in capsys.readouterr().out  # only once
    sign_in(at, "demo-admin", password)
    assert signed_in(at) and at.session_state["hs_user"]["role"] == "admin"
    assert [t.value for t in at.title] == ["Choose a new password"]  # one-time: nothing else until then
    assert not at.multiselect and not at.dataframe

    def change(new: str, again: str) -> None:
        at.text_input(key="new_password").input(new)
        at.text_input(key="new_password_again").input(again)
        next(b for b in at.button if b.label == "Change password").click().run()

    change("my-own-password-1", "my-own-password-2")
    assert "differ" in texts(at) and at.title[0].value == "Choose a new password"
    change(password, password)
    assert "different from the old one" in texts(at)
    change("my-own-password-1", "my-own-password-1")
    assert at.title[0].value == "Map" and not store.get("demo-admin").must_change
    assert store.authenticate("demo-admin", "my-own-password-1").ok
    assert not store.authenticate("demo-admin", password).ok


def test_no_demo_admin_for_a_real_warehouse(tmp_path, monkeypatch, capsys):
    db = tmp_path / "real.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.close()
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.delenv("HOTSPOTS_ACCOUNTS", raising=False)
    start()
    assert "demo-admin" not in capsys.readouterr().out
    assert Store().count() == 0


# --- a small warehouse: exports are audited, hostile text stays text for every role ---------------------------

@pytest.fixture
def small_db(tmp_path, monkeypatch, accounts) -> Path:
    db = tmp_path / "small.duckdb"
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    reports = tmp_path / "reports.csv"
    reports.write_text(
        "Report Ref,Date Received,Source Type,Address,Postcode,Latitude,Longitude,Indicators,Exploitation Type,"
        "Nationalities,People Seen,Grading,Summary\n"
        f'X-1,{day},Member of public,"{XSS}",PE13 2ZZ,52.6641,0.1597,many people coming and going,Labour,Romanian,9,'
        f'2-B-P,"Seen {XSS}"\n'
        f'X-2,{day},Police,"12 High Street, Wisbech",PE13 1AA,52.6645,0.1601,mattresses on floors,Labour,Polish,3,'
        f'1-A-P,"=HYPERLINK(""http://evil"")"\n', encoding="utf-8")
    hmo = tmp_path / "hmo.csv"
    hmo.write_text(
        "Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
        f'"L-1","{XSS}",PE13 2ZZ,52.6643,0.1599,5,01/04/2024,31/03/2029\n', encoding="utf-8")
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    load_file("reports", reports, db=db, source="Test reports")
    load_file("hmo", hmo, db=db, source="Test council")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    return db


def test_visit_plan_downloads_are_audited(small_db, accounts, downloads):
    at = sign_in(start("visits"), "viewer1")
    assert at.title[0].value == "Visit list"
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Download CSV", "Download Excel (XLSX)"]
    for name in sorted(downloads, key=lambda n: not n.endswith(".csv")):   # the file is built when fetched,
        downloads[name]()                                                  # and its audit row written then
    exports = accounts.audit_rows(action="export")
    assert [json.loads(r["detail"])["format"] for r in exports] == ["xlsx", "csv"]
    assert all(r["actor"] == "viewer1" and r["rows"] == 2 and r["target"] == "visit_plan" for r in exports)
    assert "from" in json.loads(exports[0]["detail"])["filters"]


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_hostile_text_renders_as_text_on_every_page_of_every_role(small_db, accounts, role):
    at = sign_in(start(), role + "1")
    for page in sorted(ROLE_PAGES[role]):
        at.switch_page(PAGES[page]).run()
        assert not at.exception, (role, page)
        for md in at.markdown:  # markdown that allows HTML never carries the payload unescaped
            if md.proto.allow_html:
                assert XSS not in md.value, (role, page)


def _as_javascript_reads(text: str) -> str:
    """A script as the browser's JavaScript reads its string literals (Jinja's tojson writes `<` as \\u003c)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).replace('\\"', '"')


def _assert_shown_as_text(markup: str, where: str) -> None:
    """The payloads are there, as entities, and neither as HTML nor as code."""
    assert XSS not in markup and "<img" not in markup, where
    assert "`${alert(2)}`" not in markup and "${alert(2)}" not in markup, where
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup, where
    assert "&#96;&#36;{alert(2)}&#96;&#92;" in markup, where


@pytest.fixture
def hostile_db(tmp_path, monkeypatch, accounts) -> Path:
    """A report and a licence at the same address, which holds both payloads, as does the report's summary."""
    db = tmp_path / "hostile.duckdb"
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    reports = tmp_path / "reports.csv"
    reports.write_text(
        "Report Ref,Date Received,Source Type,Address,Postcode,Latitude,Longitude,Indicators,Exploitation Type,"
        "Nationalities,People Seen,Grading,Summary\n"
        f'X-1,{day},Member of public,"{XSS} {TEMPLATE}",PE13 2ZZ,52.6641,0.1597,many people coming and going,'
        f'Labour,Romanian,9,2-B-P,"Seen {XSS} {TEMPLATE}"\n', encoding="utf-8")
    hmo = tmp_path / "hmo.csv"
    hmo.write_text(
        "Licence Number,Address,Postcode,Latitude,Longitude,Maximum Occupants,Licence Start Date,Licence Expiry Date\n"
        f'"L-1","{XSS} {TEMPLATE}",PE13 2ZZ,52.6643,0.1599,5,01/04/2024,31/03/2029\n', encoding="utf-8")
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    load_file("reports", reports, db=db, source="Test reports")
    load_file("hmo", hmo, db=db, source="Test council")
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    return db


@pytest.mark.slow
def test_hostile_text_is_escaped_in_raw_html_and_in_the_map(hostile_db, accounts, monkeypatch):
    """st.html (the map's side panel, the visit list's cards) and the folium map take HTML as it comes: an address
    or a summary reaches them as entities, including the characters of a JavaScript template literal."""
    import h3
    import streamlit_folium

    at = sign_in(start("map"), "viewer1")
    assert at.title[0].value == "Map" and not at.exception
    folium_args = [json.loads(c.proto.json_args) for c in at.get("component_instance")
                   if c.proto.component_name.endswith("st_folium")]
    assert folium_args
    _assert_shown_as_text(_as_javascript_reads(folium_args[0]["script"]), "the map's script")
    assert XSS not in _as_javascript_reads(json.dumps(folium_args)), "the map's arguments"

    clicked = {"last_active_drawing": {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []},
                                       "properties": {"kind": "hex", "h3": h3.latlng_to_cell(52.6641, 0.1597, 8)}}}
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: clicked)   # the browser sends a click
    at.run()
    assert "In this hexagon" in [s.value for s in at.subheader] and not at.exception
    panel = "".join(h.value for h in at.html)
    _assert_shown_as_text(panel, "the map's side panel")
    assert "Seen &lt;img" in panel       # the summary, as well as the address

    at.switch_page(PAGES["visits"]).run()
    assert not at.exception
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    cards = [h.value for h in at.html if h.value.startswith('<article class="hs-door"')]
    assert len(cards) == 2        # the list's cards, and the plan's
    for body in cards:
        _assert_shown_as_text(body, "the visit list's cards")


@pytest.mark.slow
def test_case_keys_and_references_are_never_shown(tmp_path, monkeypatch, accounts):
    samples = ROOT / "data" / "samples"
    db = tmp_path / "samples.duckdb"
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    for kind, name in (("postcodes", "postcodes_sample.csv"), ("hmo", "hmo_register_sample.csv"),
                       ("reports", "reports_sample.csv"), ("cases", "cases_sample.csv")):
        load_file(kind, samples / name, db=db, source=name)
    monkeypatch.setenv("HOTSPOTS_DB", str(db))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    con = duckdb.connect(str(db), read_only=True)
    keys = [r[0] for r in con.execute("SELECT case_key FROM cases").fetchall()]
    con.close()
    assert keys
    secrets = keys + ["VWH-0001", "Person 0001"]
    at = sign_in(start(query={"from": "2020-01-01"}), "admin1")
    for page in PAGES:
        at.switch_page(PAGES[page]).run()
        assert not at.exception, page
        shown = [texts(at)] + [d.value.to_csv() for d in at.dataframe]
        shown += [c.proto.json_args for c in at.get("component_instance")]
        everything = "\n".join(shown)
        assert not [s for s in secrets if s in everything], page


def test_visit_plan_pages_and_downloads_are_audited_and_hostile_text_stays_text(small_db, accounts, downloads):
    at = sign_in(start("visits"), "viewer1")
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    team = next(t for t in at.text_input if t.label == "Team")
    team.input("![x](http://evil.invalid/x.png) <b>bold</b>")
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    downloads.clear()   # the visit list's own: only the plan page's are fetched below
    at.switch_page(PAGES["plans"]).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Visit plans"
    for md in at.markdown:
        assert "![x](http" not in md.value  # a link or image typed into a field is shown, not fetched
        if md.proto.allow_html:
            assert XSS not in md.value
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Briefing pack (PDF)", "Stops (CSV)", "Stops (Excel)", "Route (GPX)"]
    for make in downloads.values():   # built, and audited, when the browser fetches each file
        make()
    exports = accounts.audit_rows(action="export")
    assert sorted(json.loads(r["detail"])["format"] for r in exports) == ["csv", "gpx", "pdf", "xlsx"]
    assert all(r["actor"] == "viewer1" and r["target"] == "visit_plan" and r["rows"] == 2 for r in exports)
    assert [r["action"] for r in accounts.audit_rows(action="plan_saved")] == ["plan_saved"]
