"""The visit list: the planted hotspot comes first, with reasons a lead can check and the right languages."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis import settings
from analysis.filters import Filters
from analysis.visits import COLUMNS, visit_list
from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, connect, day, demo_con, demo_db  # noqa: F401

F90 = Filters.default(TODAY)

HMO = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Start Date,Licence Expiry Date,Latitude,Longitude
L1,"5 Orchard Close, Wisbech",PE13 1AA,6,{day(-2000)},{day(-125)},52.6650,0.1600
L2,"9 Mill Lane, Wisbech",PE13 2ZZ,8,{day(-300)},{day(40)},52.7000,0.1000
L3,"1 Station Road, Peterborough",PE1 9ZZ,5,{day(-100)},{day(1000)},52.5740,-0.2410
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,Nationalities,People Seen,Grading
P1,{day(-2)},"5 Orchard Close, Wisbech",PE13 1AA,,,people collected by van early morning; mattresses on floors,Lithuanian,12,1-A-P
P2,{day(-5)},5 ORCHARD CLOSE WISBECH PE13 1AA,PE13 1AA,,,people collected by van early morning,Lithuanian,6,1-B-P
P3,{day(-9)},"5 Orchard Close, Wisbech",PE13 1AA,,,mattresses on floors; people collected by van early morning,Lithuanian,,2-B-P
P4,{day(-40)},"5, Orchard Close, Wisbech",PE13 1AA,,,people collected by van early morning,Lithuanian,4,3-C-P
U1,{day(-15)},"12 Orchard Close, Wisbech",PE13 1AA,,,curtains always drawn,,9,2-B-P
M1,{day(-30)},"9 Mill Lane, Wisbech",PE13 2ZZ,52.7000,0.1000,curtains always drawn,Polish,3,2-C-P
S1,{day(-50)},"1 Station Road, Peterborough",PE1 9ZZ,,,curtains always drawn,Romanian,2,2-C-P
S2,{day(-60)},"1 Station Rd, Peterborough",PE1 9ZZ,,,curtains always drawn,Romanian,2,2-C-P
H1,{day(-10)},"40 High Street, Peterborough",PE1 9ZZ,,,works at a car wash,Romanian,2,3-C-P
N1,{day(-3)},,PE1 9ZZ,,,people collected by van early morning,Polish,20,1-A-P
"""
CASES = f"""Case Reference,Date Opened,Postcode,Nationality,Exploitation Type
C1,{day(-10)},PE13 1AA,Lithuanian,Labour
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    db = build_warehouse(tmp_path_factory.mktemp("visits"),
                         {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS, "cases": CASES})
    con = connect(db)
    yield con
    con.close()


@pytest.fixture(scope="module")
def visits(tiny):
    return visit_list(tiny, F90, TODAY)


def test_planted_hotspot_ranks_first_with_its_languages(visits):
    assert list(visits.columns) == COLUMNS
    top = visits.iloc[0]
    assert (top["rank"], top["address"], top["postcode"], top["district"]) == (
        1, "5 Orchard Close, Wisbech", "PE13 1AA", "Fenland")
    assert top["reports"] == 4                       # four spellings of one licensed door
    assert top["licence_status"] == "expired"
    assert top["languages"] == "Lithuanian (at the address), Russian (at the address)"
    assert pd.Timestamp(top["last_report"]).date() == TODAY - pd.Timedelta(days=2)
    assert visits["last_visit"].isna().all()
    assert visits["rank"].tolist() == list(range(1, len(visits) + 1))
    assert visits["score"].is_monotonic_decreasing


def test_reasons_explain_the_rank(visits):
    reasons = visits.set_index("address")["reasons"]
    top = reasons["5 Orchard Close, Wisbech"]
    assert top.startswith("4 reports in the last 90 days (3 in the last 28 days), 2 graded 1-A or 1-B: "
                          "people collected by van early and returned late, mattresses on floors")
    assert "licence expired 4 months ago" in top
    assert "12 people seen, licence allows 6" in top
    assert "licence expires in 40 days" in reasons["9 Mill Lane, Wisbech"]
    assert "on no HMO licence register, yet 9 people seen" in reasons["12 Orchard Close, Wisbech"]


def test_victim_cases_nearby_say_how_near(tmp_path):
    """"47 victim cases nearby" left a lead asking how near: the reason gives the reach of the ring of hexagons
    counted (hotspots.toml's resolution, settings.toml's language_ring), in words."""
    from analysis import hexes, settings, wording

    cases = CASES + "".join(f"C{i},{day(-i)},PE13 1AA,Lithuanian,Labour\n" for i in range(2, 5))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS, "cases": cases})
    con = connect(db)
    try:
        reasons = visit_list(con, F90, TODAY).set_index("address")["reasons"]
    finally:
        con.close()
    reach = wording.distance(hexes.disk_reach_km(int(settings.method()["aggregation"]["resolution"]),
                                                 int(settings.section("visits")["language_ring"])))
    assert f"4 victim cases within {reach} in the last" in reasons["5 Orchard Close, Wisbech"]
    assert reach == "about 1.4 km"       # resolution 8, one ring
    assert [wording.distance(k) for k in (0.52, 0.04, 1.38, 12.4)] == ["about 500 m", "about 100 m", "about 1.4 km",
                                                                      "about 12 km"]


def test_reasons_over_a_long_window_give_its_start_not_a_count_of_days(tiny):
    import datetime as dt

    start = TODAY - dt.timedelta(days=2525)
    rows = visit_list(tiny, Filters(start, TODAY), TODAY)
    top = rows.set_index("address")["reasons"]["5 Orchard Close, Wisbech"]
    assert top.startswith(f"4 reports since {start:%-d %b %Y}"), top


def test_every_address_once_with_its_licence_status(visits):
    status = visits.set_index("address")["licence_status"].to_dict()
    assert status == {
        "5 Orchard Close, Wisbech": "expired",
        "9 Mill Lane, Wisbech": "expiring",
        "1 Station Road, Peterborough": "current",     # "1 Station Rd" merged by postcode + house number
        "12 Orchard Close, Wisbech": "possible_unlicensed",
        "40 High Street, Peterborough": "not an HMO on record",
    }                                                   # the report without an address is not listed
    assert visits.set_index("address").loc["1 Station Road, Peterborough", "reports"] == 2


def test_score_follows_the_settings(visits):
    """The score is the documented sum, so a lead (or an auditor) can recompute it."""
    vs = settings.section("visits")
    sev = settings.indicator_severity()
    row = visits.set_index("address").loc["40 High Street, Peterborough"]
    expected = 0.5 ** (10 / vs["half_life_days"]) * vs["grading_weights"]["3"] * sev["workplace_sector"]
    assert row["score"] == pytest.approx(expected, abs=0.01)


def test_limit_and_filters_narrow_the_list(tiny, visits):
    assert visit_list(tiny, F90, TODAY, limit=2)["address"].tolist() == visits["address"].head(2).tolist()
    pboro = visit_list(tiny, dataclasses.replace(F90, districts=("E06000031",)), TODAY)
    assert set(pboro["district"]) == {"Peterborough"} and len(pboro) == 2
    # a content filter narrows the reports counted, but not the address's licence facts; a licence with no such
    # report is not listed for its licence alone (tests/test_visit_list_report_filters.py), as it is unfiltered
    assert "5 Orchard Close, Wisbech" in set(visits["address"])
    van = visit_list(tiny, dataclasses.replace(F90, indicators=("curtains_drawn",)), TODAY)
    assert "5 Orchard Close, Wisbech" not in set(van["address"]) and (van["reports"] > 0).all()
    assert van.set_index("address").loc["12 Orchard Close, Wisbech", "licence_status"] == "possible_unlicensed"


def test_nothing_to_visit(tiny):
    empty = visit_list(tiny, Filters(TODAY.replace(year=2001), TODAY.replace(year=2001)), TODAY)
    assert list(empty.columns) == COLUMNS
    assert (empty["reports"] == 0).all() and empty["reasons"].str.startswith("no reports").all()
    assert set(empty["licence_status"]) <= {"current", "expiring", "expired"}  # licensed HMOs only


def test_demo_cluster_is_near_the_top(demo_con):
    v = visit_list(demo_con, F90, TODAY)
    assert len(v) == 100
    wisbech = v[v["address"].str.contains("Wisbech") & (v["reports"] >= 8)]
    assert not wisbech.empty and wisbech["rank"].iloc[0] <= 3
    assert wisbech["languages"].iloc[0].startswith("Lithuanian")
    assert (v["district"] != settings.UNKNOWN_DISTRICT).sum() > 90


def test_an_address_with_no_usable_point_takes_languages_from_its_own_reports(tmp_path):
    """No point, so no cells around it: its own reports' nationalities (in the view) say what to bring."""
    reports = f"""Report Ref,Date Received,Address,Postcode,Indicators,Nationalities,People Seen,Grading
X1,{day(-3)},"7 Nowhere Row, Wisbech",ZZ9 9ZZ,people collected by van early morning,Romanian,9,1-A-P
X2,{day(-4)},"7 Nowhere Row, Wisbech",ZZ9 9ZZ,mattresses on floors,Romanian; Lithuanian,9,1-A-P
X3,{day(-200)},"7 Nowhere Row, Wisbech",ZZ9 9ZZ,mattresses on floors,Polish,9,1-A-P
"""
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports}))
    try:
        row = visit_list(con, F90, TODAY).set_index("address").loc["7 Nowhere Row, Wisbech"]
    finally:
        con.close()
    assert pd.isna(row["lat"]) and row["reports"] == 2
    # not Polish: that report is out of the view
    assert row["languages"] == "Romanian (at the address), Lithuanian (at the address), Russian (at the address)"
    assert row["indicators"] == ["mattresses", "van_pickups"]


