"""An address placed only at its postcode area's centre says so in its reasons (and so in the briefing pack and
the exports): a map pin and six decimals look like a door, and a team would knock on the wrong one."""
from __future__ import annotations

import datetime as dt

import pytest

from analysis.filters import Filters
from analysis.visits import visit_list
from operations import briefing_pdf, plans
from tests.analysis_fixtures import TODAY, build_warehouse, connect, day
from tests.test_briefing_pack import START, pack, pdf_text

F = Filters(TODAY - dt.timedelta(days=89), TODAY)
SAID = "position approximate (postcode area centre)"
# PE13 8QQ, PE13 7QQ and PE13 6QQ are in no lookup: placed at the centre of PE13's postcodes (`postcode_district`).
POSTCODES = """postcode,latitude,longitude,lad_code
PE13 1AA,52.6650,0.1600,E07000010
PE13 2ZZ,52.6700,0.1500,E07000010
"""
HMO = f"""Licence Number,Address,Postcode,Licence Start Date,Licence Expiry Date
L1,"5 Fen Road, Wisbech",PE13 7QQ,{day(-800)},{day(-20)}
L2,"9 Dock Road, Wisbech",PE13 6QQ,{day(-800)},{day(-20)}
L3,"3 Mill Lane, Wisbech",PE13 2ZZ,{day(-800)},{day(-20)}
"""
HEAD = "Report Ref,Date Received,Address,Postcode,Indicators\n"


def reports(approximate: int, exact: int) -> str:
    rows = [f'A{i},{day(-i - 1)},"{i + 10} Quay Way, Wisbech",PE13 8QQ,mattresses on floors\n'
            for i in range(approximate)]
    rows += [f'E{i},{day(-i - 1)},"{i + 1} Mill Lane, Wisbech",PE13 2ZZ,mattresses on floors\n' for i in range(exact)]
    rows.append(f'D1,{day(-2)},"9 Dock Road, Wisbech",PE13 6QQ,mattresses on floors\n')
    return HEAD + "".join(rows)


@pytest.fixture(scope="module", params=[(1, 1), (6, 6)], ids=["few unlicensed", "many unlicensed"])
def listed(request, tmp_path_factory):
    """Few addresses on no licence take their facts from a scan each, many from one pass: both say it."""
    approximate, exact = request.param
    db = build_warehouse(tmp_path_factory.mktemp("approx"),
                         {"postcodes": POSTCODES, "hmo": HMO, "reports": reports(approximate, exact)})
    con = connect(db)
    try:
        yield visit_list(con, F, TODAY, limit=None).set_index("address")
    finally:
        con.close()


def test_the_warehouse_places_them_at_the_postcode_area_centre(listed):
    assert listed.loc["10 Quay Way, Wisbech", "lat"] == pytest.approx(52.6675)


def test_reported_addresses_placed_at_the_area_centre_say_so(listed):
    assert listed.loc["10 Quay Way, Wisbech", "reasons"].endswith(SAID + ": find the door on arrival")
    assert SAID not in listed.loc["1 Mill Lane, Wisbech", "reasons"]


def test_licences_placed_at_the_area_centre_say_so(listed):
    assert SAID in listed.loc["5 Fen Road, Wisbech", "reasons"]     # no reports: the register's own point
    assert SAID in listed.loc["9 Dock Road, Wisbech", "reasons"]     # reported, placed by its licence
    assert SAID not in listed.loc["3 Mill Lane, Wisbech", "reasons"]


def test_the_briefing_pack_says_so(listed):
    stops = plans.ordered(listed.reset_index().head(4), START)
    flat = " ".join(pdf_text(briefing_pdf.render(pack(stops=stops))).split())
    assert SAID in flat
