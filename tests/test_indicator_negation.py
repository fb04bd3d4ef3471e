"""What a report says was not seen is no sign (etl/vocab/negation.toml, `vocabularies.negation_sql`).

An analyst's probe: a welfare check writing "no signs of abuse, passports seen and held by each tenant, not
overcrowded, curtains open, no concerns" gained four signs, two of the highest severity, and the reassuring visit
pushed its address up the visit list; "not a van in sight" was a van; "None seen" as the indicators was listed as
an unknown indicator. Phrases that hold a negation word and mean a sign ("no pay", "not allowed to leave") must
still be signs.
"""
from __future__ import annotations

import duckdb

from etl import indicator_rematch, vocab
from etl.loaders import vocabularies
from tests.helpers import load_text, query, signs_of

HEADER = "Reference,Date Received,Address,Postcode,Indicators,Summary\n"
WELFARE_CHECK = ("Welfare check: no signs of abuse, passports seen and held by each tenant, not overcrowded, "
                 "curtains open, no concerns")
UNKNOWN = "indicator text matching no sign"


_signs = signs_of


def _read(texts: dict[str, list[str]]) -> dict[str, list[str]]:
    return dict(zip(texts, _signs(list(texts))))


def test_the_probes_reassuring_reports_give_no_sign_and_none_seen_is_no_unknown_indicator(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", HEADER +
                  f'NEG1,03/11/2026,20 Lincoln Road,PE1 2AA,,"{WELFARE_CHECK}"\n'
                  "NEG2,03/11/2026,22 Lincoln Road,PE1 2AA,None seen,Nothing of note - not a van in sight\n")
    assert query(db, "SELECT report_ref, indicators, indicator_bits FROM reports ORDER BY 1") == [
        ("NEG1", [], 0), ("NEG2", [], 0)]
    assert query(db, "SELECT indicators_text FROM reports WHERE report_ref = 'NEG2'") == [("None seen",)]  # as given
    assert not [w for w in s.warnings if w.startswith(UNKNOWN)], s.warnings


def test_a_sign_mentioned_only_under_a_negation_does_not_count():
    expected = {
        WELFARE_CHECK: [],
        "not a van in sight": [],
        "No evidence of overcrowding; no mattresses": [],
        "there were no vans, no mattresses and nobody frightened": [],
        "Occupants weren't scared and didn't seem withdrawn": [],
        "never any injuries reported": [],
        "property free of damp and mould": [],
        "did not see any bruising.\nMattresses in the loft": ["mattresses"],       # a new line is a new clause
        "no bars on windows. Men collected by van at 5am": ["van_pickups"],
        "No concerns - van collects workers at 5am": ["van_pickups"],            # a spaced dash ends the clause
    }
    assert _read(expected) == expected


def test_but_or_however_reopens_the_clause():
    texts = {"no signs of abuse but bruising on arms": ["signs_of_abuse"],
             "No concerns noted, however mattresses on every floor": ["mattresses"],
             "nothing of note except curtains always drawn": ["curtains_drawn"],
             "no butchers van seen, many men": ["many_occupants"]}   # "but" a word, not in "butchers"
    assert _read(texts) == texts


SIGNS_WORDED_AS_NEGATIONS = {
    "not allowed out": ["restricted_movement"], "occupants say they are not allowed to leave": ["restricted_movement"],
    "workers cannot leave": ["restricted_movement"], "can't leave": ["restricted_movement"],
    "can’t leave the house": ["restricted_movement"], "nobody is allowed out": ["restricted_movement"],
    "not free to leave": ["restricted_movement"],
    "no pay": ["long_hours_low_pay"], "not paid for weeks": ["long_hours_low_pay"], "unpaid": ["long_hours_low_pay"],
    "never been paid": ["long_hours_low_pay"], "working without pay": ["long_hours_low_pay"],
    "no ID documents": ["documents_withheld"], "no documents": ["documents_withheld"],
    "no passport": ["documents_withheld"], "without their passports": ["documents_withheld"],
    "they don't have their papers": ["documents_withheld"],
    "no heating": ["poor_living_conditions"], "No hot water": ["poor_living_conditions"],
    "no running water": ["poor_living_conditions"], "no electricity": ["poor_living_conditions"],
    "would not speak to officers": ["fear_of_authorities"], "curtains never open": ["curtains_drawn"],
    "no concerns from neighbours, no heating and no pay": ["long_hours_low_pay",      # the first "no" ends at ","
                                                           "poor_living_conditions"],
    "No pay, not allowed out": ["long_hours_low_pay", "restricted_movement"],
}


def test_signs_worded_with_a_negation_word_still_count():
    assert _read(SIGNS_WORDED_AS_NEGATIONS) == SIGNS_WORDED_AS_NEGATIONS


