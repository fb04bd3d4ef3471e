"""Red-team probes (December, third round, e): a script's decimal references, words for no source type or address.

- A reference written by pandas as a decimal ("1001.0", "1001.00") was stored as written: the next plain export's
  "1001" became another report, counted twice, and the file's own duplicate check missed the pair. So for case
  references and purely numeric licence numbers. A warehouse that stored "1001.0" before finds it again.
- A source type of "NULL", "N/A" or "-" was counted as a source type not in the vocabulary, and "Unknown" and a
  blank cell were stored as 'other' without a word: all are no source type.
- An address of "NULL", "N/A", "-" or "Not known" was stored as the address "N/A": it is no address, as a blank is.
"""
from __future__ import annotations

import duckdb
import pytest

from tests.helpers import load_text, query

REPORTS = "Report Ref,Date Received,Source Type,Postcode\n"


def _counts(s) -> tuple[int, int, int]:
    return s.rows_loaded, s.rows_updated, s.rows_unchanged


# --- 1. references written as decimals -------------------------------------------------------------------

def test_a_decimal_reference_and_the_plain_one_in_one_file_are_one_report(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", REPORTS + "1001.0,2026-06-01,police,PE13 1AB\n1001,2026-06-02,police,PE13 1AB\n"
                                           "1002.00,2026-06-03,police,PE13 1AB\n'1003.0,2026-06-03,police,PE13 1AB\n")
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == \
        [("1001", "2026-06-02"), ("1002", "2026-06-03"), ("1003", "2026-06-03")]
    assert any(w.startswith("rows with the same reference, the last one kept: '1001' rows 2, 3") for w in s.warnings)


