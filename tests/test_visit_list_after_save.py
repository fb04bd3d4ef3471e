"""Saving a plan lets its ticks go: the Visit list came back with the same rows ticked and the save button
ready, one click from an identical second plan."""
from __future__ import annotations

from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.test_visit_plans_dashboard import env, save_plan, signed_in  # noqa: F401 (fixture)
from dashboard import ticks
from operations.store import OperationsStore


def test_saving_a_plan_unticks_its_addresses(env):  # noqa: F811
    at = save_plan(signed_in(), [0, 1, 2])
    assert len(OperationsStore().plans()) == 1
    assert at.session_state[ticks.TICKED] == {}
    at.switch_page("views/visits.py").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.columns)  # the list is drawn...
    assert not [b for b in at.button if b.label == "Save the plan and open it"]   # ...with nothing to save again
    assert any("Tick the rows" in i.value for i in at.info)


def test_saved_lets_go_of_the_plans_addresses_only():
    ticked = {"K1": "1 Mill Lane", "K2": "2 Fen Road", "address:3 Elm": "3 Elm"}
    assert ticks.saved(ticked, ["K1", "address:3 Elm", "K9"]) == {"K2": "2 Fen Road"}