def test_nowhere_and_a_house_number_are_no_negations():
    con = duckdb.connect()
    kept = ["nowhere to go", "Flat at no 12 with mattresses on floor", "No. 4a, van seen at 5am",
            "not only overcrowded but mattresses everywhere"]
    assert [r for (r,) in con.execute(f"SELECT {vocabularies.negation_sql('t')} FROM unnest(?::VARCHAR[]) "
                                      "WITH ORDINALITY u(t, i) ORDER BY i", [kept]).fetchall()] == kept
    assert _signs(kept[1:]) == [["mattresses"], ["van_pickups"], ["mattresses", "overcrowding"]]


def test_open_curtains_and_passports_in_order_are_no_signs():
    texts = {"curtains open": [], "Curtains open during the day": [], "passports in order": [],
             "passports seen and held by each tenant": [], "passport checked by officers": [],
             "curtains not drawn": [],                       # the cue is kept: not the bare item "curtains"
             "curtains always drawn": ["curtains_drawn"], "the curtains are always drawn": ["curtains_drawn"],
             "curtains drawn": ["curtains_drawn"], "Curtains closed all day": ["curtains_drawn"],
             "closed curtains": ["curtains_drawn"], "blinds down": ["curtains_drawn"],
             "Curtains; mattresses": ["curtains_drawn", "mattresses"], "- Curtains\n- Vans": ["curtains_drawn",
                                                                                         "van_pickups"],
             "passports held by landlord": ["documents_withheld"],
             "passports are said to be held by the landlord": ["documents_withheld"],
             "Passports held; long hours": ["documents_withheld", "long_hours_low_pay"],
             "passports with the boss": ["documents_withheld"], "documents taken by the driver": ["documents_withheld"],
             "boss holds their passports": ["documents_withheld"], "ID held": ["documents_withheld"]}
    assert _read(texts) == texts


def test_the_demo_generators_phrases_and_clauses_give_the_same_signs():
    """The demo writes each indicator as a phrase (indicators column) and a clause (summary): both must give the
    sign meant, and a summary joining clauses (one holding "not allowed to leave") loses none of them."""
    phrases = _demo_indicators()
    names = list(phrases)
    clauses = [phrases[p]["clause"] for p in names]
    by_phrase, by_clause = _signs(names), _signs(clauses)
    assert [p for p, codes in zip(names, by_phrase) if not codes] == []
    assert dict(zip(names, by_clause)) == dict(zip(names, by_phrase))
    joined = "Caller reports that " + ", ".join(clauses[:-1]) + " and " + clauses[-1] + "."
    assert _signs([joined]) == [sorted({c for codes in by_phrase for c in codes})]


def _demo_indicators() -> dict:
    import tomllib
    from pathlib import Path

    import etl.demo
    with open(Path(etl.demo.__file__).parent / "reports.toml", "rb") as fh:
        return tomllib.load(fh)["indicators"]


NOTHING_SEEN = ["None seen", "none", "nil", "N/A", "no indicators", "nothing seen", "no concerns", "NONE SEEN.",
                "- none seen"]


def test_an_indicators_cell_saying_nothing_was_seen_is_no_value_not_an_unknown_indicator(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = "".join(f"R{i},2026-10-10,{i} Mill Lane,CB4 3JD,{cell},\n" for i, cell in enumerate(NOTHING_SEEN))
    s = load_text(db, "reports", HEADER + rows + "G1,2026-10-10,20 Mill Lane,CB4 3JD,glowing windows,\n")
    assert query(db, "SELECT DISTINCT indicators FROM reports") == [([],)]
    assert query(db, "SELECT count(*) FROM reports") == [(len(NOTHING_SEEN) + 1,)]
    unknown = [w for w in s.warnings if w.startswith(UNKNOWN)]
    assert len(unknown) == 1 and ": 'glowing windows' (1); add" in unknown[0], unknown


def test_negation_is_one_replacement_per_distinct_text_after_a_test_for_a_cue():
    sql = " ".join(cte for cte, _ in vocabularies.sign_lookups("indicators_text", "summary", "reports"))
    assert sql.count("regexp_replace(") == 2                          # one for each of the two texts
    assert "SELECT DISTINCT indicators_text AS in_text FROM reports" in sql


def _rules_without(cue: str):
    real = vocab.load

    def load(name):
        table = real(name)
        return {**table, "cues": [c for c in table["cues"] if c != cue]} if name == "negation" else table
    return load


def test_a_changed_negation_rule_changes_the_fingerprint_and_re_reads_stored_reports(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", HEADER + "R1,2026-10-10,1 Mill Lane,CB4 3JD,,not a van in sight\n", source="police",
              name="a.csv")
    assert query(db, "SELECT indicators FROM reports") == [([],)]
    before = indicator_rematch.fingerprint()
    monkeypatch.setattr(vocab, "load", _rules_without("not"))     # an analyst drops a cue from negation.toml
    assert indicator_rematch.fingerprint() != before
    s = load_text(db, "reports", HEADER + "S1,2026-10-11,9 Mill Lane,CB4 3JD,mattresses,\n", source="helpline",
                  name="b.csv")
    assert query(db, "SELECT indicators FROM reports WHERE report_ref = 'R1'") == [(["van_pickups"],)]
    assert "1 gained or lost a sign (gained: van_pickups 1)" in "\n".join(s.warnings)
