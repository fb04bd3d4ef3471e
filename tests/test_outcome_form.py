"""The outcome form on the Visit plans page: a lead must choose the outcome, and sees the date a save takes.

"No concerns" was chosen for them (a save in haste lowered an address for 90 days), the form came back with
it after each save at the same address, and a date typed outside the allowed range was refused by the box
while Save went on with the date it still held, which the confirmation did not name."""
from __future__ import annotations

import datetime as dt

from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.test_visit_plans_dashboard import env, save_plan, signed_in, widget  # noqa: F401 (fixture)
from operations.store import OperationsStore


def _save(at):
    next(b for b in at.button if b.label == "Save the outcome").click().run()
    assert not at.exception, at.exception
    return at


def _visit_date(at):
    return next(d for d in at.date_input if d.label.startswith("Visit date (from "))


def test_no_outcome_is_chosen_for_the_lead(env):  # noqa: F811
    at = save_plan(signed_in(), [0, 1])
    assert widget(at.selectbox, "Outcome").value is None
    _save(at)
    assert any("Choose an outcome" in e.value for e in at.error)
    assert OperationsStore().outcomes().empty


def test_a_save_names_the_date_and_outcome_then_moves_to_the_next_stop(env):  # noqa: F811
    at = save_plan(signed_in(), [0, 1])
    plan = OperationsStore().plan(int(OperationsStore().plans()["id"].iloc[0]))
    day = dt.date.today() - dt.timedelta(days=2)
    _visit_date(at).set_value(day).run()
    assert any(f"{day:%a %d %b %Y}" in c.value for c in at.caption), [c.value for c in at.caption]
    widget(at.selectbox, "Outcome").set_value("concerns_intelligence")
    _save(at)
    saved = OperationsStore().outcomes()
    assert saved["visited_on"].tolist() == [day] and saved["outcome"].tolist() == ["concerns_intelligence"]
    assert any(m.value.startswith(f"Saved: Concerns, intelligence submitted on {day:%a %d %b %Y} at ")
               for m in at.success)
    assert widget(at.selectbox, "Outcome").value is None     # a new form: nothing chosen again
    assert at.selectbox(key=f"outcome_stop_{plan.id}").value == 1   # the next stop without an outcome
    assert _visit_date(at).value == day     # the same day serves the next door


def test_the_visit_date_says_its_range(env):  # noqa: F811
    at = save_plan(signed_in(), [0])
    box = _visit_date(at)
    today = dt.date.today()
    assert box.max == today and box.min < today
    assert f"{box.min:%d/%m/%Y}" in box.label and f"{today:%d/%m/%Y}" in box.label
