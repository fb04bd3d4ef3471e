"""Victim cases: pseudonymised references, identifying columns never stored anywhere."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from etl import pseudonym
from etl.loading import load_file
from tests.helpers import query, scalar, write_text

CASES = ("Case Reference,Date Opened,Postcode,Exploitation Type,Nationality,Adult/Child,NRM Referral,Language,"
         "Victim Name,Date of Birth,Address\n"
         "MS-0001,2025-10-01,PE13 1AB,Labour,Lithuania,Adult,Yes,Lithuanian,Person Alpha,1990-01-01,1 Secret Rd PE13 1AB\n"
         "MS-0002,someday,PE1 1AA,sexual,RO,Child,maybe,Romanian,Person Bravo,2008-02-02,2 Secret Rd PE1 1AA\n")


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(path))
    monkeypatch.delenv("HOTSPOTS_PSEUDONYM_KEY", raising=False)
    return path


def _every_text_in(db) -> str:
    tables = [r[0] for r in query(db, "SELECT table_name FROM information_schema.tables")]
    return "\n".join(str(row) for t in tables for row in query(db, f'SELECT * FROM "{t}"'))


def test_references_are_keyed_hashes_and_identifying_columns_are_never_stored(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    s = load_file("cases", write_text(tmp_path / "c.csv", CASES), db=db)
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert s.dropped_columns == ["Victim Name", "Date of Birth", "Address"]
    key = bytes.fromhex(key_file.read_text().strip())
    expected = hmac.new(key, b"MS-0001", hashlib.sha256).hexdigest()[:32]
    assert scalar(db, "SELECT case_key FROM cases") == expected
    everything = _every_text_in(db) + db.read_bytes().decode("latin-1")
    for secret in ("MS-0001", "MS-0002", "Person Alpha", "Person Bravo", "1990-01-01", "2008-02-02", "Secret Rd"):
        assert secret not in everything
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_rejected_case_rows_keep_only_safe_fields(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    load_file("cases", write_text(tmp_path / "c.csv", CASES), db=db)
    raw = scalar(db, "SELECT CAST(raw AS VARCHAR) FROM rejects")
    assert "case_key" in raw and "maybe" in raw and "Person" not in raw and "MS-0002" not in raw


def test_the_same_key_gives_the_same_case_key_across_loads(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    load_file("cases", write_text(tmp_path / "a.csv", CASES), db=db, source="Hub")
    corrected = CASES.replace("Lithuanian,Person Alpha", "Lithuanian; Russian,Person Alpha")
    s = load_file("cases", write_text(tmp_path / "b.csv", corrected), db=db, source="Hub")
    assert (s.rows_loaded, s.rows_updated) == (0, 1)
    assert scalar(db, "SELECT language_needs FROM cases") == ["Lithuanian", "Russian"]


def test_case_key_ignores_spacing_and_case():
    key = b"k" * 32
    assert pseudonym.case_key("ms-0001", key) == pseudonym.case_key(" MS-0001 ", key)
    # A number's leading zeros, which Excel drops, are no part of the case; zeros inside a reference are.
    assert pseudonym.case_key("000123", key) == pseudonym.case_key("123", key) != pseudonym.case_key("1230", key)
    assert pseudonym.case_key("MS-0001", key) != pseudonym.case_key("MS-1", key)
    assert pseudonym.case_key("000", key) == pseudonym.case_key("0", key)


ONE_CASE = "Case Reference,Date Opened,Postcode,Nationality\n{ref},2025-10-01,PE13 1AB,Lithuania\n"


def test_a_case_number_resaved_without_its_zeros_is_the_same_case(tmp_path, key_file, monkeypatch):
    """A re-saved export writes '000123' as '123': counted as a new case, every victim count went up by one."""
    db = tmp_path / "w.duckdb"
    load_file("cases", write_text(tmp_path / "a.csv", ONE_CASE.format(ref="000123")), db=db, source="Hub")
    s = load_file("cases", write_text(tmp_path / "b.csv", ONE_CASE.format(ref="123")), db=db, source="Hub")
    assert (s.rows_loaded, s.rows_unchanged) == (0, 1)
    assert scalar(db, "SELECT count(*) FROM cases") == 1


def test_a_case_stored_under_its_zeros_before_takes_its_key_of_today_on_reload(tmp_path, key_file, monkeypatch):
    """Warehouses hold keys made with the zeros. A later file that has them moves those cases to today's key,
    in place, so a re-saved file without zeros finds them too."""
    db = tmp_path / "w.duckdb"
    with monkeypatch.context() as old:      # the key as it was made before it dropped the zeros
        old.setattr(pseudonym, "case_key", lambda ref, key: pseudonym._hashed("".join(ref.split()).upper(), key))
        load_file("cases", write_text(tmp_path / "a.csv", ONE_CASE.format(ref="000123")), db=db, source="Hub")
    before = scalar(db, "SELECT case_key FROM cases")
    newer = ONE_CASE.format(ref="000123") + "000124,2025-10-02,PE13 1AB,Polish\n"     # next month's export
    s = load_file("cases", write_text(tmp_path / "b.csv", newer), db=db, source="Hub")
    assert (s.rows_loaded, s.rows_updated) == (1, 1)     # its key is part of what it says
    assert scalar(db, "SELECT case_key FROM cases") != before
    s = load_file("cases", write_text(tmp_path / "c.csv", ONE_CASE.format(ref="123")), db=db, source="Hub")
    assert (s.rows_loaded, s.rows_unchanged) == (0, 1) and scalar(db, "SELECT count(*) FROM cases") == 2


def test_a_later_postcode_load_keeps_the_districts_of_cases(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    lookup = write_text(tmp_path / "pc.csv", "postcode,latitude,longitude,lad_code\n"
                                             "PE13 1AB,52.66,0.16,E07000010\nPE1 1AA,52.57,-0.24,E06000031\n")
    load_file("postcodes", lookup, db=db)
    load_file("cases", write_text(tmp_path / "c.csv", CASES), db=db)
    assert scalar(db, "SELECT district_code FROM cases") == "E07000010"
    load_file("postcodes", write_text(tmp_path / "pc2.csv", "postcode,latitude,longitude\nCB1 1AA,52.2,0.12\n"), db=db)
    assert scalar(db, "SELECT district_code FROM cases") == "E07000010"


def test_a_victim_address_in_parts_is_never_stored(tmp_path, key_file):
    """A case file with its address in parts (house number, street, town) drops every part, as it drops
    a whole address: none reaches the cases, the rejects or the file."""
    db = tmp_path / "w.duckdb"
    parts = CASES.replace(",Address\n", ",House Number,Street,Town\n").replace(
        ",1 Secret Rd PE13 1AB\n", ",1,Secret Rd,Wisbech\n").replace(",2 Secret Rd PE1 1AA\n", ",2,Secret Rd,March\n")
    s = load_file("cases", write_text(tmp_path / "c.csv", parts), db=db)
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert s.dropped_columns == ["Victim Name", "Date of Birth", "House Number", "Street", "Town"]
    everything = _every_text_in(db) + db.read_bytes().decode("latin-1")
    assert "Secret Rd" not in everything


def test_why_a_case_was_not_geocoded_never_shows_its_postcode(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"), db=db)
    s = load_file("cases", write_text(tmp_path / "c.csv", CASES.replace("PE13 1AB", "OX4 1AX")), db=db)
    said = " ".join(s.warnings)
    assert "1 row(s) have postcodes the loaded postcode lookup does not hold:" in said
    assert "OX4" not in said and "OX" not in scalar(db, "SELECT message FROM loads WHERE kind = 'cases'")


def test_a_case_date_is_found_by_its_words_but_never_a_date_of_birth(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "c.csv", "Case Ref,Date of Birth,Referral Date/Time,Postcode\n"
                                       "MS-1,1990-01-01,2026-10-01 10:00,PE13 1AB\n")
    s = load_file("cases", f, db=db)
    assert s.rows_loaded == 1
    assert scalar(db, "SELECT opened_on FROM cases") == dt.date(2026, 10, 1)
    assert "Date of Birth" in s.dropped_columns


def test_duplicate_cases_are_named_by_their_rows_never_by_their_reference(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    twice = CASES + CASES.splitlines()[1].replace("2025-10-01", "2025-10-02") + "\n"
    s = load_file("cases", write_text(tmp_path / "c.csv", twice), db=db)
    said = " ".join(s.warnings)
    assert "rows with the same reference, the last one kept: rows 2, 4 (row 4 kept)" in said and "MS-0001" not in said


def test_caseworker_words_in_nationality_or_language_cells_are_never_stored(tmp_path, key_file):
    """"Afghan - brother Reza Karimi also in care" is Afghan; "Vietnamese (via Nguyen Thi Hoa, aunt)" needs
    Vietnamese; words that are no nationality or language are counted, not kept or shown. A plain unknown
    nationality ("Ethiopian") is kept; an age in years is its group."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "c.csv", "Case Reference,Date Opened,Postcode,Nationality,Language,Adult/Child\n"
                                       "V1,2026-08-01,PE13 1AB,Afghan - brother Reza Karimi also in care,Dari,Adult\n"
                                       "V2,2026-08-01,PE13 1AB,Vietnamese,\"Vietnamese (via Nguyen Thi Hoa, aunt)\",17\n"
                                       "V3,2026-08-01,PE13 1AB,Ethiopian,Amharic,34\n"
                                       "V4,2026-08-01,PE13 1AB,lives with cousin Ana at 4 Mill Lane,,\n"
                                       "V5,31/02/2026,PE13 1AB,Afghan - sister Mina Karimi,Dari (via cousin),\n")
    s = load_file("cases", f, db=db)
    assert s.rows_rejected == 1                                 # V5's date: its row in rejects keeps no words
    rows = query(db, "SELECT nationality, language_needs, age_group FROM cases ORDER BY nationality")
    assert rows == [("Afghan", ["Dari"], "adult"), ("Ethiopian", ["Amharic"], "adult"), ("Vietnamese", ["Vietnamese"], "child"),
                    ("other", [], "unknown")]
    said = " ".join(s.warnings)
    assert "1 case(s) give a nationality that is no nationality we know" in said
    assert "1 language entr(y/ies) that name no language we know were not stored" in said
    everything = _every_text_in(db)
    for secret in ("Reza", "Karimi", "Nguyen", "aunt", "cousin", "Ana at", "Mina"):
        assert secret not in everything and secret not in said


