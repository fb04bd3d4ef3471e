"""A register too small for its postcodes alone to say it is another council's (one licence whose postcode is of
an area the lookup does not cover: a typo, 'PF13' for 'PE13') loads, and its summary names the postcode and what
would place it. How many licences it takes is data (etl/vocab/counts.toml), not code."""
from __future__ import annotations

import pytest

from etl import vocab
from etl.errors import FileProblem
from etl.loaders import hmo
from tests.helpers import load_text, query

LOOKUP = "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\nCB1 1AA,52.20,0.13\n"
HEADER = "Licence Number,Address,Postcode\n"
UNCOVERED = ("1 row(s) have postcodes in areas the loaded postcode lookup does not cover at all ('PF13 1AB'; "
             "postcode areas PF); it covers CB, PE")
OXFORD = HEADER + "X1,1 Cowley Road Oxford,OX4 1AA\nX2,2 Cowley Road Oxford,OX4 1AB\n"


@pytest.fixture
def with_lookup(db):
    load_text(db, "postcodes", LOOKUP, name="pc.csv")
    return db


def test_a_one_licence_register_with_a_postcode_the_lookup_cannot_cover_loads_and_says_why(with_lookup):
    db = with_lookup
    s = load_text(db, "hmo", HEADER + "F1,1 Mill Lane Wisbech,PF13 1AB\n", source="Fenland", name="one.csv")
    assert (s.status, s.rows_loaded, s.rows_ungeocoded) == ("loaded", 1, 1)
    assert any(w.startswith(UNCOVERED) and "`python -m etl remove hmo Fenland`" in w for w in s.warnings)
    assert query(db, "SELECT licence_ref, postcode, geocode_status, lat FROM hmo_licences") == [
        ("F1", "PF13 1AB", "not_geocoded", None)]


def test_licences_of_no_postcode_do_not_make_one_uncovered_postcode_a_sign_of_elsewhere(with_lookup):
    """The evidence is counted, not the register: two licences with no postcode at all say nowhere, and the one
    postcode beside them may still be a typo. Every row is loaded and its reason named."""
    register = HEADER + "F1,1 Mill Lane Wisbech,PF13 1AB\nF2,2 Mill Lane Wisbech,\nF3,3 Mill Lane Wisbech,N/A\n"
    s = load_text(with_lookup, "hmo", register, source="Fenland", name="three.csv")
    assert (s.rows_loaded, s.rows_ungeocoded) == (3, 3)
    said = " ".join(s.warnings)
    assert UNCOVERED in said and "('N/A')" in said and "1 row(s) have neither a postcode nor coordinates" in said


def test_how_many_licences_it_takes_is_read_from_counts_toml(with_lookup, monkeypatch):
    db = with_lookup
    with pytest.raises(FileProblem, match="none of its 2 licences is in the six districts .*postcode areas OX"):
        load_text(db, "hmo", OXFORD, source="Oxford", name="ox.csv")
    counts = {**vocab.load("counts"), "hmo_licences_to_judge_by_postcode_area": 3}
    real = vocab.load
    monkeypatch.setattr(hmo.vocab, "load", lambda name: counts if name == "counts" else real(name))
    s = load_text(db, "hmo", OXFORD, source="Oxford", name="ox.csv")
    assert (s.rows_loaded, s.rows_ungeocoded) == (2, 2)
    assert any("postcode areas OX" in w and "if the file is from outside the force area" in w for w in s.warnings)
