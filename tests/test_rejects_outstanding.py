"""Rejected rows a later load dealt with are not offered to fix again: a corrected re-export that loaded a
rejected reference makes the reject "since loaded (load N)", and a newer HMO register makes the older one's
rejects "superseded by load N". `etl rejects` lists the outstanding ones by default (saying how many it left
out), `--all` and `--load N` list them too with their status, and the Data page says the same."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import rejects
from etl import admin, reference_keys
from etl.cli import main
from etl.loading import load_file
from tests.analysis_fixtures import KEY, POSTCODES, connect

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")

# Reports: jan.csv rejects pr-0002 and R3; the corrected export loads PR-0002 (written another way) only.
JAN = """Report Ref,Date Received,Address,Postcode
R1,01/03/2025,1 Mill Lane,PE13 2ZZ
pr-0002,not a date,2 Mill Lane,PE13 2ZZ
R3,never,3 Mill Lane,PE13 2ZZ
"""
JAN_FIXED = """Report Ref,Date Received,Address,Postcode
R1,01/03/2025,1 Mill Lane,PE13 2ZZ
PR-0002,02/03/2025,2 Mill Lane,PE13 2ZZ
"""
# HMO: the first register rejects L2 and L9; the next (another header, 'l 2' for L2) loads L2, drops L9 and
# rejects L5 of its own.
REGISTER_1 = """Licence Number,Address,Max Occupants
L1,1 A St PE13 1AA,5
L2,2 A St PE13 1AA,lots
L9,9 A St PE13 1AA,many
"""
REGISTER_2 = """Licence No.,Address,Max Occupants
L1,1 A St PE13 1AA,5
l 2,2 A St PE13 1AA,4
L5,5 A St PE13 1AA,loads
"""
# Cases: C2's date is fixed in the next file; C3's never is.
CASES_1 = """Case Reference,Date Opened,Postcode,Exploitation Type
C1,01/03/2025,PE13 2ZZ,Labour
C2,never,PE13 2ZZ,Labour
C3,unknown,PE13 2ZZ,Labour
"""
CASES_2 = """Case Reference,Date Opened,Postcode,Exploitation Type
C2,02/03/2025,PE13 2ZZ,Labour
"""
FILES = [("postcodes", "pc.csv", POSTCODES, "Lookup"), ("reports", "jan.csv", JAN, "Police"),
         ("reports", "jan-fixed.csv", JAN_FIXED, "Police"), ("hmo", "reg1.csv", REGISTER_1, "Fenland"),
         ("hmo", "reg2.csv", REGISTER_2, "Fenland"), ("cases", "c1.csv", CASES_1, "NRM"),
         ("cases", "c2.csv", CASES_2, "NRM")]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("outstanding")
    db = folder / "w.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTSPOTS_PSEUDONYM_KEY", KEY)
        for kind, name, text, source in FILES:
            (folder / name).write_text(text, encoding="utf-8")
            load_file(kind, folder / name, db=db, source=source)
    return db


@pytest.fixture(scope="module")
def load_of(warehouse) -> dict[str, int]:
    """File name → its load id."""
    con = connect(warehouse)
    try:
        return dict(con.execute("SELECT file_name, load_id FROM loads").fetchall())
    finally:
        con.close()


@pytest.fixture
def con(warehouse):
    c = connect(warehouse)
    yield c
    c.close()


def _now(con, load_id: int, reference: str) -> dict[str, str]:
    rows = rejects.rejected_rows(con, load_id)
    return dict(zip(rows[reference], rows["now"]))


def test_a_report_a_corrected_export_loaded_is_since_loaded_and_the_others_outstanding(con, load_of):
    assert _now(con, load_of["jan.csv"], "Report Ref") == {
        "pr-0002": f"since loaded (load {load_of['jan-fixed.csv']})",   # stored as PR-0002: the same reference
        "R3": "outstanding"}


def test_an_older_registers_rejects_are_since_loaded_or_superseded_and_the_newest_outstanding(con, load_of):
    assert _now(con, load_of["reg1.csv"], "Licence Number") == {
        "L2": f"since loaded (load {load_of['reg2.csv']})",             # 'l 2' is licence L2
        "L9": f"superseded by load {load_of['reg2.csv']}"}              # not in the register that replaced it
    assert _now(con, load_of["reg2.csv"], "Licence No.") == {"L5": "outstanding"}


def test_a_case_fixed_in_a_later_file_is_since_loaded(con, load_of):
    rows = rejects.rejected_rows(con, load_of["c1.csv"])
    assert dict(zip(rows["Date Opened"], rows["now"])) == {"never": f"since loaded (load {load_of['c2.csv']})",
                                                           "unknown": "outstanding"}


def test_the_load_list_counts_each_loads_outstanding_rejects(con, load_of):
    loads = rejects.reject_loads(con).set_index("file_name")
    assert loads.loc["jan.csv", ["rejected", "outstanding", "since_loaded", "superseded"]].tolist() == [2, 1, 1, 0]
    assert loads.loc["reg1.csv", ["rejected", "outstanding", "since_loaded", "superseded"]].tolist() == [2, 0, 1, 1]
    assert loads.loc["reg1.csv", "superseded_by"] == load_of["reg2.csv"]
    assert loads.loc["reg2.csv", ["rejected", "outstanding"]].tolist() == [1, 1]


def test_a_reference_stored_only_by_an_earlier_load_is_still_outstanding(tmp_path):
    """The row stored before the reject is the one the rejected correction failed to replace."""
    db = tmp_path / "w.duckdb"
    for name, text in (("a.csv", "Report Ref,Date Received,Address\nR1,01/03/2025,1 Mill Lane\n"
                                 "R2,02/03/2025,2 Mill Lane\n"),
                       ("b.csv", "Report Ref,Date Received,Address\nR1,never,1 Mill Lane\n"
                                 "R2,03/03/2025,2 Mill Lane\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        load_file("reports", tmp_path / name, db=db, source="Police")
    c = connect(db)
    try:
        assert rejects.rejected_rows(c, 2)["now"].tolist() == ["outstanding"]
    finally:
        c.close()


def test_the_reference_keys_on_a_read_only_connection(warehouse):
    """The loaders' ref_key and licence_key (etl/reference_keys.py) are what a reader compares references by:
    written another way, or with Excel's leading zeros dropped, a reference is the same one."""
    con = connect(warehouse)
    try:
        reference_keys.register(con)
        keys = con.execute("SELECT ref_key('pr 0001') = ref_key('PR/0001'), ref_key('00345') = ref_key(' 345 '),"
                           " licence_key('fdc/hmo/0002') = licence_key('FDC / HMO / 0002'),"
                           " licence_key('000123') = licence_key('123'), ref_key('PR-0001') = ref_key('PR-0002')"
                           ).fetchone()
    finally:
        con.close()
    assert keys == (True, True, True, True, False)


