"""What a tactical lead saw on warehouses with part of the reference files (3 December, fifth round).

- Reports loaded, but no district boundaries and no postcode lookup: the Overview said "By district: Unknown district
  3, Cambridge 0, East Cambridgeshire 0, …", six counts of zero where no report could be in any district; the
  sidebar's District filter offered six districts that all showed nothing; the Map said "2 with no usable location"
  and not that no postcode lookup was loaded to place them. The pages now say why, and who loads what.
- Boundaries for all six districts, reports only in Fenland's (a force that began with one council): the hotspot
  statistics judged Fenland's hexagons against five districts no report file covers, and nothing said so. The Map
  (and the Visit list, whose "in a hotspot" comes from the same statistics) now name those districts and suggest
  choosing the districts with reports. The statistics are not changed.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.analysis_fixtures import TODAY, build_warehouse, connect, day
from tests.helpers import app_signed_in, dashboard_on

PASSWORD = "dec3e-pages-password"
NO_DISTRICTS = "No district boundaries are loaded"
NO_LOOKUP = "No postcode lookup is loaded, so the 2 reports with only a postcode have no position."

# Two reports with only a postcode (no lookup to place them), one with coordinates (placed, in no district).
REPORTS_ONLY = f"""Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,Nationalities,Exploitation Type,Source Type
P1,{day(-2)},"1 Mill Lane, Wisbech",PE13 2ZZ,,,mattresses on floors,Lithuanian,Labour,Police
P2,{day(-5)},"2 Mill Lane, Wisbech",PE13 2ZZ,,,curtains always drawn,Romanian,Labour,Public
C1,{day(-9)},"3 Fen Road, Wisbech",,52.6650,0.1600,curtains always drawn,Romanian,Labour,Police
"""


def _fenland_reports() -> str:
    """36 reports in Fenland's rectangle (bench.etl_speed.write_boundaries: north row, middle) in the last weeks, 24
    of them on one street (a hot spot), and one in Cambridge's (south row, east) 400 days ago: outside the default
    dates, yet a report file covers Cambridge."""
    rows = [f"F{i},{day(-3 - i % 40)},{i} Fen Road,,{52.65 if i < 24 else 52.55 + 0.02 * (i % 4):.4f},"
            f"{0.10 if i < 24 else 0.0 + 0.03 * (i % 3):.4f},mattresses on floors,Lithuanian,Labour,Police"
            for i in range(36)]
    rows.append(f"K1,{day(-400)},1 Hills Road,,52.2000,0.3000,curtains always drawn,Romanian,Labour,Police")
    return ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude,Indicators,Nationalities,"
            "Exploitation Type,Source Type\n" + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def reports_only(tmp_path_factory):
    """`etl init`, then a report file: no boundaries, no postcode lookup."""
    return build_warehouse(tmp_path_factory.mktemp("reports-only"), {"reports": REPORTS_ONLY})


@pytest.fixture(scope="module")
def fenland_only(tmp_path_factory):
    from bench.etl_speed import write_boundaries

    folder = tmp_path_factory.mktemp("fenland-only")
    outlines = write_boundaries(folder / "six.geojson").read_text()
    return build_warehouse(folder, {"boundaries": outlines, "reports": _fenland_reports()})


def _sidebar_captions(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


# --- no boundaries, no postcode lookup --------------------------------------------------------------------------

def test_the_trend_has_no_zero_line_for_a_district_no_report_can_be_in(reports_only):
    from analysis import overview as ov
    from analysis.filters import Filters

    con = connect(reports_only)
    try:
        unit, trend = ov.report_trend(con, Filters(TODAY - dt.timedelta(days=89), TODAY))
    finally:
        con.close()
    assert set(trend["district"]) == {"Unknown district"}, set(trend["district"])   # not Cambridge 0, Fenland 0, …
    assert trend["reports"].sum() == 3


def test_the_overview_says_no_district_can_be_known_and_who_loads_the_boundaries(reports_only, tmp_path, monkeypatch):
    dashboard_on(reports_only, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/overview.py", password=PASSWORD)
    said = " ".join(i.value for i in at.info)
    assert NO_DISTRICTS in said and "An analyst loads the district boundaries" in said, said
    assert "etl load" not in said, said                                        # a viewer has no shell
    words = next(c.value.replace("\\", "") for c in at.caption if "By district" in c.value)   # markdown-escaped
    assert "By district: Unknown district 3." in words and "Cambridge 0" not in words, words


def test_the_district_filter_offers_no_district_none_can_be_in_and_says_why(reports_only, tmp_path, monkeypatch):
    dashboard_on(reports_only, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/map.py", password=PASSWORD)
    assert list(at.multiselect(key="f_districts").options) == ["Unknown district"], \
        at.multiselect(key="f_districts").options                            # not six districts showing nothing
    assert NO_DISTRICTS in _sidebar_captions(at), _sidebar_captions(at)


def test_the_map_says_no_postcode_lookup_is_loaded_and_an_analyst_reads_the_commands(reports_only, tmp_path,
                                                                                       monkeypatch):
    accounts = dashboard_on(reports_only, tmp_path, monkeypatch, password=PASSWORD)
    accounts.add("analyst", "analyst", PASSWORD)
    viewer = app_signed_in("views/map.py", password=PASSWORD)
    said = " ".join(c.value for c in viewer.caption)
    assert "Not on the map: 2 with no usable location" in said, said
    assert NO_LOOKUP in said and "An analyst loads a postcode lookup" in said, said
    assert NO_DISTRICTS in said, said
    analyst = app_signed_in("views/map.py", name="analyst", password=PASSWORD)
    said = " ".join(c.value for c in analyst.caption)
    assert "`python -m etl load postcodes FILE`" in said and "`python -m etl load boundaries FILE`" in said, said


# --- boundaries for six districts, reports in one ---------------------------------------------------------------

def test_the_districts_no_report_file_covers_are_named_whatever_the_dates(fenland_only):
    from analysis.placing import districts_without_reports

    con = connect(fenland_only)
    try:
        everything = districts_without_reports(con)
        fenland = districts_without_reports(con, ("E07000010",))
        two = districts_without_reports(con, ("E07000010", "E07000009"))
    finally:
        con.close()
    assert everything.with_reports == ("Cambridge", "Fenland")     # Cambridge's one report is 400 days old
    assert everything.without_reports == ("East Cambridgeshire", "Huntingdonshire", "Peterborough",
                                          "South Cambridgeshire")
    assert everything.uneven and not fenland.uneven
    assert two.without_reports == ("East Cambridgeshire",) and two.uneven


def _note(at) -> str:
    return " ".join(w.value for w in at.warning if "No loaded report is placed in" in w.value)


def test_the_map_says_the_hotspots_count_districts_without_reports_as_zero(fenland_only, tmp_path, monkeypatch):
    dashboard_on(fenland_only, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/map.py", password=PASSWORD)
    note = _note(at)
    assert ("No loaded report is placed in East Cambridgeshire, Huntingdonshire, Peterborough and South "
            "Cambridgeshire, yet their hexagons count as zero reports in the hotspot statistics") in note, note
    assert "choose Cambridge and Fenland under District" in note, note
    at.multiselect(key="f_districts").set_value(["E07000010"]).run()       # Fenland alone: compared within it
    assert not at.exception and not _note(at), _note(at)
    at.multiselect(key="f_districts").set_value(["E07000010", "E07000009"]).run()
    assert "No loaded report is placed in East Cambridgeshire, yet its hexagons" in _note(at), _note(at)


def test_the_visit_list_says_so_beside_its_hotspot_reasons(fenland_only, tmp_path, monkeypatch):
    dashboard_on(fenland_only, tmp_path, monkeypatch, password=PASSWORD)
    at = app_signed_in("views/visits.py", password=PASSWORD)
    assert at.dataframe[0].value["reasons"].str.contains("hotspot").any()
    said = " ".join(c.value for c in at.caption)
    assert "No loaded report is placed in East Cambridgeshire, Huntingdonshire, Peterborough and South " \
           "Cambridgeshire" in said, said
