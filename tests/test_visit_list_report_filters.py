"""A filter only reports can match (nationality, exploitation type, signs, who reported) lists only addresses
with reports in the view. A nationality filter listed a licensed HMO nobody reported (its "Romanian" from the
area's reports) above addresses with Lithuanian and Romanian reports."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from analysis import visits
from analysis.filters import Filters
from tests.analysis_fixtures import TODAY, demo_con, demo_db  # noqa: F401


def _nationalities(con, n: int = 2) -> tuple[str, ...]:
    """The demo's most reported nationalities, so the filter matches some reports."""
    rows = con.execute("SELECT nationality FROM (SELECT unnest(nationalities) AS nationality FROM reports) "
                       "GROUP BY nationality ORDER BY count(*) DESC, nationality LIMIT ?", [n]).fetchall()
    return tuple(sorted(r[0] for r in rows))


def _report_filters(con) -> dict[str, Filters]:
    base = Filters.default(TODAY)
    return {"nationality": replace(base, nationalities=_nationalities(con)),
            "sign": replace(base, indicators=("van_pickups",))}


def test_without_report_filters_unreported_licences_are_listed(demo_con):  # noqa: F811
    """The demo holds licences with no report in the view (else the test below proves nothing)."""
    every = visits.visit_list(demo_con, Filters.default(TODAY), TODAY, limit=None)
    assert (every["reports"] == 0).any()
    assert visits.lists_unreported_licences(Filters.default(TODAY))


@pytest.mark.parametrize("which", ["nationality", "sign"])
def test_a_report_filter_lists_only_reported_addresses(demo_con, which):  # noqa: F811
    f = _report_filters(demo_con)[which]
    assert not visits.lists_unreported_licences(f)
    every = visits.visit_list(demo_con, f, TODAY, limit=None)
    assert len(every) > 5 and (every["reports"] > 0).all()
    for limit in (1, 5, 25):   # the pruned list agrees with ranking every address
        top = visits.visit_list(demo_con, f, TODAY, limit=limit)
        pd.testing.assert_frame_equal(top, every.head(limit).reset_index(drop=True), check_dtype=False)
