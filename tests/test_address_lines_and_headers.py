"""Messy council and partner exports: four to six address lines, GLAA's worker counts, a bare "Victim" column.

A probe found a lone "Address Line 4" taken by its word "address" as the whole address, lines 1-3 dropped (a
licence stored as "Witchford", a report with no address at all); "No. of workers" beside "Workers'
nationalities" not read; and a reports file with a "Victim" column of names and dates of birth loaded as reports.
"""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, write_text

ECDC_HMO = (
    "Licence No,Licence Holder,Address Line 1,Address Line 2,Address Line 3,Address Line 4,Town,Post Code,"
    "Max Occupants,Licence Start,Licence Expiry\n"
    "ECDC/HMO/0101,Mr J Smith,Flat 2,Fore Hill House,12 Fore Hill,,Ely,CB7 4AA,6,45292,47118\n"
    "ECDC/HMO/0102,Acme Lettings Ltd,,,34 Market Street,,Ely,cb74ls,5,45383,47209\n"
    "ECDC/HMO/0103,Ms A O'Neill,The Old Forge,,Main Street,Witchford,Ely,CB6 2HQ.,7,45413,47239\n"
    "ECDC/HMO/0104,Mr P Kowalski,,,5 Station Road,Soham,,CB7 5HY,5,45444,47270\n")

LINE4_REPORTS = (
    "Ref,Date Received,Address Line 1,Address Line 2,Address Line 3,Address Line 4,Postcode\n"
    "AL-1,01/06/2025,Flat 3,27 Lincoln Road,Peterborough,,PE1 2NX\n"
    "AL-2,02/06/2025,12 Fore Hill,,,Ely,CB7 4AA\n")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def _keyword_notes(summary) -> list[str]:
    return [w for w in summary.warnings if w.startswith("columns found by a word in their header")]


def test_a_register_with_four_address_lines_and_a_town_keeps_every_line(tmp_path, db):
    s = load_file("hmo", write_text(tmp_path / "ecdc.csv", ECDC_HMO), db=db, source="East Cambs")
    assert (s.rows_loaded, s.rows_rejected) == (4, 0)
    assert query(db, "SELECT licence_ref, address FROM hmo_licences ORDER BY 1") == [
        ("ECDC/HMO/0101", "Flat 2, Fore Hill House, 12 Fore Hill, Ely"),
        ("ECDC/HMO/0102", "34 Market Street, Ely"),
        ("ECDC/HMO/0103", "The Old Forge, Main Street, Witchford, Ely"),
        ("ECDC/HMO/0104", "5 Station Road, Soham")]
    assert ("the address is read from its parts, joined: 'Address Line 1', 'Address Line 2', 'Address Line 3', "
            "'Address Line 4', 'Town'") in s.warnings
    assert not _keyword_notes(s)


def test_reports_with_a_fourth_address_line_keep_their_address(tmp_path, db):
    s = load_file("reports", write_text(tmp_path / "r.csv", LINE4_REPORTS), db=db, source="Partner")
    assert query(db, "SELECT report_ref, address FROM reports ORDER BY 1") == [
        ("AL-1", "Flat 3, 27 Lincoln Road, Peterborough"), ("AL-2", "12 Fore Hill, Ely")]
    assert not _keyword_notes(s)


@pytest.mark.parametrize("header", ["Address 4", "Address Line 5", "Address4", "Address Line 6", "Addr 5"])
def test_each_spelling_of_a_later_address_line_is_a_line_of_the_address(tmp_path, db, header):
    f = write_text(tmp_path / "r.csv", f"Ref,Date Received,Address 1,Address 2,Address 3,{header},Postcode\n"
                                       "R1,2025-06-01,The Old Forge,,Main Street,Witchford,CB6 2HQ\n")
    s = load_file("reports", f, db=db, source="Partner")
    assert query(db, "SELECT address FROM reports") == [("The Old Forge, Main Street, Witchford",)]
    assert not _keyword_notes(s)


def test_address_lines_four_to_six_are_joined_in_order_before_the_town(tmp_path, db):
    """An Idox or Northgate export: six lines, then the town; none of them is left unread."""
    f = write_text(tmp_path / "idox.csv",
                   "Licence No,Address Line 6,Address Line 5,Address Line 4,Address Line 3,Address Line 2,"
                   "Address Line 1,Town,Postcode\n"
                   "L1,Cambridgeshire,Little Downham,Black Bank,Rectory Farm,Barn 2,Annexe,Ely,CB6 2UA\n")
    s = load_file("hmo", f, db=db, source="East Cambs")
    assert query(db, "SELECT address FROM hmo_licences") == [
        ("Annexe, Barn 2, Rectory Farm, Black Bank, Little Downham, Cambridgeshire, Ely",)]
    assert not any("not read" in w and "Address Line" in w for w in s.warnings)


