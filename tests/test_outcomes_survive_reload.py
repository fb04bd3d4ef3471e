"""Outcomes are operational records: rebuilding the warehouse from scratch never loses them, and the
rebuilt warehouse's visit list still shows and uses them."""
from __future__ import annotations

import datetime as dt

import pytest

from analysis import visits
from analysis.filters import Filters
from etl.admin import build_demo
from etl.warehouse import Warehouse
from operations.store import OperationsStore, Outcome, store_path

pytestmark = pytest.mark.slow  # each test builds the demo warehouse twice


def _demo_and_top_address(tmp_path, monkeypatch):
    """A demo warehouse, its operations store in the default place (beside it), and its first address."""
    monkeypatch.delenv("HOTSPOTS_OPERATIONS")
    db = tmp_path / "hotspots.duckdb"
    build_demo(db, seed=5, out=tmp_path / "files")
    today = dt.date.today()
    con = Warehouse(db).connect_read_only()
    try:
        ranked = visits.visit_list(con, Filters.default(today), today, limit=0)
    finally:
        con.close()
    return db, today, ranked.iloc[0]


def test_outcomes_survive_a_full_rebuild_of_the_warehouse(tmp_path, monkeypatch):
    db, today, top = _demo_and_top_address(tmp_path, monkeypatch)
    store = OperationsStore(db=db)
    assert store.path == store_path(db=db) == tmp_path / "hotspots-operations.db"
    store.record(Outcome(visited_on=today - dt.timedelta(days=2), address_key=top["address_key"],
                         address=top["address"], postcode=top["postcode"], lat=top["lat"], lon=top["lon"],
                         licence_ref=top["licence_ref"] if isinstance(top["licence_ref"], str) else None,
                         outcome="no_concerns", note="checked"), "lead")

    build_demo(db, seed=6, out=tmp_path / "files2")  # every source reloaded into a new file, swapped in

    kept = OperationsStore(db=db).outcomes()
    assert kept["address"].tolist() == [top["address"]] and kept["note"].tolist() == ["checked"]
    con = Warehouse(db).connect_read_only()
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert not {t for t in tables if "outcome" in t or "plan" in t}
    finally:
        con.close()


def test_the_visit_list_uses_outcomes_after_a_rebuild_with_the_same_data(tmp_path, monkeypatch):
    db, today, top = _demo_and_top_address(tmp_path, monkeypatch)
    f = Filters.default(today)
    store = OperationsStore(db=db)
    # visited today: the demo's newest reports are recent, and a report after the visit keeps it unlowered
    store.record(Outcome(visited_on=today, address_key=top["address_key"],
                         address=top["address"], postcode=top["postcode"], outcome="no_concerns"), "lead")
    build_demo(db, seed=5, out=tmp_path / "files")  # the same data again, a new file
    con = Warehouse(db).connect_read_only()
    try:
        after = visits.visit_list(con, f, today, limit=0, outcomes=store.outcomes())
    finally:
        con.close()
    row = after[after["address_key"] == top["address_key"]].iloc[0]
    assert row["last_outcome"] == "no_concerns"
    assert row["last_visit"] == dt.datetime.combine(today, dt.time())
    assert row["score"] < top["score"] and row["rank"] > 1
    assert "no concerns: lowered until" in row["reasons"]
