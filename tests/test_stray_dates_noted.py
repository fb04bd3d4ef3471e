"""A report dated far outside the rest of its file is named in the summary as a warning, and still loads: one
Excel serial among October's rows loaded as March 2023 without a word, and the dashboard then said the files
cover 2023-2026."""
from __future__ import annotations

import datetime as dt

from etl import vocab
from etl.loading import load_file
from tests.helpers import query, write_text

PROBE = ("Ref,Date Received,Address,Postcode\n"
         'PX-1,46300,"1 Alpha Road, March",PE15 9AA\n'
         'PX-2,2026-10-06,"2 Alpha Road, March",PE15 9AA\n'
         'PX-3,7 Oct 2026,"3 Alpha Road, Wisbech",PE13 1AL\n'
         'PX-4,08/10/2026,"4 Alpha Road, Wisbech",PE13 1AL\n'
         'PX-5,45000,"5 Alpha Road, Wisbech",PE13 1AL\n'
         'PX-6,9/10/26,6 Alpha Road,PE13 1AL\n')


def _load(db, text, name="r.csv"):
    return load_file("reports", write_text(db.parent / name, text), db=db, source=name)


def _dated(days: list[dt.date]) -> str:
    return "Ref,Date Received,Address,Postcode\n" + "".join(
        f"R{i},{d:%d/%m/%Y},{i} Alpha Road,PE13 1AL\n" for i, d in enumerate(days))


def test_a_stray_excel_serial_is_named_and_still_loads(db):
    s = _load(db, PROBE)
    assert (s.rows_loaded, s.rows_rejected) == (6, 0)
    assert ("1 row(s) dated far from the rest of the file, whose middle half runs from 5 Oct 2026 to 8 Oct 2026: "
            "row 6 (15 Mar 2023). Loaded as given, but the dates the dashboard covers stretch to them: check each "
            "for a typo in the year, or a number from another column read as an Excel date") in s.warnings
    assert query(db, "SELECT received_on FROM reports WHERE report_ref = 'PX-5'") == [(dt.date(2023, 3, 15),)]


def test_a_file_that_really_spans_years_is_judged_by_its_spread(db):
    days = [dt.date(2015, 1, 1) + dt.timedelta(days=200 * i) for i in range(20)]   # 2015 to 2025, evenly
    s = _load(db, _dated([*days, dt.date(1995, 6, 1)]))
    assert s.rows_loaded == 21
    said = [w for w in s.warnings if "dated far from" in w]
    assert len(said) == 1 and said[0].startswith("1 row(s)") and ": row 22 (1 Jun 1995). Loaded" in said[0]


def test_a_file_too_small_to_judge_names_none(db):
    october = [dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)]
    s = _load(db, _dated([*october, dt.date(2023, 3, 15)]))
    assert s.rows_loaded == 4 and not any("dated far from" in w for w in s.warnings)
    s = _load(db, _dated([*october, dt.date(2026, 10, 4), dt.date(2023, 3, 15)]), name="five.csv")
    assert any("dated far from" in w and "row 6 (15 Mar 2023)" in w for w in s.warnings)


def _with_days(monkeypatch, days: int) -> None:
    table = dict(vocab.load("dates"))
    monkeypatch.setattr(vocab, "load", lambda name, real=vocab.load: (
        {**table, "stray_dates": {**table["stray_dates"], "days": days}} if name == "dates" else real(name)))


def test_the_threshold_is_data(db, monkeypatch):
    """etl/vocab/dates.toml says how far is far: by default two months off is near enough; with 30 days, not."""
    text = _dated([dt.date(2026, 10, d) for d in range(1, 9)] + [dt.date(2026, 8, 1)])
    s = _load(db, text)
    assert s.rows_loaded == 9 and not any("dated far from" in w for w in s.warnings)
    _with_days(monkeypatch, 30)
    s = _load(db.parent / "other.duckdb", text)   # the same file in one warehouse is "already loaded"
    assert any("dated far from" in w and "row 10 (1 Aug 2026)" in w for w in s.warnings)
