"""The visit plan journey in AppTest on the demo: tick addresses, save a plan, open it, download the pack,
record outcomes, and see them move the visit list. Every step is audited."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from access.store import Store
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from operations.store import OperationsStore
from tests.helpers import app_signed_in, dashboard_on

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "viewer-password-1"


@pytest.fixture
def env(demo_db,  # noqa: F811
         tmp_path, monkeypatch) -> Store:
    return dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)


def signed_in(page: str = "views/visits.py") -> AppTest:
    return app_signed_in(page, password=PASSWORD)


def widget(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert found, f"no {label!r} among {[w.label for w in widgets]}"
    return found[0]


def save_plan(at: AppTest, rows: list[int]) -> AppTest:
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    form_button = next(b for b in at.button if b.label == "Save the plan and open it")
    form_button.click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Visit plans"  # st.switch_page opened the plan...
    return at.switch_page("views/plans.py").run()  # ...and AppTest must be told to stay there


def test_a_viewer_saves_a_plan_opens_it_and_records_outcomes(env, downloads):
    at = signed_in()
    ranked = at.dataframe[0].value
    at = save_plan(at, [0, 1, 2, 3])
    assert at.title[0].value == "Visit plans"
    ops = OperationsStore()
    plans = ops.plans()
    assert len(plans) == 1 and plans["stops"].iloc[0] == 4
    plan = ops.plan(int(plans["id"].iloc[0]))
    assert set(plan.stops["address"]) == set(ranked["address"].iloc[:4])
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Briefing pack (PDF)", "Stops (CSV)", "Stops (Excel)", "Route (GPX)"]
    pdf = next(make for name, make in downloads.items() if name.endswith(".pdf"))   # built when fetched
    assert pdf().startswith(b"%PDF")
    metric = {m.label: m.value for m in at.metric}
    assert metric["Stops"] == "4" and metric["Outcomes recorded"] == "0 of 4"
    assert "Language support to bring" in " ".join(m.value for m in at.markdown)

    # Record "no concerns" at the first stop: it drops down the visit list.
    first = plan.stops.iloc[0]
    at.selectbox(key=f"outcome_stop_{plan.id}").set_value(0).run()
    widget(at.selectbox, "Outcome").set_value("no_concerns")
    widget(at.text_area, "Note").input("Tenants spoke freely; no signs.")
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert not at.exception, at.exception
    recorded = ops.outcomes(plan_id=plan.id)
    assert recorded["outcome"].tolist() == ["no_concerns"] and recorded["recorded_by"].tolist() == ["lead"]
    assert {m.label: m.value for m in at.metric}["Outcomes recorded"] == "1 of 4"

    actions = [r["action"] for r in env.audit_rows(actor="lead")]
    assert "plan_saved" in actions and "outcome_recorded" in actions
    assert all("Tenants" not in (r["detail"] or "") for r in env.audit_rows())  # notes stay out of the audit log

    at.switch_page("views/visits.py").run()
    after = at.dataframe[0].value
    row = after[after["address"] == first["address"]]
    assert row.empty or (row["last_visit"].iloc[0].endswith(": No concerns")
                         and int(row["rank"].iloc[0]) > int(ranked[ranked["address"] == first["address"]]["rank"].iloc[0]))


def test_an_outcome_with_victims_needs_a_number(env):
    at = save_plan(signed_in(), [0, 1])
    widget(at.selectbox, "Outcome").set_value("potential_victims")
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert any("How many potential victims" in e.value for e in at.error)
    assert OperationsStore().outcomes().empty
    # A check that fails keeps what was typed; a save then says what it saved, and the form starts empty.
    widget(at.text_area, "Note").input("Two men, van outside")
    widget(at.selectbox, "Outcome").set_value("no_concerns")
    widget(at.number_input, "Potential victims identified").set_value(2)
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert any("Potential victims were counted" in e.value for e in at.error)
    assert widget(at.text_area, "Note").value == "Two men, van outside"
    assert widget(at.number_input, "Potential victims identified").value == 2
    widget(at.number_input, "Potential victims identified").set_value(0)
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert len(OperationsStore().outcomes()) == 1
    assert any(m.value.startswith("Saved: No concerns on ") for m in at.success)
    assert widget(at.text_area, "Note").value == ""


def test_no_plans_yet_points_to_the_visit_list(env):
    at = signed_in("views/plans.py")
    assert any("No visit plans yet" in i.value for i in at.info)


def test_a_plan_can_be_changed_and_a_stop_dropped(env):
    at = save_plan(signed_in(), [0, 1, 2])
    plan_id = int(OperationsStore().plans()["id"].iloc[0])
    before = OperationsStore().plan(plan_id)
    keep = next(m for m in at.multiselect if m.label == "Stops to keep")
    keep.set_value([0, 2])
    widget(at.text_input, "Team").input("Team B")
    widget(at.selectbox, "Start from").set_value("s1")  # Thorpe Wood, Peterborough
    next(b for b in at.button if b.label == "Save the changes").click().run()
    assert not at.exception, at.exception
    after = OperationsStore().plan(plan_id)
    assert len(OperationsStore().plans()) == 1  # the same plan, changed
    assert set(after.stops["address"]) == {before.stops["address"].iloc[0], before.stops["address"].iloc[2]}
    assert after.team == "Team B" and after.start_label.startswith("Thorpe Wood")
    assert [r["action"] for r in env.audit_rows(action="plan_changed")] == ["plan_changed"]

