"""Overview: headline numbers against the previous period, a zero-filled weekly trend, breakdowns."""
from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pytest

from analysis import overview as ov, settings
from analysis.filters import NO_DISTRICT, Filters
from tests.analysis_fixtures import POSTCODES, TODAY, build_warehouse, connect, day, demo_con, demo_db  # noqa: F401

# 30 days to today; the previous period is the 30 days before.
F30 = Filters(TODAY - dt.timedelta(days=29), TODAY)

# Licence dates relative to today: start, expiry.   now: in force / expiring / expired in period
HMO = f"""Licence Number,Address,Postcode,Licence Start Date,Licence Expiry Date
A,"1 Mill Lane, Wisbech",PE13 2ZZ,{day(-730)},{day(730)}
B,"2 Mill Lane, Wisbech",PE13 2ZZ,{day(-700)},{day(30)}
C,"3 Mill Lane, Wisbech",PE13 2ZZ,{day(-700)},{day(-10)}
D,"4 Mill Lane, Wisbech",PE13 2ZZ,{day(-10)},{day(1800)}
E,"5 Mill Lane, Wisbech",PE13 2ZZ,{day(-800)},{day(-45)}
G,"6 Mill Lane, Wisbech",PE13 2ZZ,{day(-800)},{day(80)}
H,"7 Mill Lane, Wisbech",PE13 2ZZ,{day(-800)},{day(-5)}
P,"1 Station Road, Peterborough",PE1 9ZZ,{day(-800)},{day(800)}
"""
REPORTS = f"""Report Ref,Date Received,Address,Postcode,Indicators,Nationalities,Exploitation Type,Source Type
R1,{day(0)},"1 Mill Lane, Wisbech",PE13 2ZZ,mattresses on floors; curtains always drawn,Lithuanian,Labour,Police
R2,{day(-3)},"1, MILL LANE, WISBECH",PE13 2ZZ,mattresses on floors,Lithuanian,Labour,Public
R3,{day(-29)},"9 Quay Way, Wisbech",PE13 1AA,curtains always drawn,Romanian,Sexual,Public
R4,{day(-30)},"9 Quay Way, Wisbech",PE13 1AA,,Romanian,Labour,GLAA
R5,{day(-59)},"1 Station Road, Peterborough",PE1 9ZZ,,Polish,Labour,Police
R6,{day(-60)},"1 Station Road, Peterborough",PE1 9ZZ,,Polish,Labour,Police
R7,{day(-10)},"1 Station Road, Peterborough",PE1 9ZZ,curtains always drawn,Vietnamese,Criminal,Council
"""
CASES = f"""Case Reference,Date Opened,Postcode,Nationality,Exploitation Type
C1,{day(-1)},PE13 2ZZ,Lithuanian,Labour
C2,{day(-2)},PE13 2ZZ,Lithuanian,Labour
C3,{day(-3)},PE13 2ZZ,Lithuanian,Labour
C4,{day(-4)},PE1 9ZZ,Vietnamese,Labour
C5,{day(-40)},PE13 2ZZ,Romanian,Labour
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    db = build_warehouse(tmp_path_factory.mktemp("overview"),
                         {"postcodes": POSTCODES, "hmo": HMO, "reports": REPORTS, "cases": CASES})
    con = connect(db)
    yield con
    con.close()


def test_headline_against_the_previous_period(tiny):
    metrics = {m.key: m for m in ov.headline(tiny, F30, TODAY)}
    assert list(metrics) == ["reports", "addresses", "hmos_licensed", "hmos_expiring", "hmos_expired", "cases"]
    got = {k: (m.value, m.previous) for k, m in metrics.items()}
    assert got == {
        "reports": (4, 2),             # R1 R2 R3 R7 | R4 R5 (R6 is a day too early)
        "addresses": (3, 2),           # 1 Mill Lane (two spellings), 9 Quay Way, 1 Station Road | Quay Way, Station Road
        "hmos_licensed": (5, 6),       # A B D G P | A B C G H P (as of the day before the period)
        "hmos_expiring": (2, 3),       # B G | B C H
        "hmos_expired": (2, 1),        # C H | E
        "cases": (4, None),            # 1 before: fewer than 3 is not shown as a number
    }
    assert metrics["cases"].hidden is None and "not shown as a number" in metrics["cases"].help
    one = {m.key: m for m in ov.headline(tiny, dataclasses.replace(F30, nationalities=("Vietnamese",)), TODAY)}
    assert (one["cases"].value, one["cases"].hidden) == (None, "fewer than 3")   # one Vietnamese victim case
    assert all(m.label and m.help for m in metrics.values())
    # counts only the dates' expiries (C H, not E), while the map draws all 3 expired: the label says so
    assert metrics["hmos_expired"].label == "HMOs expired in these dates"


def test_no_change_in_victim_cases_against_days_no_case_file_speaks_for(tiny):
    """Two years of cases against the two years before the case file's first case showed "+5", as reports did
    before report_coverage."""
    f = Filters(TODAY - dt.timedelta(days=729), TODAY)
    got = {m.key: m for m in ov.headline(tiny, f, TODAY)}
    assert (got["cases"].value, got["cases"].previous) == (5, None)
    assert "No loaded file speaks for the previous 730 days" in got["cases"].help
    assert ov.case_coverage(tiny) == [(TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=1))]


def test_headline_follows_the_district_filter(tiny):
    fenland = dataclasses.replace(F30, districts=("E07000010",))
    got = {m.key: (m.value, m.previous) for m in ov.headline(tiny, fenland, TODAY)}
    assert got["reports"] == (3, 1) and got["hmos_licensed"] == (4, 5) and got["cases"] == (3, None)


def test_weekly_trend_fills_every_week_and_district(tiny):
    f = Filters(TODAY - dt.timedelta(days=62), TODAY)
    unit, trend = ov.report_trend(tiny, f)
    assert unit == "week" and list(trend.columns) == ["period", "district", "reports"]
    weeks = sorted(set(trend["period"]))
    assert all(w.weekday() == 0 for w in weeks)
    assert weeks[0] <= f.date_from < weeks[0] + dt.timedelta(days=7) and weeks[-1] <= TODAY < weeks[-1] + dt.timedelta(days=7)
    assert all((b - a).days == 7 for a, b in zip(weeks, weeks[1:]))
    assert len(trend) == len(weeks) * 6                      # all six districts, every week
    assert trend["reports"].sum() == 7
    assert (trend["reports"] == 0).sum() > len(trend) - 7
    by_district = trend.groupby("district")["reports"].sum().to_dict()
    assert by_district["Fenland"] == 4 and by_district["Peterborough"] == 3 and by_district["Cambridge"] == 0


def test_weekly_trend_on_the_demo_with_unknown_districts(demo_con):
    f = Filters.default(TODAY)
    unit, trend = ov.report_trend(demo_con, f)
    total = demo_con.execute("SELECT count(*) FROM reports WHERE received_on BETWEEN ? AND ?",
                             [f.date_from, f.date_to]).fetchone()[0]
    assert unit == "week" and trend["reports"].sum() == total
    assert trend.groupby("period").size().nunique() == 1     # same districts every week


def test_the_no_district_choice_charts_only_the_reports_in_none(demo_con):
    f = dataclasses.replace(Filters.default(TODAY), districts=(NO_DISTRICT,))
    unit, trend = ov.report_trend(demo_con, f)
    total = demo_con.execute("SELECT count(*) FROM reports WHERE received_on BETWEEN ? AND ? AND district_code IS NULL",
                             [f.date_from, f.date_to]).fetchone()[0]
    assert total > 0 and trend["reports"].sum() == total
    assert set(trend["district"]) == {settings.UNKNOWN_DISTRICT}


def test_reports_dated_by_month_alone_are_counted_by_month(tmp_path):
    """police.uk dates every crime by its month (the 1st): by week that is one spike a month. Such a view is
    counted by calendar month; one report on another day makes it weekly again."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse, connect

    months = [dt.date(2021, 1, 1), dt.date(2020, 12, 1), dt.date(2020, 11, 1)]
    rows = "".join(f"C{i},{months[i % 3]:%Y-%m},On or near Parking Area,52.6661,0.1588\n" for i in range(36))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": "Crime ID,Month,Location,Latitude,Longitude\n" + rows})
    con = connect(db)
    try:
        f = Filters(dt.date(2020, 10, 15), dt.date(2021, 1, 31))
        unit, trend = ov.report_trend(con, f)
        assert unit == "month"
        # October is before the first report the warehouse holds: not known, so not drawn as a zero.
        assert sorted(set(trend["period"])) == [dt.date(2020, 11, 1), dt.date(2020, 12, 1), dt.date(2021, 1, 1)]
        assert trend.groupby("period")["reports"].sum().tolist() == [12, 12, 12]
        one_month = ov.report_trend(con, Filters(dt.date(2020, 12, 1), dt.date(2020, 12, 31)))  # 31 days: a month
        assert one_month[0] == "month" and one_month[1]["reports"].sum() == 12
    finally:
        con.close()
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE reports SET received_on = DATE '2020-12-02' WHERE report_ref = 'C1'")
        assert ov.report_trend(con, f)[0] == "week"
    finally:
        con.close()


