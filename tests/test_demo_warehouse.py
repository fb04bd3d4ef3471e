"""`etl demo` goes through the real loaders, is repeatable, and marks the warehouse synthetic."""
from __future__ import annotations

import pytest

from etl.admin import build_demo
from etl.warehouse import WarehouseError
from tests.helpers import query, scalar

TABLES = {
    "hmo_licences": "licence_ref, address, postcode, lat, lon, geocode_status, district_code, licence_expiry",
    "reports": "report_ref, received_on, source_type, lat, lon, indicators, nationalities, grading",
    "cases": "case_key, opened_on, lat, lon, exploitation_type, nationality",
    "rejects": "row_number, reason",
}


def _snapshot(db):
    return {t: query(db, f"SELECT {cols} FROM {t} ORDER BY ALL") for t, cols in TABLES.items()}


@pytest.fixture
def fixed_key(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)


@pytest.mark.slow
def test_same_seed_same_warehouse_and_rejects_to_show(tmp_path, fixed_key):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build_demo(a, seed=7, out=tmp_path / "files-a")
    build_demo(b, seed=7, out=tmp_path / "files-b")
    snap = _snapshot(a)
    assert snap == _snapshot(b)
    assert len(snap["hmo_licences"]) > 1000 and len(snap["reports"]) > 1500 and len(snap["cases"]) > 400
    assert 0 < len(snap["rejects"]) < 100
    assert scalar(a, "SELECT value FROM meta WHERE key = 'synthetic'") == "true"
    # every loaded row was geocoded by the synthetic postcode lookup or its own coordinates
    assert scalar(a, "SELECT count(*) FROM reports WHERE geocode_status = 'not_geocoded'") == 0
    assert scalar(a, "SELECT count(DISTINCT district_code) FROM reports") == 6


def test_demo_never_overwrites_a_real_warehouse(tmp_path, fixed_key):
    from etl.loading import load_file

    real = tmp_path / "real.duckdb"
    f = tmp_path / "r.csv"
    f.write_text("Licence Number,Address\nL1,1 A St PE13 1AB\n")
    load_file("hmo", f, db=real)
    with pytest.raises(WarehouseError, match="not a demo warehouse"):
        build_demo(real, out=tmp_path / "files")
    assert scalar(real, "SELECT count(*) FROM hmo_licences") == 1
