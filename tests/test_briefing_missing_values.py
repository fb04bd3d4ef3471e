"""A briefing pack never prints "nan": pandas hands a missing cell over as NaN, which is truthy, so `value or
"fallback"` let it through as the word "nan" ("Police: nan" for a report with no summary)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from operations import briefing_pdf
from tests.test_briefing_pack import pack, pdf_text, stops


def flat_text(p: briefing_pdf.Pack) -> str:
    return " ".join(pdf_text(briefing_pdf.render(p)).split())


def test_a_report_with_missing_fields_prints_words_not_nan():
    reports = pd.DataFrame({"address_key": ["L|F|1", "L|F|1"],
                            "received_on": [pd.Timestamp("2026-11-17"), pd.NaT],
                            "grading": ["1-B-P", np.nan], "source_type": ["police", np.nan],
                            "summary": [np.nan, pd.NA],
                            "indicators": [[], []]})
    flat = flat_text(pack(reports=reports))
    assert "17/11/2026 · 1-B-P · Police: (no text)" in flat
    assert "date unknown · ungraded · source unknown: (no text)" in flat
    assert "nan" not in flat.lower().replace("nancy", "")


def test_a_stop_with_missing_fields_prints_words_not_nan():
    s = stops()
    s["district"] = s["district"].astype(object)
    first = s.index[s["postcode"] == "PE13 1AB"][0]
    for col in ("district", "reasons", "languages", "partners", "licence_status", "licence_ref"):
        s.loc[first, col] = np.nan
    s.loc[first, "address"] = np.nan
    flat = flat_text(pack(stops=s))
    assert "nan" not in flat.lower()
    assert "address not recorded, PE13 1AB" in flat
    assert "Languages none identified" in flat and "Partners none identified" in flat
