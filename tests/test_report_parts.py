"""A reports file as a whole: one reference naming several addresses, the same reports under a second source,
a postcode column unlike the address, address and postcode columns swapped, and police systems' reference
headers."""
from __future__ import annotations

import pytest

from etl.loading import load_file
from tests.helpers import query, write_text, write_xlsx

HEADER = ["Report Ref", "Date Received", "Address", "Postcode", "Summary"]
INT77 = [["INT-77", "03/11/2025", "12 Mill Road, Cambridge", "CB1 7XL", "Workers moved between three addresses"],
         ["INT-77", "03/11/2025", "4 Station Road, Wisbech", "PE13 9BN", "Workers moved between three addresses"],
         ["INT-77", "03/11/2025", "9 Park Avenue, Peterborough", "PE2 8BL", "Workers moved between three addresses"],
         ["INT-78", "04/11/2025", "1 Queen Street, Ely", "CB7 4AB", "single"]]


def _csv(path, rows, header=HEADER):
    def cell(v):
        return f'"{v}"' if "," in v else v
    return write_text(path, "".join(",".join(map(cell, r)) + "\n" for r in [header, *rows]))


def _stored(db, source=None):
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    return query(db, f"SELECT report_ref, address, summary FROM reports {where} ORDER BY report_ref", params)


def test_one_reference_at_three_addresses_keeps_each_address_and_a_reload_adds_none(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_file("reports", _csv(tmp_path / "a.csv", INT77), db=db, source="intel")
    assert (s.rows_loaded, s.rows_collapsed) == (4, 0)
    assert [(r, a) for r, a, _ in _stored(db)] == [
        ("INT-77", "12 Mill Road, Cambridge"), ("INT-77 (address 2)", "4 Station Road, Wisbech"),
        ("INT-77 (address 3)", "9 Park Avenue, Peterborough"), ("INT-78", "1 Queen Street, Ely")]
    assert ("3 row(s) kept as separate addresses of 1 report(s), each report's rows sharing its reference but "
            "naming different addresses: stored as 'INT-77', 'INT-77 (address 2)', 'INT-77 (address 3)'") in s.warnings

    again = load_file("reports", write_xlsx(tmp_path / "a.xlsx", [HEADER, *INT77]), db=db, source="intel")
    assert (again.rows_loaded, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    assert len(_stored(db)) == 4


def test_identical_rows_of_a_reference_still_collapse(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = [INT77[0], INT77[1], INT77[0], [*INT77[1][:4], "the same address, a later version of the row"]]
    s = load_file("reports", _csv(tmp_path / "a.csv", rows), db=db, source="intel")
    assert (s.rows_loaded, s.rows_collapsed) == (2, 2)
    assert _stored(db)[1] == ("INT-77 (address 2)", "4 Station Road, Wisbech",
                              "the same address, a later version of the row")


def test_a_later_file_giving_the_reference_one_address_corrects_the_report(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "a.csv", INT77), db=db, source="intel")
    one = [["INT-77", "03/11/2025", "4 Station Road, Wisbech", "PE13 9BN", "Only Wisbech after all"]]
    s = load_file("reports", _csv(tmp_path / "b.csv", one), db=db, source="intel")
    assert (s.rows_loaded, s.rows_updated) == (0, 1)
    assert _stored(db) == [("INT-77", "4 Station Road, Wisbech", "Only Wisbech after all"),
                           ("INT-78", "1 Queen Street, Ely", "single")]
    assert ("2 address(es) of reports stored before removed: this file gives those reports fewer addresses, and so "
            "corrects them: 'INT-77 (address 2)', 'INT-77 (address 3)'") in s.warnings


def test_a_corrected_re_export_updates_its_parts_and_a_rejected_row_keeps_its_part(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "a.csv", INT77), db=db, source="intel")
    fixed = [[*INT77[0][:4], "Workers moved; van seen"], [*INT77[1][:1], "not a date", *INT77[1][2:]],
             INT77[2], INT77[3]]
    s = load_file("reports", _csv(tmp_path / "b.csv", fixed), db=db, source="intel")
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged, s.rows_rejected) == (0, 1, 2, 1)
    assert [r for r, _, _ in _stored(db)] == ["INT-77", "INT-77 (address 2)", "INT-77 (address 3)", "INT-78"]
    assert not any("removed" in w for w in s.warnings)


def test_a_re_export_writing_the_reference_another_way_finds_its_parts(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "a.csv", INT77), db=db, source="intel")
    lower = [[r[0].lower(), *r[1:]] for r in INT77]
    s = load_file("reports", _csv(tmp_path / "b.csv", lower), db=db, source="intel")
    assert (s.rows_loaded, s.rows_updated) == (0, 4)     # each under its stored form, as a single report is
    assert [r for r, _, _ in _stored(db)] == ["INT-77", "INT-77 (address 2)", "INT-77 (address 3)", "INT-78"]


