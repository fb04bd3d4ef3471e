"""A missing licence status shows the tables' dash, never Python's "None" or "nan" as if it were a status."""
from __future__ import annotations

import pandas as pd

from dashboard import labels
from operations.plans import stops_table


def test_a_missing_licence_status_is_a_dash_and_a_known_one_its_words():
    statuses = pd.Series(["expired", None, float("nan"), ""], dtype=object)
    shown = list(statuses.map(labels.licence_status))
    assert shown[1:] == [labels.NO_VALUE] * 3
    assert shown[0] not in (labels.NO_VALUE, "expired") and "xpired" in shown[0]


def test_a_plans_stop_without_a_licence_status_reads_as_a_dash():
    stops = pd.DataFrame({"address": ["1 Mill Road", "2 Mill Road"], "postcode": ["CB1 1AA", None],
                          "district": ["Cambridge", "Cambridge"], "licence_status": ["licensed", None],
                          "licence_ref": ["L/1", None], "reasons": ["", ""], "languages": ["", ""],
                          "partners": ["", ""], "leg_km": [0.0, 0.4], "lat": [52.2, 52.2], "lon": [0.13, 0.14]})
    table = stops_table(stops, labels.licence_status)
    assert list(table["HMO licence"])[1] == labels.NO_VALUE
    assert "None" not in table.to_csv(index=False)
