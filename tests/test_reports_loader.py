"""Reports: vocabularies, gradings, generated references, corrected re-exports."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.errors import FileProblem
from etl.loading import load_file
from tests.helpers import load_text, query, scalar, write_text, write_xlsx

HEADER = "Report Ref,Date Received,Source Type,Address,Postcode,Indicators,Exploitation Type,Nationalities,People Seen,Grading,Summary\n"


def test_vocabularies_and_grading(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", HEADER +
                   "R1,2025-10-01,Member of public,12 Mill Lane,pe131ab,many people coming and going; collected by van early morning,"
                   "Forced labour,Lithuania; RO,about 8,1bp,Van seen\n"
                   "R2,01/10/2025,Modern Slavery Helpline,1 Rd,PE13 1AB,mattresses on floors,CSE,Polish,,2-C-C,\n")
    s = load_file("reports", f, db=db)
    assert s.rows_rejected == 0
    rows = query(db, "SELECT report_ref, received_on, source_type, indicators, exploitation_type, nationalities, "
                     "people_count, grading, source_evaluation, intelligence_assessment, handling_code FROM reports ORDER BY 1")
    assert rows[0] == ("R1", dt.date(2025, 10, 1), "public", ["many_occupants", "van_pickups"], "labour",
                       ["Lithuanian", "Romanian"], 8, "1-B-P", 1, "B", "P")
    assert rows[1][2:5] == ("helpline", ["mattresses"], "sexual")
    assert scalar(db, "SELECT indicators_text FROM reports WHERE report_ref = 'R2'") == "mattresses on floors"


def test_unknown_categories_are_kept_visible_not_silently_dropped(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", HEADER + "R1,2025-10-01,Neighbourhood Watch,1 Rd,PE13 1AB,,Bees,Martian,,,\n")
    s = load_file("reports", f, db=db)
    assert scalar(db, "SELECT source_type FROM reports") == "other"
    assert scalar(db, "SELECT nationalities FROM reports") == ["Martian"]
    assert any("'Neighbourhood Watch' (1)" in w for w in s.warnings)
    assert any("'Bees' (1)" in w for w in s.warnings)


def test_bad_grading_future_dates_and_bad_coordinates_are_rejected(tmp_path):
    db = tmp_path / "w.duckdb"
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    f = write_text(tmp_path / "r.csv", "Reference,Received,Latitude,Longitude,Grading\n"
                   f"A,2025-01-01,52.6,0.1,9-Z-Q\nB,{future},52.6,0.1,\nC,2025-01-01,52.6x,0.1,\nD,2025-01-01,52.6,,\n"
                   "E,2025-01-01,546182,257043,\n")
    with pytest.raises(FileProblem, match="all 5 rows were rejected"):   # and kept, under the failed load
        load_file("reports", f, db=db)
    reasons = dict(query(db, "SELECT row_number, reason FROM rejects"))
    assert "grading '9-Z-Q' is not 3x5x2" in reasons[2]
    assert "in the future" in reasons[3]
    assert "latitude '52.6x' is not a number" in reasons[4]
    assert "only one of latitude and longitude" in reasons[5]
    assert "name the columns Easting and Northing" in reasons[6]


def test_degrees_under_easting_and_northing_headers_are_rejected_with_what_to_do(tmp_path):
    """52.665 / 0.16 as British National Grid metres is a point in the sea off the Scillies: the row is
    rejected saying they look like degrees, not loaded at that point and flagged outside the area."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Reference,Received,Address,Easting,Northing\n"
                   "A,2025-01-01,1 Rd,52.665,0.160\nB,2025-01-01,2 Rd,0.160,52.665\nC,2025-01-01,3 Rd,546300,309400\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    reasons = dict(query(db, "SELECT row_number, reason FROM rejects"))
    assert "easting '52.665' / northing '0.160' look like degrees, not metres" in reasons[2]
    assert "name the columns Latitude and Longitude" in reasons[3]


def test_a_corrected_re_export_updates_rows_by_reference(tmp_path):
    db = tmp_path / "w.duckdb"
    first = write_text(tmp_path / "a.csv", HEADER + "R1,2025-10-01,police,1 Rd,PE13 1AB,,,,,,first\n"
                                                    "R2,2025-10-02,police,2 Rd,PE13 1AB,,,,,,same\n")
    load_file("reports", first, db=db, source="Police")
    second = write_text(tmp_path / "b.csv", HEADER + "R1,2025-10-01,police,1 Rd,PE13 1AB,,,,,,corrected\n"
                                                     "R2,2025-10-02,police,2 Rd,PE13 1AB,,,,,,same\n"
                                                     "R3,2025-10-03,police,3 Rd,PE13 1AB,,,,,,new\n")
    s = load_file("reports", second, db=db, source="Police")
    assert (s.rows_loaded, s.rows_updated, s.rows_unchanged) == (1, 1, 1)
    assert query(db, "SELECT report_ref, summary FROM reports ORDER BY 1") == \
        [("R1", "corrected"), ("R2", "same"), ("R3", "new")]


