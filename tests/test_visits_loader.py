"""`python -m etl load visits FILE`: outcomes from a messy file into the operations store, with clear
rejects, positions from the warehouse, no double counting, and nothing in the warehouse itself."""
from __future__ import annotations

import os
import stat
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from etl.errors import FileProblem
from etl.loaders import visits
from etl.loading import load_file
from operations.store import OperationsStore, Outcome
import pandas as pd

from tests.helpers import TODAY, write_text, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
D = TODAY.strftime("%d/%m/%Y")

MESSY = f"""Operation Hearth - outcomes,,,,,,,
Visit date,Address,Post Code,Result,PVs,NRM referral,Safeguarding,Officer notes
{D},"14 Mill Lane, Wisbech",pe131ab,NFA,,,,Tenants spoke freely
{D},"3 Fen Road, March",PE15 8AA,Victims found,4,yes,y,Four men; Romanian interpreter used
{D},2 High St,CB1 1AA,Maybe,,,,
31/02/2026,,CB1 1AA,No concerns,2,perhaps,,
{D},"=HYPERLINK(""x"")",,No access,,,,
,,,,,,,
Total rows: 5,,,,,,,
"""


@pytest.fixture
def warehouse(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "pcds,lat,long\nPE13 1AB,52.6650,0.1600\n"
                                                            "PE15 8AA,52.5500,0.0880\n"), db=db)
    load_file("hmo", write_text(tmp_path / "hmo.csv",
                                "Licence No.,Property Address,Post Code,Licence Holder,Max Occupants,Licence Start,Expiry Date\n"
                                "FDC/1,\"14 Mill Lane, Wisbech\",PE13 1AB,J Smith,6,01/01/2024,01/01/2029\n"), db=db)
    return db


def test_a_messy_file_loads_its_good_rows_and_names_each_bad_one(tmp_path, warehouse):
    store = OperationsStore(tmp_path / "ops.db")
    summary = visits.load(write_text(tmp_path / "outcomes.csv", MESSY), db=warehouse, store=store)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (5, 3, 2)
    got = store.outcomes().set_index("address")
    assert got.loc["14 Mill Lane, Wisbech", "outcome"] == "no_concerns"
    assert got.loc["3 Fen Road, March", "outcome"] == "potential_victims"
    assert got.loc["3 Fen Road, March", "potential_victims"] == 4
    assert bool(got.loc["3 Fen Road, March", "nrm_referral"]) and bool(got.loc["3 Fen Road, March", "safeguarding_referral"])
    assert got.loc["3 Fen Road, March", "lat"] == pytest.approx(52.55)  # placed by its postcode
    assert got.loc["14 Mill Lane, Wisbech", "address_key"] == "A|14 MILL LANE WISBECH|PE13 1AB"
    assert got.loc["14 Mill Lane, Wisbech", "lat"] == pytest.approx(52.665)
    assert pd.isna(got.loc['=HYPERLINK("x")', "lat"])  # no postcode, no coordinates: kept, not placed
    assert summary.rows_ungeocoded == 1
    assert ("1 visit(s) have no point (1 with no postcode, no coordinates and no licence number on a loaded "
            "register): each still counts for its own address, but potential victims found there raise no address "
            "nearby") in " ".join(summary.warnings)
    rejects = store.rejects()
    assert rejects["row_number"].tolist() == [5, 6]  # the rows a spreadsheet shows (title row 1, header row 2)
    assert "outcome 'Maybe' is not one of" in rejects["reason"].iloc[0]
    for reason in ("'31/02/2026' is not a date", "address is blank", "potential victims is '2' but the outcome",
                   "'perhaps' is not yes or no"):
        assert reason in rejects["reason"].iloc[1]
    assert '"perhaps"' in rejects["raw"].iloc[1]  # raw values kept for the analyst
    from tests.helpers import query
    assert not [t for (t,) in query(warehouse, "SELECT table_name FROM information_schema.tables")
                if "visit" in t or "outcome" in t]  # the warehouse itself holds no outcomes


