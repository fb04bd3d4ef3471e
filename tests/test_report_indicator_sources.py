"""A report's signs come from its indicators and its summary (details) both, and indicator text that matches
no sign is named in the load summary, not dropped silently.

Partners write a sign in whichever column is to hand: "no ID documents" as the indicator and "nail bar staff
living on site" in the details. Reading the details only when the indicators cell was blank lost the nail bar,
and so the report's weight on the visit list, its reasons and the "Indicators seen" filter.
"""
from __future__ import annotations

import itertools
import re

import duckdb

from analysis import settings
from dashboard import labels
from etl import indicator_bits, vocab
from etl.loaders import vocabularies
from tests.helpers import load_text, query

HEADER = "Ref,Date Received,Address,Postcode,Indicators,Details\n"


def _masks_hold_the_codes(db) -> None:
    bits = dict(query(db, "SELECT code, bit FROM indicator_bits"))
    for ref, codes, mask in query(db, "SELECT report_ref, indicators, indicator_bits FROM reports"):
        assert mask == sum(1 << bits[c] for c in codes), ref


def test_signs_in_the_details_count_beside_the_indicators_each_once_and_sorted(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", HEADER +
              "R1,2026-10-10,45 Histon Road,CB4 3JD,overcrowding,nail bar staff living on site\n"
              "R2,2026-10-10,1 Mill Lane,CB4 3JD,,nail bar staff living on site\n"
              "R3,2026-10-10,2 Mill Lane,CB4 3JD,mattresses on floors,mattresses in every room\n"
              "R4,2026-10-10,3 Mill Lane,CB4 3JD,van seen at 5am,mattresses seen through the window\n"
              "R5,2026-10-10,4 Mill Lane,CB4 3JD,mattresses; van at 5am,mattresses seen\n"
              "R6,2026-10-10,5 Mill Lane,CB4 3JD,curtains drawn,\n"
              "R7,2026-10-10,6 Mill Lane,CB4 3JD,,\n")
    assert query(db, "SELECT report_ref, indicators, indicators_text FROM reports ORDER BY 1") == [
        ("R1", ["overcrowding", "workplace_sector"], "overcrowding"),     # the indicators text kept as given
        ("R2", ["workplace_sector"], None),
        ("R3", ["mattresses"], "mattresses on floors"),                   # in both: once
        ("R4", ["mattresses", "van_pickups"], "van seen at 5am"),         # each adds one: sorted
        ("R5", ["mattresses", "van_pickups"], "mattresses; van at 5am"),  # the details' a part of the indicators'
        ("R6", ["curtains_drawn"], "curtains drawn"),
        ("R7", [], None)]
    _masks_hold_the_codes(db)
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'indicator' AND value = 'workplace_sector'") == [
        ("workplace_sector",)]


def test_each_text_is_matched_once_per_distinct_value_not_per_pair(tmp_path, monkeypatch):
    """A big file's summaries repeat far less than its indicators: matching each (indicators, summary) pair would
    match the indicators' patterns again on almost every row. Each text gets its own lookup, of one column."""
    from etl.loaders import tabular

    statements = []
    parse = tabular.parse
    monkeypatch.setattr(tabular, "parse", lambda con, sql, *a, **k: (statements.append(sql), parse(con, sql, *a, **k)))
    load_text(tmp_path / "w.duckdb", "reports", HEADER + "R1,2026-10-10,1 Mill Lane,CB4 3JD,mattresses,vans\n")
    sql = " ".join(" ".join(statements).split())
    assert re.search(r"SELECT DISTINCT [^,()]+ AS in_text FROM stage", sql)
    assert re.search(r"SELECT DISTINCT [^,()]+ AS is_text FROM stage", sql)


