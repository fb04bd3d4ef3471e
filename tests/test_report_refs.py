"""Reports without a reference of their own (police.uk's anti-social behaviour rows): found again on reload
however the file is laid out, and the references stored before that rule rewritten to it (migration 0012)."""
from __future__ import annotations

import duckdb

from etl import migrate
from etl.loading import load_file
from tests.helpers import query, write_text, write_xlsx

HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
          "LSOA name", "Crime type", "Last outcome category", "Context"]
FORCE = "Cambridgeshire Constabulary"
ROWS = [
    ["9f1c2e", "2021-01", FORCE, FORCE, "-0.2401", "52.5702", "On or near Mill Lane", "E01015577", "Peterborough 001A",
     "Violence and sexual offences", "Under investigation", ""],
    ["", "2021-01", FORCE, FORCE, "0.1210", "52.2050", "On or near Station Road", "E01017959", "Cambridge 007A",
     "Anti-social behaviour", "", ""],
    ["", "2021-01", FORCE, FORCE, "0.1210", "52.2050", "On or near Station Road", "E01017959", "Cambridge 007A",
     "Anti-social behaviour", "", ""],      # the same again: police.uk publishes such rows, each an incident
    ["", "2021-01", FORCE, FORCE, "0.1300", "52.2100", "On or near Park Street", "E01017960", "Cambridge 007B",
     "Anti-social behaviour", "", ""],
]


def _csv(path, header, rows):
    return write_text(path, "".join(",".join(r) + "\n" for r in [header, *rows]))


def _refs(db):
    return sorted(r for (r,) in query(db, "SELECT report_ref FROM reports"))


def test_a_re_export_in_another_layout_finds_the_same_reports(tmp_path):
    """The same rows as XLSX, with columns reordered and one dropped, and rows in another order: nothing new."""
    db = tmp_path / "w.duckdb"
    first = load_file("reports", _csv(tmp_path / "jan.csv", HEADER, ROWS), db=db, source="police.uk")
    assert first.rows_loaded == 4
    refs = _refs(db)
    assert sum(r.startswith("auto-") for r in refs) == 3
    assert len({r.rsplit("-", 1)[0] for r in refs if r.startswith("auto-")}) == 2   # the two copies share a hash

    order = [9, 6, 1, 0, 5, 4, 2, 11, 10]               # "Falls within", "LSOA code" and "LSOA name" dropped
    rows = [[r[i] for i in order] for r in (ROWS[3], ROWS[2], ROWS[0], ROWS[1])]
    for row in rows:
        row[order.index(5)] = float(row[order.index(5)])   # Excel keeps the coordinates as numbers
        row[order.index(4)] = float(row[order.index(4)])
    again = load_file("reports", write_xlsx(tmp_path / "jan.xlsx", [[HEADER[i] for i in order], *rows]),
                      db=db, source="police.uk")
    assert (again.rows_loaded, again.rows_updated) == (0, 0)
    assert _refs(db) == refs


def test_a_row_that_changes_is_a_new_report_and_its_copies_keep_their_numbers(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "a.csv", HEADER, ROWS), db=db, source="police.uk")
    moved = [*ROWS[:3], [*ROWS[3][:4], "0.1301", *ROWS[3][5:]]]
    s = load_file("reports", _csv(tmp_path / "b.csv", HEADER, moved), db=db, source="police.uk")
    assert (s.rows_loaded, s.rows_unchanged) == (1, 3)     # a report without a reference is its content


def test_references_stored_before_the_rule_are_rewritten_to_it(tmp_path):
    """A warehouse whose automatic references were made the old way (from the cells) gets the new ones, so
    the next export of the same rows adds nothing."""
    db = tmp_path / "w.duckdb"
    load_file("reports", _csv(tmp_path / "jan.csv", HEADER, ROWS), db=db, source="police.uk")
    refs = _refs(db)
    con = duckdb.connect(str(db))
    con.execute("""UPDATE reports SET report_ref = 'auto-' || left(md5(address || row_number), 12) || '-'
                   || (row_number - 1) WHERE report_ref LIKE 'auto-%'""")   # the old refs: other hashes, copies
    assert sorted(r for (r,) in con.execute("SELECT report_ref FROM reports").fetchall()) != refs
    con.execute("DELETE FROM schema_migrations WHERE version >= 12")
    assert migrate.upgrade(con) == ["0012_report_refs_from_stored_values",
                                    "0013_streets_name_no_door_and_match_by_street",
                                    "0014_house_numbers_before_the_street_and_known_streets",
                                    "0015_house_numbers_without_property_details",
                                    "0016_postcode_ends_the_address_and_flat_numbers"]
    con.close()
    assert _refs(db) == refs
    s = load_file("reports", _csv(tmp_path / "jan2.csv", HEADER, [*ROWS[::-1], ROWS[1]]), db=db, source="police.uk")
    assert s.rows_loaded == 1       # a third copy of the repeated row is new; the rest were found