def test_the_same_file_twice_is_already_loaded_and_a_corrected_file_adds_only_new_rows(tmp_path, warehouse):
    store = OperationsStore(tmp_path / "ops.db")
    path = write_text(tmp_path / "outcomes.csv", MESSY)
    visits.load(path, db=warehouse, store=store)
    again = visits.load(path, db=warehouse, store=store)
    assert again.status == "already_loaded"
    fixed = MESSY.replace("Maybe", "Concerns - intel submitted")
    summary = visits.load(write_text(tmp_path / "fixed.csv", fixed), db=warehouse, store=store)
    assert (summary.rows_loaded, summary.rows_unchanged) == (1, 3)
    assert len(store.outcomes()) == 4


def test_a_licence_named_in_the_file_places_the_visit_at_it(tmp_path, warehouse):
    store = OperationsStore(tmp_path / "ops.db")
    path = write_xlsx(tmp_path / "o.xlsx", [["Date of visit", "Premises", "HMO licence number", "Outcome"],
                                            [TODAY, "Flat 2, 14 Mill Lane", "FDC/1", "no concerns"]])
    visits.load(path, db=warehouse, store=store)
    row = store.outcomes().iloc[0]
    assert row["address_key"] == "L|hmo|FDC/1" and row["lat"] == pytest.approx(52.665)


def test_a_visit_without_a_postcode_is_keyed_by_its_place_as_the_visit_list_keys_it(tmp_path, warehouse):
    """Without a postcode, the visit list tells "2 High St" in two towns apart by their points
    (etl/address_ids.py); a visit recorded with coordinates takes the key of the door at its point."""
    import h3

    store = OperationsStore(tmp_path / "ops.db")
    path = write_text(tmp_path / "o.csv", f"Visit date,Address,Latitude,Longitude,Outcome\n"
                                          f"{D},2 High St,52.5510,0.0880,no concerns\n"
                                          f"{D},2 High St,,,no concerns\n")
    visits.load(path, db=warehouse, store=store)
    keys = store.outcomes().sort_values("lat")["address_key"].tolist()
    assert keys == [f"A|2 HIGH ST||{h3.latlng_to_cell(52.551, 0.088, 7)}", "A|2 HIGH ST|"]


def test_a_file_without_the_needed_columns_is_refused_by_name(tmp_path, warehouse):
    with pytest.raises(FileProblem, match="required column"):
        visits.load(write_text(tmp_path / "x.csv", "Date,Address\n01/01/2026,1 High St\n"), db=warehouse,
                    store=OperationsStore(tmp_path / "ops.db"))
    assert not (tmp_path / "ops.db").exists() or OperationsStore(tmp_path / "ops.db").outcomes().empty


def test_the_store_is_owner_only_and_outcomes_are_append_only(tmp_path):
    store = OperationsStore(tmp_path / "ops.db")
    store.record(Outcome(visited_on=TODAY, address_key="A|X|", address="X", outcome="no_concerns"), "lead")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    con = sqlite3.connect(store.path)
    for sql in ("UPDATE outcomes SET outcome = 'potential_victims'", "DELETE FROM outcomes"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)


def test_the_cli_prints_each_reject_with_file_and_row(tmp_path, warehouse):
    path = write_text(tmp_path / "outcomes.csv", MESSY)
    env = {**os.environ, "HOTSPOTS_DB": str(warehouse), "HOTSPOTS_OPERATIONS": str(tmp_path / "ops.db")}
    result = subprocess.run([sys.executable, "-m", "etl", "load", "visits", str(path), "--source", "team A"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--source is not used for visit outcomes" in result.stderr     # said, not silently ignored
    assert "read 5 · loaded 3" in result.stdout
    assert "outcomes.csv row 5: outcome 'Maybe'" in result.stdout
    assert "outcomes.csv row 6: visit date" in result.stdout
    assert "operations store" in result.stdout
