"""Victim cases by role: viewers see only areas with at least N cases; analysts and admins may switch on their
exact locations (off by default, audited); nobody is ever sent a case key. Server-side: the exact positions
are read only for a role that may see them, whatever the session claims to have switched on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from access.store import Store
from analysis import map_layers
from analysis.filters import Filters
from dashboard import map_render
from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, connect, day

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "a-long-enough-password"
# Three cases in one street (an area of 3: shown to everyone as an area), one alone in Peterborough.
CASES = f"""Case Reference,Date Opened,Latitude,Longitude,Postcode,Nationality,Exploitation Type
CASE-A,{day(-10)},52.671234,0.151234,PE13 2ZZ,Lithuanian,Labour
CASE-B,{day(-11)},52.671345,0.151345,PE13 2ZZ,Lithuanian,Labour
CASE-C,{day(-12)},52.671456,0.151456,PE13 2ZZ,Romanian,Sexual
CASE-D,{day(-13)},52.574567,-0.241567,PE1 9ZZ,Vietnamese,Criminal
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude
R1,{day(-5)},"14 Mill Lane, Wisbech",PE13 2ZZ,52.6700,0.1500
"""
EXACT = ["52.671234", "52.671345", "52.671456", "52.574567"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("cases"),
                           {"postcodes": POSTCODES, "reports": REPORTS, "cases": CASES})


@pytest.fixture(scope="module")
def case_keys(warehouse) -> list[str]:
    con = connect(warehouse)
    try:
        return [r[0] for r in con.execute("SELECT case_key FROM cases").fetchall()]
    finally:
        con.close()


def test_case_points_are_positions_with_no_key(warehouse):
    con = connect(warehouse)
    try:
        points = map_layers.case_points(con, Filters.default(TODAY))
        lone = map_layers.case_points(con, Filters.from_params({**Filters.default(TODAY).to_params(),
                                                                "district": "E06000031"}))
    finally:
        con.close()
    assert list(points.columns) == ["lat", "lon", "opened_on", "exploitation_type"]
    assert len(points) == 4 and points["opened_on"].is_monotonic_decreasing
    assert lone["lat"].round(6).tolist() == [52.574567]  # the filters narrow it like every layer


def test_exact_cases_are_a_separate_layer_with_plain_tooltips():
    import pandas as pd

    frame = pd.DataFrame({"lat": [52.6712341], "lon": [0.1512341], "opened_on": [pd.Timestamp("2026-10-01")],
                          "exploitation_type": ["<b>labour</b>"]})
    html = map_render.render_html(map_render.build_map(map_render.MapData(case_points=frame),
                                                       map_render.Tiles("none")))
    assert "Victim cases (exact locations)" in html and "hs-cluster-" in html and '"case"' in html
    assert "52.671234" in html and "&lt;b&gt;labour&lt;/b&gt;" in html.replace("\\u0026", "&")
    assert map_render.clicked({"last_active_drawing": {"properties": {"kind": "case"},
                                                       "geometry": {"type": "Point", "coordinates": [0.15, 52.67]}}}) \
        == {"kind": "case", "lat": 52.67, "lon": 0.15}


# --- by role, through the dashboard ----------------------------------------------------------------------------

@pytest.fixture
def accounts(warehouse, tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("HOTSPOTS_DB", str(warehouse))
    monkeypatch.setenv("HOTSPOTS_TILES", "none")
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    store = Store()
    for role in ("viewer", "analyst", "admin"):
        store.add(f"{role}1", role, PASSWORD)
    return store


def signed_in_map(name: str, session: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and at.title[0].value == "Map"
    return at


def map_html(at: AppTest) -> str:
    """Everything the map page sends to the browser: the folium map's arguments and every text element."""
    parts = [c.proto.json_args for c in at.get("component_instance")]
    for kind in ("title", "caption", "markdown", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def test_a_viewer_sees_case_areas_but_never_exact_locations(accounts, case_keys):
    # even a session that claims the switch is on gets no exact positions: the role is checked, not the widget
    at = signed_in_map("viewer1", session={"map_case_points": True})
    assert not [t for t in at.toggle if t.key == "map_case_points"]
    html = map_html(at)
    assert "3 victim cases in this area" in html          # the area of three is drawn
    assert not [p for p in EXACT if p in html]            # no case's own position
    assert "exact locations" not in html
    assert not [k for k in case_keys if k in html]
    assert not accounts.audit_rows(action="view_case_locations")


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_may_switch_on_exact_locations(accounts, case_keys, role):
    at = signed_in_map(f"{role}1")
    switch = at.toggle(key="map_case_points")
    assert switch.value is False                          # off by default
    assert not [p for p in EXACT if p in map_html(at)]
    switch.set_value(True).run()
    assert not at.exception
    html = map_html(at)
    assert all(p in html for p in EXACT)                  # every case, the lone one too
    assert "Victim cases (exact locations)" in html
    assert not [k for k in case_keys if k in html]        # never a case key
    assert not [ref for ref in ("CASE-A", "CASE-D") if ref in html]
    (row,) = accounts.audit_rows(action="view_case_locations")
    assert row["actor"] == f"{role}1" and row["target"] == "map" and row["rows"] == 4
    assert "from" in json.loads(row["detail"])["filters"]
    at.run()                                              # a rerun that changes nothing is not a new view
    assert len(accounts.audit_rows(action="view_case_locations")) == 1