def test_a_re_export_writing_references_another_way_updates_them_rather_than_adding_copies(tmp_path):
    """Excel drops the zeros of '00345'; another export writes 'pr-0001' or 'PR 0002'. Each is the earlier load's
    report, updated in place and named in the summary; a form claimed twice is not guessed, and another
    source's references are never touched."""
    db = tmp_path / "w.duckdb"
    first = write_text(tmp_path / "a.csv", HEADER + "PR-0001,2025-10-01,police,1 Rd,PE13 1AB,,,,,,one\n"
                                                    "PR-0002,2025-10-02,police,2 Rd,PE13 1AB,,,,,,two\n"
                                                    "00345,2025-10-03,police,3 Rd,PE13 1AB,,,,,,three\n"
                                                    "AB-1,2025-10-04,police,4 Rd,PE13 1AB,,,,,,four\n")
    load_file("reports", first, db=db, source="Police")
    load_file("reports", write_text(tmp_path / "o.csv", HEADER + "pr-0001,2025-10-01,police,9 Rd,PE13 1AB,,,,,,other\n"),
              db=db, source="Council")
    second = write_text(tmp_path / "b.csv", HEADER + "pr-0001,2025-10-01,police,1 Rd,PE13 1AB,,,,,,one\n"
                                                     "PR 0002,2025-10-02,police,2 Rd,PE13 1AB,,,,,,two corrected\n"
                                                     "345,2025-10-03,police,3 Rd,PE13 1AB,,,,,,three\n"
                                                     "ab 1,2025-10-04,police,4 Rd,PE13 1AB,,,,,,four a\n"
                                                     "AB.1,2025-10-04,police,4 Rd,PE13 1AB,,,,,,four b\n")
    s = load_file("reports", second, db=db, source="Police")
    assert (s.rows_loaded, s.rows_updated + s.rows_unchanged) == (2, 3)   # 'ab 1' and 'AB.1' both claim AB-1
    assert query(db, "SELECT report_ref, summary FROM reports WHERE source = 'Police' ORDER BY 1") == [
        ("00345", "three"), ("AB-1", "four"), ("AB.1", "four b"), ("PR-0001", "one"), ("PR-0002", "two corrected"),
        ("ab 1", "four a")]
    assert query(db, "SELECT report_ref FROM reports WHERE source = 'Council'") == [("pr-0001",)]
    note = next(w for w in s.warnings if "earlier load" in w)
    assert note.startswith("3 reference(s)") and "'345' as '00345'" in note and "'PR 0002' as 'PR-0002'" in note


def test_reports_without_references_get_stable_ones(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Date,Location,Description\n2025-10-01,1 Rd PE13 1AB,van early morning\n")
    load_file("reports", f, db=db, source="Public")
    g = write_text(tmp_path / "r2.csv", "Date,Location,Description\n2025-10-01,1 Rd PE13 1AB,van early morning\n\n")
    s = load_file("reports", g, db=db, source="Public")
    assert s.rows_unchanged == 1
    assert scalar(db, "SELECT report_ref LIKE 'auto-%' FROM reports")
    assert scalar(db, "SELECT indicators FROM reports") == ["van_pickups"]


def test_partner_xlsx_with_text_dates(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_xlsx(tmp_path / "p.xlsx", [["Reference", "Received", "Reported By", "Location", "Post Code", "3x5x2"],
                                         ["P1", "05/03/2025", "GLAA", "Farm Cottages", "PE14 0AA", "1-A-P"]])
    load_file("reports", f, db=db)
    assert query(db, "SELECT received_on, source_type, postcode, grading FROM reports") == \
        [(dt.date(2025, 3, 5), "GLAA", "PE14 0AA", "1-A-P")]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.sampled_from(["Police", "GLAA"]),
                                st.lists(st.tuples(st.sampled_from(["R1", "R2", "R3", "R4"]),
                                                   st.sampled_from(["1 Rd", "2 Rd"]),
                                                   st.sampled_from(["a", "b", "c"])), min_size=1, max_size=6)),
                      min_size=1, max_size=3))
def test_each_reference_is_stored_once_with_its_latest_row(tmp_path_factory, files):
    """The reports table has no primary key (migration 0008): the loader alone keeps (source, report_ref)
    unique, taking the last row of a reference at an address in a file (its other addresses are parts of the
    report, 'R1 (address 2)') and updating a reference the table holds; a file giving a reference fewer
    addresses takes its other parts out. A file whose exact content was loaded before, from any source,
    changes nothing: the same police.uk download loaded again under another spelling of its source would
    count every report twice."""
    folder = tmp_path_factory.mktemp("refs")
    db = folder / "w.duckdb"
    expected, seen = {}, set()
    for n, (source, rows) in enumerate(files):
        body = "".join(f"{ref},2025-10-01,police,{place},PE13 1AB,,,,,,{text}\n" for ref, place, text in rows)
        s = load_file("reports", write_text(folder / f"f{n}.csv", HEADER + body), db=db, source=source)
        assert (s.status == "already_loaded") == (body in seen)
        if body not in seen:
            places, last = {}, {}
            for ref, place, text in rows:
                places.setdefault(ref, [])
                if place not in places[ref]:
                    places[ref].append(place)
                last[ref, place] = text
            for ref, found in places.items():
                for key in [k for k in expected if k[0] == source and k[1].startswith(f"{ref} (address ")]:
                    del expected[key]
                expected.update({(source, ref if k == 1 else f"{ref} (address {k})"): last[ref, place]
                                 for k, place in enumerate(found, 1)})
        seen.add(body)
    stored = query(db, "SELECT source, report_ref, summary FROM reports")
    assert len(stored) == len({(s, r) for s, r, _ in stored})
    assert {(s, r): text for s, r, text in stored} == expected


def test_a_row_failing_several_checks_gives_every_reason_in_order(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Reference,Received,Latitude,Longitude,Grading\n"
                                       "A,someday,52.6x,0.1,9-Z-Q\nB,2025-01-01,52.6,0.1,1-B-P\n")
    assert load_file("reports", f, db=db).rows_rejected == 1
    assert scalar(db, "SELECT reason FROM rejects") == (
        "date received 'someday' is not a date (use dd/mm/yyyy or yyyy-mm-dd); "
        "grading '9-Z-Q' is not 3x5x2 (e.g. 1-B-P: source 1-3, intelligence A-E, handling P or C); "
        "latitude '52.6x' is not a number")


