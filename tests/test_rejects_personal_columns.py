"""A rejected row's raw values leave out the columns no field reads whose header names a person's contact details
or identity (a licence holder's phone, email and home address; a caller's name and phone): they fix no row, and
the rejects are shown on the Data page and written by `etl rejects --out`. Read columns stay, the reference among
them; a place's name ("Premises Name", "Street Name") is no person's; the load summary names the columns once."""
from __future__ import annotations

import json

import duckdb
import pytest

from analysis.rejects import reference_headers
from etl.loading import load_file
from etl.reading.headers import names_a_person
from tests.helpers import query, write_text

HMO = """Licence Number,Property Address,Postcode,Premises Name,Licence Holder,Licence Holder Address,\
Licence Holder Telephone,Licence Holder Email,Managing Agent,Agent Address,Max Occupants,Licence Start
HMO/001,"10 Lincoln Road, Peterborough",PE1 2AA,Lincoln House,Mr J Smith,"1 Holder Close, Cambridge CB1 2AB",\
07700 900123,john@example.com,Acme Lettings,"5 Agent St, Huntingdon PE29 3AA",6,01/04/2025
HMO/003,"14 Lincoln Road, Peterborough",PE1 2AA,Fen Court,Mr R Rejected,"3 Holder Close CB1 2AB",\
07700 900789,reject@example.com,,,five or six,01/04/2025
"""
REPORTS = """Reference,Date Received,Address,Postcode,Street Name,Caller Name,Caller Phone,Summary
R1,03/11/2025,12 Lincoln Road,PE1 2AA,Lincoln Road,Jane Caller,07700 900111,men collected by van at 5am
R2,not a date,14 Lincoln Road,PE1 2AA,Lincoln Road,John Informant,07700 900222,cash payments
"""
PERSONAL_NOTE = "column(s) naming a person's contact details or identity, not read and not kept with the rejected rows"


def _raw(db) -> dict:
    rows = query(db, "SELECT raw FROM rejects")
    assert len(rows) == 1
    return json.loads(rows[0][0])


def test_a_rejected_licence_keeps_no_holders_phone_email_or_home_address(tmp_path, db):
    s = load_file("hmo", write_text(tmp_path / "hmo_contacts.csv", HMO), db=db, source="Probe")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    raw = _raw(db)
    text = json.dumps(raw)
    for gone in ("07700 900789", "reject@example.com", "3 Holder Close"):
        assert gone not in text
    assert not {"Licence Holder Telephone", "Licence Holder Email", "Licence Holder Address", "Agent Address"} & set(raw)
    assert raw["Licence Number"] == "HMO/003"            # the reference: the row is found, and fixed, by it
    assert raw["Property Address"] == "14 Lincoln Road, Peterborough"
    assert raw["Postcode"] == "PE1 2AA"
    assert raw["Max Occupants"] == "five or six"        # the bad cell, to fix
    assert raw["Licence Holder"] == "Mr R Rejected"     # read as a field (and stored): kept
    assert raw["Premises Name"] == "Fen Court"          # a place's name, not a person's
    with duckdb.connect(str(db), read_only=True) as con:
        assert list(reference_headers(con).values()) == ["Licence Number"]


def test_the_summary_names_the_columns_left_out_once(tmp_path, db):
    s = load_file("hmo", write_text(tmp_path / "hmo_contacts.csv", HMO), db=db, source="Probe")
    said = [w for w in s.warnings if w.startswith(PERSONAL_NOTE)]
    assert said == [f"{PERSONAL_NOTE}: 'Licence Holder Address', 'Licence Holder Telephone', "
                    "'Licence Holder Email', 'Agent Address'"]
    unread = next(w for w in s.warnings if w.startswith("column(s) not read"))
    assert "'Managing Agent'" in unread and "'Premises Name'" in unread and "Telephone" not in unread


def test_the_summary_says_so_when_no_row_is_rejected(tmp_path, db):
    """The columns are not stored either: an analyst reads why they are nowhere, rejects or not."""
    good = HMO.replace("five or six", "5")
    s = load_file("hmo", write_text(tmp_path / "hmo_contacts.csv", good), db=db, source="Probe")
    assert s.rows_rejected == 0
    assert any(w.startswith(PERSONAL_NOTE) and "'Licence Holder Email'" in w for w in s.warnings)


def test_a_rejected_report_keeps_no_callers_name_or_phone(tmp_path, db):
    s = load_file("reports", write_text(tmp_path / "reports.csv", REPORTS), db=db, source="Probe")
    assert s.rows_rejected == 1
    raw = _raw(db)
    assert "Caller Name" not in raw and "Caller Phone" not in raw
    assert "John Informant" not in json.dumps(raw) and "07700 900222" not in json.dumps(raw)
    assert raw["Reference"] == "R2" and raw["Date Received"] == "not a date"
    assert raw["Street Name"] == "Lincoln Road" and raw["Summary"] == "cash payments"
    assert f"{PERSONAL_NOTE}: 'Caller Name', 'Caller Phone'" in s.warnings


def test_a_personal_header_read_as_a_field_is_kept(tmp_path, db):
    """--mapping names "Contact Address" the property's address: it is read, so the analyst sees it to fix the row."""
    mapping = write_text(tmp_path / "m.toml", 'address = "Contact Address"\n')
    f = write_text(tmp_path / "reports.csv", "Reference,Date Received,Contact Address,Postcode\n"
                   "R1,03/11/2025,12 Lincoln Road,PE1 2AA\nR2,not a date,14 Lincoln Road,PE1 2AA\n")
    s = load_file("reports", f, db=db, source="Probe", mapping=mapping)
    assert _raw(db)["Contact Address"] == "14 Lincoln Road"
    assert not any(w.startswith(PERSONAL_NOTE) for w in s.warnings)


@pytest.mark.parametrize("header, personal", [
    ("Licence Holder Telephone", True), ("Licence Holder Email", True), ("Licence Holder Address", True),
    ("Agent Address", True), ("Caller Address", True), ("Landlord Postcode", True), ("Caller Name", True),
    ("Caller Phone", True), ("Informant E-mail", True), ("Tel No", True), ("Mobile", True), ("DOB", True),
    ("Date of Birth", True), ("NI Number", True), ("Passport Number", True), ("Contact", True),
    ("Premises Contact Phone", True), ("Mailing Address", True), ("Home Address", True),
    ("Premises Name", False), ("Street Name", False), ("Building Name", False), ("Property Name", False),
    ("Managing Agent", False), ("Max Occupants", False), ("Licence Status", False), ("Ward", False),
    ("Context", False), ("Address", False), ("Storeys", False),
])
def test_which_headers_name_a_person(header, personal):
    assert names_a_person(header) is personal
