"""Three defects a probe of messy files found: a date giving a month alone was stored as the 1st without a word
(and "11/2026" was no date), an OS grid reference with a comma between its figures was no reference, and an HMO
register with a "PV" (solar panels) column was refused as a victim case file."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from etl import loading
from etl.errors import FileProblem
from tests.helpers import load_text, query


def _macro(sql: str, values: list[str]) -> dict:
    con = duckdb.connect()
    loading.define_value_macros(con)
    return dict(con.execute(f"SELECT v, {sql} FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchall())


def _month_notes(summary) -> list[str]:
    return [w for w in summary.warnings if "give a month only" in w]


# ---- 1. a month alone -------------------------------------------------------------------------------------------

MONTHS = ["Nov-26", "Nov 2026", "2026-11", "November 2026", "11/2026", "202611", "'Nov-26", "Sept. 2026",
          "November, 2026", "1/2026", "11.2026"]
NOT_MONTHS = ["3 Nov 2026", "2026-11-03", "03/11/2026", "45000", "20261103", "Nov 26", "November-26", "13/2026",
              "2026/11", "Tuesday 3 November 2026", "soon"]


def test_a_month_alone_is_what_parse_date_dates_the_1st():
    """month_alone, run on every row of a file's date columns, says so of each value parse_date reads as a month
    and of no other; "11/2026" is a month too (it was no date)."""
    parsed = _macro("parse_date(v)", MONTHS + NOT_MONTHS)
    alone = _macro("month_alone(v)", MONTHS + NOT_MONTHS)
    assert {v for v in MONTHS if parsed[v] is None or parsed[v].day != 1} == set()
    assert parsed["11/2026"] == dt.date(2026, 11, 1) and parsed["13/2026"] is None
    assert {v: alone[v] for v in MONTHS} == dict.fromkeys(MONTHS, True)
    assert {v: alone[v] for v in NOT_MONTHS} == dict.fromkeys(NOT_MONTHS, False)


def test_reports_giving_a_month_alone_are_dated_the_1st_and_said_to_be(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Postcode\nR1,Nov-26,PE1 1AA\nR2,Nov 2026,PE1 1AA\n"
                                 "R3,2026-11,PE1 1AA\nR4,November 2026,PE1 1AA\nR5,11/2026,PE1 1AA\n"
                                 "R6,2026-11-17,PE1 1AA\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (6, 0)
    assert dict(query(db, "SELECT report_ref, received_on FROM reports")) == {
        **{f"R{i}": dt.date(2026, 11, 1) for i in range(1, 6)}, "R6": dt.date(2026, 11, 17)}
    assert _month_notes(s) == [
        "5 row(s) give a month only, no day, in 'Date Received' ('Nov-26'): stored as the 1st of that month "
        "(rows 2, 3, 4, 5, 6). Counts by day or week put them all on the 1st; ask the sender for the full dates if "
        "the day matters"]


def test_a_registers_months_are_counted_by_row_and_a_case_files_not_shown(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence No,Address,Licence Start,Licence Expiry\nL1,1 Mill Lane,Nov 2021,Nov 2026\n"
                             "L2,2 Mill Lane,2022-02-01,2027-01\nL3,3 Mill Lane,2022-02-01,2027-02-01\n", source="h")
    assert _month_notes(s) == [
        "2 row(s) give a month only, no day, in 'Licence Start' and 'Licence Expiry' ('Nov 2021'): stored as the 1st "
        "of that month (rows 2, 3). Counts by day or week put them all on the 1st; ask the sender for the full dates "
        "if the day matters"]
    s = load_text(db, "cases", "Case Ref,Date Opened,Postcode\nC1,2026-03-02,PE1 1AA\nC2,Mar-26,PE1 1AA\n",
                  source="c", name="c.csv")
    assert _month_notes(s) == [
        "1 row(s) give a month only, no day, in 'Date Opened': stored as the 1st of that month (row 3). Counts by day "
        "or week put them all on the 1st; ask the sender for the full dates if the day matters"]


def test_full_dates_say_nothing_of_months(tmp_path):
    s = load_text(tmp_path / "w.duckdb", "reports", "Report Ref,Date Received,Postcode\nR1,2026-11-01,PE1 1AA\n"
                                                   "R2,17 Nov 2026,PE1 1AA\n", source="r")
    assert _month_notes(s) == []


# ---- 2. a grid reference with a comma ---------------------------------------------------------------------------

def test_a_comma_between_a_grid_references_figures_is_a_space():
    """Only between two groups of as many figures: 'TL 4512, 58234' (9 figures) and 'TL 45, 1234' (a split its
    figures would not be read by) stay no reference, as do more commas than one."""
    cases = {"TL 45123, 58234": (545123.5, 258234.5), "TL45123,58234": (545123.5, 258234.5),
             "TL 45123 , 58234 (approx)": (545123.5, 258234.5), "TL 4512 5823": (545125.0, 258235.0),
             "TL 4512, 5823": (545125.0, 258235.0), "tl 451,583": (545150.0, 258350.0),
             "TL 4512, 58234": None, "TL 45, 1234": None, "TL 45,123 58,123": None, "TL 45123,,58234": None,
             "TL,4512358123": None}
    got = {v: None if p is None else (p["easting"], p["northing"])
           for v, p in _macro("grid_ref_point(v)", list(cases)).items()}
    assert got == cases


def test_a_reports_grid_reference_with_a_comma_places_it(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", 'Report Ref,Date Received,Grid Reference\nR1,2026-11-03,"TL 45123, 58234"\n'
                                 "R2,2026-11-03,\"TL 4512, 58234\"\n", source="r")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert query(db, "SELECT report_ref, geocode_status FROM reports") == [("R1", "coordinates")]
    assert "grid reference 'TL 4512, 58234' is not an OS grid reference" in query(db, "SELECT reason FROM rejects")[0][0]


# ---- 3. a register's PV column ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["PV", "pv", "PV panels", "Solar PV"])
def test_a_registers_solar_panels_column_loads(tmp_path, header):
    """A register's "PV" is its solar panels: its licence columns make it a register, so it loads."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Postcode,Licence Holder,Max Occupants,Expiry Date,"
                             f"{header}\nL1,1 Mill Lane,PE1 1AA,A Smith,5,2027-02-01,Yes\n"
                             "L2,2 Mill Lane,PE1 1AA,B Jones,6,2027-02-13,No\n", source="h")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)


