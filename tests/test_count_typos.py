"""A count typed with a letter for a digit ("1O", letter O for zero) is never read as another number: the row
is rejected with a reason naming the value."""
from __future__ import annotations

import duckdb

from etl import loading
from etl.loaders import visits
from tests.helpers import TODAY, write_text

D = TODAY.strftime("%d/%m/%Y")


def test_letter_for_digit_finds_o_and_l_typed_among_digits():
    con = duckdb.connect()
    loading.define_value_macros(con)
    typos = ["1O", "1o", "l0", "O5", "5O", "2O people", "about 1O", "1,O00", "2O (3 households)"]
    fine = ["10", "1", "10 people", "3 men and 2 women", "2lads", "IO", "None", "NO", "Polish x2", "5 or 6", "O"]
    got = dict(con.execute("SELECT v, letter_for_digit(v) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                           [typos + fine]).fetchall())
    assert {v for v, hit in got.items() if hit} == set(typos)
    # and no count parser reads one as a number
    assert con.execute("SELECT list(parse_count(v)) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                       [typos]).fetchone()[0] == [None] * len(typos)


def test_potential_victims_typed_with_a_letter_o_are_rejected_naming_the_value(tmp_path):
    path = write_text(tmp_path / "o.csv", "Visit date,Address,Outcome,Potential victims\n"
                                          f"{D},1 Mill Lane,Potential victims identified,1O\n"
                                          f"{D},2 Mill Lane,Potential victims identified,l0\n"
                                          f"{D},3 Mill Lane,Potential victims identified,10\n")
    got = visits.read(path, db=tmp_path / "none.duckdb")
    assert [(o.address, o.potential_victims) for o in got.outcomes] == [("3 Mill Lane", 10)]
    reasons = [r[1] for r in got.rejects]
    assert reasons == [f"potential victims '{v}' has a letter where a digit may be meant (O for 0, I or l for 1): "
                       "not read as a number" for v in ("1O", "l0")]
