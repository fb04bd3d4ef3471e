"""HMO registers: another party's postcode or address is never the property's, status words that mean no live
licence (and their negation), the statuses read as live named in the summary, and an XLSX named .csv."""
from __future__ import annotations

import pytest

from etl.loading import load_file
from tests.helpers import query, scalar, write_text, write_xlsx


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


@pytest.mark.parametrize("header", ["Agent Postcode", "Correspondence Postcode", "Managing Agent Post Code"])
def test_an_agents_postcode_is_not_the_propertys(tmp_path, db, header):
    f = write_text(tmp_path / "reg.csv", f"Licence Ref,Property,Managing Agent,{header},Max Occupants\n"
                   'HC/1,"5 Hartford Road, Huntingdon PE29 1XX","Fenland Lets, Peterborough",PE1 5AJ,6\n'
                   'HC/2,"12 Bridge Place, Godmanchester","Fenland Lets, Peterborough",PE1 5AJ,6\n')
    s = load_file("hmo", f, db=db, source="Hunts")
    assert query(db, "SELECT licence_ref, postcode FROM hmo_licences ORDER BY 1") == [("HC/1", "PE29 1XX"),
                                                                                      ("HC/2", None)]
    said = " ".join(s.warnings)
    assert f"{header!r} (not read as the postcode)" in said
    assert "column(s) not read" in said and repr(header) in said.split("column(s) not read")[1]


def test_an_agents_address_is_not_the_propertys_nor_an_owners_postcode_its_holder(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Ref,Managing Agent Address,Owner Postcode,Max Occupants\n"
                   'HC/1,"Suite 4, 100 High Street, Oxford OX1 4BH",OX1 4BH,6\n')
    with pytest.raises(Exception, match="address"):   # the file has no address of the property at all
        load_file("hmo", f, db=db, source="Hunts")
    f = write_text(tmp_path / "reg2.csv", "Licence Ref,Address,Postcode,Owner Postcode\n"
                   'HC/1,"5 Hartford Road, Huntingdon",PE29 1XX,OX1 4BH\n')
    load_file("hmo", f, db=db, source="Hunts")
    assert query(db, "SELECT postcode, licence_holder FROM hmo_licences") == [("PE29 1XX", None)]


def test_a_postcode_column_unlike_the_addresss_postcode_is_reported(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Ref,Address,Postcode\n"
                   'HC/1,"5 Hartford Road, Huntingdon PE29 1XX",PE1 5AJ\n'
                   'HC/2,"7 Hartford Road, Huntingdon PE29 1XX",PE29 1XX\n')
    s = load_file("hmo", f, db=db, source="Hunts")
    assert scalar(db, "SELECT postcode FROM hmo_licences WHERE licence_ref = 'HC/1'") == "PE1 5AJ"
    assert any(w.startswith("1 licence(s) have a postcode in 'Postcode' unlike the one in their address "
                            "(e.g. 'HC/1': 'PE1 5AJ', but 'PE29 1XX'") for w in s.warnings)


NOT_LIVE = ["Expired", "Temporary Exemption Notice", "TEN granted", "Suspended", "Not renewed", "Licence not required",
            "Exempt", "Licence ended", "Terminated", "Superseded", "Deceased licence holder",
            "Sold - new application required", "Revoked", "Invalid"]
LIVE = ["Granted", "Not revoked", "Not expired", "Licence granted", "Pending", "Varied", "Under review", "Valid"]


def test_status_words_for_no_live_licence_reject_the_row_and_a_negation_does_not(tmp_path, db):
    rows = "".join(f"SC/{i},{i} Green End Comberton,CB22 5FL,{status}\n" for i, status in enumerate(NOT_LIVE + LIVE))
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode,Licence Status\n" + rows)
    s = load_file("hmo", f, db=db, source="South Cambs")
    loaded = {r[0] for r in query(db, "SELECT licence_ref FROM hmo_licences")}
    assert loaded == {f"SC/{i}" for i in range(len(NOT_LIVE), len(NOT_LIVE) + len(LIVE))}
    assert scalar(db, "SELECT count(*) FROM rejects WHERE reason LIKE '%no live licence%'") == len(NOT_LIVE)
    note = next(w for w in s.warnings if w.startswith("licence status read as live"))
    for status in LIVE:
        assert repr(status) in note
    assert "'Pending' (1, an application)" in note and "'Granted' (1)" in note
    assert "'Under review' (1, an application)" in note and "'Valid' (1)" in note


def test_a_status_the_vocabulary_lacks_is_named_with_its_count(tmp_path, db):
    f = write_text(tmp_path / "reg.csv", "Licence Number,Address,Postcode,Licence Status\n"
                   "A1,1 Green End Comberton,CB22 5FL,On hold\nA2,2 Green End Comberton,CB22 5FL,On hold\n")
    s = load_file("hmo", f, db=db, source="South Cambs")
    assert any("'On hold' (2, not a status etl/vocab/licence_statuses.toml knows)" in w for w in s.warnings)


def test_an_xlsx_named_csv_is_read_as_a_workbook(tmp_path, db):
    book = write_xlsx(tmp_path / "book.xlsx", [["Licence Number", "Address", "Postcode"],
                                               ["F/1", "1 High Street, March", "PE15 8AA"]])
    f = tmp_path / "register.csv"
    book.rename(f)
    s = load_file("hmo", f, db=db, source="Fenland")
    assert scalar(db, "SELECT licence_ref FROM hmo_licences") == "F/1"
    assert any("register.csv is an Excel workbook despite its name" in w for w in s.warnings)
