"""What partners write instead of a value, or beside one: "N/A", "-", "TBC" in a cell a row may leave blank
(etl/vocab/no_value.toml), a yes or no with a note ("Y - 03/09"), an exploitation type with a note ("Criminal
(cannabis)"), and nationalities and languages in their own alphabets ("Română"). Each rejected whole rows or stored
nonsense before."""
from __future__ import annotations

import pytest

from etl.loading import load_file
from tests.analysis_fixtures import POSTCODES, day
from tests.helpers import query, write_text


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PSEUDONYM_KEY", "ab" * 32)
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "postcodes.csv", POSTCODES), db=db, source="lookup")
    return db


def test_a_register_saying_n_a_or_tbc_for_a_count_or_a_date_keeps_the_licence(tmp_path, db):
    register = ("Licence No,Address,Postcode,Max Occupiers,No. of Households,Storeys,Licence Expiry\n"
                "F1,1 Mill Lane,PE13 1AA,N/A,-,TBC,31/03/2030\n"
                "F2,2 Mill Lane,PE13 1AA,5,n/a,—,tbc\n"
                "F3,3 Mill Lane,PE13 1AA,five or so,2,3,31/03/2030\n")
    s = load_file("hmo", write_text(tmp_path / "hmo.csv", register), db=db, source="Fenland")
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)   # a count that is no count still says so
    assert query(db, "SELECT licence_ref, max_occupants, households, storeys, licence_expiry FROM hmo_licences "
                     "ORDER BY 1")[1] == ("F2", 5, None, None, None)
    assert query(db, "SELECT reason FROM rejects") == [("maximum occupants 'five or so' is not a whole number",)]
    assert query(db, "SELECT raw->>'Max Occupiers' FROM rejects") == [("five or so",)]


def test_a_report_saying_n_a_for_grading_nationalities_or_coordinates_is_loaded_without_them(tmp_path, db):
    reports = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Grading,Nationalities,People Seen\n"
               f"R1,{day(-3)},1 Mill Lane,PE13 1AA,N/A,N/A,N/A,N/A,-\n"
               f"R2,{day(-3)},2 Mill Lane,PE13 1AA,-,-,Not graded,-,unknown\n"
               f"R3,{day(-3)},3 Mill Lane,PE13 1AA,,,TBC,Polish / N/A,3\n")
    s = load_file("reports", write_text(tmp_path / "reports.csv", reports), db=db, source="Police")
    assert (s.rows_loaded, s.rows_rejected) == (3, 0)
    rows = query(db, "SELECT report_ref, grading, nationalities, people_count, geocode_status, round(lat, 3) "
                     "FROM reports ORDER BY 1")
    assert rows == [("R1", None, [], None, "postcode", 52.665), ("R2", None, [], None, "postcode", 52.665),
                    ("R3", None, ["Polish"], 3, "postcode", 52.665)]
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'nationality'") == [("Polish",)]


def test_exploitation_types_with_a_note_or_in_other_words_find_their_category(tmp_path, db):
    written = {"Criminal (cannabis)": "criminal", "Criminal Exploitation - County Lines": "criminal",
               "County Lines / CCE": "criminal", "CCE": "criminal", "Cuckooing": "criminal",
               "Sexual Exploitation (adult)": "sexual", "Trafficking for sexual exploitation": "sexual",
               "Labour exploitation (agriculture)": "labour", "Debt bondage": "labour",
               "Violence and sexual offences": "unknown", "Fishing": "unknown"}
    reports = "Report Ref,Date Received,Postcode,Exploitation Type\n" + "".join(
        f'R{i},{day(-3)},PE13 1AA,"{text}"\n' for i, text in enumerate(written))
    s = load_file("reports", write_text(tmp_path / "reports.csv", reports), db=db, source="Police")
    stored = dict(query(db, "SELECT report_ref, exploitation_type FROM reports"))
    assert {text: stored[f"R{i}"] for i, text in enumerate(written)} == written
    unmapped = [w for w in s.warnings if w.startswith("exploitation types not in the vocabulary")]
    assert unmapped == ["exploitation types not in the vocabulary, stored as 'unknown': 'Fishing' (1), "
                        "'Violence and sexual offences' (1)"]


def test_a_case_file_answers_nrm_with_a_note_pending_or_unknown(tmp_path, db):
    cases = ("Case Reference,Date Opened,Postcode,NRM Referral,Exploitation Type,Nationality,Language\n"
             f"C1,{day(-9)},PE13 1AA,Y - 03/09,Criminal (cannabis),Română,lietuvių\n"
             f"C2,{day(-9)},PE13 1AA,No - declined,CCE,N/A,N/A\n"
             f"C3,{day(-9)},PE13 1AA,Pending,Labour,Polish,Polish\n"
             f"C4,{day(-9)},PE13 1AA,Unknown,Labour,Polish,Polish\n"
             f"C5,{day(-9)},PE13 1AA,03/09,Labour,Polish,Polish\n")
    s = load_file("cases", write_text(tmp_path / "cases.csv", cases), db=db, source="Hub")
    assert (s.rows_loaded, s.rows_rejected) == (5, 0)     # an NRM answer never rejects a case: '03/09' is unknown
    assert any(w.startswith("NRM referral answers that are not yes or no") and "03/09" not in w for w in s.warnings)
    rows = query(db, "SELECT row_number, nrm_referred, exploitation_type, nationality, language_needs FROM cases "
                     "ORDER BY row_number")
    # "Română" is Romanian in its own language (etl/vocab/nationalities.toml); "lietuvių" is kept as written
    assert rows == [(2, True, "criminal", "Romanian", ["lietuvių"]), (3, False, "criminal", None, []),
                    (4, None, "labour", "Polish", ["Polish"]), (5, None, "labour", "Polish", ["Polish"]),
                    (6, None, "labour", "Polish", ["Polish"])]