def test_people_seen_is_read_as_the_public_writes_it(tmp_path):
    """"about 8", "8 men", "ten", a range's lower end and groups' sum are counts; "several" keeps the report
    without a count, and the summary says so with the words; "3 vans 2 cars" is rejected, not guessed."""
    db = tmp_path / "w.duckdb"
    rows = {"A": ("about 8", 8), "B": ("8 men", 8), "C": ("ten", 10), "D": ("5-6", 5), "E": ("5 to 6 people", 5),
            "F": ("several", None), "G": ("Several", None), "H": ("", None), "I": ("12", 12),
            "K": ("3 men and 2 women", 5), "L": ("\"4 adults, 2 children\"", 6), "M": ("3 men 2 women", 5),
            "N": ("\"3, 4\"", 3), "O": ("\"4,0\"", 4)}          # "3, 4" is a range, never 34; a decimal comma's 4,0 is 4
    f = write_text(tmp_path / "r.csv", "Reference,Received,Address,People Seen\n" +
                   "".join(f"{ref},2025-01-01,{ref} Rd,{text}\n" for ref, (text, _) in rows.items()) +
                   "J,2025-01-01,J Rd,3 vans 2 cars\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (14, 1)
    assert dict(query(db, "SELECT report_ref, people_count FROM reports")) == {r: n for r, (_, n) in rows.items()}
    assert "number of people '3 vans 2 cars' is not a number" in scalar(db, "SELECT reason FROM rejects")
    assert any("2 report(s) give the number of people in words without a number" in w and "'several' (1)" in w
               and "'Several' (1)" in w for w in s.warnings)


def test_names_in_a_victims_column_are_counted_in_the_summary_never_shown(tmp_path):
    """A "Victims" column read as the number of people may hold names: the load's notes are kept and shown on
    the Data page, so only plain words ("unknown female") are named there."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Reference,Received,Address,Victims\n"
                   "A,2025-01-01,1 A Rd,\"Ana P., Ion M.\"\nB,2025-01-01,2 B Rd,Maria Popescu\n"
                   "C,2025-01-01,3 C Rd,unknown female\nD,2025-01-01,4 D Rd,3\n")
    s = load_file("reports", f, db=db)
    assert s.rows_loaded == 4
    [note] = [w for w in s.warnings if "number of people in words" in w]
    assert note.startswith("3 report(s)") and "'unknown female' (1)" in note
    assert "2 with names or other text (not shown)" in note
    assert "Ana" not in note and "Popescu" not in note
    assert "Ana" not in " ".join(s.lines()) and "Popescu" not in " ".join(s.lines())


def test_headers_no_alias_foresaw_are_found_by_a_word_in_them_and_listed(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "partner.csv",
                   "Ref,Date/Time,Reporter,Location Description,Suspected Nationalities,No. People,Intel Grade,Details\n"
                   "G1,12/11/2026 14:32,GLAA,\"Unit 4, Industrial Estate, Wisbech\",Romanian,approx 12,2-B-P,Seen at 5am\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (1, 0)
    assert query(db, "SELECT received_on, source_type, address, nationalities, people_count, grading FROM reports") == [
        (dt.date(2026, 11, 12), "GLAA", "Unit 4, Industrial Estate, Wisbech", ["Romanian"], 12, "2-B-P")]
    note = next(w for w in s.warnings if w.startswith("columns found by a word in their header"))
    assert "'Date/Time' as received on" in note and "'No. People' as people count" in note


def test_of_two_headers_with_a_keyword_the_one_holding_more_of_the_fields_words_wins(tmp_path):
    """"Date/Time Received" holds three of the date received's words, the "Time" beside it one."""
    f = write_text(tmp_path / "r.csv", "Ref,Date/Time Received,Time,Postcode\nR1,01/10/2025,14:22,PE13 1AB\n")
    s = load_file("reports", f, db=tmp_path / "w.duckdb")
    assert s.rows_loaded == 1 and scalar(tmp_path / "w.duckdb", "SELECT received_on FROM reports") == dt.date(2025, 10, 1)
    assert any("'Date/Time Received' as received on" in w for w in s.warnings)


def test_a_keyword_in_two_headers_or_in_an_excluded_one_finds_nothing(tmp_path):
    import pytest

    from etl.errors import FileProblem

    two_dates = write_text(tmp_path / "two.csv", "Ref,Date Seen,Date Logged,Address\nR1,2026-11-01,2026-11-02,1 Mill Lane\n")
    with pytest.raises(FileProblem, match="required column\\(s\\) missing: date received \\(received_on\\).*"
                                          "'Date Seen' and 'Date Logged' could each be the date received: say which"):
        load_file("reports", two_dates, db=tmp_path / "w.duckdb")
    email = write_text(tmp_path / "email.csv", "Ref,Date Received,Caller Email Address\nR1,2026-11-01,a@b.example\n")
    with pytest.raises(FileProblem, match="required column\\(s\\) missing: address \\(address\\) or postcode"):
        load_file("reports", email, db=tmp_path / "w.duckdb")


def test_living_at_the_workplace_is_a_workplace_sign(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Report Ref,Date Received,Address,Indicators\n"
                                       "R1,2026-11-01,Car wash on A47,cash only; workers living on site\n"
                                       "R2,2026-11-01,2 Mill Lane,staff sleeping at the premises\n"
                                       "R3,2026-11-01,3 Mill Lane,lives on Site Road\n")
    load_file("reports", f, db=db)
    assert query(db, "SELECT report_ref, indicators FROM reports ORDER BY 1") == [
        ("R1", ["workplace_sector"]), ("R2", ["workplace_sector"]), ("R3", [])]


def test_points_in_one_column_in_degrees_with_hemispheres_or_as_grid_references(tmp_path):
    """A partner export puts a point in one "Coordinates" cell (degrees or eastings and northings, told
    apart by size), writes degrees with hemispheres or in minutes and seconds, or gives an OS grid
    reference: each is the same point as plain columns give. What is none of these is rejected, saying so."""
    import duckdb

    db = tmp_path / "w.duckdb"
    pair = write_text(tmp_path / "pair.csv", "Ref,Date,Address,Coordinates\n"
                                            "P1,2026-11-01,1 Mill Lane,\"52.5740, -0.2410\"\n"
                                            "P2,2026-11-01,2 Mill Lane,(519000 300000)\n"
                                            "P3,2026-11-01,3 Mill Lane,\"52,5740; -0,2410\"\n"
                                            "P4,2026-11-01,4 Mill Lane,somewhere\n"
                                            "P5,2026-11-01,5 Mill Lane,\"-5, 900\"\n")
    s = load_file("reports", pair, db=db, source="pairs")
    assert (s.rows_loaded, s.rows_rejected) == (3, 2)
    reasons = [r[0] for r in query(db, "SELECT reason FROM rejects ORDER BY row_number")]
    assert reasons == ["coordinates 'somewhere' are not two numbers (latitude, longitude; or easting, northing) "
                       "nor an OS grid reference",
                       "coordinates '-5, 900' are neither latitude, longitude nor British National Grid easting, northing"]
    degrees = write_text(tmp_path / "deg.csv", "Ref,Date,Address,Latitude,Longitude\n"
                                              "D1,2026-11-01,1 Mill Lane,52.5740° N,0.2410° W\n"
                                              "D2,2026-11-01,2 Mill Lane,52°34'26.4\"N,0°14'27.6\"W\n")
    grid = write_text(tmp_path / "grid.csv", "Ref,Date,Address,OS Grid Ref\n"
                                            "G1,2026-11-01,1 Mill Lane,TF 19000 00000\n"
                                            "G2,2026-11-01,2 Mill Lane,TL4558\n")
    assert not any("grid reference" in w for w in load_file("reports", degrees, db=db, source="degrees").warnings)
    warnings = load_file("reports", grid, db=db, source="grid").warnings
    assert ("1 row(s) give an OS grid reference of 4 figures or fewer ('TL4558'): each names a square of 1 km "
            "or more (6 figures or more place a door). A row with a postcode we know is placed by the postcode; "
            "the others at the square's centre, approximate") in warnings
    got = dict(query(db, "SELECT report_ref, [round(lat, 5), round(lon, 5)] FROM reports"))
    assert got["P1"] == got["P3"] == got["D1"] == got["D2"] == [52.574, -0.241]
    con = duckdb.connect()
    from etl.warehouse import load_spatial
    load_spatial(con)
    expected = con.execute("SELECT [round(ST_Y(p), 5), round(ST_X(p), 5)] FROM (SELECT ST_Transform(ST_Point(519000, 300000), "
                           "'EPSG:27700', 'EPSG:4326', always_xy := true) AS p)").fetchone()[0]
    assert got["P2"] == expected
    assert [round(v, 4) for v in got["G1"]] == [round(v, 4) for v in expected]   # the 1 m square's centre
    assert 52.0 < got["G2"][0] < 52.3 and 0.0 < got["G2"][1] < 0.2     # TL 45 58: Cambridge


def test_rounded_coordinates_give_way_to_a_postcode_and_are_warned_about(tmp_path):
    """'52.6, -0.2' is a point rounded to 0.1°, kilometres from the door, yet stored as coordinates it drew one
    street's hexagon. Degrees with two decimals or fewer are placed by a known postcode, and otherwise kept as
    approximate (`grid_square`); three decimals, and minutes and seconds, are a door's point."""
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE1 1AA,52.5741,-0.2412\n"),
              db=db)
    f = write_text(tmp_path / "r.csv", "Ref,Date,Address,Postcode,Latitude,Longitude\n"
                                       "R1,2026-11-01,1 Mill Lane,PE1 1AA,52.6,-0.2\n"        # the postcode wins
                                       "R2,2026-11-01,2 Mill Lane,PE1 9ZZ,52.57,-0.24\n"      # unknown postcode: as given
                                       "R3,2026-11-01,3 Mill Lane,PE1 1AA,52.574,-0.241\n"    # a door's point
                                       "R4,2026-11-01,4 Mill Lane,PE1 1AA,\"52°34′26″N\",\"0°14′28″W\"\n")
    s = load_file("reports", f, db=db, source="rounded")
    assert s.rows_loaded == 4
    got = {ref: (status, round(lat, 4), round(lon, 4)) for ref, status, lat, lon in
           query(db, "SELECT report_ref, geocode_status, lat, lon FROM reports")}
    assert got["R1"] == ("postcode", 52.5741, -0.2412)
    assert got["R2"] == ("grid_square", 52.57, -0.24)
    assert got["R3"] == ("coordinates", 52.574, -0.241) and got["R4"][0] == "coordinates"
    assert any(w.startswith("2 row(s) give latitude and longitude with 2 decimals or fewer ('52.57, -0.24', "
                            "'52.6, -0.2')") for w in s.warnings), s.warnings


