"""Outcomes feed back into the visit list: no concerns lowers an address for a while; potential victims
raise the addresses nearby and those with the same licence holder."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis import outcome_feedback, settings
from operations import vocabulary
from tests.analysis_fixtures import demo_con, demo_db  # noqa: F401

TODAY = dt.date(2026, 11, 28)
CFG = settings.section("visits")["outcomes"]


def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "address_key": ["L|Fenland|FDC/1", "A|3 FEN ROAD MARCH|PE15 8AA", "L|Fenland|FDC/2", "A|9 FAR LANE ELY|CB7 4AA"],
        "address": ["14 Mill Lane, Wisbech", "3 Fen Road, March", "20 Mill Lane, Wisbech", "9 Far Lane, Ely"],
        "postcode": ["PE13 1AB", "PE15 8AA", "PE13 1AD", "CB7 4AA"],
        "lat": [52.6650, 52.5500, 52.6660, 52.3980],
        "lon": [0.1600, 0.0880, 0.1610, 0.2630],
        "licence_ref": ["FDC/1", None, "FDC/2", "ECDC/9"],
        "score": [10.0, 8.0, 6.0, 4.0],
    })


def outcome(**kw) -> dict:
    base = {"id": 1, "visited_on": TODAY - dt.timedelta(days=10), "address_key": "x", "address": "", "postcode": None,
            "lat": None, "lon": None, "licence_ref": None, "outcome": "no_concerns", "potential_victims": 0}
    return {**base, **kw}


def test_no_outcomes_changes_nothing_but_adds_the_columns():
    out = outcome_feedback.apply(rows(), None, {}, TODAY)
    assert out["score"].tolist() == rows()["score"].tolist()
    assert out["last_visit"].isna().all() and (out["feedback"] == "").all()


def test_a_recent_visit_with_no_concerns_lowers_the_address_for_a_while():
    visits = pd.DataFrame([outcome(address="14, MILL LANE, WISBECH PE13 1AB", postcode="pe131ab")])  # typed differently
    out = outcome_feedback.apply(rows(), visits, {}, TODAY)
    assert out["score"].iloc[0] == pytest.approx(10.0 * CFG["no_concern_factor"])
    assert out["last_outcome"].iloc[0] == "no_concerns"
    assert out["last_visit"].iloc[0] == pd.Timestamp(TODAY - dt.timedelta(days=10))
    assert "no concerns: lowered until" in out["feedback"].iloc[0]
    assert out["score"].iloc[1:].tolist() == [8.0, 6.0, 4.0]

    later = TODAY + dt.timedelta(days=int(CFG["no_concern_days"]))
    expired = outcome_feedback.apply(rows(), visits, {}, later)
    assert expired["score"].iloc[0] == 10.0  # the effect has run out...
    assert expired["last_outcome"].iloc[0] == "no_concerns"  # ...the visit is still shown


def test_a_visit_with_no_concerns_does_not_lower_an_address_reported_again_since():
    """The visit answered the reports before it; one received after it is news the visit never saw."""
    visited = TODAY - dt.timedelta(days=10)
    listed = rows().assign(last_report=[pd.Timestamp(visited + dt.timedelta(days=3)), pd.Timestamp(visited),
                                        pd.NaT, pd.NaT])
    visits = pd.DataFrame([outcome(licence_ref="FDC/1", visited_on=visited),
                           outcome(id=2, address="3 Fen Road, March", postcode="PE15 8AA", visited_on=visited)])
    out = outcome_feedback.apply(listed, visits, {}, TODAY)
    assert out["score"].iloc[0] == 10.0
    assert out["feedback"].iloc[0] == (f"visited {visited:%-d %b %Y}, no concerns, but reported again since (last "
                                       f"{visited + dt.timedelta(days=3):%-d %b %Y}): not lowered")
    assert out["last_outcome"].iloc[0] == "no_concerns"
    assert out["score"].iloc[1] == pytest.approx(8.0 * CFG["no_concern_factor"])   # reported on the day: lowered
    assert "lowered until" in out["feedback"].iloc[1]


def test_a_later_outcome_replaces_an_earlier_one():
    visits = pd.DataFrame([outcome(id=1, licence_ref="FDC/1", visited_on=TODAY - dt.timedelta(days=20)),
                           outcome(id=2, licence_ref="FDC/1", outcome="concerns_intelligence",
                                   visited_on=TODAY - dt.timedelta(days=5))])
    out = outcome_feedback.apply(rows(), visits, {}, TODAY)
    assert out["score"].iloc[0] == 10.0 and out["last_outcome"].iloc[0] == "concerns_intelligence"


def test_future_dated_outcomes_are_ignored():
    visits = pd.DataFrame([outcome(address_key="L|Fenland|FDC/1", visited_on=TODAY + dt.timedelta(days=1))])
    assert outcome_feedback.apply(rows(), visits, {}, TODAY)["score"].iloc[0] == 10.0


def test_potential_victims_raise_the_addresses_nearby_and_with_the_same_holder():
    holders = {"FDC/1": "J SMITH LETTINGS", "FDC/2": "OTHER", "ECDC/9": "J SMITH LETTINGS"}
    visits = pd.DataFrame([outcome(address_key="L|Fenland|FDC/1", address="14 Mill Lane, Wisbech", lat=52.6650,
                                   lon=0.1600, licence_ref="FDC/1", outcome="potential_victims", potential_victims=4)])
    out = outcome_feedback.apply(rows(), visits, holders, TODAY)
    assert out["score"].iloc[0] == 10.0  # the address itself: shown, not re-scored
    assert "potential victims identified here" in out["feedback"].iloc[0]
    assert out["score"].iloc[2] == pytest.approx(6.0 + CFG["victims_nearby_bonus"])  # ~120 m away
    assert "within 500 m" in out["feedback"].iloc[2]
    assert out["score"].iloc[3] == pytest.approx(4.0 + CFG["same_holder_bonus"])  # Ely, same holder
    assert "same licence holder as 14 Mill Lane, Wisbech" in out["feedback"].iloc[3]
    assert out["score"].iloc[1] == 8.0  # March: 15 km away, another holder

    old = TODAY + dt.timedelta(days=int(CFG["victims_days"]))
    assert outcome_feedback.apply(rows(), visits, holders, old)["score"].tolist() == rows()["score"].tolist()


def test_the_holder_is_found_through_the_visit_list_when_the_outcome_names_no_licence():
    holders = {"FDC/1": "J SMITH LETTINGS", "ECDC/9": "J SMITH LETTINGS"}
    visits = pd.DataFrame([outcome(address_key="L|Fenland|FDC/1", address="14 Mill Lane, Wisbech",
                                   outcome="potential_victims", potential_victims=1)])
    out = outcome_feedback.apply(rows(), visits, holders, TODAY)
    assert out["score"].iloc[3] == pytest.approx(4.0 + CFG["same_holder_bonus"])


def test_every_outcome_in_the_vocabulary_has_a_known_effect():
    assert {spec["effect"] for spec in vocabulary.outcomes().values()} <= {"lower", "victims", "none"}
    assert vocabulary.outcome_aliases()["nfa"] == "no_concerns"
    assert vocabulary.address_norm("14, Mill Lane, WISBECH, PE13 1AB") == "14 MILL LANE WISBECH"
    assert vocabulary.postcode_norm("pe131ab") == "PE13 1AB" and vocabulary.postcode_norm("PE13") is None


def test_licence_holders_are_read_only_for_the_licences_asked_about(demo_con):  # noqa: F811
    held = demo_con.execute("SELECT licence_ref, licence_holder FROM hmo_licences WHERE licence_holder IS NOT NULL "
                            "ORDER BY licence_ref LIMIT 2").fetchall()
    assert len(held) == 2
    (ref, holder), (other, _) = held
    got = outcome_feedback.licence_holders(demo_con, [ref, None, "NO-SUCH-LICENCE"])
    assert got == {ref: vocabulary.address_norm(holder)} and other not in got
    assert outcome_feedback.licence_holders(demo_con, []) == {}


def test_a_visit_to_words_without_a_postcode_counts_only_for_the_door_at_its_place():
    """Without postcodes, "12 High Street" in March and in Wisbech are two doors (etl/address_ids.py):
    a visit with no concerns in March, recorded under its own key or loaded from a file by its words and
    point, lowers March's row and leaves Wisbech's alone."""
    march, wisbech = (52.5510, 0.0880), (52.6652, 0.1603)
    listed = pd.DataFrame({
        "address_key": [vocabulary.address_key("12 High Street", None, *wisbech),
                        vocabulary.address_key("12 High Street", None, *march)],
        "address": ["12 High Street", "12 High Street"], "postcode": [None, None],
        "lat": [wisbech[0], march[0]], "lon": [wisbech[1], march[1]],
        "licence_ref": [None, None], "score": [5.0, 5.0]})
    recorded = pd.DataFrame([outcome(address_key=listed["address_key"].iloc[1], address="12 High Street",
                                     lat=march[0], lon=march[1])])
    from_file = pd.DataFrame([outcome(address="12, HIGH STREET", lat=march[0] + 0.0002, lon=march[1])])
    for visits in (recorded, from_file):
        out = outcome_feedback.apply(listed, visits, {}, TODAY)
        assert out["last_outcome"].tolist() == [None, "no_concerns"]
        assert out["score"].tolist() == [5.0, pytest.approx(5.0 * CFG["no_concern_factor"])]