def test_a_view_mixing_a_month_dated_source_with_others_is_counted_by_month(tmp_path):
    """police.uk beside a feed dated by day: by week, police.uk's crimes were a spike in the week of each 1st.
    By month, unless its reports are only a small part of the view."""
    from etl.loading import load_file
    from tests.analysis_fixtures import POSTCODES, build_warehouse

    months = [dt.date(2021, 1, 1), dt.date(2020, 12, 1), dt.date(2020, 11, 1)]
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": "Crime ID,Month,Location,Latitude,Longitude\n"
                                    + "".join(f"C{i},{months[i % 3]:%Y-%m},On or near Parking Area,52.6661,0.1588\n"
                                              for i in range(36))})
    f = Filters(dt.date(2020, 11, 1), dt.date(2021, 1, 31))

    def feed(name: str, n: int) -> None:
        path = tmp_path / f"{name}.csv"
        path.write_text("Ref,Date,Postcode\n" + "".join(
            f"{name}{i},{dt.date(2020, 11, 2) + dt.timedelta(days=i % 85):%d/%m/%Y},PE13 1AA\n" for i in range(n)),
            encoding="utf-8")
        load_file("reports", path, db=db, source=name)

    feed("partner", 20)
    with duckdb.connect(str(db), read_only=True) as con:
        unit, trend = ov.report_trend(con, f)
        assert unit == "month" and trend["reports"].sum() == 56
    feed("intelligence", 400)   # police.uk now 36 of 456 reports: by week, as the day-dated feeds are written
    with duckdb.connect(str(db), read_only=True) as con:
        assert ov.report_trend(con, f)[0] == "week"


