"""Warehouses for the analysis tests: the synthetic demo (built once per session) and tiny
hand-made ones where exact numbers matter, both loaded through the real ETL.

Import the fixtures into a test module with `from tests.analysis_fixtures import demo_db, demo_con`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etl.warehouse import Warehouse

TODAY = dt.date.today()       # the demo and the loaders anchor dates on the real today
KEY = "ab" * 32
LOAD_ORDER = ("postcodes", "boundaries", "hmo", "reports", "cases")

# Postcodes with districts, so hand-made rows get a district without boundary files.
POSTCODES = """postcode,latitude,longitude,lad_code
PE13 1AA,52.6650,0.1600,E07000010
PE13 2ZZ,52.6700,0.1500,E07000010
PE15 9ZZ,52.5510,0.0880,E07000010
PE1 9ZZ,52.5740,-0.2410,E06000031
CB1 1AA,52.2000,0.1300,E07000008
"""


def day(offset: int) -> str:
    """A date `offset` days from today (negative: in the past), as a partner would type it."""
    return (TODAY + dt.timedelta(days=offset)).strftime("%d/%m/%Y")


def build_warehouse(folder: Path, files: dict[str, str], name: str = "w.duckdb") -> Path:
    """Write each kind's CSV text into `folder` and load it, postcodes first; returns the warehouse path."""
    from etl.loading import load_file

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / name
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        for kind in sorted(files, key=LOAD_ORDER.index):
            suffix = ".geojson" if kind == "boundaries" else ".csv"
            path = folder / f"{kind}{suffix}"
            path.write_text(files[kind], encoding="utf-8")
            load_file(kind, path, db=db, source=f"Test {kind}")
    return db


def connect(db: Path):
    return Warehouse(db).connect_read_only()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The synthetic demo warehouse (seed 1, scale 1), read-only for tests: copy it to change it.

    Built once per test session (~6 s) under pytest's base temp folder and reused by every
    module that asks for it, so the analysis tests stay fast.
    """
    from tests.app_server import built_demo

    db = built_demo(tmp_path_factory, 1, KEY)
    assert not (db.parent / "never-written.key").exists()
    return db


@pytest.fixture(scope="module")
def demo_con(demo_db):
    con = connect(demo_db)
    yield con
    con.close()


__all__ = ["TODAY", "KEY", "POSTCODES", "day", "build_warehouse", "connect", "demo_db", "demo_con"]