@pytest.mark.parametrize("few", [0, 8])
def test_a_licence_without_a_point_is_placed_at_its_reports(tmp_path, monkeypatch, few):
    """The licence names the address; its reports, with coordinates, say where it is. Both ways of
    describing candidates (analysis/visits.py `_describe`) fill in what the licence lacks. The postcode is in an
    area the lookup covers, though its outward code is not: a register of postcodes from areas the lookup lacks is
    another council's."""
    monkeypatch.setattr("analysis.visits._FEW_IDS", few)
    hmo = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Start Date,Licence Expiry Date
L9,"3 Quay Street, Wisbech",PE99 9QQ,4,{day(-300)},{day(400)}
"""
    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,People Seen,Grading
Q1,{day(-3)},"3 Quay Street, Wisbech",PE99 9QQ,52.6661,0.1588,people collected by van early morning,7,1-A-P
Q2,{day(-8)},3 QUAY STREET WISBECH,PE99 9QQ,,,mattresses on floors,3,2-B-P
U1,{day(-2)},"8 Quay Street, Wisbech",PE99 9QQ,52.6663,0.1590,curtains always drawn,2,2-B-P
"""
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": hmo, "reports": reports}))
    try:
        rows = visit_list(con, F90, TODAY).set_index("address")
    finally:
        con.close()
    licensed, unlicensed = rows.loc["3 Quay Street, Wisbech"], rows.loc["8 Quay Street, Wisbech"]
    assert licensed["licence_ref"] == "L9" and licensed["reports"] == 2 and licensed["postcode"] == "PE99 9QQ"
    assert (licensed["lat"], licensed["lon"]) == (52.6661, 0.1588)
    assert pd.isna(unlicensed["licence_ref"]) and (unlicensed["lat"], unlicensed["lon"]) == (52.6663, 0.159)


