"""Broken and hostile files: each gives a clear error or loads cleanly in part, never a traceback or a
hang, and nothing already in the warehouse is lost."""
from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.errors import LoadError
from etl.loading import load_file
from tests.helpers import query, write_text

GOOD = "Licence Number,Address,Max Occupants\nKEEP1,1 Keep St PE13 1AB,5\n"


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "w.duckdb"
    load_file("hmo", write_text(tmp_path / "good.csv", GOOD), db=db, source="Existing")
    return db


def _still_there(db):
    assert query(db, "SELECT licence_ref FROM hmo_licences WHERE source = 'Existing'") == [("KEEP1",)]


def _xlsx_bytes(rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 300_000_000 + b">")


CASES = {
    "truncated": (b"Licence Number,Address\nL1,\"1 A St", "ok_or_error"),
    "wrong_delimiter": (b"Licence Number|Address|Max Occupants\nL1|1 A St PE13 1AB|5\n", "ok"),
    "mixed_encodings": ("Licence Number,Address\nL1,Caf\u00e9 A\n".encode() + "L2,Caf\u00e9 B\n".encode("cp1252"), "ok"),
    "huge_cell": (b"Licence Number,Address\nL1," + b"x" * 10_000_000 + b"\n", "ok_or_error"),
    "wide_header": (("Licence Number,Address," + ",".join(f"c{i}" for i in range(100_000)) + "\nL1,1 A St\n").encode(),
                    "ok"),
    "nul_bytes": (b"Licence Number,Address\nL1,1 A\x00 St\n", "ok"),
    "bom_only": (b"\xef\xbb\xbf", "error"),
    "empty": (b"", "error"),
    "pdf": (b"%PDF-1.4 junk", "error"),
    "year_1900_and_2100": (b"Licence Number,Address,Licence Expiry Date\nL1,1 A St,01/01/1900\nL2,2 A St,01/01/2100\n",
                           "error"),
    "empty_sheet": (_xlsx_bytes([]), "error"),
    "header_only": (b"Licence Number,Address\n", "error"),
}


@pytest.mark.parametrize("name", CASES)
def test_broken_file(tmp_path, db, name):
    content, expected = CASES[name]
    f = tmp_path / (f"{name}.xlsx" if name == "empty_sheet" else f"{name}.csv")
    f.write_bytes(content)
    try:
        summary = load_file("hmo", f, db=db, source=name)
        assert expected in ("ok", "ok_or_error"), f"{name} should have been refused"
        assert summary.rows_read == summary.rows_loaded + summary.rows_rejected + summary.rows_collapsed
    except LoadError as exc:
        assert expected in ("error", "ok_or_error"), f"{name}: {exc}"
        assert str(exc).startswith(f"{f.name}")
    _still_there(db)


def test_year_1900_and_2100_are_rejected_not_loaded(tmp_path, db):
    f = write_text(tmp_path / "dates.csv", "Licence Number,Address,Licence Expiry Date\nL1,1 A St,01/01/1900\nL2,2 A St,01/01/2100\n")
    with pytest.raises(LoadError, match="all 2 rows were rejected"):
        load_file("hmo", f, db=db)
    assert query(db, "SELECT row_number FROM rejects ORDER BY 1") == [(2,), (3,)]


def test_xlsx_zip_bomb_is_refused(tmp_path, db):
    f = tmp_path / "bomb.xlsx"
    _zip_bomb(f)
    with pytest.raises(LoadError, match="zip bomb"):
        load_file("hmo", f, db=db)
    _still_there(db)


def test_self_intersecting_boundary_is_repaired(tmp_path, db):
    bowtie = {"type": "Feature", "properties": {"LAD24CD": "E07000010", "LAD24NM": "Fenland"},
              "geometry": {"type": "Polygon", "coordinates": [[[0.0, 52.5], [0.2, 52.7], [0.2, 52.5], [0.0, 52.7], [0.0, 52.5]]]}}
    f = tmp_path / "b.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [bowtie]}))
    s = load_file("boundaries", f, db=db)
    assert s.rows_loaded == 1 and any("repaired" in w or "invalid" in w for w in s.warnings)
    _still_there(db)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2_000))
