"""A victim case file with no name, date of birth or age group column still gives itself away by its other
headers: a plain "Age" beside a "Case Number" (or two of a case's own columns, such as "Age" and "Gender").
Given as reports it loaded, and put its victims' postcodes on the reports map; now it is refused before anything
of it is stored, naming the file and the command that loads it as cases. One such header alone refuses nothing:
the demo's report files, a police.uk street crime file, a partner's referrals with a "Case Ref" and a helpline
export with the caller's age all still load as reports (etl/vocab/headers.toml `case_only_headers`)."""
from __future__ import annotations

import re
import shlex

import pytest

from etl.demo import generate
from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import TODAY, load_text, query, write_text

CASES = ("Case Number,Date,Postcode,Nationality,Exploitation Type,Age\n"
         "VH-0001,01/10/2026,PE13 1AA,Vietnamese,Criminal,16\n"
         "VH-0002,02/10/2026,PE13 1AE,Romanian,Labour,34\n")


def test_an_age_and_case_number_file_given_as_reports_is_refused_naming_the_command_that_loads_it(tmp_path):
    db, path = tmp_path / "w.duckdb", write_text(tmp_path / "hub export.csv", CASES)
    with pytest.raises(FileProblem) as err:
        load_file("reports", path, db=db)
    command = f"python -m etl load cases {shlex.quote(str(path))}"
    assert err.value.problem == (
        f"this looks like a victim case file, not reports: it has a case's columns ('Case Number', 'Age'). Load it "
        f"with `{command}`, which keeps no names, dates of birth or addresses; if it is a file of reports, rename or "
        "remove those columns and load it again")
    assert str(err.value).startswith("hub export.csv: ")
    stored = db.read_bytes().decode("latin-1") if db.exists() else ""
    assert "VH-0001" not in stored and "PE13 1AE" not in stored

    kind, given = shlex.split(command)[-2:]    # the command it names loads it
    assert load_file(kind, given, db=db).rows_loaded == 2
    assert sorted(query(db, "SELECT age_group FROM cases")) == [("adult",), ("child",)]


@pytest.mark.parametrize("headers, signals", [
    ("Crime Number,Date,Postcode,Nationality,Exploitation Type,Age", "'Crime Number', 'Age'"),
    ("Case Ref,Date Received,Postcode,Nationality,Gender,Exploitation Type", "'Case Ref', 'Gender'"),
    ("Reference,Date Received,Postcode,Nationality,Age (years),Sex", "'Age (years)', 'Sex'"),
    ("Case Reference,Date,Postcode,Age,Language Needs", "'Case Reference', 'Age'"),   # a report's language column is no case's
])
def test_two_case_signals_together_refuse_a_file_as_reports(tmp_path, headers, signals):
    row = ",".join(["C1", "01/10/2026", "PE13 1AA", *["x"] * (headers.count(",") - 2)])
    with pytest.raises(FileProblem, match=re.escape(f"victim case file, not reports: it has a case's columns ({signals})")):
        load_text(tmp_path / "w.duckdb", "reports", f"{headers}\n{row}\n")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), seed=42, scale=1, today=TODAY)


def test_the_demo_s_report_files_still_load_as_reports(tmp_path, demo_files):
    reports = [f for f in demo_files if f.kind == "reports"]
    assert len(reports) == 2
    for f in reports:
        summary = load_file("reports", f.path, db=tmp_path / "w.duckdb", source=f.source)
        assert summary.rows_loaded > 400, f.path.name


def test_the_demo_s_case_file_is_still_refused_as_reports(tmp_path, demo_files):
    cases = next(f for f in demo_files if f.kind == "cases")
    with pytest.raises(FileProblem, match="looks like a victim case file, not reports"):
        load_file("reports", cases.path, db=tmp_path / "w.duckdb")


@pytest.mark.parametrize("name, text", [
    ("police.uk street crime", "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
                               "LSOA name,Crime type,Last outcome category,Context\n"
                               "ab12,2026-09,Cambridgeshire Constabulary,Cambridgeshire Constabulary,0.1218,52.2053,"
                               "On or near Mill Lane,E01017959,Cambridge 007A,Other crime,Under investigation,\n"),
    ("partner referrals with a case ref", "Case Ref,Referral Date,Reported By,Address,Postcode,Signs Observed,"
                                          "Type of Exploitation,Nationality,Number of People\n"
                                          "P1,01/10/2026,GLAA,1 Mill Lane,PE13 1AA,mattresses on floors,Labour,"
                                          "Romanian,5\n"),
    ("helpline export", "Case Reference,Date,Caller age,Caller Gender,Address,Postcode,Nationality,Exploitation Type,"
                        "Age range of people seen\n"
                        "H1,01/10/2026,30s,Female,1 Mill Lane,PE13 1AA,Romanian,Labour,20-30\n"),
    ("intelligence with one case column", "Reference,Date Received,Address,Postcode,Age,Summary\n"
                                          "CR1,01/10/2026,1 Mill Lane,PE13 1AA,20s,Four men seen at the door\n"),
])
def test_reports_with_one_case_signal_or_none_still_load(tmp_path, name, text):
    assert load_text(tmp_path / "w.duckdb", "reports", text).rows_loaded == 1, name
