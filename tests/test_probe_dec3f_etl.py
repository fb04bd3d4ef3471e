"""Red-team probes (December, third round, f): a file's coordinate columns the wrong way round, words for no value
in an address's parts, a note with as many fields as the header, a year after an apostrophe.

- A file whose every row gives its latitude and longitude (or easting and northing) the wrong way round had each
  row flagged swapped and left off every map: the partner's whole file vanished. Its two columns are now read the
  other way round, and the summary says so; a single swapped row in a good file keeps its flag.
- An address in parts stored "12 Mill Road, N/A, Cambridge": each part's "N/A", "NULL", "-" is now a blank.
- A note whose commas split it into the header's number of fields loaded as a licence numbered
  "* Licence under appeal"; it is now skipped and counted as a note. A licence "*HMO3" with a postcode and a date,
  or "*123", still loads.
- "01 June '26" and "3 Nov '26" were rejected as no date.
"""
from __future__ import annotations

import pytest

from tests.helpers import load_text, query

WRONG_WAY = "the file's 'Latitude' and 'Longitude' columns are the wrong way round: read the other way round"


# --- 1. coordinate columns the wrong way round ------------------------------------------------------------

SWAPPED_ROWS = ["0.1218,52.2053", "0.1300,52.2100", "-0.2402,52.5740", "0.1500,52.2000"]
FILES = {
    "reports": ("Report Ref,Date Received,Source Type,Latitude,Longitude\n", "R{i},2026-06-0{i},police,{xy}\n",
                "SELECT lat, lon, location_flag FROM reports ORDER BY report_ref"),
    "hmo": ("Licence Number,Address,Latitude,Longitude\n", "L{i},{i} Mill Road,{xy}\n",
            "SELECT lat, lon, location_flag FROM hmo_licences ORDER BY licence_ref"),
    "cases": ("Case Reference,Date Opened,Latitude,Longitude\n", "C{i},2026-06-0{i},{xy}\n",
              "SELECT lat, lon, location_flag FROM cases ORDER BY lat"),
}


def _file(kind: str, pairs: list[str]) -> str:
    header, row, _ = FILES[kind]
    return header + "".join(row.format(i=i, xy=xy) for i, xy in enumerate(pairs, 1))


@pytest.mark.parametrize("kind", ["reports", "hmo", "cases"])
def test_a_file_with_latitude_and_longitude_the_wrong_way_round_is_read_the_other_way(tmp_path, reader, kind):
    db = tmp_path / "w.duckdb"
    s = load_text(db, kind, _file(kind, SWAPPED_ROWS), source="partner")
    assert s.rows_loaded == 4
    [note] = [w for w in s.warnings if "wrong way round" in w]
    assert note.startswith(WRONG_WAY)
    assert "4 of its 4 rows" in note
    assert not any("flagged swapped" in w for w in s.warnings)
    rows = query(db, FILES[kind][2])
    assert all(52 < lat < 53 and -1 < lon < 1 and flag is None for lat, lon, flag in rows)


def test_only_the_whole_file_is_read_the_other_way_a_row_or_two_keep_their_flag(tmp_path, reader):
    """One side of the rule with the other, in one warehouse: a file of swapped rows is read the other way round; a
    good file with one swapped row, a file of only two (area.toml [swapped_columns] fewest_rows) and a correct file
    are read as written, each swapped row flagged as before."""
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", _file("reports", SWAPPED_ROWS), source="whole")
    assert any(w.startswith(WRONG_WAY) for w in s.warnings)
    one = ["52.2053,0.1218", "52.2100,0.1300", "52.5740,-0.2402", "0.1500,52.2000"]
    s = load_text(db, "reports", _file("reports", one), source="one", name="one.csv")
    assert not any("wrong way round" in w for w in s.warnings)
    assert any(w.startswith("1 row(s) flagged swapped_lat_lon") for w in s.warnings)
    s = load_text(db, "reports", _file("reports", SWAPPED_ROWS[:2]), source="two", name="two.csv")
    assert not any("wrong way round" in w for w in s.warnings)
    s = load_text(db, "reports", _file("reports", one[:3]), source="good", name="good.csv")
    assert not any("wrong way round" in w or "swapped" in w for w in s.warnings)
    assert query(db, "SELECT source, count(*) FILTER (WHERE location_flag = 'swapped_lat_lon'), "
                     "count(*) FILTER (WHERE lat BETWEEN 52 AND 53) FROM reports GROUP BY 1 ORDER BY 1") == \
        [("good", 0, 3), ("one", 1, 3), ("two", 2, 0), ("whole", 0, 4)]