def test_an_address_that_names_no_place_is_no_door(tmp_path):
    """"No location", "Unknown" or "N/A" in the address column (etl/vocab/addresses.toml) is not one house
    that every such report in the county piles onto: those reports have no address, so they are not
    listed, yet they count on the map where they have a point. An address that merely starts with such
    a word is an address."""
    from analysis import map_layers

    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,People Seen,Grading
Z1,{day(-2)},No location,,52.6661,0.1588,people collected by van early morning,9,1-A-P
Z2,{day(-3)},NO LOCATION,,52.5740,-0.2410,people collected by van early morning,9,1-A-P
Z3,{day(-4)},Unknown,,52.2000,0.1300,mattresses on floors,9,1-A-P
Z4,{day(-5)},n/a,PE13 1AA,52.6650,0.1600,mattresses on floors,9,1-A-P
Z5,{day(-6)},"Unknown Farm, Wisbech",PE13 1AA,52.6650,0.1600,curtains always drawn,2,2-B-P
"""
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports}))
    try:
        listed = visit_list(con, F90, TODAY)
        keys = dict(con.execute("SELECT report_ref, addr_id IS NOT NULL FROM reports").fetchall())
        mapped = int(map_layers.report_hexes(con, F90)["reports"].sum())
    finally:
        con.close()
    assert listed["address"].tolist() == ["Unknown Farm, Wisbech"]
    assert keys == {"Z1": False, "Z2": False, "Z3": False, "Z4": False, "Z5": True}
    assert mapped == 5


def test_a_street_level_location_is_no_door(tmp_path):
    """police.uk gives every crime "On or near <street or landmark>", anonymised to a snap point: such a
    report counts on the map, but a visit list of doors does not send a team to "On or near Supermarket",
    nor make one house of a county's car parks. A street whose name only starts alike is an address."""
    from analysis import map_layers

    reports = f"""Crime ID,Month,Location,Latitude,Longitude
C1,{day(-2)},On or near Parking Area,52.6661,0.1588
C2,{day(-3)},On or near Parking Area,52.6661,0.1588
C3,{day(-4)},On or near Supermarket,52.5740,-0.2410
C4,{day(-5)},"2 Nearhurst Road, Wisbech",52.6650,0.1600
"""
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports}))
    try:
        listed = visit_list(con, F90, TODAY)
        mapped = int(map_layers.report_hexes(con, F90)["reports"].sum())
    finally:
        con.close()
    assert listed["address"].tolist() == ["2 Nearhurst Road, Wisbech"]
    assert mapped == 4