def test_indicator_text_matching_no_sign_is_listed_with_its_count(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", HEADER +
                  "R1,2026-10-10,1 Mill Lane,CB4 3JD,\"glowing windows; mattresses, Strange smell\",\n"
                  "R2,2026-10-10,2 Mill Lane,CB4 3JD,strange smell,\n"
                  "R3,2026-10-10,3 Mill Lane,CB4 3JD,N/A,\n"
                  "R4,2026-10-10,4 Mill Lane,CB4 3JD,\"- strange smell\n- glowing windows\",\n"
                  "R5,2026-10-10,5 Mill Lane,CB4 3JD,curtains drawn,glowing windows\n")
    warning = [w for w in s.warnings if w.startswith("indicator text matching no sign")]
    assert len(warning) == 1, s.warnings
    assert "'Strange smell' (3), 'glowing windows' (2);" in warning[0], warning[0]   # each once a report, any case
    assert "mattresses" not in warning[0] and "N/A" not in warning[0] and "curtains" not in warning[0]
    assert query(db, "SELECT indicators_text FROM reports WHERE report_ref = 'R2'") == [("strange smell",)]
    matched = load_text(tmp_path / "w2.duckdb", "reports", HEADER + "R1,2026-10-10,1 Mill Lane,CB4 3JD,mattresses; van,"
                                                                    "odd smell\n")
    assert not [w for w in matched.warnings if "indicator text" in w]    # the details are prose: not listed


def _codes(texts: list[str]) -> list[list[str]]:
    con = duckdb.connect()
    return [c for (c,) in con.execute(f"SELECT {vocabularies.indicator_codes_sql('t')} FROM unnest(?::VARCHAR[]) "
                                      "WITH ORDINALITY u(t, i) ORDER BY i", [texts]).fetchall()]


def test_common_uk_indicators_are_signs_of_the_closest_code():
    texts = {"no ID documents": ["documents_withheld"], "No identity documents": ["documents_withheld"],
             "workers have no papers": ["documents_withheld"], "boss holds their ID": ["documents_withheld"],
             "no idea who lives there": [],
             "debt bondage": ["long_hours_low_pay"], "£200 recruitment fee": ["long_hours_low_pay"],
             "owes money to the gangmaster": ["long_hours_low_pay"], "wages deducted for rent": ["long_hours_low_pay"],
             "forced begging": ["forced_criminality"], "begging": ["forced_criminality"],
             "mattresses; begging": ["forced_criminality", "mattresses"],
             "begging outside the station": ["forced_criminality"], "heard a woman begging for help": [],
             "cuckooing": ["forced_criminality"], "county lines": ["forced_criminality"],
             "made to sell drugs": ["forced_criminality"], "the council was made to deal with the rubbish": []}
    assert dict(zip(texts, _codes(list(texts)))) == texts


def test_every_code_is_wired_a_label_a_severity_a_bit_and_a_filter_value(tmp_path):
    """A code added to the vocabulary needs nothing else: its label and severity are in the same file, its bit
    is given at the next load, and the filter offers it once a report has it."""
    table = vocab.load("indicators")
    assert all(entry["label"] and entry["severity"] in (1, 2, 3) for entry in table.values())
    assert set(settings.indicator_severity()) == set(settings.indicator_labels()) == set(labels.indicators()) \
        == set(table)
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", HEADER + "R1,2026-10-10,1 Mill Lane,CB4 3JD,cuckooing,\n")
    assert query(db, "SELECT indicators FROM reports") == [(["forced_criminality"],)]
    assert {c for (c,) in query(db, "SELECT code FROM indicator_bits")} == set(table)
    assert query(db, "SELECT value FROM filter_values WHERE kind = 'indicator'") == [("forced_criminality",)]
    _masks_hold_the_codes(db)


def test_indicator_codes_turns_a_mask_back_into_its_sorted_codes(monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE TABLE indicator_bits (code VARCHAR PRIMARY KEY, bit INTEGER NOT NULL)")
    con.execute("INSERT INTO indicator_bits VALUES ('zeta', 0), ('alpha', 1)")   # bits not in code order
    monkeypatch.setattr(indicator_bits.vocab, "load", lambda name: {"zeta": {}, "alpha": {}, "mid": {}})
    indicator_bits.register(con)
    codes = ["alpha", "mid", "zeta"]
    for n in range(len(codes) + 1):
        for subset in itertools.combinations(codes, n):
            got = con.execute("SELECT indicator_codes(indicator_mask(?::VARCHAR[]))", [list(subset)]).fetchone()[0]
            assert got == list(subset)
    assert con.execute("SELECT indicator_codes(NULL), indicator_codes(0)").fetchone() == ([], [])
