"""Removing a stop from a saved plan, and deleting a plan, on the Visit plans page.

Both ask first (a box to tick), are audited, and are offered to the plan's creator and admins only. A deleted
plan's outcomes are facts about visits: they are kept, still count (visit list, Overview), and are listed at
the foot of the page, where they can still be withdrawn."""
from __future__ import annotations

import datetime as dt

import pytest

from operations.store import OperationsStore
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.test_withdraw_outcome import PASSWORD, TODAY, _button, _plan, _visit, signed_in
from tests.helpers import dashboard_on


def test_a_stop_is_removed_and_the_rest_keep_their_order(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _plan(store, 4)
    store.remove_stop(plan_id, 2, "A|2|")
    stops = store.plan(plan_id).stops
    assert stops["seq"].tolist() == [1, 2, 3] and stops["address_key"].tolist() == ["A|1|", "A|3|", "A|4|"]
    with pytest.raises(KeyError, match="changed since"):        # another session moved the stops meanwhile
        store.remove_stop(plan_id, 2, "A|2|")
    store.remove_stop(plan_id, 3, "A|4|")
    store.remove_stop(plan_id, 1, "A|1|")
    with pytest.raises(ValueError, match="delete the plan instead"):
        store.remove_stop(plan_id, 1, "A|3|")
    assert store.plan(plan_id).stops["address_key"].tolist() == ["A|3|"]


def test_a_deleted_plans_outcomes_are_kept_and_counted(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _plan(store)
    kept = store.record(_visit(1, "no_concerns", plan_id=plan_id), "lead")
    assert store.delete_plan(plan_id) == 1
    assert store.plan(plan_id) is None and store.plans().empty
    assert store.outcomes()["id"].tolist() == [kept]                          # still counted
    assert store.outcomes(deleted_plans=True)["id"].tolist() == [kept]
    with pytest.raises(KeyError):
        store.delete_plan(plan_id)
    # A plan's number is never used again, so a new plan can't take over the old one's outcomes.
    again = _plan(store)
    assert again != plan_id and store.outcomes(plan_id=again).empty
    assert store.outcomes(deleted_plans=True)["id"].tolist() == [kept]


@pytest.fixture
def env(demo_db,  # noqa: F811
         tmp_path, monkeypatch):
    accounts = dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)
    accounts.add("other", "viewer", PASSWORD)
    return accounts


def test_the_creator_removes_a_stop_after_ticking_the_box(env):
    store = OperationsStore()
    plan_id = _plan(store)
    store.record(_visit(1, "no_concerns", key="A|2|", address="2 Mill Road", plan_id=plan_id), "lead")
    at = signed_in()
    assert {m.label: m.value for m in at.metric}["Outcomes recorded"] == "1 of 3"
    at.selectbox(key=f"remove_stop_{plan_id}").set_value(1).run()
    assert _button(at, "Remove the stop").disabled                  # not before the box is ticked
    at.checkbox(key=f"remove_stop_sure_{plan_id}").check().run()
    _button(at, "Remove the stop").click().run()
    assert not at.exception, at.exception
    assert store.plan(plan_id).stops["address"].tolist() == ["1 Mill Road", "3 Mill Road"]
    assert any(s.value == "Removed stop 2, 2 Mill Road, from the plan." for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stops"] == "2" and metrics["Outcomes recorded"] == "0 of 2"   # progress is this plan's stops
    assert len(store.outcomes()) == 1                              # the visit itself is kept
    assert not at.checkbox(key=f"remove_stop_sure_{plan_id}").value   # the next removal asks again
    [row] = env.audit_rows(action="plan_stop_removed")
    assert row["actor"] == "lead" and row["target"] == f"plan {plan_id}"


def test_the_creator_deletes_a_plan_and_its_outcomes_still_count(env):
    store = OperationsStore()
    plan_id = _plan(store)
    other_plan = _plan(store)
    outcome_id = store.record(_visit(1, "potential_victims", victims=2, plan_id=plan_id), "lead")
    at = signed_in()
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Plan")).set_value(plan_id).run()
    assert any("The outcomes recorded on its visits are kept" in c.value for c in at.caption)
    assert _button(at, "Delete this plan").disabled
    at.checkbox(key=f"delete_plan_sure_{plan_id}").check().run()
    _button(at, "Delete this plan").click().run()
    assert not at.exception, at.exception
    assert store.plan(plan_id) is None and store.plans()["id"].tolist() == [other_plan]
    assert any(s.value.startswith("Deleted the plan Mill Road. Its 1 outcome is kept") for s in at.success)
    [row] = env.audit_rows(action="plan_deleted")
    assert row["target"] == f"plan {plan_id}" and '"outcomes_kept": 1' in row["detail"]

    # The page opens the other plan and lists the deleted plan's outcome at its foot, still withdrawable.
    assert at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Plan")).value == other_plan
    assert any(h.value == "Outcomes of deleted plans" for h in at.subheader)
    [choice] = [s for s in at.selectbox if s.label == "Outcome to withdraw"]
    assert choice.options == [f"{TODAY - dt.timedelta(days=1):%d/%m/%Y} · 1 Mill Road · Potential victims "
                              "identified · recorded by lead"]

    # Deleting the last plan leaves them on show too.
    at.checkbox(key=f"delete_plan_sure_{other_plan}").check().run()
    _button(at, "Delete this plan").click().run()
    assert any("No visit plans yet" in i.value for i in at.info)
    assert any(h.value == "Outcomes of deleted plans" for h in at.subheader)

    # They still count on the Overview.
    at.switch_page("views/overview.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Addresses visited"] == "1" and metrics["Potential victims identified"] == "2"
    assert store.outcomes()["id"].tolist() == [outcome_id]


def test_only_the_creator_or_an_admin_may_change_remove_or_delete(env):
    store = OperationsStore()
    plan_id = _plan(store)
    at = signed_in("other")
    labels = [e.label for e in at.expander]
    assert "Remove a stop or delete this plan" not in labels and "Change this plan" not in labels
    assert "Only lead or an admin can change this plan, remove a stop or delete it." in [c.value for c in at.caption]

    env.add("boss", "admin", PASSWORD)
    at = signed_in("boss")
    assert "Remove a stop or delete this plan" in [e.label for e in at.expander]
    at.checkbox(key=f"delete_plan_sure_{plan_id}").check().run()
    _button(at, "Delete this plan").click().run()
    assert store.plans().empty
    assert env.audit_rows(action="plan_deleted")[0]["actor"] == "boss"