def test_the_same_reports_under_a_second_source_are_said_with_how_to_take_them_out(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "a.csv", INT77), db=db, source="police.uk")
    s = load_file("reports", _csv(tmp_path / "b.csv", INT77[::-1]), db=db, source="Police UK")
    assert s.rows_loaded == 4
    said = [w for w in s.warnings if "already stored" in w]
    assert said == ["4 of the 4 reports in this file are already stored, with the same reference and content, "
                    "under source 'police.uk': the same "
                    "reports loaded again as 'Police UK'? Each now stands on the map and the visit list twice. If so, "
                    "take this load out with `python -m etl remove reports 'Police UK'`; load new files of these "
                    "reports with --source police.uk"]

    other = [["N-1", "05/11/2025", "2 New Road, Ely", "CB7 4AB", "new"], ["N-2", "05/11/2025", "3 New Road, Ely",
                                                                         "CB7 4AB", "new"], INT77[3]]
    s = load_file("reports", _csv(tmp_path / "c.csv", other), db=db, source="Police UK")
    assert not any("already stored" in w for w in s.warnings)   # one of three is no doubled load

    numbered_alike = [[r[0], "06/11/2025", r[2], r[3], "another partner's report"] for r in INT77]
    s = load_file("reports", _csv(tmp_path / "d.csv", numbered_alike), db=db, source="GLAA")
    assert not any("already stored" in w for w in s.warnings)   # the same references, other reports


def test_a_postcode_column_unlike_the_address_is_said(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = [["DIS-1", "2025-02-04", "107 Mill Road, Huntingdon, PE27 5HU", "PE15 5GW", ""],
            ["DIS-2", "2025-02-05", "5 Mill Road, Huntingdon, PE27 5HU", "PE27 5HU", ""],
            ["DIS-3", "2025-02-06", "95 Mill Road, Wisbech, PE13 9UF", "PE7 7GX", ""]]
    s = load_file("reports", _csv(tmp_path / "a.csv", rows), db=db, source="intel")
    assert ("2 report(s) have a postcode in 'Postcode' unlike the one in their address (e.g. 'DIS-1', row 2: "
            "'PE15 5GW', but 'PE27 5HU' in the address): placed by 'Postcode'; check which is right") in s.warnings
    assert query(db, "SELECT postcode FROM reports WHERE report_ref = 'DIS-1'") == [("PE15 5GW",)]


def test_address_and_postcode_columns_given_the_wrong_way_round_are_read_the_right_way(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = [["SW-1", "2025-05-29", "CB6 5JU", "44 Park Avenue, Ely", ""],
            ["SW-2", "2025-05-16", "CB7 5FL", "75 Park Avenue, Ely", ""],
            ["SW-3", "2025-03-02", "PE7 4FP", "97 Station Road, Peterborough", ""]]
    s = load_file("reports", _csv(tmp_path / "a.csv", rows), db=db, source="intel")
    assert query(db, "SELECT address, postcode FROM reports ORDER BY report_ref") == [
        ("44 Park Avenue, Ely", "CB6 5JU"), ("75 Park Avenue, Ely", "CB7 5FL"),
        ("97 Station Road, Peterborough", "PE7 4FP")]
    assert any("3 of the 3 values of 'Address' are postcodes, and 3 of the 3 of 'Postcode' are addresses: the two "
               "columns look swapped, so 'Postcode' was read as the address" in w for w in s.warnings)


def test_a_few_postcodes_in_the_address_column_swap_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = [["A-1", "2025-05-29", "CB6 5JU", "44 Park Avenue, Ely", ""],
            ["A-2", "2025-05-16", "75 Park Avenue, Ely", "CB7 5FL", ""],
            ["A-3", "2025-03-02", "97 Station Road, Peterborough", "PE7 4FP", ""]]
    s = load_file("reports", _csv(tmp_path / "a.csv", rows), db=db, source="intel")
    assert query(db, "SELECT address, postcode FROM reports WHERE report_ref = 'A-2'") == [("75 Park Avenue, Ely", "CB7 5FL")]
    assert not any("look swapped" in w for w in s.warnings)


def test_a_file_whose_first_rows_are_clearly_the_right_way_round_is_not_read_whole_for_a_swap(tmp_path, monkeypatch):
    """The first rows decide a file is clearly not swapped (reading both columns of every row cost 1.6 s of a
    2,000,000-row load); first rows that are not clear are counted with the rest."""
    from etl.loaders import report_checks
    monkeypatch.setattr(report_checks, "SAMPLE_ROWS", 2)
    right = [[f"R-{i}", "2025-05-29", f"{i} Park Avenue, Ely", "CB6 5JU", ""] for i in (1, 2)]
    swapped = [[f"S-{i}", "2025-05-16", "CB7 5FL", f"{i} Station Road, Ely", ""] for i in range(3, 9)]
    s = load_file("reports", _csv(tmp_path / "a.csv", right + swapped), db=tmp_path / "a.duckdb", source="intel")
    assert not any("look swapped" in w for w in s.warnings)
    s = load_file("reports", _csv(tmp_path / "b.csv", swapped + right), db=tmp_path / "b.duckdb", source="intel")
    assert any("6 of the 8 values of 'Address' are postcodes" in w and "look swapped" in w for w in s.warnings)


@pytest.mark.parametrize("header", ["Call ID", "Occurrence Number", "OEL Number", "CAD Number", "Referral ID"])
def test_police_systems_reference_headers_are_read_as_the_reference(tmp_path, header):
    db = tmp_path / "w.duckdb"
    s = load_file("reports", _csv(tmp_path / "a.csv", [INT77[3]], header=[header, *HEADER[1:]]), db=db, source="intel")
    assert query(db, "SELECT report_ref FROM reports") == [("INT-78",)]
    assert not any("no reference column" in w for w in s.warnings)