@pytest.mark.parametrize("kind, header_row", [
    ("hmo", "Licence Number,Address,PV"),               # too little to make it clearly a register
    ("hmo", "Case Ref,Date Opened,Address,Age,Licence No,PV"),
    ("reports", "Report Ref,Date Received,Postcode,Licence Number,Max Occupants,Licence Holder,PV")])
def test_a_pv_column_still_refuses_what_is_not_clearly_a_register(tmp_path, kind, header_row):
    width = header_row.count(",")
    with pytest.raises(FileProblem, match=f"looks like a victim case file, not {kind}: it has 'PV'"):
        load_text(tmp_path / "w.duckdb", kind, f"{header_row}\n" + "L1," * width + "Minh Nguyen\n")


def test_a_file_whose_every_date_is_a_month_is_said_so_with_nothing_to_ask(tmp_path):
    """police.uk's download dates every crime by its month: the note says so once, without asking the sender for
    days it never publishes, or listing rows."""
    from etl.loading import load_file
    from tests.helpers import write_text

    force = "Cambridgeshire Constabulary"
    text = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            "Last outcome category,Context\n"
            + "".join(f"abc{i},2026-0{m},{force},{force},-0.2401,52.5702,On or near Mill Lane,E01015577,"
                      f"Peterborough 001A,Bicycle theft,Under investigation,\n" for i, m in enumerate((1, 2, 2))))
    s = load_file("reports", write_text(tmp_path / "street.csv", text), db=tmp_path / "w.duckdb", source="police.uk")
    assert s.rows_loaded == 3
    notes = [w for w in s.warnings if "month only" in w]
    assert notes == ["every date in 'Month' gives a month only, no day ('2026-01'): each of the 3 row(s) is stored "
                     "as the 1st of its month, so counts by day or week put them all on the 1st"]
