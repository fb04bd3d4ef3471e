"""Adding the Visit list's ticked addresses to a saved plan.

A lead who found one more door to visit that day had to make a whole new plan: a saved plan could lose stops
but never gain one. Now its maker (or an admin) adds ticked addresses to a plan dated today or later; the
stops are put in a new route order from the plan's start, as a new plan's are, an address already in the plan
is not added twice (and the page says so), and the change is audited."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import plan_form, ticks
from operations import plans
from operations.store import OperationsStore
from tests.test_access_dashboard import PAGES, accounts, sign_in, small_db, start  # noqa: F401

TODAY = dt.date.today()
START = plans.Start("Thorpe Wood", 52.57, -0.30)


def _row(i: int, lon: float, **more) -> dict:
    return {"address_key": f"A|{i}|", "address": f"{i} Mill Road", "postcode": "PE1 1AA", "lat": 52.57, "lon": lon,
            "reasons": f"{i} reports in the last 90 days", "rank": i, "score": 10.0 - i, "indicators": [], **more}


def _plan(store: OperationsStore, rows: list[dict], planned_for: dt.date = TODAY, by: str = "lead") -> int:
    stops = plans.ordered(pd.DataFrame(rows), START)
    return store.save_plan(name="Mill Road", planned_for=planned_for, team="", start_label=START.label,
                           start=(START.lat, START.lon), stops=stops, created_by=by)


def test_added_stops_join_the_route_in_a_new_order_and_none_twice(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _plan(store, [_row(1, -0.28, indicators=["crowding"], over_occupied=True), _row(3, -0.24)])
    before = store.plan(plan_id)
    # Stop 2 lies between the two on the road east from the start: the route takes it second, not last.
    ticked = pd.DataFrame([_row(2, -0.26), _row(3, -0.24), _row(2, -0.26), _row(4, -0.22)])
    added, already = store.add_stops(plan_id, ticked, by="lead", today=TODAY)
    assert added == ["2 Mill Road", "4 Mill Road"] and already == ["3 Mill Road"]
    after = store.plan(plan_id)
    assert after.stops["address_key"].tolist() == ["A|1|", "A|2|", "A|3|", "A|4|"]
    assert after.stops["seq"].tolist() == [1, 2, 3, 4]
    expected = plans.ordered(pd.concat([before.stops.drop(columns="seq"), ticked.iloc[[0, 3]]]), START)
    assert after.stops["address_key"].tolist() == expected["address_key"].tolist()   # as a new plan is ordered
    first = after.stops.iloc[0]
    assert first["indicators"] == ["crowding"] and bool(first["over_occupied"])   # the kept stops are kept whole
    assert after.stops.iloc[1]["reasons"] == "2 reports in the last 90 days" and after.stops.iloc[1]["rank"] == 2
    assert after.updated_at >= before.updated_at and len(store.plans()) == 1

    # Ticked again: nothing to add, nothing rewritten.
    assert store.add_stops(plan_id, ticked.iloc[[0]], by="lead", today=TODAY) == ([], ["2 Mill Road"])
    assert store.plan(plan_id).stops["address_key"].tolist() == after.stops["address_key"].tolist()


def test_only_the_maker_or_an_admin_adds_and_only_to_a_plan_not_past(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _plan(store, [_row(1, -0.28)])
    past = _plan(store, [_row(1, -0.28)], planned_for=TODAY - dt.timedelta(days=1))
    new = pd.DataFrame([_row(2, -0.26)])
    with pytest.raises(PermissionError, match="made by lead"):
        store.add_stops(plan_id, new, by="someone", today=TODAY)
    with pytest.raises(ValueError, match="which is past"):
        store.add_stops(past, new, by="lead", today=TODAY)
    with pytest.raises(KeyError):
        store.add_stops(past + 1, new, by="lead", today=TODAY)
    assert len(store.plan(plan_id).stops) == 1 and len(store.plan(past).stops) == 1   # a refusal changes nothing
    assert store.add_stops(plan_id, new, by="boss", today=TODAY, admin=True) == (["2 Mill Road"], [])


def test_the_plans_offered_are_the_users_own_not_past_soonest_first():
    saved = pd.DataFrame({"id": [1, 2, 3, 4], "name": list("abcd"), "created_by": ["lead", "lead", "other", "lead"],
                          "planned_for": [TODAY + dt.timedelta(days=3), TODAY, TODAY, TODAY - dt.timedelta(days=1)],
                          "stops": [2, 2, 2, 2]})
    assert plan_form.open_plans(saved, "lead", False, TODAY)["id"].tolist() == [2, 1]
    assert plan_form.open_plans(saved, "boss", True, TODAY)["id"].tolist() == [2, 3, 1]
    assert plan_form.open_plans(saved, None, False, TODAY).empty


def test_the_notice_names_what_was_added_and_what_was_already_there():
    said = plan_form.added_notice("Mill *Road*", ["2 Mill Road"], ["3 [Mill](http://x) Road"], 4)
    assert said.startswith("Added 1 stop to the plan Mill \\*Road\\*: 2 Mill Road. Its 4 stops are in a new")
    assert said.endswith("was already in the plan, so not added again.") and "](http" not in said
    assert plan_form.added_notice("x", [], ["a", "b"], 0) == "a; b were already in the plan, so not added again."


# --- on the pages (a small warehouse: two addresses on the visit list) -----------------------------------------

def _tick(at, rows: list[int]):
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


def _add(at, plan_id: int):
    [choice] = [s for s in at.selectbox if s.label == "Add to plan"]
    choice.set_value(plan_id)
    next(b for b in at.button if b.label == "Add to the plan and open it").click().run()
    assert not at.exception, at.exception
    return at


def test_the_maker_adds_ticked_addresses_to_their_plan_from_the_visit_list(small_db, accounts):  # noqa: F811 (fixtures)
    at = _tick(sign_in(start("visits"), "viewer1"), [0])
    listed = at.dataframe[0].value
    next(b for b in at.button if b.label == "Save the plan and open it").click().run()
    store = OperationsStore()
    plan_id = int(store.plans()["id"].iloc[0])
    before = store.plan(plan_id)
    assert before.stops["address"].tolist() == [listed["address"].iloc[0]]

    at.switch_page(PAGES["visits"]).run()
    at = _tick(at, [0, 1])                       # the first is in the plan already
    [choice] = [s for s in at.selectbox if s.label == "Add to plan"]
    assert choice.options == [f"{before.planned_for:%a %d %b %Y} · {before.name} (1 stop)"]
    at = _add(at, plan_id)
    assert at.title[0].value == "Visit plans"    # st.switch_page opened the plan
    after = store.plan(plan_id)
    assert sorted(after.stops["address"]) == sorted(listed["address"].iloc[:2])
    start_point = plans.Start(before.start_label, before.start_lat, before.start_lon)
    assert after.stops["address_key"].tolist() == plans.ordered(after.stops, start_point)["address_key"].tolist()
    assert at.session_state[ticks.TICKED] == {}           # the ticks are let go, as after a save
    [row] = accounts.audit_rows(action="plan_stops_added")
    assert row["actor"] == "viewer1" and row["target"] == f"plan {plan_id}" and row["rows"] == 1
    assert '"added": 1' in row["detail"] and '"already": 1' in row["detail"] and '"stops": 2' in row["detail"]

    [notice] = [s.value for s in at.success if s.value.startswith("Added 1 stop to the plan")]   # said on the plan
    assert "already in the plan, so not added again" in notice and "Its 2 stops are in a new visiting order" in notice
    assert {m.label: m.value for m in at.metric}["Stops"] == "2"
    at.switch_page(PAGES["plans"]).run()        # AppTest must be told to stay there; the notice is said once
    assert not at.exception, at.exception
    assert not [s for s in at.success if s.value.startswith("Added")]
    assert any(c.value.startswith("To add stops, tick their addresses on the Visit list") for c in at.caption)

    # Ticked again, both already in it: said, and nothing changes.
    at.switch_page(PAGES["visits"]).run()
    at = _add(_tick(at, [0, 1]), plan_id)
    assert at.title[0].value == "Visit list"
    assert any(w.value.endswith("were already in the plan, so not added again. Nothing was added.") for w in at.warning)
    assert len(store.plan(plan_id).stops) == 2 and len(accounts.audit_rows(action="plan_stops_added")) == 1


def test_only_the_maker_and_admins_are_offered_a_plan_and_never_a_past_one(small_db, accounts):  # noqa: F811 (fixtures)
    store = OperationsStore()
    rows = pd.DataFrame([_row(1, -0.28)])
    today_plan = store.save_plan(name="Today", planned_for=TODAY, team="", start_label="x", start=(52.57, -0.3),
                                 stops=rows, created_by="viewer1")
    store.save_plan(name="Yesterday", planned_for=TODAY - dt.timedelta(days=1), team="", start_label="x",
                    start=(52.57, -0.3), stops=rows, created_by="viewer1")
    at = _tick(sign_in(start("visits"), "analyst1"), [0])
    assert not [s for s in at.selectbox if s.label == "Add to plan"]
    assert any("no visit plan dated today or later" in c.value for c in at.caption)

    at = _tick(sign_in(start("visits"), "admin1"), [0])
    [choice] = [s for s in at.selectbox if s.label == "Add to plan"]
    assert choice.options == [f"{TODAY:%a %d %b %Y} · Today (1 stop, made by viewer1)"]
    _add(at, today_plan)
    assert len(store.plan(today_plan).stops) == 2
    assert accounts.audit_rows(action="plan_stops_added")[0]["actor"] == "admin1"