def test_the_same_words_without_a_postcode_in_two_towns_are_two_doors(tmp_path):
    """An address without a postcode is placed by its point (etl/address_ids.py): "12 High Street" in
    Wisbech and in March are two doors, each with its own reports, and only the Wisbech one takes the
    licence of "12 High Street, Wisbech" by its words. Reports of one door, placed alike, are one row;
    one with no point at all is all text, as before. The key a visit is recorded under agrees with the
    list's (operations/vocabulary.py)."""
    from operations import vocabulary

    hmo = f"""Licence Number,Address,Postcode,Maximum Occupants,Licence Expiry Date,Latitude,Longitude
L7,"12 High Street",PE13 1AA,6,{day(300)},52.6650,0.1600
"""
    reports = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,People Seen,Grading
W1,{day(-2)},12 High Street,,52.6652,0.1603,mattresses on floors,3,2-B-P
W2,{day(-3)},"12, High Street",,52.6652,0.1603,curtains always drawn,2,2-B-P
M1,{day(-4)},12 High Street,,52.5510,0.0880,people collected by van early morning,9,1-A-P
M2,{day(-5)},12 HIGH STREET,,52.5510,0.0880,mattresses on floors,8,1-A-P
M3,{day(-6)},12 High Street,,52.5510,0.0880,mattresses on floors,8,1-A-P
"""
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "hmo": hmo, "reports": reports}))
    try:
        listed = visit_list(con, F90, TODAY)
        ids = dict(con.execute("SELECT report_ref, addr_id FROM reports").fetchall())
    finally:
        con.close()
    assert ids["W1"] == ids["W2"] and ids["M1"] == ids["M2"] == ids["M3"] and ids["W1"] != ids["M1"]
    assert len(listed) == 2
    march = listed[listed["licence_ref"].isna()].iloc[0]
    wisbech = listed[listed["licence_ref"] == "L7"].iloc[0]
    assert (march["reports"], wisbech["reports"]) == (3, 2)
    assert (march["lat"], march["lon"]) == (52.551, 0.088)
    assert march["address_key"] == vocabulary.address_key("12 High Street", None, 52.5510, 0.0880)
    assert march["address_key"] != vocabulary.address_key("12 High Street", None, 52.6652, 0.1603)
    assert march["address_key"].startswith("A|12 HIGH STREET||8")


def test_a_tie_at_the_cut_of_languages_is_kept_whole():
    """Polish kept and Vietnamese dropped for the same four people would be a choice the data never made."""
    from analysis.settings import join_languages

    counts = {"Romanian": 9, "Polish": 4, "Vietnamese": 4, "Czech": 1}
    assert join_languages(counts, limit=2, skip=[]) == "Romanian, Polish, Vietnamese"
    assert join_languages(counts, limit=3, skip=[]) == "Romanian, Polish, Vietnamese"
    assert join_languages({"Romanian": 9, "Polish": 4, "Czech": 1}, limit=2, skip=[]) == "Romanian, Polish"


def test_possible_unlicensed_only_where_a_council_register_is_loaded(demo_con):  # noqa: F811
    """Where no council's register is loaded, "on no HMO licence register" is true of every address: a crowded
    address there is not called possibly unlicensed, on the visit list or on the map, nor scored as one."""
    from analysis import addresses, map_layers

    registered, _ = addresses.registered_districts(demo_con)
    f = dataclasses.replace(F90, date_from=TODAY - pd.Timedelta(days=364))
    rows = visit_list(demo_con, f, TODAY, limit=None)
    unlicensed = rows[rows["licence_status"] == "possible_unlicensed"]
    names = settings.district_names(demo_con)
    assert len(unlicensed) and set(unlicensed["district"]) <= {names[c] for c in registered}
    elsewhere = rows[~rows["district"].isin([names[c] for c in registered])]
    assert len(elsewhere) and (elsewhere["licence_status"] == "not an HMO on record").all()
    assert not elsewhere["reasons"].str.contains("no HMO licence register").any()
    unchecked = elsewhere[elsewhere["reasons"].str.contains("no council HMO register is loaded for")]
    assert len(unchecked) and all(f"no council HMO register is loaded for {d} to check" in why
                                  for d, why in zip(unchecked["district"], unchecked["reasons"]))
    # crowded by its signs alone (mattresses, many occupants) is said too, not only by people counted
    signs = set(settings.section("possible_unlicensed")["indicators"])
    placed = elsewhere[elsewhere["district"] != "Unknown district"]     # no district: no register to name
    by_signs = placed[[bool(signs & set(c)) and "people seen; no council" not in why
                       for c, why in zip(placed["indicators"], placed["reasons"])]]
    assert len(by_signs) and by_signs["reasons"].str.contains(
        "reported as crowded; no council HMO register is loaded for").all()
    markers = map_layers.hmo_markers(demo_con, f, TODAY)
    drawn = markers[markers["status"] == "possible_unlicensed"]
    assert len(drawn) and set(drawn["address"]) <= set(unlicensed["address"])


def test_the_languages_of_the_nationalities_reported_at_the_door_come_first():
    """The area's many counts outranked the address's own: a Latvian reported at the door fell below the area's
    four languages, and the team went without Latvian."""
    from collections import Counter

    from analysis.visits import language_support

    around = Counter({"Lithuanian": 9, "Russian": 5, "Albanian": 4, "Vietnamese": 3, "Latvian": 1})
    assert language_support(Counter(), around) == ("Russian (nearby), Lithuanian (nearby), Albanian (nearby), "
                                                   "Vietnamese (nearby)")
    assert language_support(Counter({"Albanian": 1, "Latvian": 1}), around) == (
        "Albanian (at the address), Latvian (at the address), Russian (at the address), Lithuanian (nearby)")
    # the area fills what room is left
    assert language_support(Counter({"Polish": 1}), Counter({"Romanian": 9, "Vietnamese": 4, "Czech": 4})) == (
        "Polish (at the address), Romanian (nearby), Czech (nearby), Vietnamese (nearby)")
    # an address whose own nationalities need more languages than the limit lists none of the area's
    many = Counter({"Albanian": 1, "Latvian": 1, "Vietnamese": 1, "Romanian": 1, "Polish": 1})
    assert language_support(many, around) == ("Albanian (at the address), Latvian (at the address), "
                                               "Polish (at the address), Romanian (at the address), "
                                               "+1 more (at the address)")


def test_a_district_tie_goes_to_the_least_code_on_every_run():
    """A group of reports split evenly across a district line keeps one district between rebuilds: DuckDB's
    `mode` gave whichever code its hash table met first (here the later-sorting one)."""
    import duckdb

    from analysis.addresses import most_common
    con = duckdb.connect()
    con.execute("SET threads = 1")
    rows = [(1, "E07000010"), (1, "E06000031"), (2, None), (3, "E07000011"), (3, "E07000008"), (3, "E07000008"),
            (4, "E07000012"), (4, None)]
    got = con.execute(f"SELECT g, {most_common('d')} FROM (VALUES {', '.join('(?, ?)' for _ in rows)}) t(g, d) "
                      "GROUP BY g ORDER BY g", [v for r in rows for v in r]).fetchall()
    assert got == [(1, "E06000031"), (2, None), (3, "E07000008"), (4, "E07000012")]
