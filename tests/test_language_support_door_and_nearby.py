"""Language support says which languages are the door's and which only the area's, and keeps to its limit.

A browser probe found 13 High Way, Wisbech, with 12 reports all naming Lithuanians, listed with "Lithuanian,
Russian, Albanian, Vietnamese": the area's languages read as the door's, and a team could book an Albanian
interpreter for a Lithuanian house. With ties kept whole, another address listed 6 languages against a limit of 4.
"""
from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from analysis import settings
from analysis.filters import Filters
from analysis.visits import language_support, visit_list
from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, connect, day

F90 = Filters.default(TODAY)
LIMIT = int(settings.section("visits")["max_languages"])

# 13 and 20 High Way share a point (one H3 cell): each is the other's "nearby". 51 Windmill Row is in
# Peterborough, far from both, with five single-language nationalities reported once each next door.
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Indicators,Nationalities,People Seen,Grading
H1,{day(-2)},"13 High Way, Wisbech",PE13 1AA,people collected by van early morning,Lithuanian,8,1-A-P
H2,{day(-4)},"13 High Way, Wisbech",PE13 1AA,mattresses on floors,Lithuanian,8,1-A-P
H3,{day(-6)},"13 High Way, Wisbech",PE13 1AA,people collected by van early morning,Lithuanian,8,1-B-P
N1,{day(-8)},"20 High Way, Wisbech",PE13 1AA,curtains always drawn,Albanian,3,2-C-P
N2,{day(-9)},"20 High Way, Wisbech",PE13 1AA,curtains always drawn,Albanian; Vietnamese,3,2-C-P
W1,{day(-3)},"51 Windmill Row, Peterborough",PE1 9ZZ,people collected by van early morning,Polish,6,1-A-P
W2,{day(-20)},"53 Windmill Row, Peterborough",PE1 9ZZ,curtains always drawn,Albanian; Bulgarian; Czech,2,3-C-P
W3,{day(-21)},"53 Windmill Row, Peterborough",PE1 9ZZ,curtains always drawn,Romanian; Vietnamese,2,3-C-P
"""


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    con = connect(build_warehouse(tmp_path_factory.mktemp("languages"), {"postcodes": POSTCODES,
                                                                          "reports": REPORTS}))
    try:
        yield visit_list(con, F90, TODAY).set_index("address")["languages"], con
    finally:
        con.close()


def _items(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def test_the_door_s_languages_are_marked_apart_from_the_area_s(listed):
    languages, _ = listed
    lithuanian_house = languages["13 High Way, Wisbech"]
    assert lithuanian_house == ("Lithuanian (at the address), Russian (at the address), "
                                "Albanian (nearby), Vietnamese (nearby)")
    # and the other way round: the Lithuanians next door are nearby, not at 20 High Way
    assert languages["20 High Way, Wisbech"] == ("Albanian (at the address), Vietnamese (at the address), "
                                                 "Lithuanian (nearby), Russian (nearby)")
    # a visit plan splits the text on commas (operations/plans.py): one language per item, its tag with it
    from operations import plans

    brought = plans.languages(pd.DataFrame({"languages": [lithuanian_house]}))
    assert "Albanian (nearby)" in brought and "Albanian" not in brought and len(brought) == 4


def test_the_limit_holds_and_says_how_many_more_are_equally_needed(listed):
    """Polish at the door; five languages tied next door: three fit, "+2 more" says the rest, not six names."""
    languages, _ = listed
    text = languages["51 Windmill Row, Peterborough"]
    named = [x for x in _items(text) if not x.startswith("+")]
    assert len(named) == LIMIT == 4
    assert text == ("Polish (at the address), Albanian (nearby), Bulgarian (nearby), Czech (nearby), "
                    "+2 more (nearby)")
    assert all(len([x for x in _items(t) if not x.startswith("+")]) <= LIMIT for t in languages)


def test_the_export_says_the_same(listed):
    from analysis.export_files import priority_frame

    languages, con = listed
    exported = priority_frame(con, F90, TODAY).set_index("address")["languages"]
    assert exported["13 High Way, Wisbech"] == languages["13 High Way, Wisbech"]
    assert exported["51 Windmill Row, Peterborough"].endswith("+2 more (nearby)")


def test_a_door_with_more_languages_than_the_limit_lists_the_limit_and_no_area_language():
    own = Counter({"Albanian": 1, "Latvian": 1, "Vietnamese": 1, "Romanian": 1, "Polish": 1})
    around = Counter({"Lithuanian": 9, "Czech": 4})
    text = language_support(own, around)
    # Latvian brings Latvian and Russian (Russian at half weight, below the tie of five)
    assert text == ("Albanian (at the address), Latvian (at the address), Polish (at the address), "
                    "Romanian (at the address), +1 more (at the address)")
    assert "nearby" not in text
    assert language_support(Counter(), Counter()) == ""
    assert language_support(Counter(), Counter({"Czech": 2})) == "Czech (nearby)"


def test_the_briefing_cover_lists_languages_not_a_stop_s_count_of_more():
    """Split on commas, a stop's "+2 more (nearby)" sorted first on the cover, as if it were a language."""
    from operations import briefing_pdf

    stops = pd.DataFrame({"languages": ["Lithuanian (at the address), Russian (at the address), Albanian (nearby), "
                                        "+2 more (nearby)", "Romanian (at the address)", None]})
    assert briefing_pdf._languages_to_bring(stops) == (
        "Lithuanian (at the address), Romanian (at the address), Russian (at the address), Albanian (nearby) "
        "(and more at some stops: see each stop)")
    assert briefing_pdf._languages_to_bring(stops.iloc[2:]) == "none identified"


def test_a_plan_lists_each_language_once_the_door_s_first():
    """Across a plan's stops a language needed at one stop's door and near another is the door's, listed once;
    a stop's "+N more" is no language; a plan saved before the tags keeps its plain names."""
    from operations import plans

    stops = pd.DataFrame({"languages": [
        "Lithuanian (at the address), Russian (at the address), Albanian (nearby), +2 more (nearby)",
        "Albanian (nearby), Lithuanian (nearby)",
        "Romanian (at the address), Albanian (nearby)",
        None]})
    assert plans.languages(stops) == ["Lithuanian (at the address)", "Romanian (at the address)",
                                      "Russian (at the address)", "Albanian (nearby)"]
    assert plans.more_languages_at_some_stops(stops)
    assert plans.languages(pd.DataFrame({"languages": ["Lithuanian, Russian", "Romanian"]})) == [
        "Lithuanian", "Romanian", "Russian"]
    assert not plans.more_languages_at_some_stops(pd.DataFrame({"languages": ["Lithuanian, Russian"]}))
