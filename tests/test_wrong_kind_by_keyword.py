"""A file of another kind whose required columns are found only by a word in a header ("Licence Expiry Date" as
a date received) is refused as the wrong kind, as one missing a required column is; a file of reports whose
columns match by their own headers loads whatever else it holds."""
from __future__ import annotations

import pytest

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import query, write_text

REGISTER = ("Licence No.,HMO Address,Post code,Max. No. Occupiers,No of Households,Licence Expiry Date,Licence Holder\n"
            "PCC/1,14 Lincoln Road,PE1 3JF,6,5,31/03/2029,Mr A Smith\n")
GAZETTEER = ("geonameid,name,asciiname,feature_code,latitude,longitude,population,lad_code,modification_date,"
             "alternatenames\n11282176,Ailsworth,Ailsworth,PPLA3,52.57585,-0.35032,0,E06000031,2016-11-04,\n")


def test_a_register_whose_only_date_is_its_expiry_is_not_loaded_as_reports(tmp_path, db):
    f = write_text(tmp_path / "register.csv", REGISTER)
    with pytest.raises(FileProblem) as err:
        load_file("reports", f, db=db)
    assert err.value.problem == ("this looks like an HMO licence register, not a file of reports: load it with "
                                 "`python -m etl load hmo FILE`. (the date received would have been 'Licence Expiry "
                                 "Date', found only by a word in its header)")
    assert load_file("hmo", f, db=db).rows_loaded == 1


@pytest.mark.parametrize("kind", ["reports", "hmo", "cases"])
def test_a_gazetteer_is_said_to_be_a_place_name_list_no_loader_takes(tmp_path, db, kind):
    f = write_text(tmp_path / "gazetteer.csv", GAZETTEER)
    with pytest.raises(FileProblem) as err:
        load_file(kind, f, db=db)
    assert err.value.problem.startswith("this looks like a place-name list (a gazetteer), not ")
    assert ": no loader takes one" in err.value.problem


@pytest.mark.parametrize("text", [
    # the date by a word, and licence columns besides: the report's own headers outnumber the register's
    "Report Ref,Date/Time,Address,Postcode,Summary,Licence Number,Licence Holder,Licence Expiry Date\n"
    "R1,01/02/2026 10:00,1 High St,PE15 8AA,seen,L1,J Smith,31/12/2030\n",
    # a minimal file of reports: a date by a word and a postcode
    "When reported,Postcode\n01/02/2026,PE15 8AA\n",
])
def test_reports_with_a_date_found_by_a_word_still_load(tmp_path, db, text):
    f = write_text(tmp_path / "r.csv", text)
    assert load_file("reports", f, db=db).rows_loaded == 1
    assert query(db, "SELECT received_on::VARCHAR FROM reports") == [("2026-02-01",)]


def test_a_mapping_names_the_columns_and_is_not_second_guessed(tmp_path, db):
    f = write_text(tmp_path / "register.csv", REGISTER)
    mapping = write_text(tmp_path / "m.toml", 'received_on = "Licence Expiry Date"\n')
    with pytest.raises(FileProblem, match=r"its only row was rejected \(row 2: date received '31/03/2029'"):
        load_file("reports", f, db=db, mapping=mapping)   # read as mapped, not refused as a register: its row judged
