"""Withdrawing an outcome saved by mistake (the wrong door, the wrong outcome).

A correction used to be a newer record, which can't undo a visit recorded at an address never visited.
A withdrawn outcome is kept, with who withdrew it, when and why, and counts nowhere: the store's readers
leave it out, so the visit list, the Overview, the maps, plan progress and exports never see it."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import outcome_feedback, visit_outcomes
from analysis.filters import Filters
from operations.store import OperationsStore, Outcome
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)
from tests.helpers import dashboard_on

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PASSWORD = "viewer-password-1"
TODAY = dt.date.today()


def _visit(days_ago: int, outcome: str, key: str = "A|1|", address: str = "1 Mill Road", victims: int = 0,
           plan_id: int | None = None, **more) -> Outcome:
    return Outcome(visited_on=TODAY - dt.timedelta(days=days_ago), address_key=key, address=address, lat=52.57,
                   lon=-0.24, outcome=outcome, potential_victims=victims, plan_id=plan_id, **more)


def _plan(store: OperationsStore, n: int = 3, created_by: str = "lead") -> int:
    stops = pd.DataFrame([{"address_key": f"A|{i}|", "address": f"{i} Mill Road", "postcode": None,
                           "lat": 52.57 + i / 1000, "lon": -0.24, "reasons": "2 reports in the last 90 days"}
                          for i in range(1, n + 1)])
    return store.save_plan(name="Mill Road", planned_for=TODAY, team="", start_label="Thorpe Wood",
                           start=(52.57, -0.27), stops=stops, created_by=created_by)


# --- the store ---------------------------------------------------------------------------------------------------

def test_a_withdrawn_outcome_is_kept_but_no_reader_counts_it(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    plan_id = _plan(store)
    older = store.record(_visit(5, "no_concerns", plan_id=plan_id), "lead")
    newer = store.record(_visit(2, "potential_victims", victims=2, plan_id=plan_id, nrm_referral=True), "lead")
    assert store.plans()["outcomes"].tolist() == [1]

    was = store.withdraw(newer, by="lead", reason="  wrong door:\nit was number 3 ")
    assert was["outcome"] == "potential_victims" and was["plan_id"] == plan_id
    assert store.outcomes()["id"].tolist() == [older]             # the earlier record counts again
    assert store.outcomes(plan_id=plan_id)["id"].tolist() == [older]
    whole = store.outcomes(include_withdrawn=True).set_index("id")
    assert list(whole.index) == [older, newer]                     # kept, for the audit
    assert whole.at[newer, "withdrawn_by"] == "lead" and whole.at[newer, "withdrawn_reason"] == "wrong door: it was number 3"
    assert whole.at[newer, "withdrawn_at"].startswith(str(TODAY)[:4]) and pd.isna(whole.at[older, "withdrawn_by"])

    store.withdraw(older, by="lead", reason="not visited")
    assert store.outcomes().empty and store.plans()["outcomes"].tolist() == [0]   # plan progress
    with sqlite3.connect(store.path) as con:                        # a withdrawal stands, as outcomes do
        for sql in ("UPDATE outcome_withdrawals SET reason = 'x'", "DELETE FROM outcome_withdrawals",
                    "DELETE FROM outcomes"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)


def test_only_the_recorder_or_an_admin_withdraws_and_says_why(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    mine = store.record(_visit(1, "no_concerns"), "lead")
    with pytest.raises(PermissionError, match="recorded by lead"):
        store.withdraw(mine, by="someone", reason="wrong door")
    with pytest.raises(ValueError, match="say why"):
        store.withdraw(mine, by="lead", reason="   ")
    with pytest.raises(ValueError, match="keep it to 200"):
        store.withdraw(mine, by="lead", reason="x" * 201)
    with pytest.raises(KeyError):
        store.withdraw(mine + 1, by="lead", reason="wrong door")
    assert len(store.outcomes()) == 1                               # nothing withdrawn by a refusal
    store.withdraw(mine, by="boss", reason="wrong door", admin=True)
    with pytest.raises(ValueError, match="already withdrawn by boss"):
        store.withdraw(mine, by="lead", reason="wrong door")


def test_a_file_from_before_withdrawals_gains_them(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    kept = store.record(_visit(1, "no_concerns"), "lead")
    with sqlite3.connect(store.path) as con:
        con.execute("DROP TABLE outcome_withdrawals")              # as a file written before this change
    assert store.outcomes()["id"].tolist() == [kept]
    store.withdraw(kept, by="lead", reason="wrong door")
    assert store.outcomes().empty


def test_a_withdrawn_row_loaded_again_from_a_file_stays_withdrawn(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    row = _visit(1, "no_concerns")
    store.load_outcomes([row], file_name="a.csv", sha256="a", rejects=[], loaded_by="lead")
    store.withdraw(int(store.outcomes()["id"].iloc[0]), by="lead", reason="wrong door")
    _, skipped = store.load_outcomes([row], file_name="b.csv", sha256="b", rejects=[], loaded_by="lead")
    assert skipped == 1 and store.outcomes().empty


# --- the analysis: frames read with their withdrawn rows still leave them out ----------------------------------

def _rows() -> pd.DataFrame:
    return pd.DataFrame([{"address": "1 Mill Road", "postcode": None, "lat": 52.57, "lon": -0.24, "licence_ref": None,
                          "score": 10.0, "address_key": "A|1|"},
                         {"address": "5 Mill Road", "postcode": None, "lat": 52.5705, "lon": -0.24,
                          "licence_ref": None, "score": 10.0, "address_key": "A|5|"}])


def test_feedback_overview_counts_and_briefing_reasons_leave_a_withdrawn_visit_out(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    quiet = store.record(_visit(30, "no_concerns"), "lead")
    found = store.record(_visit(3, "potential_victims", victims=3), "lead")
    before = outcome_feedback.apply(_rows(), store.outcomes(), {}, TODAY)
    assert "potential victims identified here" in before["feedback"].iloc[0]
    assert "potential victims identified within" in before["feedback"].iloc[1]
    # The plan saved then kept those words in each stop's reasons.
    stops = _rows().assign(reasons=["3 reports in the last 90 days; " + t for t in before["feedback"]])

    store.withdraw(found, by="lead", reason="the victims were found next door")
    everything = store.outcomes(include_withdrawn=True)
    after = outcome_feedback.apply(_rows(), everything, {}, TODAY)   # with the withdrawn row in the frame
    assert after["score"].tolist() == [pytest.approx(10.0 * float(_no_concern_factor())), 10.0]
    assert "no concerns: lowered" in after["feedback"].iloc[0] and after["feedback"].iloc[1] == ""
    assert outcome_feedback.most_raised(everything, TODAY) == 0.0

    f = Filters.default(TODAY)
    assert visit_outcomes.totals(everything, f)["potential_victims"] == 0
    assert visit_outcomes.totals(everything, f)["visits"] == 1
    assert visit_outcomes.weekly(everything, f)["potential_victims"].sum() == 0

    cleaned = outcome_feedback.without_withdrawn(stops, everything)
    assert cleaned["reasons"].tolist()[1] == "3 reports in the last 90 days"
    first = cleaned["reasons"].iloc[0]
    assert "potential victims" not in first and first.startswith("3 reports in the last 90 days")
    assert quiet and outcome_feedback.without_withdrawn(stops, store.outcomes()).equals(stops)  # nothing to take


def _no_concern_factor() -> float:
    from analysis import settings
    return settings.section("visits")["outcomes"]["no_concern_factor"]


# --- the page ------------------------------------------------------------------------------------------------------

@pytest.fixture
def env(demo_db,  # noqa: F811
         tmp_path, monkeypatch):
    accounts = dashboard_on(demo_db, tmp_path, monkeypatch, password=PASSWORD)
    accounts.add("other", "viewer", PASSWORD)
    return accounts


def signed_in(name: str = "lead", page: str = "views/plans.py") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_recorder_withdraws_an_outcome_on_the_page_and_it_stops_counting(env):
    store = OperationsStore()
    plan_id = _plan(store)
    at = signed_in()
    assert "No names or personal details of the people met: this record is seen by everyone with access to plans." \
        in [c.value for c in at.caption]
    at.selectbox(key=f"outcome_stop_{plan_id}").set_value(0)
    next(s for s in at.selectbox if s.label == "Outcome").set_value("potential_victims")
    next(n for n in at.number_input if n.label == "Potential victims identified").set_value(2)
    _button(at, "Save the outcome").click().run()
    assert {m.label: m.value for m in at.metric}["Outcomes recorded"] == "1 of 3"
    outcome_id = int(store.outcomes()["id"].iloc[0])

    # A reason is required.
    next(s for s in at.selectbox if s.label == "Outcome to withdraw").set_value(outcome_id)
    _button(at, "Withdraw the outcome").click().run()
    assert any("say why it is withdrawn" in e.value for e in at.error) and len(store.outcomes()) == 1

    next(s for s in at.selectbox if s.label == "Outcome to withdraw").set_value(outcome_id)
    next(t for t in at.text_input if t.label == "Why it is withdrawn").input("wrong door: it was number 3")
    _button(at, "Withdraw the outcome").click().run()
    assert not at.exception, at.exception
    assert store.outcomes().empty
    assert {m.label: m.value for m in at.metric}["Outcomes recorded"] == "0 of 3"
    assert any(s.value.startswith("Withdrawn: Potential victims identified on ") for s in at.success)
    assert any(m.value.startswith("**Withdrawn** (1)") for m in at.markdown)
    [row] = env.audit_rows(action="outcome_withdrawn")
    assert row["actor"] == "lead" and row["target"] == f"outcome {outcome_id}"
    assert "number 3" not in (row["detail"] or "")                      # free text stays out of the audit log
    assert json.loads(row["detail"])["outcome"] == "potential_victims"


def test_someone_else_cannot_withdraw_but_an_admin_can(env):
    store = OperationsStore()
    plan_id = _plan(store)
    store.record(_visit(1, "no_concerns", plan_id=plan_id), "lead")
    at = signed_in("other")
    assert not [s for s in at.selectbox if s.label == "Outcome to withdraw"]
    assert "None of these outcomes was recorded by you." in [c.value for c in at.caption]

    env.add("boss", "admin", PASSWORD)
    at = signed_in("boss")
    [choice] = [s for s in at.selectbox if s.label == "Outcome to withdraw"]
    choice.set_value(int(store.outcomes()["id"].iloc[0]))
    next(t for t in at.text_input if t.label == "Why it is withdrawn").input("recorded twice")
    _button(at, "Withdraw the outcome").click().run()
    assert store.outcomes().empty
    assert store.outcomes(include_withdrawn=True)["withdrawn_by"].tolist() == ["boss"]


def test_the_overview_and_the_map_leave_a_withdrawn_outcome_out(env):
    store = OperationsStore()
    found = store.record(_visit(3, "potential_victims", victims=3), "lead")
    store.record(_visit(10, "no_concerns", key="A|2|", address="2 Fen Road"), "lead")
    store.withdraw(found, by="lead", reason="wrong door")
    at = signed_in(page="views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Addresses visited"] == "1" and metrics["Potential victims identified"] == "0"
    at.switch_page("views/map.py").run()
    components = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    html = json.loads(components[0].proto.json_args)["script"]
    assert "2 Fen Road" in html and "1 Mill Road" not in html
