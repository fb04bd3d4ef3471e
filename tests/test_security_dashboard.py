"""Security defects found in review, each held by a test that failed before its fix (AppTest unless noted).

- Account changes made by a widget callback check the signed-in account again (the callback runs before
  the page's own check).
- The map's panel reads only cells and markers the map drew: no forged fine cell down to one victim's door.
- Text from a link, a source name, a boundary name or an address is shown as text, never as markdown.
- Every export is built and audited when it is fetched, never left at a /media/ address beforehand.
- The safety settings of .streamlit/config.toml hold whichever folder the server started in.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from access.store import Store
from dashboard import auth, map_render, server_options, ui
from tests.test_access_dashboard import (PAGES, accounts, sign_in, signed_in, small_db,  # noqa: F401
                                         start)

ACCOUNT_CHANGES = {"user_add", "user_remove", "user_set_role", "user_unlock", "user_set_password"}
IMAGE = "![x](http://evil.invalid/x.png)"


def _idle(at: AppTest) -> None:
    """Make the session's last click 31 minutes old (the idle limit is 30)."""
    user = dict(at.session_state["hs_user"])
    user["seen"] -= 31 * 60
    at.session_state["hs_user"] = user


def _changes_by(accounts: Store, actor: str) -> list[str]:
    return [r["action"] for r in accounts.audit_rows(actor=actor) if r["action"] in ACCOUNT_CHANGES]


# --- 1. callbacks that change something check the account again ------------------------------------------------

def _users_page_choosing(accounts: Store, who: str, role: str) -> AppTest:
    at = sign_in(start(), "admin1")
    at.switch_page(PAGES["users"]).run()
    at.selectbox(key="change_user").set_value(who).run()   # a browser reruns for each choice
    at.selectbox(key="change_role").set_value(role).run()
    assert at.title[0].value == "Users"
    return at


def test_a_demoted_admin_can_not_change_roles_from_the_page_on_screen(accounts):
    at = _users_page_choosing(accounts, "viewer1", "admin")
    accounts.add("admin2", "admin", "another long password", actor="test")   # the only admin can't be demoted
    accounts.set_role("admin1", "viewer", actor="test")   # revoked while the page is open
    at.button(key="set_role").click().run()
    assert accounts.get("viewer1").role == "viewer"
    assert _changes_by(accounts, "admin1") == []


def test_a_locked_admin_can_not_unlock_anyone(accounts):
    for _ in range(5):
        accounts.authenticate("viewer1", "wrong password!")
    assert accounts.get("viewer1").locked
    at = _users_page_choosing(accounts, "viewer1", "viewer")
    for _ in range(5):
        accounts.authenticate("admin1", "wrong password!")
    at.button(key="unlock").click().run()
    assert accounts.get("viewer1").locked
    assert _changes_by(accounts, "admin1") == []


def test_an_idle_admin_can_not_remove_anyone(accounts):
    at = _users_page_choosing(accounts, "analyst1", "viewer")
    at.checkbox(key="confirm_remove").check().run()
    _idle(at)
    at.button(key="remove").click().run()
    assert accounts.get("analyst1") is not None
    assert _changes_by(accounts, "admin1") == []
    assert not signed_in(at)


def test_a_signed_in_admin_still_changes_roles(accounts):
    at = _users_page_choosing(accounts, "viewer1", "analyst")
    at.button(key="set_role").click().run()
    assert accounts.get("viewer1").role == "analyst"
    assert _changes_by(accounts, "admin1") == ["user_set_role"]