def test_a_file_with_easting_and_northing_the_wrong_way_round_is_read_the_other_way(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Easting,Northing\nE1,1 Mill Road,258012,545043\n"
                             "E2,2 Mill Road,259034,546011\nE3,3 Mill Road,300127,519056\n", source="fen")
    [note] = [w for w in s.warnings if "wrong way round" in w]
    assert note.startswith("the file's 'Easting' and 'Northing' columns are the wrong way round: read the other way "
                           "round ('Easting' as the northing, 'Northing' as the easting), as 3 of its 3 rows")
    rows = query(db, "SELECT lat, lon, location_flag FROM hmo_licences ORDER BY licence_ref")
    assert all(52 < lat < 53 and -1 < lon < 1 and flag is None for lat, lon, flag in rows)


# --- 2. words for no value in an address's parts ---------------------------------------------------------

def test_words_for_no_value_in_address_parts_are_blanks(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    load_text(db, "hmo", "Licence Number,Address Line 1,Address Line 2,Town,Postcode\n"
                         "P1,12 Mill Road,N/A,Cambridge,CB1 2AD\nP2,14 Mill Road,NULL,-,CB1 2AD\n"
                         "P3,Flat 2,16 Mill Road,Unknown,CB1 2AD\nP4,18 Mill Road,Romsey,Cambridge,CB1 2AD\n",
              source="city")
    assert query(db, "SELECT licence_ref, address FROM hmo_licences ORDER BY 1") == [
        ("P1", "12 Mill Road, Cambridge"), ("P2", "14 Mill Road"), ("P3", "Flat 2, 16 Mill Road"),
        ("P4", "18 Mill Road, Romsey, Cambridge")]


# --- 3. a note with as many fields as the header --------------------------------------------------------

def test_a_note_with_the_headers_field_count_is_skipped_and_a_starred_licence_is_not(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Expiry\n"
                             "L1,1 Mill Road Cambridge CB1 2AD,2027-03-31\n"
                             "* Licence under appeal, see s.62, Housing Act 2004\n"
                             "*HMO3,3 Mill Road Cambridge CB1 2AD,2027-03-31\n"
                             "*123,4 Mill Road Cambridge CB1 2AD,2027-03-31\n"
                             "*HMO5 Annex,5 Mill Road,\n"
                             "Source: Cambridge City Council, public register, November 2026\n"
                             "Total,212,\n", source="city")
    assert query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1") == \
        [("*123",), ("*HMO3",), ("*HMO5 Annex",), ("L1",)]
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (4, 4, 0)
    assert "3 row(s) read as a footer or a note (a total, a page number, 'printed on …') and skipped: " \
           "etl/vocab/rows.toml says which rows are not data" in s.warnings


def test_a_note_among_the_rows_is_skipped_wherever_it_is(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "hmo", "Licence Number,Address,Expiry\nL1,1 Mill Road Cambridge CB1 2AD,2027-03-31\n"
                             "Note: the next licence, renewed, is under review\n"
                             "L2,2 Mill Road Cambridge CB1 2AD,2027-03-31\n", source="city")
    assert query(db, "SELECT licence_ref FROM hmo_licences ORDER BY 1") == [("L1",), ("L2",)]
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (2, 2, 0)


# --- 4. a year after an apostrophe ----------------------------------------------------------------------

def test_a_two_digit_year_after_an_apostrophe_is_read(tmp_path, reader):
    db = tmp_path / "w.duckdb"
    s = load_text(db, "reports", "Report Ref,Date Received,Source Type,Postcode\n"
                                 "R1,01 June '26,police,PE13 1AB\nR2,3 Nov '26,police,PE13 1AB\n"
                                 "R3,01/06/'26,police,PE13 1AB\nR4,'01/06/2026,police,PE13 1AB\n", source="fen")
    assert s.rows_rejected == 0
    assert query(db, "SELECT report_ref, received_on::VARCHAR FROM reports ORDER BY 1") == [
        ("R1", "2026-06-01"), ("R2", "2026-11-03"), ("R3", "2026-06-01"), ("R4", "2026-06-01")]