def test_a_postcode_places_a_row_better_than_a_coarse_grid_reference(tmp_path):
    """"TL4558" is a 1 km square; a full postcode we know is within about 100 m of the door. The postcode
    wins over the square, never over a precise reference or coordinates; a postcode we don't know leaves
    the square's centre, which beats an outward code's."""
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\n"
                                                           "CB1 1AA,52.2050,0.1200\nCB1 1AB,52.2100,0.1300\n"), db=db)
    f = write_text(tmp_path / "grid.csv", "Ref,Date,Address,Postcode,OS Grid Ref,Latitude,Longitude\n"
                                          "G1,2026-11-01,1 Mill Lane,CB1 1AA,TL4558,,\n"        # postcode wins
                                          "G2,2026-11-01,2 Mill Lane,CB1 9ZZ,TL4558,,\n"        # unknown postcode: the square
                                          "G3,2026-11-01,3 Mill Lane,CB1 1AA,TL 45123 58123,,\n"  # 10 figures: the reference
                                          "G4,2026-11-01,4 Mill Lane,CB1 1AA,TL4558,52.2001,0.1101\n"  # coordinates win
                                          "G5,2026-11-01,5 Mill Lane,CB1 1AB,TL4558,,\n")
    s = load_file("reports", f, db=db, source="grid")
    assert s.rows_loaded == 5
    assert "2 row(s) with a coarse grid reference or rounded coordinates were placed by their postcode instead, the more precise of the " \
           "two" in s.warnings
    got = {ref: (status, round(lat, 4), round(lon, 4)) for ref, status, lat, lon in
           query(db, "SELECT report_ref, geocode_status, lat, lon FROM reports")}
    assert got["G1"] == ("postcode", 52.205, 0.12) and got["G5"] == ("postcode", 52.21, 0.13)
    square = got["G2"]
    assert square[0] == "grid_square" and 52.0 < square[1] < 52.3 and 0.0 < square[2] < 0.2 and square[1:] != (52.205, 0.12)
    assert got["G3"][0] == "coordinates" and got["G3"][1:] != (52.205, 0.12) and got["G3"][1:] != square[1:]
    assert got["G4"] == ("coordinates", 52.2001, 0.1101)
    cells = dict(query(db, "SELECT report_ref, h3_9 FROM reports"))
    import h3
    assert cells["G1"] == h3.str_to_int(h3.latlng_to_cell(52.2050, 0.1200, 9))     # cells follow the point used