def test_a_plain_re_export_of_decimal_references_is_unchanged_not_new(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    rows = "1001{0},2026-06-01,police,PE13 1AB\n1002{0},2026-06-02,public,PE13 1AB\n"
    load_text(db, "reports", REPORTS + rows.format(".0"), source="fen")
    s = load_text(db, "reports", REPORTS + rows.format(""), source="fen", name="g.csv")
    assert _counts(s) == (0, 0, 2)
    s = load_text(db, "reports", REPORTS + rows.format(".00"), source="fen", name="h.csv")
    assert _counts(s) == (0, 0, 2)
    assert query(db, "SELECT count(*) FROM reports") == [(2,)]


def test_a_decimal_reference_stored_by_an_earlier_load_is_found_again(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", REPORTS + "1001,2026-06-01,police,PE13 1AB\n", source="fen")
    con = duckdb.connect(str(db))    # as a load before references were read as whole numbers stored it
    con.execute("UPDATE reports SET report_ref = '1001.0'")
    con.close()
    s = load_text(db, "reports", REPORTS + "1001,2026-06-01,police,PE13 1AB\n1002,2026-06-02,police,PE13 1AB\n",
                  source="fen", name="g.csv")
    assert _counts(s) == (1, 0, 1)
    assert query(db, "SELECT report_ref FROM reports ORDER BY 1") == [("1001.0",), ("1002",)]


def test_a_decimal_reference_is_not_another_number_with_its_zero(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", REPORTS + "10010,2026-06-01,police,PE13 1AB\n", source="fen")
    s = load_text(db, "reports", REPORTS + "1001.0,2026-06-02,police,PE13 1AB\n", source="fen", name="g.csv")
    assert s.rows_loaded == 1
    assert query(db, "SELECT report_ref FROM reports ORDER BY 1") == [("1001",), ("10010",)]


def test_decimal_licence_numbers_are_the_registers_numbers(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    register = "Licence Number,Address,Postcode\n1001{0},1 A St,PE13 1AB\n1002{0},2 A St,PE13 1AB\n"
    load_text(db, "hmo", register.format(".0"), source="fen")
    s = load_text(db, "hmo", register.format(""), source="fen", name="g.csv")
    assert _counts(s) == (0, 0, 2)
    assert query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1") == [("1001",), ("1002",)]


def test_decimal_case_references_are_the_same_cases(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    cases = "Case Reference,Date Opened,Postcode\n1001{0},2026-06-01,PE13 1AB\n1002{0},2026-06-02,PE13 1AB\n"
    load_text(db, "cases", cases.format(".0"), source="mst")
    s = load_text(db, "cases", cases.format(""), source="mst", name="g.csv")
    assert _counts(s) == (0, 0, 2)
    assert query(db, "SELECT count(*) FROM cases") == [(2,)]


def test_a_reference_with_decimals_that_are_not_zero_is_kept_as_written(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", REPORTS + "1001.5,2026-06-01,police,PE13 1AB\n2026.10,2026-06-01,police,PE13 1AB\n")
    assert query(db, "SELECT report_ref FROM reports ORDER BY 1") == [("1001.5",), ("2026.10",)]


# --- 2. a source type that says there is none -----------------------------------------------------------


def test_words_for_no_source_type_are_no_source_type_not_unknown_words(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", REPORTS + "R1,2026-06-01,NULL,PE13 1AB\nR2,2026-06-01,N/A,PE13 1AB\n"
                                           "R3,2026-06-01,-,PE13 1AB\nR4,2026-06-01,,PE13 1AB\n"
                                           "R5,2026-06-01,Unknown,PE13 1AB\nR6,2026-06-01,police,PE13 1AB\n")
    assert query(db, "SELECT report_ref, source_type FROM reports ORDER BY 1") == \
        [("R1", "other"), ("R2", "other"), ("R3", "other"), ("R4", "other"), ("R5", "other"), ("R6", "police")]
    assert not any("not in the vocabulary" in w for w in s.warnings)
    [note] = [w for w in s.warnings if "give no source type" in w]
    assert note == "5 report(s) give no source type (blank, '-', 'N/A', 'NULL', 'Unknown'): stored as 'other'"


def test_a_source_type_the_vocabulary_lacks_is_still_named(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", REPORTS + "R1,2026-06-01,Crimestoppers,PE13 1AB\nR2,2026-06-01,Carrier pigeon,PE13 1AB\n"
                                           "R3,2026-06-01,police,PE13 1AB\n")
    assert query(db, "SELECT source_type FROM reports ORDER BY report_ref") == [("public",), ("other",), ("police",)]
    assert "source types not in the vocabulary, stored as 'other': 'Carrier pigeon' (1)" in s.warnings
    assert not any("give no source type" in w for w in s.warnings)


# --- 3. an address that says there is none ---------------------------------------------------------------

NO_ADDRESS = ["N/A", "NULL", "-", "Not known"]


def _outcome(tmp_path, kind: str, text: str, address: str, table: str):
    db = tmp_path / f"{kind}{NO_ADDRESS.index(address) if address else 'blank'}.duckdb"
    s = load_text(db, kind, text.format(a=address), source="fen", name=f"{db.stem}.csv")
    return (s.rows_loaded, s.rows_rejected, query(db, f"SELECT address, postcode FROM {table} ORDER BY 2 NULLS LAST"),
            [row for (row,) in query(db, "SELECT row_number FROM rejects ORDER BY 1")])


@pytest.mark.parametrize("address", NO_ADDRESS)
def test_a_report_whose_address_says_there_is_none_has_no_address(tmp_path, reader, address):
    text = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude\n"
            "R1,2026-06-01,{a},PE13 1AB,,\nR2,2026-06-01,{a},,52.67,0.15\nR3,2026-06-01,{a},,,\n")
    said = _outcome(tmp_path, "reports", text, address, "reports")
    assert said == _outcome(tmp_path, "reports", text, "", "reports")
    assert said[2] == [(None, "PE13 1AB"), (None, None), (None, None)]


@pytest.mark.parametrize("address", NO_ADDRESS)
def test_a_licence_whose_address_says_there_is_none_is_checked_as_one_without_an_address(tmp_path, reader, address):
    text = ("Licence Number,Address,Postcode,Latitude,Longitude\n"
            "L1,{a},PE13 1AB,,\nL2,{a},,52.67,0.15\nL3,{a},,,\nL4,4 A St,PE13 1AB,,\n")
    said = _outcome(tmp_path, "hmo", text, address, "hmo_licences")
    assert said == _outcome(tmp_path, "hmo", text, "", "hmo_licences")
    assert said[2] == [("4 A St", "PE13 1AB"), (None, None)] and said[3] == [2, 4]
    db = tmp_path / f"hmo{NO_ADDRESS.index(address)}.duckdb"
    assert query(db, "SELECT DISTINCT reason FROM rejects") == [(f"address '{address}' says there is none",)]


def test_an_address_that_names_no_place_in_other_words_is_kept_as_given(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", "Report Ref,Date Received,Address,Postcode\nR1,2026-06-01,No location,PE13 1AB\n"
                             "R2,2026-06-01,N/A Farm,PE13 1AB\n")
    assert query(db, "SELECT address FROM reports ORDER BY report_ref") == [("No location",), ("N/A Farm",)]
