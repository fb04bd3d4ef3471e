"""The Overview's nationality table: the most mentioned first, ties by name, and "Unknown" (not stated) last
whatever its count: a lead reads it for the languages to bring, and "Unknown" names none."""
from __future__ import annotations

import datetime as dt

from analysis import overview as ov
from analysis.filters import Filters
from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, connect, day

F30 = Filters(TODAY - dt.timedelta(days=29), TODAY)


def _csv(header: str, prefix: str, values: list[str]) -> str:
    return header + "".join(f"{prefix}{i},{day(-i)},PE13 2ZZ,{v}\n" for i, v in enumerate(values, start=1))


# Reports: Polish 3, then Lithuanian and Romanian 2 each, Albanian and Vietnamese 1 each (given in another order);
# "not stated" leaves a report's list empty. Cases: 6 with no nationality, or one not stated.
REPORTS = _csv("Report Ref,Date Received,Postcode,Nationalities\n", "R",
               ["Vietnamese", "Romanian", "Polish", "not stated", "Lithuanian", "Polish", "Albanian", "Romanian",
                "Polish", "Lithuanian"])
CASES = _csv("Case Reference,Date Opened,Postcode,Nationality\n", "C", ["", "not stated", "n/k", "", "Unknown", ""])


def test_largest_first_ties_by_name_and_unknown_last(tmp_path):
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": REPORTS, "cases": CASES}))
    try:
        table = ov.nationality_languages(con, F30)
    finally:
        con.close()
    assert table["nationality"].tolist() == ["Polish", "Lithuanian", "Romanian", "Albanian", "Vietnamese",
                                             "Unknown"]
    assert table["reports"].tolist() == [3, 2, 2, 1, 1, 0]
    assert table["cases"].iloc[-1] == 6      # one row for every spelling of "not stated", and blanks


def test_the_order_is_the_same_whatever_the_order_of_the_rows(tmp_path):
    backwards = _csv("Report Ref,Date Received,Postcode,Nationalities\n", "R",
                     ["Lithuanian", "Polish", "Romanian", "Albanian", "Polish", "Lithuanian", "not stated", "Polish",
                      "Romanian", "Vietnamese"])
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": backwards, "cases": CASES}))
    try:
        table = ov.nationality_languages(con, F30)
    finally:
        con.close()
    assert table["nationality"].tolist() == ["Polish", "Lithuanian", "Romanian", "Albanian", "Vietnamese",
                                             "Unknown"]