def test_breakdowns(tiny):
    ind = ov.breakdown(tiny, F30, "indicator")
    assert ind.values.tolist() == [["Curtains always drawn", 3], ["Mattresses on floors", 2]]
    ex = ov.breakdown(tiny, F30, "exploitation_type")
    assert ex.values.tolist() == [["Labour", 2], ["Criminal", 1], ["Sexual", 1]]
    src = ov.breakdown(tiny, F30, "source_type")
    assert dict(src.values.tolist()) == {"Public": 2, "Police": 1, "Council": 1}
    with pytest.raises(ValueError):
        ov.breakdown(tiny, F30, "summary; DROP TABLE reports")


def test_the_languages_to_bring_leave_out_those_officers_speak(demo_con):  # noqa: F811
    nl = ov.nationality_languages(demo_con, Filters.default(TODAY)).set_index("nationality")
    assert nl.loc["British", "languages"] == ""                  # not "English"
    assert nl.loc["Lithuanian", "languages"] == "Lithuanian, Russian"


def test_nationality_languages_hides_small_case_counts(tiny):
    nl = ov.nationality_languages(tiny, F30).set_index("nationality")
    # Vietnamese's one case is hidden; Lithuanian's 3 are hidden too, or the headline's 4 less 3 would tell it.
    assert nl.loc["Lithuanian", "reports"] == 2 and nl.loc["Lithuanian", "cases"] is __import__("pandas").NA
    assert nl.loc["Lithuanian", "languages"] == "Lithuanian, Russian"
    assert nl.loc["Vietnamese", "reports"] == 1 and nl.loc["Vietnamese", "cases"] is __import__("pandas").NA
    assert nl.loc["Romanian", "cases"] == 0
    alone = ov.nationality_languages(tiny, dataclasses.replace(F30, nationalities=("Vietnamese",),
                                                                source_types=("police",)))
    # no report, one case: listed for its language, its count hidden as the headline's "fewer than 3" is
    assert alone["nationality"].tolist() == ["Vietnamese"] and alone["cases"].isna().all()
    assert alone["languages"].tolist() == ["Vietnamese"]
    wide = ov.nationality_languages(tiny, dataclasses.replace(F30, date_from=TODAY - dt.timedelta(days=60)))
    # Vietnamese 1 and Romanian 1 hidden add up to 2, which tells both: Lithuanian's 3 are hidden too.
    hidden = wide.set_index("nationality")["cases"].isna()
    assert hidden[["Lithuanian", "Vietnamese", "Romanian"]].all() and not hidden["Polish"]


