"""Messy values of real report exports that were kept but read as nothing, or as the wrong thing.

An analyst's probe: `manager holds “passports”` gave no sign (quotes around the word), nor did "workers paid £20 a
day" or "7 days a week, no days off" (etl/vocab/indicators.toml); a file without a source type column loaded with
`--source "Modern Slavery Helpline"` stored every report as 'other' (etl/loaders/reports.py); and "Chinese (HK)"
stored "HK" as a second nationality (etl/vocab/nationalities.toml).
"""
from __future__ import annotations


from tests.helpers import load_text, query, signs_read

HEADER = "Reference,Date Received,Address,Postcode,Indicators\n"
ROWS = "A1,03/11/2025,20 Lincoln Road,PE13 1AA,Mattresses\nA2,04/11/2025,3 High Street,PE13 2ZZ,\n"


_read = signs_read


def test_documents_in_quotes_are_still_held():
    texts = {"manager holds “passports”": ["documents_withheld"], 'manager holds "passports"': ["documents_withheld"],
             "manager holds 'passports'": ["documents_withheld"], "boss keeps their ‘ID’": ["documents_withheld"],
             "“passports” held by the boss": ["documents_withheld"], '"papers" taken': ["documents_withheld"],
             "boss keeps their passports": ["documents_withheld"],
             "tenant holds passports": [], "passports seen and held by each tenant": [],   # no one else holds them
             "“passports” in order": []}
    assert _read(texts) == texts


def test_a_small_wage_for_a_day_or_an_hour_is_low_pay():
    low = ["long_hours_low_pay"]
    texts = {"workers paid £20 a day": low, "paid £3 an hour": low, "paid 20 pounds per day": low,
             "paid them £8.50/hr": low, "earns £50 a day": low, "wages of £4 per hour": low,
             "not paid £20 a day": low,                  # "not paid" a sign already, and so is its wage
             "paid £51 a day": [], "paid £120 a day": [], "paid £1,000 a day": [], "paid £12 an hour": [],
             "paid £10 an hour": [], "rent £20 a day": []}
    assert _read(texts) == texts


def test_every_day_worked_is_long_hours_though_worded_with_no():
    long = ["long_hours_low_pay"]
    texts = {"7 days a week, no days off": long, "no day off": long, "working 7 days": long,
             "doesn't get a day off": long, "never given a day off": long,
             "Mattresses; 7 days a week": ["long_hours_low_pay", "mattresses"],          # an item of a list
             "no days off, no signs of abuse": long,                   # the sign is kept, the negation still read
             "no days off and bruising ruled out": long,               # an after cue never sets it aside
             "no concerns, workers get days off": [], "takeaway open 7 days a week": ["workplace_sector"]}
    assert _read(texts) == texts


def test_a_load_reads_the_new_signs_from_a_report(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Reference,Date Received,Address,Postcode,Indicators,Summary\n"
                  "B1,03/11/2025,20 Lincoln Road,PE13 1AA,manager holds “passports”,workers paid £20 a day\n"
                  "B2,03/11/2025,21 Lincoln Road,PE13 1AA,7 days a week; no days off,\n")
    assert dict(query(db, "SELECT report_ref, indicators FROM reports")) == {
        "B1": ["documents_withheld", "long_hours_low_pay"], "B2": ["long_hours_low_pay"]}
    assert not [w for w in s.warnings if w.startswith("indicator text matching no sign")], s.warnings


def _types(db) -> list[str]:
    return [t for (t,) in query(db, "SELECT DISTINCT source_type FROM reports ORDER BY 1")]


def test_a_file_without_a_source_type_column_takes_the_type_its_source_name_gives(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", HEADER + ROWS, source="Modern Slavery Helpline")
    assert (s.rows_loaded, _types(db)) == (2, ["helpline"])
    assert ("the file has no source type column: its reports are stored as 'helpline', from the source name "
            "'Modern Slavery Helpline'") in s.warnings, s.warnings
    assert not [w for w in s.warnings if "source type" in w and "'other'" in w], s.warnings
    # A file's own source type column still wins over the name.
    column = tmp_path / "c.duckdb"
    load_text(column, "reports", "Reference,Date Received,Postcode,Source\nC1,03/11/2025,PE13 1AA,Police\n",
              source="Modern Slavery Helpline")
    assert _types(column) == ["police"]


def test_a_source_name_read_by_its_words_gives_the_type_and_one_naming_none_keeps_other(tmp_path):
    s = load_text(tmp_path / "council.duckdb", "reports", HEADER + ROWS, source="Fenland District Council")
    assert _types(tmp_path / "council.duckdb") == ["council"]
    assert any("stored as 'council', from the source name 'Fenland District Council'" in w for w in s.warnings)
    other = "the file has no source type column: reports stored with source type 'other'"
    s = load_text(tmp_path / "none.duckdb", "reports", HEADER + ROWS, source="Operation Aster")
    assert (_types(tmp_path / "none.duckdb"), other in s.warnings) == (["other"], True), s.warnings
    # No --source: the source is the file's name, which says nothing sure about who reported.
    s = load_text(tmp_path / "unnamed.duckdb", "reports", HEADER + ROWS, name="helpline_check.csv")
    assert (_types(tmp_path / "unnamed.duckdb"), other in s.warnings) == (["other"], True), s.warnings


def test_a_bracket_naming_hong_kong_is_no_second_nationality(tmp_path):
    db = tmp_path / "w.duckdb"
    cells = ["Chinese (HK)", "Chinese (PRC)", "Hong Kong", "Chinese (HK) x2", "Chinese (HK), Vietnamese"]
    s = load_text(db, "reports", "Ref,Date,Postcode,Nationalities\n" +
                  "".join(f'N{i},2025-10-01,PE13 1AA,"{n}"\n' for i, n in enumerate(cells)))
    got = dict(query(db, "SELECT report_ref, nationalities FROM reports"))
    assert [got[f"N{i}"] for i in range(len(cells))] == [
        ["Chinese"], ["Chinese"], ["Chinese"], ["Chinese"], ["Chinese", "Vietnamese"]]
    assert not [w for w in s.warnings if w.startswith("nationalities not in the vocabulary")], s.warnings
