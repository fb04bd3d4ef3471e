"""`etl export priorities` for one address: "wrote 1 address", positions to 6 decimals in every format, a
file name Excel would refuse as a sheet name, and the reasons saying a position is only the postcode area's."""
from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from tests.analysis_fixtures import build_warehouse, day

# PE13 8QQ is in no lookup: placed at the mean of PE13's three postcodes, a number with a long tail.
POSTCODES = """postcode,latitude,longitude,lad_code
PE13 1AA,52.6650,0.1600,E07000010
PE13 2ZZ,52.6700,0.1500,E07000010
PE13 3AB,52.6601,0.1501,E07000010
"""
REPORTS = f"Report Ref,Date Received,Address,Postcode\nR1,{day(-3)},\"8 Quay Way, Wisbech\",PE13 8QQ\n"


def export(*args):
    return subprocess.run([sys.executable, "-m", "etl", "export", "priorities", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("one"), {"postcodes": POSTCODES, "reports": REPORTS})


def test_one_address_is_said_in_the_singular(db, tmp_path):
    r = export("--db", str(db), "--out", str(tmp_path / "p.csv"))
    assert r.returncode == 0, r.stderr
    assert "wrote 1 address to" in r.stdout and "addresses" not in r.stdout


def test_positions_are_rounded_and_said_to_be_approximate(db, tmp_path):
    assert export("--db", str(db), "--out", str(tmp_path / "p.csv")).returncode == 0
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    row = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig", dtype=str).iloc[0]
    assert row["lat"] == "52.665033" and row["lon"] == "0.153367", text
    assert "position approximate (postcode area centre)" in row["reasons"]
    assert export("--db", str(db), "--out", str(tmp_path / "p.geojson")).returncode == 0
    point = json.loads((tmp_path / "p.geojson").read_text())["features"][0]["geometry"]["coordinates"]
    assert point == [0.153367, 52.665033]


def test_a_file_name_excel_would_refuse_as_a_sheet_name(db, tmp_path):
    out = tmp_path / "visits [draft].xlsx"
    r = export("--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert openpyxl.load_workbook(out).active.title == "visits draft"
