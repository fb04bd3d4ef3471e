"""Reports and cases are stored in date order within each load (etl/loaders/tabular.py `upsert_by_reference`),
so DuckDB's per-row-group min/max lets a date filter skip the row groups outside it."""
from __future__ import annotations

import random

from tests.analysis_fixtures import KEY, POSTCODES, build_warehouse, day
from tests.helpers import query


def test_each_load_is_stored_in_date_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
    rng = random.Random(7)
    offsets = [-rng.randrange(700) for _ in range(300)]
    reports = "Report Ref,Date Received,Address,Postcode\n" + "".join(
        f"R{i},{day(o)},{i} Mill Lane,PE13 1AA\n" for i, o in enumerate(offsets))
    cases = "Case Reference,Date Opened,Postcode\n" + "".join(f"C{i},{day(o)},PE13 1AA\n" for i, o in enumerate(offsets))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports, "cases": cases})
    for table, column in (("reports", "received_on"), ("cases", "opened_on")):
        stored = [r[0] for r in query(db, f"SELECT {column} FROM {table} ORDER BY rowid")]
        assert len(stored) == 300 and stored == sorted(stored), table
