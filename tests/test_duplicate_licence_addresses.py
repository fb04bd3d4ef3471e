"""One licence number on two different addresses in an HMO register: each address stays licensed, as a part of
its licence, and the summary names the rows and addresses. It was collapsed into the last row, and the other
address lost its licence: a report there counted as at a possible unlicensed HMO."""
from __future__ import annotations

from etl.loading import load_file
from tests.helpers import query, write_text

HEADER = "Licence Number,Property Address,Postcode,Max Occupants,Licence Start,Licence Expiry\n"
SC1 = "SC/1,1 Kappa Road Cambourne,CB23 6AA,5,01/01/2026,31/12/2030\n"
SC2 = "SC/2,2 Kappa Road Cambourne,CB23 6AA,6,01/02/2026,31/01/2031\n"
SC3_AT_3 = "SC/3,3 Kappa Road Cambourne,CB23 6AA,7,01/03/2026,28/02/2031\n"
SC3_AT_4 = "SC/3,4 Kappa Road Cambourne,CB23 6AA,7,01/03/2026,28/02/2031\n"
SOURCE = "South Cambridgeshire District Council"


def _load(db, name, text, kind="hmo", source=SOURCE):
    return load_file(kind, write_text(db.parent / name, text), db=db, source=source)


def _licences(db):
    return query(db, "SELECT licence_ref, address FROM hmo_licences ORDER BY licence_ref")


def test_a_licence_on_two_addresses_keeps_both_and_names_them(db):
    s = _load(db, "dups.csv", HEADER + SC1 + SC2 + SC2 + SC3_AT_3 + SC3_AT_4)
    assert (s.rows_read, s.rows_loaded, s.rows_collapsed, s.rows_rejected) == (5, 4, 1, 0)
    assert _licences(db) == [("SC/1", "1 Kappa Road Cambourne"), ("SC/2", "2 Kappa Road Cambourne"),
                             ("SC/3", "3 Kappa Road Cambourne"), ("SC/3 (address 2)", "4 Kappa Road Cambourne")]
    assert ("1 licence number(s) given to different addresses (2 rows): each address kept as licensed, as a part of "
            "its licence (a licence covering several doors, or a typo in a licence number: check with the council): "
            "'SC/3': row 5 '3 Kappa Road Cambourne', row 6 '4 Kappa Road Cambourne' "
            "(stored as 'SC/3', 'SC/3 (address 2)')") in s.warnings
    # Identical rows collapse as before, and the note names only them.
    assert "rows with the same reference, the last one kept: 'SC/2' rows 3, 4 (row 4 kept)" in s.warnings
    assert s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_collapsed


def test_a_report_at_either_address_matches_a_licence(db):
    _load(db, "dups.csv", HEADER + SC3_AT_3 + SC3_AT_4)
    _load(db, "reports.csv", "Report Ref,Date Received,Address,Postcode\n"
                             "R1,01/10/2026,3 Kappa Road Cambourne,CB23 6AA\n"
                             "R2,01/10/2026,4 Kappa Road Cambourne,CB23 6AA\n", kind="reports", source="intel")
    assert sorted(r for (r,) in query(db, "SELECT licence_ref FROM address_matches")) == ["SC/3", "SC/3 (address 2)"]


def test_one_address_written_two_ways_is_one_address(db):
    """'3 Kappa Rd' and '3 Kappa Road' are one door: versions of one row, collapsed into the last as before;
    4 Kappa Road is another."""
    s = _load(db, "r.csv", HEADER + SC3_AT_3 + SC3_AT_3.replace("3 Kappa Road Cambourne", "\"3 KAPPA RD., Cambourne\"")
              + SC3_AT_4)
    assert (s.rows_loaded, s.rows_collapsed) == (2, 1)
    assert _licences(db) == [("SC/3", "3 KAPPA RD., Cambourne"), ("SC/3 (address 2)", "4 Kappa Road Cambourne")]
    assert "rows with the same reference, the last one kept: 'SC/3' rows 2, 3 (row 3 kept)" in s.warnings
    assert any("'SC/3': row 2 '3 Kappa Road Cambourne', row 3 '3 KAPPA RD., Cambourne', row 4 '4 Kappa Road "
               "Cambourne' (stored as 'SC/3', 'SC/3 (address 2)')" in w for w in s.warnings)


def test_a_later_export_sorted_otherwise_changes_nothing_and_one_dropping_an_address_ends_its_part(db):
    _load(db, "a.csv", HEADER + SC1 + SC3_AT_3 + SC3_AT_4)
    again = _load(db, "b.csv", HEADER + SC3_AT_4 + SC1 + SC3_AT_3)   # sorted another way
    assert (again.rows_loaded, again.rows_updated, again.rows_unchanged, again.rows_ended) == (0, 0, 3, 0)
    assert len(_licences(db)) == 3

    fixed = _load(db, "c.csv", HEADER + SC1 + SC3_AT_3 + SC3_AT_4.replace("SC/3", "SC/4"))  # the typo corrected
    assert (fixed.rows_loaded, fixed.rows_unchanged, fixed.rows_ended) == (1, 2, 1)
    assert _licences(db) == [("SC/1", "1 Kappa Road Cambourne"), ("SC/3", "3 Kappa Road Cambourne"),
                             ("SC/4", "4 Kappa Road Cambourne")]
    assert query(db, "SELECT count(*) FROM hmo_licence_history WHERE licence_ref = 'SC/3 (address 2)' "
                     "AND ended_load_id IS NOT NULL") == [(1,)]


def test_a_part_whose_row_is_rejected_now_is_kept_as_it_was(db):
    _load(db, "a.csv", HEADER + SC1 + SC3_AT_3 + SC3_AT_4)
    s = _load(db, "b.csv", HEADER + SC1 + SC3_AT_3 + SC3_AT_4.replace("28/02/2031", "31/02/2031"))
    assert (s.rows_rejected, s.rows_ended) == (1, 0)
    assert len(_licences(db)) == 3
    assert any("'SC/3': row 3 '3 Kappa Road Cambourne', row 4 '4 Kappa Road Cambourne' (rejected) "
               "(stored as 'SC/3')" in w for w in s.warnings)