def test_a_postcode_lookup_loaded_later_places_a_row_left_at_a_grid_squares_centre(tmp_path):
    """Loaded before the lookup knew its postcode, a row with a coarse grid reference waited at the square's
    centre, and nothing moved it: the re-geocoding after a postcode load left rows with a point alone."""
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nCB1 1AA,52.2050,0.1200\n"), db=db)
    load_file("reports", write_text(tmp_path / "grid.csv", "Ref,Date,Postcode,OS Grid Ref\n"
                                                           "G1,2026-11-01,CB1 1AB,TL4558\nG2,2026-11-01,CB1 9ZZ,TL4558\n"
                                                           "G3,2026-11-01,CB1 1AB,TL 45123 58123\n"), db=db)
    before = dict(query(db, "SELECT report_ref, geocode_status FROM reports"))
    assert before == {"G1": "grid_square", "G2": "grid_square", "G3": "coordinates"}
    load_file("postcodes", write_text(tmp_path / "pc2.csv", "postcode,latitude,longitude\nCB1 1AA,52.2050,0.1200\n"
                                                            "CB1 1AB,52.2100,0.1300\n"), db=db)
    got = {ref: (status, round(lat, 4), round(lon, 4)) for ref, status, lat, lon in
           query(db, "SELECT report_ref, geocode_status, lat, lon FROM reports")}
    assert got["G1"] == ("postcode", 52.21, 0.13)                 # the postcode the lookup now has
    assert got["G2"][0] == "grid_square" and got["G2"][1:] != (52.21, 0.13)   # still unknown: the square
    assert got["G3"][0] == "coordinates" and got["G3"][1:] != (52.21, 0.13)   # a precise reference is never moved
    import h3
    assert scalar(db, "SELECT h3_9 FROM reports WHERE report_ref = 'G1'") == h3.str_to_int(h3.latlng_to_cell(52.21, 0.13, 9))


def test_a_keyword_matches_whole_words_from_their_start(tmp_path):
    """"text" (a summary keyword) is not in "Context"; "expir"-style stems still find "Expiry"."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "police.csv", "Crime ID,Month,Location,Context\nC1,2021-01,On or near X,a note\n")
    s = load_file("reports", f, db=db)
    assert scalar(db, "SELECT summary FROM reports") is None
    assert not any("'Context' as" in w for w in s.warnings)
    assert "column(s) not read (no field of ours by that name; if one should be, name it with --mapping FILE): " \
           "'Context'" in s.warnings                     # not lost without a word either


def test_who_reported_is_read_by_a_word_in_it_when_no_alias_matches(tmp_path):
    """"Cambridgeshire Constabulary" (police.uk's "Reported by") is police, "Fenland District Council" a council;
    the alias with the most words wins ("Council Housing Officer" is a council, not an officer of police), and
    words naming two kinds equally ("GLAA intelligence") or none ("Rotary Club") are 'other', listed."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Ref,Date,Address,Reported By\n" + "".join(
        f"R{i},2026-11-01,{i} Mill Lane,{who}\n" for i, who in enumerate(
            ["Cambridgeshire Constabulary", "Fenland District Council", "Member of the public",
             "Council Housing Officer", "GLAA intelligence", "Police", "Rotary Club"])))
    s = load_file("reports", f, db=db)
    assert [r[0] for r in query(db, "SELECT source_type FROM reports ORDER BY report_ref")] == [
        "police", "council", "public", "council", "other", "police", "other"]
    said = " | ".join(s.warnings)
    assert "source types not in the vocabulary, stored as 'other': 'GLAA intelligence' (1), 'Rotary Club' (1)" in said
    assert "'Cambridgeshire Constabulary' as 'police' (1)" in said and "'Police'" not in said


