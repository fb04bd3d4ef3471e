"""A case file's interpreter column answers "interpreter needed?" and names the language: "Yes - Romanian",
"Yes (Lithuanian)" and "Required: Polish" need Romanian, Lithuanian and Polish; "No" needs none (and is no
language called "No")."""
from __future__ import annotations

import pytest

from etl.loading import load_file
from tests.helpers import query, write_text


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))
    monkeypatch.delenv("HOTSPOTS_PSEUDONYM_KEY", raising=False)


CELLS = {
    "Yes - Romanian": ["Romanian"],
    "Yes (Lithuanian)": ["Lithuanian"],
    "Required: Polish": ["Polish"],
    "No": [],
    "No - speaks English": [],
    "Not required": [],
    "Y (Amharic)": ["Amharic"],                      # a language we don't list, kept as written
    "Yes, Romanian and Russian": ["Romanian", "Russian"],
    "Polish interpreter required": ["Polish"],
    "Yes - Amharic interpreter": ["Amharic"],
    "Norwegian": ["Norwegian"],                      # starts with "No", but is no answer
    "Yoruba": ["Yoruba"],                            # starts with "Y", but is no answer
    "Yes": [],
    "Romanian": ["Romanian"],
}


def test_interpreter_answers_give_the_languages_or_none(tmp_path, key_file):
    rows = "".join(f'C{i},2025-10-01,PE13 1AB,"{cell}"\n' for i, cell in enumerate(CELLS))
    db = tmp_path / "w.duckdb"
    s = load_file("cases", write_text(tmp_path / "c.csv", f"Case Reference,Date Opened,Postcode,Interpreter\n{rows}"),
                  db=db)
    assert s.rows_rejected == 0
    got = dict(query(db, "SELECT row_number - 2, language_needs FROM cases"))
    assert {cell: got[i] for i, cell in enumerate(CELLS)} == CELLS
    said = " ".join(s.warnings)
    assert "1 case(s) say an interpreter is needed without naming the language" in said
    assert "language entr" not in said                 # no answer word counted as a language we don't know