def test_every_nationality_with_cases_is_listed_with_its_languages(tmp_path):
    """East Cambridgeshire's Vietnamese (2) and Bulgarian (1) cases, in no report, were left out of the table and
    of the languages to bring: 3 of its 7 cases, while Lithuanian and Polish showed "fewer than 3"."""
    reports = (f"Report Ref,Date Received,Postcode,Nationalities\nR1,{day(-1)},PE13 2ZZ,Lithuanian\n"
               f"R2,{day(-2)},PE13 2ZZ,Polish\n")
    cases = "Case Reference,Date Opened,Postcode,Nationality\n" + "".join(
        f"C{i},{day(-i)},PE13 2ZZ,{nat}\n" for i, nat in enumerate(
            ["Vietnamese", "Vietnamese", "Polish", "Polish", "Bulgarian", "Lithuanian", "Lithuanian"], start=1))
    con = connect(build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": reports, "cases": cases}))
    try:
        nl = ov.nationality_languages(con, F30)
    finally:
        con.close()
    assert sorted(nl["nationality"]) == ["Bulgarian", "Lithuanian", "Polish", "Vietnamese"]
    assert nl["cases"].isna().all()                          # every count below 3: none shown
    got = nl.set_index("nationality")["languages"]
    assert (got["Vietnamese"], got["Bulgarian"]) == ("Vietnamese", "Bulgarian")
    # ordered by what is shown: Vietnamese's 2 hidden cases do not put it above Bulgarian's 1
    assert nl["nationality"].tolist() == ["Lithuanian", "Polish", "Bulgarian", "Vietnamese"]


def test_the_trend_leaves_out_the_days_no_file_speaks_for(tmp_path):
    """Weeks before the first file's reports, between two files and after the last are "not known", not zero: a
    long view of a short archive, or of two files a year apart, drew them as a fall to nothing. Weeks inside a
    file's days are zeros when empty: a quiet week is news. Each unbroken run of weeks is drawn as its own line."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse

    first = dt.date(2024, 3, 6)   # a Wednesday
    rows = "".join(f"R{i},{first + dt.timedelta(days=7 * i):%d/%m/%Y},PE13 1AA\n" for i in (0, 1, 4))
    db = build_warehouse(tmp_path, {"postcodes": POSTCODES, "reports": "Report Ref,Date Received,Postcode\n" + rows})
    later = tmp_path / "later.csv"
    later.write_text("Report Ref,Date Received,Postcode\nL1,12/06/2024,PE13 1AA\n", encoding="utf-8")
    from etl.loading import load_file
    load_file("reports", later, db=db, source="later")
    con = duckdb.connect(str(db))
    try:
        assert ov.report_coverage(con) == [(first, dt.date(2024, 4, 3)), (dt.date(2024, 6, 12), dt.date(2024, 6, 12))]
        unit, trend = ov.report_trend(con, Filters(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
        weeks = sorted(set(trend["period"]))
        assert unit == "week" and weeks == [dt.date(2024, 3, 4) + dt.timedelta(days=7 * i) for i in range(5)] + [
            dt.date(2024, 6, 10)]
        assert trend.groupby("period")["reports"].sum().tolist() == [1, 1, 0, 0, 1, 1]
        assert ov.runs(weeks, "week") == [0, 0, 0, 0, 0, 1]
        assert ov.runs([dt.date(2020, 11, 1), dt.date(2020, 12, 1), dt.date(2021, 2, 1)], "month") == [0, 0, 1]
        con.execute("DELETE FROM reports")
        assert ov.report_coverage(con) == []
        assert ov.report_trend(con, Filters(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))[1]["reports"].sum() == 0
    finally:
        con.close()


def test_a_month_dated_file_speaks_for_its_whole_month(tmp_path):
    """police.uk dates every crime by its month (the 1st): two monthly downloads a year apart cover two months."""
    from tests.analysis_fixtures import POSTCODES, build_warehouse
    from etl.loading import load_file

    db = build_warehouse(tmp_path, {"postcodes": POSTCODES})
    for month in ("2019-08", "2021-01"):
        path = tmp_path / f"{month}.csv"
        path.write_text("Crime ID,Month,Location,Latitude,Longitude\n" + "".join(
            f"{month}-{i},{month},On or near Parking Area,52.6661,0.1588\n" for i in range(12)), encoding="utf-8")
        load_file("reports", path, db=db, source="police.uk")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert ov.report_coverage(con) == [(dt.date(2019, 8, 1), dt.date(2019, 8, 31)),
                                           (dt.date(2021, 1, 1), dt.date(2021, 1, 31))]
        unit, trend = ov.report_trend(con, Filters(dt.date(2019, 6, 1), dt.date(2021, 3, 31)))
        assert unit == "month" and sorted(set(trend["period"])) == [dt.date(2019, 8, 1), dt.date(2021, 1, 1)]
        # January against December, which no file speaks for: no "+12", and the help says why.
        got = {m.key: m for m in ov.headline(con, Filters(dt.date(2021, 1, 1), dt.date(2021, 1, 31)), TODAY)}
        assert (got["reports"].value, got["reports"].previous) == (12, None)
        assert "No loaded file speaks for the previous 31 days" in got["reports"].help
        assert got["hmos_licensed"].previous == 0                      # licences have their own dates
        # September against 2-31 August, which the August file speaks for: a change is shown, from its 0.
        assert ov.headline(con, Filters(dt.date(2019, 9, 1), dt.date(2019, 9, 30)), TODAY)[0].previous == 0
        # January to June 2020, between the files: each side offered whole, not "1 Aug 2019 to 1 Aug 2019".
        assert ov.reported_dates(con, dt.date(2019, 8, 1), dt.date(2021, 1, 1), 182) == [
            (dt.date(2019, 8, 1), dt.date(2019, 8, 31)), (dt.date(2021, 1, 1), dt.date(2021, 1, 31))]
    finally:
        con.close()