def test_an_exploitation_type_is_never_read_by_a_word(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Crime ID,Month,Location,Crime type\nC1,2021-01,On or near X,Violence and sexual offences\n")
    load_file("reports", f, db=db)
    assert scalar(db, "SELECT exploitation_type FROM reports") == "unknown"


def test_rows_repeating_the_header_are_skipped_and_named_by_either_reader(tmp_path):
    """Monthly exports pasted into one file repeat the header row: such a row is no report (it was rejected
    as a bad date), and the summary says where it was. DuckDB's reader (clean UTF-8) and ours (a stray
    Windows-1252 line) agree."""
    header = "Report Ref,Date Received,Address,Postcode\n"
    rows = [header, "R1,01/11/2026,1 Mill Lane,PE13 1AB\n", header, "R2,02/11/2026,2 Mill Lane,PE13 1AB\n",
            header.replace(",", " ,"), "R3,03/11/2026,3 Mill Lane,PE13 1AB\n"]
    clean = tmp_path / "clean.csv"
    clean.write_bytes("".join(rows).encode("utf-8"))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("".join(rows).encode("utf-8") + "R4,04/11/2026,4 Caf\u00e9 Lane,PE13 1AB\n".encode("cp1252"))
    for f, loaded in ((clean, 3), (mixed, 4)):
        s = load_file("reports", f, db=tmp_path / f"{f.stem}.duckdb")
        assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (loaded, loaded, 0), f.name
        assert "2 row(s) repeating the header skipped (row 3, 5): several exports joined into one file?" in s.warnings


def test_a_victim_case_file_given_as_reports_or_hmo_is_refused_and_nothing_of_it_stored(tmp_path):
    import pytest

    from etl.errors import FileProblem

    db = tmp_path / "w.duckdb"
    cases = write_text(tmp_path / "vcc.csv", "Case Ref,Date Opened,PV Name,D.O.B.,Home Address,Caseworker notes\n"
                                             "V1,2026-08-01,Person Alpha,1990-01-01,1 Secret Road PE13 1AB,debt to gangmaster\n")
    for kind in ("reports", "hmo"):
        with pytest.raises(FileProblem, match="looks like a victim case file, not " + kind + ": it has 'PV Name', 'D.O.B.'"):
            load_file(kind, cases, db=db)
    stored = " ".join(str(r) for t in ("reports", "hmo_licence_history", "rejects", "loads")
                      for r in query(db, f"SELECT * FROM {t}"))
    assert "Secret" not in stored and "Alpha" not in stored and "gangmaster" not in stored
    people = write_text(tmp_path / "r.csv", "Ref,Date Received,Address,Potential victims seen\nR1,2026-11-01,1 Mill Lane,3\n")
    assert load_file("reports", people, db=db).rows_loaded == 1    # "victims" alone names no one


def test_a_reference_column_is_found_by_its_words_and_a_file_without_one_is_told_what_that_means(tmp_path):
    db = tmp_path / "w.duckdb"
    with_id = write_text(tmp_path / "msh.csv", "Helpline case ID,Date reported,Address of concern\nMSH-1,2026-11-01,1 Mill Lane\n")
    s = load_file("reports", with_id, db=db)
    assert scalar(db, "SELECT report_ref FROM reports") == "MSH-1"
    assert not any("no reference column" in w for w in s.warnings)
    without = write_text(tmp_path / "anon.csv", "Date reported,Address of concern\n2026-11-01,2 Mill Lane\n")
    s = load_file("reports", without, db=db)
    assert any(w.startswith("the file has no reference column: each report's reference is made from its content")
               for w in s.warnings)


def test_a_grid_reference_in_a_coordinates_column_and_0_0_as_no_fix(tmp_path):
    """A "Coordinates" column holding an OS grid reference gives its point; 0, 0 (a device with no fix) is no
    location, so the postcode places the row, never the Gulf of Guinea."""
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.66,0.16\n"), db=db)
    f = write_text(tmp_path / "glaa.csv", "Ref,Date,Address,Postcode,Coordinates\n"
                                          "G1,2026-11-01,1 Mill Lane,,TF 34000 04000\n"
                                          "G2,2026-11-01,2 Mill Lane,PE13 1AB,\"0, 0\"\n")
    lat_lon = write_text(tmp_path / "ll.csv", "Ref,Date,Address,Postcode,Latitude,Longitude\n"
                                              "L1,2026-11-01,3 Mill Lane,PE13 1AB,0,0\n")
    assert load_file("reports", f, db=db).rows_rejected == 0
    assert load_file("reports", lat_lon, db=db).rows_rejected == 0
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, round(lat, 2), round(lon, 2), geocode_status FROM reports")}
    assert got["G1"][2] == "coordinates" and 52.5 < got["G1"][0] < 52.7
    assert got["G2"] == got["L1"] == (52.66, 0.16, "postcode")


def test_footer_lines_a_report_writer_adds_are_not_rows(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Date Received,Address,Postcode\n05/10/2026,7 Elm Road,PE15 9JS\n"
                                       "Printed 01/11/2026 09:14 by USER123\nCount: 1\n1 records\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (1, 1, 0)


def test_easting_and_northing_the_wrong_way_round_are_flagged_not_moved(tmp_path):
    """546000, 308000 is Wisbech; the same numbers the other way round are a hillside in Cumbria. Both are
    grid references, so the one that lands in the area says the columns were swapped."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "bng.csv", "Ref,Date,Address,Easting,Northing\n"
                                         "OK,2026-11-01,1 Mill Lane,546000,308000\n"
                                         "SWAP,2026-11-01,2 Mill Lane,308000,546000\n"
                                         "LDN,2026-11-01,3 London Road,530000,180000\n")
    s = load_file("reports", f, db=db)
    got = {r[0]: r[1:] for r in query(db, "SELECT report_ref, location_flag, district_code, round(lat, 1) FROM reports")}
    assert got["OK"][:2] == (None, None) and got["OK"][2] == 52.7     # no lookup loaded: no district, no flag
    assert got["SWAP"][:2] == ("swapped_easting_northing", None) and got["SWAP"][2] == 54.8   # kept where the file put it
    assert got["LDN"][:2] == ("outside_area", None)
    assert ("1 row(s) flagged swapped_easting_northing (easting and northing look swapped): loaded without a "
            "district; check their coordinates") in s.warnings


def test_people_seen_that_is_negative_a_fraction_scientific_or_implausibly_many_is_rejected_saying_which(tmp_path):
    """'-3' was stored as -3, '1e3' as 1000 and 100000 people at one door as a fact; '12.5' was "not a number".
    A plain number is taken exactly or not at all, and up to 1,000 people at one address."""
    db = tmp_path / "w.duckdb"
    kept = {"A": ("1000", 1000), "B": ("12.0", 12), "C": ("0", 0), "D": ("about 8", 8), "E": ("5-6", 5)}
    rejected = {"N": ("-3", "is negative"), "F": ("12.5", "is not a whole number"),
                "S": ("1e3", "is in scientific notation, not a whole number of people"),
                "T": ("1.5E+01", "is in scientific notation, not a whole number of people"),
                "L": ("100000", "is more than 1,000: not plausible"),
                "W": ("about 5000", "is more than 1,000: not plausible"),
                "R": ("2000-3000", "is more than 1,000: not plausible"),
                "G": ("600 men and 600 women", "is more than 1,000: not plausible")}
    rows = {**{r: t for r, (t, _) in kept.items()}, **{r: t for r, (t, _) in rejected.items()}}
    f = write_text(tmp_path / "r.csv", "Reference,Received,Address,People Seen\n" +
                   "".join(f"{ref},2025-01-01,{ref} Rd,{text}\n" for ref, text in rows.items()))
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (len(kept), len(rejected))
    assert dict(query(db, "SELECT report_ref, people_count FROM reports")) == {r: n for r, (_, n) in kept.items()}
    reasons = dict(query(db, "SELECT json_extract_string(raw, '$.Reference'), reason FROM rejects"))
    assert reasons == {r: f"number of people '{text}' {why}" for r, (text, why) in rejected.items()}


def test_an_easting_with_a_decimal_comma_is_the_point_it_names(tmp_path):
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Ref;Date;Easting;Northing\nA;2025-01-01;546182,5;257043,5\n"
                                       "B;2025-01-01;546182.5;257043.5\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    a, b = query(db, "SELECT lat, lon FROM reports ORDER BY report_ref")
    assert a == b


def test_a_grading_on_the_old_5x5x5_scale_keeps_its_report_weighted_as_ungraded(tmp_path):
    """Intelligence graded before 2016 carries 5x5x5 ("B24", "C/3/1", "A1"): the report is kept, with its grading
    as given, and no 3x5x2 parts (the visit list then weights it as ungraded); anything else is still rejected."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Ref,Date,Postcode,Grading\nA,2015-03-01,PE13 1AB,B24\nB,2015-03-01,PE13 1AB,c/3/1\n"
                                       "C,2015-03-01,PE13 1AB,A1\nD,2025-03-01,PE13 1AB,1-A-P\nE,2025-03-01,PE13 1AB,F9\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected) == (4, 1)
    again = write_text(tmp_path / "again.csv", "Ref,Date,Postcode,Grading\nA,2015-03-01,PE13 1AB,B-2-4 (5x5x5)\n"
                                               "D,2025-03-01,PE13 1AB,1-A-P (3x5x2)\n")   # as stored, and noted
    assert load_file("reports", again, db=tmp_path / "v.duckdb").rows_loaded == 2
    assert query(db, "SELECT report_ref, grading, source_evaluation, intelligence_assessment, handling_code "
                     "FROM reports ORDER BY 1") == [("A", "B-2-4 (5x5x5)", None, None, None),
                                                    ("B", "C-3-1 (5x5x5)", None, None, None),
                                                    ("C", "A-1 (5x5x5)", None, None, None),
                                                    ("D", "1-A-P", 1, "A", "P")]
    assert any(w.startswith("3 report(s) graded on the old 5x5x5 scale (e.g. 'A-1 (5x5x5)')") for w in s.warnings)
    assert "grading 'F9' is not 3x5x2" in scalar(db, "SELECT reason FROM rejects")


def test_a_grading_on_a_partners_own_scale_keeps_its_report_and_a_slip_is_rejected(tmp_path):
    """A partner grading "B" or "High" on its own scale would otherwise reject every row of its file: the report
    is kept, its grading as given and marked, weighted as ungraded. "1-B" (no handling code) keeps its source
    evaluation. A value shaped like either scale with a part out of range is a slip, rejected saying so."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Ref,Date,Postcode,Grading\nA,2026-03-01,PE13 1AB,B\nB,2026-03-01,PE13 1AB,High\n"
                                 "C,2026-03-01,PE13 1AB,1-B\nD,2026-03-01,PE13 1AB,9-Z-Q\nE,2026-03-01,PE13 1AB,F9\n"
                                 "F,2026-03-01,PE13 1AB,B\n", source="Partner")
    assert (s.rows_loaded, s.rows_rejected) == (4, 2)
    assert query(db, "SELECT report_ref, grading, source_evaluation, intelligence_assessment, handling_code "
                     "FROM reports ORDER BY 1") == [("A", "B (other scale)", None, None, None),
                                                    ("B", "High (other scale)", None, None, None),
                                                    ("C", "1-B", 1, "B", None),
                                                    ("F", "B (other scale)", None, None, None)]
    assert any(w.startswith("3 report(s) graded on neither 3x5x2 nor 5x5x5 ('B', 'High'): kept with the grading "
                            "as given, marked (other scale)") for w in s.warnings)
    assert sorted(r for (r,) in query(db, "SELECT reason FROM rejects")) == [
        "grading '9-Z-Q' is not 3x5x2 (e.g. 1-B-P: source 1-3, intelligence A-E, handling P or C)",
        "grading 'F9' is not 3x5x2 (e.g. 1-B-P: source 1-3, intelligence A-E, handling P or C)"]
    again = load_text(db, "reports", "Ref,Date,Postcode,Grading\nA,2026-03-01,PE13 1AB,B (other scale)\n",
                      source="Partner", name="again.csv")
    assert again.rows_unchanged == 1   # the stored form read back is the same grading


def test_eastings_and_northings_with_their_axis_letters_or_unit_give_the_plain_point(tmp_path):
    """GIS tools and forms write 'E 521000', '521000E', 'E: 521000' or '521000 m'. Only a column's own letter is
    taken off: 'N 298500' in the easting column is no easting, and the row is rejected saying so."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Ref,Date,Easting,Northing\nA,2026-03-01,521000,298500\n"
                                 "B,2026-03-01,E 521000,N 298500\nC,2026-03-01,521000E,298500N\n"
                                 "D,2026-03-01,E: 521000,n:298500\nE,2026-03-01,521000 m,298500 m\n"
                                 "F,2026-03-01,N 298500,E 521000\n")
    assert (s.rows_loaded, s.rows_rejected) == (5, 1)
    points = query(db, "SELECT DISTINCT round(lat, 9), round(lon, 9) FROM reports")
    assert len(points) == 1 and 52.5 < points[0][0] < 52.6
    assert "easting 'N 298500' is not a number" in scalar(db, "SELECT reason FROM rejects")


def test_no_seen_is_the_number_of_people_seen(tmp_path):
    db = tmp_path / "w.duckdb"
    load_text(db, "reports", "Ref No.,Date,Postcode,No. seen\nA,2026-03-01,PE13 1AB,approx 10\n")
    assert scalar(db, "SELECT people_count FROM reports") == 10


def test_a_gis_exports_x_and_y_are_degrees_or_metres_by_their_size(tmp_path):
    """ArcGIS writes POINT_X and POINT_Y, QGIS X and Y: in degrees or in metres, as the layer was. Both give the
    point the plain columns give; a pair that is neither is rejected saying so."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", "Ref,POINT_X,POINT_Y,Date\n1,0.1210,52.2050,2025-01-01\n"
                                       "2,546182,257043,2025-01-01\n3,9999999,5,2025-01-01\n")
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected, s.rows_ungeocoded) == (2, 1, 0)
    points = dict(query(db, "SELECT report_ref, [round(lat, 4), round(lon, 4)] FROM reports"))
    assert points == {"1": [52.205, 0.121], "2": [52.1923, 0.1372]}
    assert "are neither longitude, latitude nor British National Grid" in scalar(db, "SELECT reason FROM rejects")
    g = write_text(tmp_path / "q.csv", "X,Y,Date\n0.1210,52.2050,2025-01-01\n")
    assert load_file("reports", g, db=db, source="QGIS").rows_loaded == 1


def test_x_and_y_in_degrees_with_a_decimal_comma_and_three_decimals_are_degrees(tmp_path):
    """'52,665' is 52 thousand as a number, and 52.665 as a latitude with a decimal comma (a European
    spreadsheet's). Alone, a value cannot say which; in a pair it can: read as degrees the point is in Great
    Britain, and read as metres it is in the sea off the Scillies, where no address is. Before, such X and Y
    were left unread as 'no point in Great Britain', and every row of the file lost its place."""
    db = tmp_path / "w.duckdb"
    f = write_text(tmp_path / "r.csv", 'Ref,Date,X,Y\n1,2025-01-01,"0,159","52,665"\n2,2025-01-01,"-0,241","52,574"\n'
                                       '3,2025-01-01,"0,1597","52,6641"\n4,2025-01-01,"546,182","257,043"\n')
    s = load_file("reports", f, db=db)
    assert (s.rows_loaded, s.rows_rejected, s.rows_ungeocoded) == (4, 0, 0), s.warnings
    points = dict(query(db, "SELECT report_ref, [round(lat, 4), round(lon, 4)] FROM reports"))
    assert points == {"1": [52.665, 0.159], "2": [52.574, -0.241], "3": [52.6641, 0.1597],
                      "4": [52.1923, 0.1372]}   # grid metres with thousands separators stay metres


def test_nationalities_are_read_without_what_reporters_add_and_unknown_ones_are_named(tmp_path):
    db = tmp_path / "w.duckdb"
    rows = ["Vietnamese (believed)", "possibly Romanian", "Polish x3; Lithuanian x2", "Romanian (2), Moldovan (1)",
            "Romanian nationals", "Albanian?", "Eastern European", "Ukranian", "Lithuanian (poss Latvian)",
            "Chinese nationals x4", "x2 Polish", "Albanian or Kosovan", "Men"]
    f = write_text(tmp_path / "r.csv", "Ref,Date,Postcode,Nationalities\n" +
                   "".join(f'R{i},2025-10-01,PE13 1AB,"{n}"\n' for i, n in enumerate(rows)))
    s = load_file("reports", f, db=db)
    got = dict(query(db, "SELECT report_ref, nationalities FROM reports"))
    assert [got[f"R{i}"] for i in range(len(rows))] == [
        ["Vietnamese"], ["Romanian"], ["Lithuanian", "Polish"], ["Moldovan", "Romanian"], ["Romanian"], ["Albanian"],
        ["Eastern European"], ["Ukranian"], ["Latvian", "Lithuanian"], ["Chinese"], ["Polish"], ["Albanian", "Kosovan"],
        []]
    assert any(w.startswith("nationalities not in the vocabulary") and "'Eastern European' (1)" in w
               and "'Ukranian' (1)" in w and "Romanian" not in w for w in s.warnings)


def test_a_nationality_whose_name_holds_and_is_not_split(tmp_path):
    """A list splits on "and"; "Trinidad and Tobago" (etl/vocab/nationality_names_with_and.toml) does not."""
    db = tmp_path / "w.duckdb"
    rows = ["Trinidad and Tobago", "Romanian and trinidadian AND tobagonian", "Bosnia and Herzegovina x2",
            "St Vincent and the Grenadines / Polish", "Trinidad and Polish"]
    f = write_text(tmp_path / "r.csv", "Ref,Date,Postcode,Nationalities\n" +
                   "".join(f'R{i},2025-10-01,PE13 1AB,"{n}"\n' for i, n in enumerate(rows)))
    load_file("reports", f, db=db)
    got = dict(query(db, "SELECT report_ref, nationalities FROM reports"))
    assert [got[f"R{i}"] for i in range(len(rows))] == [
        ["Trinidad and Tobago"], ["Romanian", "trinidadian and tobagonian"], ["Bosnia and Herzegovina"],
        ["Polish", "St Vincent and the Grenadines"], ["Polish", "Trinidad"]]


def test_an_address_saved_in_decomposed_unicode_is_the_same_door(tmp_path):
    """A Mac or a web form may save "Š" as S and a combining caron: still one address, one row to visit."""
    import unicodedata

    from operations.vocabulary import address_norm

    composed = "Flat 2 Šalčios House, 4 Mill Lane, Wisbech"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    f = write_text(tmp_path / "r.csv", "Ref,Date,Address,Postcode\n"
                                       f'R1,2025-10-01,"{composed}",PE13 1AB\nR2,2025-10-02,"{decomposed}",PE13 1AB\n')
    db = tmp_path / "w.duckdb"
    load_file("reports", f, db=db)
    assert query(db, "SELECT count(DISTINCT addr_key), count(DISTINCT addr_id) FROM reports") == [(1, 1)]
    assert scalar(db, "SELECT any_value(addr_key) FROM reports") == address_norm(decomposed) == address_norm(composed)


def test_a_point_far_from_its_own_postcode_is_said(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("postcodes", write_text(tmp_path / "pc.csv", "postcode,latitude,longitude\nPE13 1AB,52.6650,0.1600\n"),
              db=db)
    f = write_text(tmp_path / "r.csv", "Ref,Date,Postcode,Latitude,Longitude\n"
                                       "K1,2025-10-01,PE13 1AB,52.2050,0.1210\n"      # Cambridge: 51 km off
                                       "K2,2025-10-01,PE13 1AB,52.6660,0.1610\n"     # next door
                                       "K3,2025-10-01,PE13 1AB,0.1600,52.6650\n")    # swapped: said as such
    s = load_file("reports", f, db=db)
    assert "1 row(s) give a point more than 5 km from their own postcode's (row 2: 'PE13 1AB', 51 km): one of " \
           "the two is wrong; the point is used" in s.warnings, s.warnings
