"""police.uk's street-level crime download is every crime the force recorded, not intelligence about
exploitation: stored as police reports, it could not be told from them ("Who reported: Police"), and its crime
type was kept nowhere."""
from __future__ import annotations

from etl.loading import load_file
from tests.helpers import query, write_text, write_xlsx

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type," \
         "Last outcome category,Context\n"
FORCE = "Cambridgeshire Constabulary"


def test_a_police_uk_download_is_its_own_source_type_and_keeps_its_crime_type(tmp_path):
    db = tmp_path / "w.duckdb"
    text = HEADER + (f"abc1,2021-01,{FORCE},{FORCE},-0.2401,52.5702,On or near Mill Lane,E01015577,Peterborough 001A,"
                     "Bicycle theft,Under investigation,\n"
                     f",2021-01,{FORCE},{FORCE},0.1210,52.2050,On or near Station Road,E01017959,Cambridge 007A,"
                     "Anti-social behaviour,,\n")
    s = load_file("reports", write_text(tmp_path / "2021-01-cambridgeshire-street.csv", text), db=db, source="police.uk")
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert any("police.uk's street-level crime download" in w for w in s.warnings)
    assert not any("exploitation types not in the vocabulary" in w for w in s.warnings)   # crime types are none
    got = sorted(query(db, "SELECT source_type, summary, exploitation_type FROM reports"))
    assert got == [("police_uk", "police.uk crime type: Anti-social behaviour", "unknown"),
                   ("police_uk", "police.uk crime type: Bicycle theft", "unknown")]


def test_saved_again_as_xlsx_without_some_columns_it_is_still_police_uk(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = [["Crime ID", "Month", "Longitude", "Latitude", "Location", "Crime type", "Last outcome category"],
            ["abc1", "2021-01", -0.2401, 52.5702, "On or near Mill Lane", "Shoplifting", "Under investigation"]]
    s = load_file("reports", write_xlsx(tmp_path / "jan.xlsx", rows), db=db, source="police.uk")
    assert s.rows_loaded == 1
    assert query(db, "SELECT source_type FROM reports") == [("police_uk",)]


def test_a_partner_file_with_a_crime_type_column_is_not_taken_for_police_uk(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_file("reports", write_text(tmp_path / "r.csv", "Ref,Date Received,Source,Postcode,Crime type,Summary\n"
                                                             "R1,03/11/2026,Police officer,PE1 1AB,Labour exploitation,"
                                                             "Many people at the address\n"), db=db, source="r")
    assert s.rows_loaded == 1
    assert query(db, "SELECT source_type, summary FROM reports") == [("police", "Many people at the address")]