# --- the command line ------------------------------------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_rejects_lists_the_outstanding_ones_and_says_how_many_it_left_out(warehouse, load_of):
    r = _run("rejects", "--db", str(warehouse))
    assert r.exit_code == 0, r.output
    rows = _csv(r.stdout)
    assert {(int(row["load_id"]), row["status"]) for row in rows} == {
        (load_of["jan.csv"], "outstanding"), (load_of["reg2.csv"], "outstanding"), (load_of["c1.csv"], "outstanding")}
    assert "R3" in r.stdout and "pr-0002" not in r.stdout and '"L9"' not in r.stdout
    assert r.stderr.strip() == ("not listed, as no longer to fix: 3 since loaded by a later load of their source, "
                                "1 of HMO registers a later one of the same source superseded (--all lists them too)")


def test_rejects_all_and_one_load_list_every_row_with_its_status(warehouse, load_of):
    every = _csv(_run("rejects", "--all", "--db", str(warehouse)).stdout)
    assert len(every) == 7
    one = _run("rejects", "--load", str(load_of["reg1.csv"]), "--db", str(warehouse))
    assert one.exit_code == 0 and one.stderr == ""
    assert [row["status"] for row in _csv(one.stdout)] == [f"since loaded (load {load_of['reg2.csv']})",
                                                          f"superseded by load {load_of['reg2.csv']}"]


def test_rejects_with_nothing_outstanding_says_so(tmp_path):
    db = tmp_path / "w.duckdb"
    for name, text in (("a.csv", JAN.replace("R3,never", "R3,04/03/2025")), ("b.csv", JAN_FIXED)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        load_file("reports", tmp_path / name, db=db, source="Police")
    r = _run("rejects", "--db", str(db))
    assert r.exit_code == 0 and r.stdout.splitlines() == [",".join(admin.REJECTS_CSV_HEADER)]
    assert r.stderr.splitlines()[0] == "no rejected row is outstanding"
    assert "1 since loaded" in r.stderr


def test_status_says_its_rejected_count_is_the_last_loads(warehouse):
    r = _run("status", "--db", str(warehouse))
    assert r.exit_code == 0
    header, *_, note = r.stdout.splitlines()
    assert "rejected (last load)" in header
    assert note.startswith("rejected (last load): the rows the last load of each source rejected")


# --- the Data page ---------------------------------------------------------------------------------------------

def test_the_data_page_lists_loads_with_rows_to_fix_and_the_others_on_request(warehouse, load_of, tmp_path,
                                                                               monkeypatch):
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from access.store import Store

    monkeypatch.setenv("HOTSPOTS_DB", str(warehouse))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(tmp_path / "accounts.db"))
    Store().add("analyst1", "analyst", "analyst-password-1")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at._page_hash = calc_hash("data")
    at.run()
    at.text_input(key="signin_name").input("analyst1")
    at.text_input(key="signin_password").input("analyst-password-1")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and at.title[0].value == "Data"
    choice = at.selectbox(key="rejects_load")
    assert [int(o.split("(load ")[-1].rstrip(")")) for o in choice.options] == [
        load_of["c1.csv"], load_of["reg2.csv"], load_of["jan.csv"]]    # reg1.csv has nothing left to fix
    jan = next(o for o in choice.options if "jan.csv" in o)
    assert "2 rejected, 1 outstanding, 1 since loaded (load " in jan
    at.toggle(key="rejects_all_loads").set_value(True).run()
    reg1 = next(o for o in at.selectbox(key="rejects_load").options if "reg1.csv" in o)
    assert f"2 rejected, none outstanding, 1 since loaded, the others superseded by load {load_of['reg2.csv']}" in reg1
    at.selectbox(key="rejects_load").set_value(load_of["reg1.csv"]).run()
    grid = at.dataframe[-1].value
    assert grid["now"].tolist() == [f"since loaded (load {load_of['reg2.csv']})",
                                    f"superseded by load {load_of['reg2.csv']}"]