def test_an_idle_one_time_password_session_sets_no_password(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    monkeypatch.setenv("HOTSPOTS_DB", str(tmp_path / "missing.duckdb"))
    store = Store()
    one_time = store.add_first_admin("boss")
    at = sign_in(start(), "boss", one_time)
    assert at.title[0].value == "Choose a new password"
    _idle(at)
    at.text_input(key="new_password").input("a-brand-new-password")
    at.text_input(key="new_password_again").input("a-brand-new-password")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert store.get("boss").must_change and not store.authenticate("boss", "a-brand-new-password").ok
    assert "user_set_password" not in [r["action"] for r in store.audit_rows()]


# --- 2. the map's panel: only what the map drew --------------------------------------------------------------

def _hex_click(cell: str, kind: str = "hex") -> dict:
    return {"last_active_drawing": {"type": "Feature", "properties": {"kind": kind, "h3": cell},
                                    "geometry": {"type": "Polygon", "coordinates": []}}}


def _marker_click(kind: str, lat: float = 52.2, lon: float = 0.12) -> dict:
    return {"last_active_drawing": {"type": "Feature", "properties": {"kind": kind},
                                    "geometry": {"type": "Point", "coordinates": [lon, lat]}}}


@pytest.mark.parametrize("resolution", [0, 5, 6, 10, 12, 15])
def test_a_forged_cell_of_a_size_the_map_never_draws_opens_no_panel(resolution):
    cell = h3.latlng_to_cell(52.2, 0.12, resolution)
    assert map_render.clicked(_hex_click(cell)) is None
    assert map_render.clicked(_hex_click(cell, "cases")) is None


def test_only_cells_and_markers_on_the_map_open_the_panel():
    drawn_cell, other = h3.latlng_to_cell(52.2, 0.12, 8), h3.latlng_to_cell(52.5, 0.12, 8)
    case_area = h3.latlng_to_cell(52.2, 0.12, 7)
    data = map_render.MapData(report_hexes={8: pd.DataFrame({"h3": [drawn_cell], "reports": [4]})},
                              cases=pd.DataFrame({"h3": [case_area], "cases": [3]}),
                              hmo=pd.DataFrame({"lat": [52.2], "lon": [0.12]}))
    drawn = map_render.drawn_places(data)
    assert map_render.clicked(_hex_click(drawn_cell), drawn) == {"kind": "hex", "h3": drawn_cell}
    assert map_render.clicked(_hex_click(other), drawn) is None
    assert map_render.clicked(_hex_click(case_area, "cases"), drawn) == {"kind": "cases", "h3": case_area}
    assert map_render.clicked(_hex_click(drawn_cell, "cases"), drawn) is None   # a report cell is no case area
    assert map_render.clicked(_marker_click("hmo"), drawn) == {"kind": "hmo", "lat": 52.2, "lon": 0.12}
    assert map_render.clicked(_marker_click("case"), drawn) is None     # no exact cases drawn for this role
    assert map_render.clicked(_marker_click("hmo", lat=float("nan")), drawn) is None


def test_the_map_page_ignores_a_forged_fine_cell(small_db, accounts, monkeypatch):
    """Through the page: a res-15 cell sent back as the map's value shows no panel; a drawn one does."""
    import streamlit_folium

    sent: list = [None]
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: sent[0])   # what the browser returns
    at = sign_in(start("map"), "viewer1")
    assert at.title[0].value == "Map" and not at.exception
    sent[0] = _hex_click(h3.latlng_to_cell(52.6641, 0.1597, 15))
    at.run()
    assert not at.exception
    assert [s.value for s in at.subheader if s.value in ("In this hexagon", "What is known here")] \
        == ["What is known here"]
    sent[0] = _hex_click(h3.latlng_to_cell(52.6641, 0.1597, 8))    # a hexagon the map drew
    at.run()
    assert "In this hexagon" in [s.value for s in at.subheader]


# --- 3-5. text from data or a link is text --------------------------------------------------------------------

def test_a_shared_link_puts_no_markdown_into_the_filter_caption(small_db, accounts):
    query = {"district": IMAGE, "nationality": "[Sign in again](http://phish.invalid)", "exploitation": "**x**"}
    at = sign_in(start("overview", query=query), "viewer1")
    assert not at.exception
    caption = next(c.value for c in at.caption if c.value.startswith("Showing "))
    assert "![x](http" not in caption and "](http://phish" not in caption and "**x**" not in caption
    assert "\\!\\[x\\]" in caption     # still there, as escaped text


def test_filter_summary_escapes_every_value():
    from analysis.filters import Filters

    f = Filters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31), districts=(IMAGE,),
                exploitation_types=("[a](http://b)",), source_types=("<img src=x>",), nationalities=("*n*",))
    said = ui.filter_summary(f)
    for raw in (IMAGE, "[a](http://b)", "*n*"):
        assert raw not in said
    assert not re.search(r"(?<!\\)<img", said)


