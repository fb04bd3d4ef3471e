"""A file given to the wrong loader is named for what it looks like, with the command that loads it; a
register from outside the force area is said to be one, not sent looking for a postcode lookup."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import write_text

REGISTER = ("Licence Number,Property Address,Postcode,Licence Holder,Max Occupants,Licence Start Date,"
            "Licence Expiry Date\nL1,1 High St,PE13 1AA,J Smith,5,01/01/2026,31/12/2030\n")
POLICE_UK = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
             "Last outcome category,Context\nabc,2026-01,Cambridgeshire Constabulary,Cambridgeshire Constabulary,"
             "-0.24,52.57,On or near High St,E01,Peterborough 001A,Other crime,,\n")
LOOKUP = "postcode,latitude,longitude,easting,northing,lad_code\nPE13 1AA,52.66,0.16,546000,309000,E07000010\n"


@pytest.mark.parametrize("given, text, told", [
    ("reports", REGISTER, "this looks like an HMO licence register, not a file of reports: load it with "
                          "`python -m etl load hmo FILE`"),
    ("cases", POLICE_UK, "this looks like a file of reports, not a victim case file: load it with "
                         "`python -m etl load reports FILE`"),
    ("hmo", LOOKUP, "this looks like a postcode lookup, not an HMO licence register: load it with "
                    "`python -m etl load postcodes FILE`"),
    ("reports", LOOKUP, "this looks like a postcode lookup, not a file of reports"),
])
def test_a_file_given_the_wrong_kind_says_which_kind_it_looks_like(tmp_path, given, text, told):
    f = write_text(tmp_path / "f.csv", text)
    with pytest.raises(FileProblem) as err:
        load_file(given, f, db=tmp_path / "w.duckdb")
    assert told in err.value.problem
    assert "required column(s) missing" in err.value.problem   # what is missing is still said


def test_a_file_missing_its_own_columns_gets_no_other_kind_named(tmp_path):
    f = write_text(tmp_path / "f.csv", "Reference,Address\nR1,1 High St\n")
    with pytest.raises(FileProblem) as err:
        load_file("reports", f, db=tmp_path / "w.duckdb")
    assert "looks like" not in err.value.problem and "Rename them, or pass --mapping FILE" in err.value.problem


@pytest.mark.parametrize("kind", ["reports", "hmo", "cases", "postcodes"])
def test_geojson_given_to_a_table_loader_is_sent_to_load_boundaries(tmp_path, kind):
    f = write_text(tmp_path / "districts.geojson", '\ufeff{\n  "type": "FeatureCollection", "features": []}\n')
    with pytest.raises(FileProblem, match="this is GeoJSON, not a table: .*`python -m etl load boundaries FILE`"):
        load_file(kind, f, db=tmp_path / "w.duckdb")


def test_other_json_is_refused_and_bracketed_csv_headers_are_not_json(tmp_path):
    f = write_text(tmp_path / "export.csv", '[{"ref": "R1", "date": "2026-01-01"}]\n')
    with pytest.raises(FileProblem, match="this is a JSON file, not a table"):
        load_file("reports", f, db=tmp_path / "w.duckdb")
    sql_server = write_text(tmp_path / "sql.csv", "[Ref],[Date Received],[Postcode]\nR1,2026-01-01,PE13 1AA\n")
    assert load_file("reports", sql_server, db=tmp_path / "w.duckdb").rows_loaded == 1


def test_a_register_from_outside_the_force_area_is_said_to_be_one(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", LOOKUP), db=db)
    oxford = ("Licence Number,Property Address,Postcode\n"
              "L1,18 Abbey Road Oxford,OX2 0AE\nL2,20 Abbey Road Oxford,OX2 0AE\n")
    with pytest.raises(FileProblem, match="none of its 2 licences is in the six districts .*postcode areas OX"):
        load_file("hmo", write_text(tmp_path / "ox.csv", oxford), db=db, source="Oxford")   # none of it is here
    mixed = write_text(tmp_path / "mixed.csv", oxford + "L0,1 Mill Lane Wisbech,PE13 1AA\n")
    warnings = " ".join(load_file("hmo", mixed, db=db, source="Oxford").warnings)
    assert ("2 row(s) have postcodes in areas the loaded postcode lookup does not cover at all ('OX2 0AE'; "
            "postcode areas OX); it covers PE: if the file is from outside the force area") in warnings
    assert "`python -m etl remove hmo Oxford`" in warnings
    fenland = write_text(tmp_path / "fen.csv", "Licence Number,Property Address,Postcode\nL3,1 Mill Lane,PE99 9ZZ\n")
    warnings = " ".join(load_file("hmo", fenland, db=db, source="Fenland").warnings)
    assert "1 row(s) have postcodes the loaded postcode lookup does not hold ('PE99 9ZZ'; postcode areas PE)" in warnings
    assert "outside the force area" not in warnings
