"""A negation after the sign, "and" before a new thing seen, and "nowhere to go" (etl/vocab/negation.toml,
etl/vocab/indicators.toml, `vocabularies.negation_sql`).

An analyst's probe: "mattresses not seen", "bruising ruled out" and "signs of abuse - none" each gave the sign they
say was not seen; "no bruising and many men" lost the many men; "has nowhere else to go" gave no sign; and the demo
never wrote poor living conditions, so its visit list could not show that sign at all.
"""
from __future__ import annotations

import tomllib
from pathlib import Path


import etl.demo
from tests.helpers import load_text, query, signs_read

HEADER = "Reference,Date Received,Address,Postcode,Indicators,Summary\n"


_read = signs_read


def test_a_sign_its_clause_says_was_not_seen_does_not_count():
    texts = {
        "mattresses not seen": [], "bruising ruled out": [], "overcrowding not observed": [],
        "Overcrowding was not evident": [], "mattresses were not seen": [], "bruising wasn't seen": [],
        "mattresses on the floors could not be found": [], "mattresses and bruising not seen": [],
        "signs of abuse - none": [], "Bruising: no": [], "mattresses: not seen.": [],
        "passports: none seen": [],               # no sign either way: "passports" alone is no sign phrase
        "bruising ruled out. Many men seen": ["many_occupants"],             # a new clause
        "Curtains; mattresses not seen": ["curtains_drawn"],                   # not back over the list's ";"
        "van seen at 5am and mattresses not found": ["van_pickups"],           # not back over what was seen
        "bruising but mattresses not seen": ["signs_of_abuse"],                # nor over a reopener
        "van seen - none of the occupants spoke": ["van_pickups"],             # "none" is no lone answer here
        "Mattresses - no concerns about bruising": ["mattresses"],
    }
    assert _read(texts) == texts


def test_signs_holding_a_negation_word_still_count_beside_the_after_cues():
    texts = {"no pay, not allowed out": ["long_hours_low_pay", "restricted_movement"],
             "workers not paid": ["long_hours_low_pay"],
             "workers not paid, mattresses not seen": ["long_hours_low_pay"],
             "not allowed out and bruising ruled out": ["restricted_movement"],
             "bruising seen, passports not found": ["signs_of_abuse"],
             "mattresses seen": ["mattresses"]}
    assert _read(texts) == texts


def test_and_before_a_new_thing_seen_ends_the_negation():
    texts = {"no bruising and many men": ["many_occupants"],
             "not overcrowded and a van collects them at 5am": ["van_pickups"],
             "no heating and 12 mattresses": ["mattresses", "poor_living_conditions"],   # "no heating" a sign
             "no money and nowhere to go": ["restricted_movement"],
             "no food and water": [], "no bruising and mattresses": [],          # one negation over both
             "no vans or mattresses and nobody frightened": []}
    assert _read(texts) == texts


def test_nowhere_to_go_is_a_sign_and_nowhere_no_negation():
    texts = {"nowhere to go": ["restricted_movement"], "has nowhere else to go": ["restricted_movement"],
             "Victim says she has nowhere to live": ["restricted_movement"],
             "nowhere to go, mattresses on floor": ["mattresses", "restricted_movement"]}
    assert _read(texts) == texts


def test_a_load_reads_negations_after_the_sign_in_both_texts(tmp_path):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", HEADER +
                  "A1,03/11/2026,20 Lincoln Road,PE1 2AA,Mattresses not seen; bruising ruled out,"
                  "Welfare check: signs of abuse - none. Occupant has nowhere else to go\n")
    assert query(db, "SELECT indicators FROM reports") == [(["restricted_movement"],)]
    assert not [w for w in s.warnings if w.startswith("indicator text matching no sign")], s.warnings


def test_the_demo_writes_poor_living_conditions():
    with open(Path(etl.demo.__file__).parent / "reports.toml", "rb") as fh:
        phrases = tomllib.load(fh)["indicators"]
    drawn = {p: spec["clause"] for p, spec in phrases.items() if any(spec["weights"].values())}
    read = _read({text: [] for pair in drawn.items() for text in pair})
    assert [p for p, clause in drawn.items() if "poor_living_conditions" in read[p] + read[clause]]