def test_a_coarse_grid_reference_is_warned_without_showing_it(tmp_path):
    """A victim's location never reaches a load summary, not even as the grid square it was given in."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "c.csv", "Case Reference,Date Opened,Grid Reference\nC1,2026-11-01,TL4558\n"
                                       "C2,2026-11-01,TL 45123 58123\n")
    s = load_file("cases", f, db=db)
    assert s.rows_loaded == 2
    coarse = [w for w in s.warnings if "grid reference" in w]
    assert coarse == ["1 row(s) give an OS grid reference of 4 figures or fewer: each names a square of 1 km or more "
                      "(6 figures or more place a door). A row with a postcode we know is placed by the postcode; "
                      "the others at the square's centre, approximate"]
    assert "TL" not in " ".join(s.lines())


def test_an_age_column_is_read_as_child_or_adult_and_never_stored(tmp_path, key_file):
    """A case system's "Age" in years is the group a Victim Care Coordinator needs (a child is safeguarded
    differently); the age itself is stored nowhere, not even in a rejected row. "NRM Referral (Y/N)" is the
    NRM field."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "c.csv", "Case Reference,Date Opened,Postcode,Age,NRM Referral (Y/N)\n"
                                       "MS-1,2025-10-01,PE13 1AB,17,Y\nMS-2,2025-10-02,PE13 1AB,34,N\n"
                                       "MS-3,someday,PE13 1AB,41,Y\n")
    s = load_file("cases", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert sorted(query(db, "SELECT age_group, nrm_referred FROM cases")) == [("adult", False), ("child", True)]
    everything = _every_text_in(db)
    raw = json.loads(scalar(db, "SELECT CAST(raw AS VARCHAR) FROM rejects"))
    assert "Age" not in raw and "41" not in raw.values()    # (the case_key, a random key's hash, may hold "41")
    assert "'17'" not in everything and "'34'" not in everything


def test_ages_as_case_systems_write_them_and_an_age_group_column_first(tmp_path, key_file):
    db = tmp_path / "w.duckdb"
    rows = {"A": ("17 years", "", "child"), "B": ("16/17", "", "child"), "C": ("17.6", "", "child"),
            "D": ("25-30", "", "adult"), "E": ("approx 30", "", "adult"), "F": ("16-19", "", "unknown"),
            "G": ("", "Adult", "adult"), "H": ("40", "Child", "child"), "I": ("thirty-ish 3", "", "unknown")}
    f = write_text(tmp_path / "c.csv", "Case Reference,Date Opened,Postcode,Age,Age Group\n" +
                   "".join(f"{k},2025-10-01,PE13 1AB,{age},{group}\n" for k, (age, group, _) in rows.items()))
    s = load_file("cases", f, db=db)
    assert s.rows_loaded == len(rows)
    got = dict(query(db, "SELECT case_key, age_group FROM cases"))
    from etl import pseudonym
    key = pseudonym.load_key()
    assert {k: got[pseudonym.case_key(k, key)] for k in rows} == {k: v[2] for k, v in rows.items()}
    said = " ".join(s.warnings) + scalar(db, "SELECT coalesce(message, '') FROM loads")
    assert not any(age in said for age in ("17", "16", "25", "30", "19", "40"))
