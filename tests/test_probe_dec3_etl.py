"""Red-team probes (December, third round): shapes of real partner files that loaded wrongly or were refused with
the wrong advice.

- A victim case file's "Interpreter Required?" column (a caseworker's question as its header) was dropped as
  "not needed", and with it every case's language need, which decides who joins a visit.
- "Lat (WGS84)" and "Long (WGS84)" in a file of reports were left unread (the postcode loader reads them), so a
  report without a postcode was stored without a location.
- A password-protected workbook was called "an old Excel .xls" and the analyst told to save as .xlsx the .xlsx
  they had.
"""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import load_text, query


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))
    monkeypatch.delenv("HOTSPOTS_PSEUDONYM_KEY", raising=False)


@pytest.mark.parametrize("header", ["Interpreter Required?", "Interpreter needed (Y/N)", "Preferred Language"])
def test_a_case_files_interpreter_question_gives_its_language_needs(tmp_path, key_file, header):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "cases", f"Case Ref,Date Opened,Postcode,Nationality,{header}\n"
                               "C1,01/10/2025,PE13 1AB,Lithuanian,Yes - Lithuanian\n"
                               "C2,02/10/2025,PE13 1AB,Romanian,Romanian\n"
                               "C3,03/10/2025,PE13 1AB,British,No\n")
    assert s.rows_loaded == 3
    got = dict(query(db, "SELECT row_number, language_needs FROM cases"))
    assert got == {2: ["Lithuanian"], 3: ["Romanian"], 4: []}
    assert header not in " ".join(s.dropped_columns)


def test_latitude_and_longitude_headed_with_their_datum_place_a_report(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Address,Lat (WGS84),Long (WGS 84)\n"
                                 "R1,2025-10-01,14 Mill Road,52.2011,0.1338\n")
    assert s.rows_loaded == 1
    assert query(db, "SELECT lat, lon, geocode_status FROM reports") == [(52.2011, 0.1338, "coordinates")]
    assert "not read" not in " ".join(s.warnings)


def _office97_container(*stream_names: str) -> bytes:
    """An Office 97 compound file as far as a reader sees before parsing it: its signature, then directory entries
    named in UTF-16, as Excel's "Encrypt with Password" writes an .xlsx (streams EncryptionInfo and
    EncryptedPackage)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    entries = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64 for name in stream_names)
    return header + entries + b"\0" * 1024


def test_a_password_protected_workbook_is_named_so_with_what_to_do(tmp_path):
    f = tmp_path / "referrals.xlsx"
    f.write_bytes(_office97_container("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    with pytest.raises(FileProblem) as err:
        load_file("reports", f, db=tmp_path / "w.duckdb")
    said = str(err.value)
    assert "password-protected" in said and "old Excel .xls" not in said


def test_an_old_xls_is_still_called_one(tmp_path):
    f = tmp_path / "register.xls"
    f.write_bytes(_office97_container("Root Entry", "Workbook"))
    with pytest.raises(FileProblem, match="old Excel .xls"):
        load_file("hmo", f, db=tmp_path / "w.duckdb")


def test_excels_no_value_in_the_coordinates_leaves_the_row_to_its_postcode(tmp_path):
    """An analyst's VLOOKUP of coordinates by postcode writes #N/A where it found none: the report is placed by its
    postcode, as with "N/A", not rejected as "not a number"; #N/A occupants on a register is no number given."""
    db = tmp_path / "w.duckdb"
    load_text(db, "postcodes", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n")
    s = load_text(db, "reports", "Ref,Date,Address,Postcode,Latitude,Longitude\n"
                                 "R1,2026-11-01,1 Mill Lane,PE13 1AB,#N/A,#N/A\n")
    assert s.rows_rejected == 0
    assert query(db, "SELECT report_ref, round(lat, 2), round(lon, 2), geocode_status FROM reports") == [
        ("R1", 52.66, 0.16, "postcode")]
    h = load_text(db, "hmo", "Licence No,Address,Postcode,Max Occupants\nL1,2 Mill Lane,PE13 1AB,#N/A\n")
    assert h.rows_rejected == 0 and query(db, "SELECT max_occupants FROM hmo_licences") == [(None,)]


def test_partners_named_as_they_sign_their_referrals_are_their_source_types(tmp_path):
    db = tmp_path / "w.duckdb"
    said = {"Neighbourhood Policing Team": "police", "NPT": "police", "Fire & Rescue": "other",
            "Salvation Army": "other", "British Red Cross": "other",
            "Modern Slavery and Exploitation Helpline": "helpline"}
    rows = "".join(f"R{i},2026-11-01,{i} Mill Lane,PE13 1AB,{who}\n" for i, who in enumerate(said))
    s = load_text(db, "reports", "Ref,Date,Address,Postcode,Source Type\n" + rows)
    assert s.rows_loaded == len(said)
    got = dict(query(db, "SELECT report_ref, source_type FROM reports"))
    assert got == {f"R{i}": kind for i, kind in enumerate(said.values())}