def test_an_outcome_saved_names_the_address_as_text(small_db, accounts, tmp_path, monkeypatch):
    """The address in "Saved: … at <address>" is a reporter's text, rendered by st.success as markdown."""
    at = sign_in(start("visits"), "viewer1")
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    at.switch_page(PAGES["plans"]).run()
    stops = at.selectbox(key=next(s.key for s in at.selectbox if s.key and s.key.startswith("outcome_stop_")))
    hostile = next(i for i, label in enumerate(stops.options) if "<img" in label)
    stops.set_value(hostile).run()
    next(s for s in at.selectbox if s.label == "Outcome").set_value("no_concerns")   # none is chosen for the lead
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert not at.exception
    saved = [s.value for s in at.success if s.value.startswith("Saved")]
    assert saved and not re.search(r"(?<!\\)<img", saved[0]) and "\\<img" in saved[0]


def test_source_and_boundary_names_are_shown_as_text(monkeypatch):
    """data.py shows data_health's warnings, map.py the study area note: both name things as loaded."""
    source = Path(__file__).resolve().parent.parent / "dashboard" / "views"
    data_page, map_page = (source / "data.py").read_text(), (source / "map.py").read_text()
    assert "st.warning(escape.markdown_text(warning))" in data_page
    assert "{escape.markdown_text(hot.area_note)}" in map_page


# --- 6. exports: built and audited when fetched ---------------------------------------------------------------

def _exports(accounts: Store) -> list[dict]:
    return accounts.audit_rows(action="export")


def test_visit_list_downloads_leave_only_when_fetched_and_always_audited(small_db, accounts, downloads):
    at = sign_in(start("visits"), "viewer1")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert sorted(Path(n).suffix for n in downloads) == [".csv", ".xlsx"]
    assert all(callable(d) for d in downloads.values())       # no bytes waiting at a /media/ address
    for button in at.get("download_button"):                 # a click itself writes nothing...
        button.click().run()
    assert _exports(accounts) == []
    files = {Path(n).suffix: make() for n, make in downloads.items()}   # ...fetching the file does, once each
    assert files[".csv"].startswith(b"\xef\xbb\xbf") or b"Rank" in files[".csv"]
    rows = _exports(accounts)
    assert sorted(json.loads(r["detail"])["format"] for r in rows) == ["csv", "xlsx"]
    assert all(r["actor"] == "viewer1" and r["rows"] == 2 and r["target"] == "visit_plan" for r in rows)


def test_a_download_is_refused_to_an_account_removed_locked_or_idle(small_db, accounts, downloads):
    at = sign_in(start("visits"), "viewer1")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    make = next(d for n, d in downloads.items() if n.endswith(".csv"))
    for _ in range(5):
        accounts.authenticate("viewer1", "wrong password!")
    with pytest.raises(auth.ExportRefused):
        make()
    assert _exports(accounts) == []


def test_visit_plan_page_downloads_are_deferred_and_audited(small_db, accounts, downloads):
    at = sign_in(start("visits"), "admin1")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    downloads.clear()
    at.switch_page(PAGES["plans"]).run()
    assert sorted(Path(n).suffix for n in downloads) == [".csv", ".gpx", ".pdf", ".xlsx"]
    assert all(callable(d) for d in downloads.values())
    assert all(make() for make in downloads.values())
    assert sorted(json.loads(r["detail"])["format"] for r in _exports(accounts)) == ["csv", "gpx", "pdf", "xlsx"]


# --- 7. the config's safety settings hold wherever the server starts -----------------------------------------

@pytest.fixture
def restore_options():
    keys = list(server_options.SECURITY_OPTIONS)
    before = {k: st_config.get_option(k) for k in keys}
    yield
    for key, value in before.items():
        st_config.set_option(key, value)


def test_the_config_file_is_where_the_settings_are_read():
    wanted = server_options.required()
    assert wanted == {"client.disableDataExport": True, "client.showErrorDetails": "none",
                      "client.toolbarMode": "minimal", "browser.gatherUsageStats": False}


def test_table_export_is_switched_off_again_when_the_config_was_not_read(accounts, restore_options):
    st_config.set_option("client.disableDataExport", False)      # as when started from another folder
    st_config.set_option("client.showErrorDetails", "full")
    at = sign_in(start(), "viewer1")
    assert not at.exception and signed_in(at)
    assert st_config.get_option("client.disableDataExport") is True
    assert st_config.get_option("client.showErrorDetails") == "none"


def test_usage_statistics_on_stop_the_app_with_how_to_start_it(accounts, restore_options):
    st_config.set_option("browser.gatherUsageStats", True)
    at = start()
    assert not at.title and not at.text_input                   # not even the sign-in form
    assert any("browser.gatherUsageStats" in e.value and "repository folder" in e.value for e in at.error)