def test_an_address_line_with_no_alias_is_never_the_whole_address(tmp_path, db):
    """"Address Line 7" holds the keyword "address", but it is one line: lines 1-3 are still the address, and
    the load summary lists line 7 as not read rather than reading it as all of the address."""
    f = write_text(tmp_path / "r.csv", "Ref,Date Received,Address Line 1,Address Line 2,Address Line 7,Postcode\n"
                                       "R1,2025-06-01,12 Fore Hill,Ely,Cambridgeshire,CB7 4AA\n")
    s = load_file("reports", f, db=db, source="Partner")
    assert query(db, "SELECT address FROM reports") == [("12 Fore Hill, Ely",)]
    assert not _keyword_notes(s)
    assert any("not read" in w and "'Address Line 7'" in w for w in s.warnings)


@pytest.mark.parametrize("second", ["Address 2", "Address Line 2"])
def test_an_address_column_followed_by_its_second_line_is_the_first_line(tmp_path, db, second):
    """"Address", "Address 2", "Town": read as the whole address, "Address" stored "Flat 3" alone, and the
    second line and town were dropped without a word."""
    f = write_text(tmp_path / "r.csv", f"Ref,Date Received,Address,{second},Address 3,Town,Postcode\n"
                                       "R1,2025-06-01,Flat 3,27 Lincoln Road,,Peterborough,PE1 2NX\n")
    s = load_file("reports", f, db=db, source="Partner")
    assert query(db, "SELECT address FROM reports") == [("Flat 3, 27 Lincoln Road, Peterborough",)]
    assert (f"the address is read from its parts, joined: 'Address', '{second}', 'Address 3', 'Town'"
            in s.warnings)


@pytest.mark.parametrize("header", ["No. of workers", "Number of workers", "Workers"])
def test_a_glaa_count_of_workers_is_the_people_count(tmp_path, db, header):
    """Beside "Workers' nationalities" the word "workers" fits two headers, so only an alias reads the count."""
    f = write_text(tmp_path / "glaa.csv",
                   f"Ref,Date Received,Business Name,Sector,Address,Postcode,{header},Workers' nationalities\n"
                   "G-1,01/06/2025,Fen Farms Ltd,Agriculture,Fen Farm Drove,PE15 0AA,20-25,Romanian\n"
                   "G-2,02/06/2025,Quick Wash,Car wash,12 High Street,PE13 1AB,c.30,Albanian\n")
    s = load_file("reports", f, db=db, source="GLAA")
    assert query(db, "SELECT report_ref, people_count FROM reports ORDER BY 1") == [("G-1", 20), ("G-2", 30)]
    assert not any(f"{header!r} as" in n for n in _keyword_notes(s))


@pytest.mark.parametrize("header", ["Victim", "Victim(s)", "Victim details", "PV", "Potential victim(s)",
                                    "POTENTIAL VICTIM"])
@pytest.mark.parametrize("kind", ["reports", "hmo"])
def test_a_column_headed_as_a_victim_refuses_the_file(tmp_path, db, kind, header):
    """A "Victim" column holds a person ("Minh Nguyen (DOB 05/06/2008)"): the file is a victim case file, refused
    before anything of it is stored, as a "Potential Victim Name" column refuses it."""
    f = write_text(tmp_path / "v.csv", f"Ref,Licence No,Date Received,Address,Postcode,{header}\n"
                                       "V1,L1,01/06/2025,1 Secret Road,PE13 1AB,Minh Nguyen (DOB 05/06/2008)\n")
    with pytest.raises(FileProblem, match=f"looks like a victim case file, not {kind}: it has '"):
        load_file(kind, f, db=db)
    stored = " ".join(str(r) for t in ("reports", "hmo_licence_history", "rejects", "loads")
                      for r in query(db, f"SELECT * FROM {t}"))
    assert "Minh" not in stored and "Secret" not in stored


@pytest.mark.parametrize("header", ["Victims seen", "Number of potential victims", "Potential victims (count)"])
def test_a_count_of_victims_is_the_people_count_not_a_victim(tmp_path, db, header):
    """Beside "No. of people" a count of victims is no second candidate by keyword: it is read by its alias."""
    f = write_text(tmp_path / "r.csv", f"Ref,Date Received,Address,Postcode,{header},Victims' nationalities\n"
                                       "R1,01/06/2025,1 Mill Lane,PE13 1AB,3,Vietnamese\n")
    s = load_file("reports", f, db=db, source="Partner")
    assert query(db, "SELECT report_ref, people_count FROM reports") == [("R1", 3)]
    assert not any(f"{header!r} as" in n for n in _keyword_notes(s))