def test_arbitrary_bytes_never_crash(tmp_path_factory, body):
    tmp = tmp_path_factory.mktemp("fuzz")
    db = tmp / "w.duckdb"
    load_file("hmo", write_text(tmp / "good.csv", GOOD), db=db, source="Existing")
    f = tmp / "fuzz.csv"
    f.write_bytes(b"Licence Number,Address\n" + body)
    try:
        load_file("hmo", f, db=db, source="fuzz")
    except LoadError:
        pass
    _still_there(db)


MESSY_REPORT = ("Report Ref,Date Received,Address,Postcode,Latitude,Longitude,People Seen,Grading,Indicators\n"
                "R1,01/11/2026,1 Mill Lane,PE13 1AA,,,many,1-B-P,\n"
                "R2,01/11/2026,2 Mill Lane,PE13 1AA,,,99999999999,,\n"
                "R3,31/02/2026,3 Mill Lane,PE13 1AA,,,3,,\n"
                "R4,01/11/2026,4 Mill Lane,PE13 1AA,north,east,,9-Z-Q,\n"
                "R5,01/11/2026,5 Mill Lane,PE13 1AA,52.66,0.16,about 4 people,2-C-P,vans\n")


def test_messy_report_cells_are_rejected_by_row_not_by_file(tmp_path, db):
    """An overflowing number where a count belongs is that row's problem, never the whole file's; a word
    without a number ("many") keeps the report without a count."""
    s = load_file("reports", write_text(tmp_path / "messy.csv", MESSY_REPORT), db=db, source="messy")
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (5, 2, 3)
    reasons = dict(query(db, "SELECT row_number, reason FROM rejects WHERE load_id = ?", [s.load_id]))
    assert "99999999999" in reasons[3]
    assert query(db, "SELECT report_ref, people_count FROM reports WHERE source = 'messy' ORDER BY 1") == \
        [("R1", None), ("R5", 4)]
    _still_there(db)


def test_overflowing_counts_in_a_register_are_rejected_by_row(tmp_path, db):
    f = write_text(tmp_path / "counts.csv", "Licence Number,Address,Maximum Occupants,Households\n"
                                            "L1,1 A St,99999999999999,many\nL2,2 A St,6,2\n")
    s = load_file("hmo", f, db=db, source="counts")
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    reason = query(db, "SELECT reason FROM rejects WHERE load_id = ?", [s.load_id])[0][0]
    assert "maximum occupants '99999999999999' is not a whole number" in reason
    _still_there(db)


def _cells_file(tmp, header, rows):
    import csv

    f = tmp / "cells.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return f


CELL = st.one_of(st.text(max_size=20), st.from_regex(r"-?[0-9]{1,14}(\.[0-9]{0,9})?", fullmatch=True),
                 st.sampled_from(["many", "1-B-P", "9-Z-Q", "31/02/2026", "01/11/2026", "2026-11-01", "PE13 1AA",
                                  "52.66", "0.16", "540000", "300000", "NaN", "inf", "-0", ""]))


def _every_row_loads_or_is_rejected(kind, tmp, header, rows):
    """A well-formed file of any cell values gives loaded rows and rejected rows, never a refused file."""
    try:
        s = load_file(kind, _cells_file(tmp, header, rows), db=tmp / "w.duckdb")
    except LoadError as exc:
        assert "refused the data" not in str(exc), str(exc)
        return
    assert s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_collapsed


HEADERS = {
    "hmo": ["Licence Number", "Address", "Max Occupants", "Licence Expiry Date", "Households", "Storeys"],
    "reports": ["Report Ref", "Date Received", "Address", "Postcode", "Latitude", "Longitude", "People Seen",
                "Grading", "Easting"],
    "cases": ["Case Reference", "Date Opened", "Postcode", "Latitude", "Longitude", "Nationality"],
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", HEADERS)
@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arbitrary_cells_load_or_reject_every_row(tmp_path_factory, kind, data):
    header = HEADERS[kind]
    rows = data.draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 1), max_size=15))
    _every_row_loads_or_is_rejected(kind, tmp_path_factory.mktemp(f"{kind}-cells"), header, rows)
