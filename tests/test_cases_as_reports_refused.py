"""A victim case file whose dates and references happen to have a report's headers ("Case Number", "Date
Received") is still a case file when it gives a person's age group: loaded as reports it stored case references in
clear and put victims' postcodes on the reports map. It is refused as reports (and as an HMO register) with the
message a name or date of birth column gets; reports and registers with ages of groups or agents still load."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import load_text, query, write_text

# /tmp/probe2's cases_as_reports2.csv
PROBE = ("Case Number,Date Received,Postcode,Nationality,Exploitation Type,Age Group\n"
         "VH-0001,01/10/2026,PE13 1AA,Vietnamese,Criminal,Under 18\n"
         "VH-0002,02/10/2026,PE13 1AE,Romanian,Labour,18+\n")


@pytest.mark.parametrize("kind", ["reports", "hmo"])
def test_the_probe_file_is_refused_and_nothing_of_it_is_stored(tmp_path, kind):
    db = tmp_path / "w.duckdb"
    with pytest.raises(FileProblem) as err:
        load_file(kind, write_text(tmp_path / "cases_as_reports2.csv", PROBE), db=db)
    assert err.value.problem == (f"this looks like a victim case file, not {kind}: it has 'Age Group'. Load victim "
                                 "cases with `python -m etl load cases FILE`, which keeps no names, dates of birth "
                                 "or addresses; if it is not one, remove those columns and load it again")
    stored = db.read_bytes().decode("latin-1") if db.exists() else ""
    assert "VH-0001" not in stored and "PE13 1AE" not in stored


@pytest.mark.parametrize("header", ["Age Band", "Adult or Child", "Age Category", "Victim Age Group",
                                    "Age at Referral", "Age bracket", "Age in years"])
def test_a_person_s_age_group_makes_a_file_a_case_file(tmp_path, header):
    text = f"Reference,Date Received,Postcode,{header}\nR1,01/10/2026,PE13 1AA,Adult\n"
    with pytest.raises(FileProblem, match=f"looks like a victim case file, not reports: it has '{header}'"):
        load_text(tmp_path / "w.duckdb", "reports", text)


def test_the_same_file_loads_as_victim_cases_once_its_date_is_named_as_a_case_s(tmp_path):
    """`load cases` says so itself ("required column(s) missing: opened on"): a case's date is when it was
    opened, and "Date Received" is a report's, so a file of reports given as cases is not loaded as one."""
    db = tmp_path / "w.duckdb"
    with pytest.raises(FileProblem, match="required column.s. missing: opened on"):
        load_text(db, "cases", PROBE)
    s = load_text(db, "cases", PROBE.replace("Date Received", "Date Opened"))
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert sorted(query(db, "SELECT age_group FROM cases")) == [("adult",), ("child",)]


def test_reports_and_registers_with_ages_agents_or_case_numbers_still_load(tmp_path):
    """A report's people seen by age ("Age range of people seen", "Adults/Children"), an agency, and a council's
    "Case Number" for a licence are no victim case's columns."""
    reports = ("Case Number,Date Received,Reporting Agency,Address,Postcode,Age range of people seen,"
               "People seen (adults/children),Ages\n"
               "R1,01/10/2026,GLAA,1 Mill Lane,PE13 1AA,20-30,4/1,20s\n")
    assert load_text(tmp_path / "r.duckdb", "reports", reports).rows_loaded == 1
    register = ("Case Number,Location,Postcode,Managing Agent,Agent Address,Number of adults/children,"
                "Licence Commenced,Licence Expires\n"
                "HMO/1,\"1 Mill Lane, Wisbech\",PE13 1AA,Acme Lettings,\"5 Agent St, PE29 3AA\",4/2,"
                "01/04/2025,31/03/2030\n")
    assert load_text(tmp_path / "h.duckdb", "hmo", register).rows_loaded == 1
