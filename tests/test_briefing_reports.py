"""The briefing pack's recent reports come from the warehouse with their summaries and gradings."""
from __future__ import annotations

import datetime as dt

from analysis import briefing, visits
from analysis.filters import Filters
from etl.warehouse import Warehouse
from tests.analysis_fixtures import demo_db  # noqa: F401 (fixture)


def test_stop_reports_carry_summary_and_grading(demo_db):  # noqa: F811
    today = dt.date.today()
    con = Warehouse(demo_db).connect_read_only()
    try:
        listed = visits.visit_list(con, Filters.default(today), today, limit=5)
        got = briefing.stop_reports(con, list(listed["address_key"]), today)
    finally:
        con.close()
    assert set(got["address_key"]) <= set(listed["address_key"]) and not got.empty
    assert got["summary"].notna().all() and (got["summary"].str.len() > 0).all()
    assert got.groupby("address_key").size().max() <= 3
