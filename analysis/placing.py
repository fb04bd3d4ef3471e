"""What the loaded reference files let the warehouse know about where reports are, for the pages to say so.

The ETL puts a report in a district by the district boundaries, or, with none loaded, by the district the postcode
lookup gives its postcode; a report with a postcode and no coordinates takes its position from the lookup alone
(etl/geocode.py). Without boundaries and without a lookup that names districts, every report is in "Unknown
district", and a page that lists the six districts beside it reads as six counts of zero. With the boundaries of some
districts only (a file holding Cambridge and Peterborough), a report in any other district is in none of them: the
load flags it as outside the area, and a zero for that district is not a count either (`Reference.districts`). Without a lookup, every
report with only a postcode is off the map, and the map's "no usable location" does not say why.

The hotspot statistics (analysis/hotspots.py) take the study area from the boundaries of the districts in view,
so a district whose boundary is loaded but no report file covers (a force that began with one council's reports)
adds its hexagons as zeros. `districts_without_reports` names them; the method itself is not changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analysis import study_area
from etl import vocab

_TABLES_SQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
               "AND list_contains(?, table_name)")


@dataclass(frozen=True)
class Reference:
    """How much of the district boundaries and the postcode lookup is loaded."""
    district_boundaries: int     # force-area districts with a boundary loaded
    postcodes: int               # postcodes in the lookup
    postcode_districts: int      # of them, those the lookup gives a force-area district
    districts: tuple[str, ...] = ()   # the force-area districts (codes) a report can be placed in (`reference`)

    @property
    def districts_known(self) -> bool:
        """Whether any report can be put in a district: false means "Unknown district" holds them all,
        and a zero for a district is not a count."""
        return bool(self.districts)

    @property
    def districts_missing(self) -> tuple[str, ...]:
        """The force-area districts (codes, in the vocabulary's order) no report can be placed in while others can:
        a zero for one of them is not a count. Empty when every district, or none, can hold reports."""
        if not self.districts:
            return ()
        return tuple(code for code in vocab.area_districts() if code not in self.districts)


def reference(con: duckdb.DuckDBPyConnection) -> Reference:
    """The boundaries and postcodes loaded, counted for the force's six districts (a table a warehouse lacks counts
    as nothing loaded), and the districts a report can be placed in as the load places it: when any district
    boundary is loaded, only those with a boundary (a point elsewhere is flagged outside the area); else all six
    when the postcode lookup names any (a lookup is read as covering the area: a postcode it lacks is its gap, not
    a district's), and none without."""
    have = {r[0] for r in con.execute(_TABLES_SQL, [["boundaries", "postcodes"]]).fetchall()}
    six = list(vocab.area_districts())
    any_boundary, bounded = con.execute(
        "SELECT count(*) > 0, list(DISTINCT code) FILTER (WHERE list_contains(?, code)) FROM boundaries "
        "WHERE level = ?", [six, "district"]).fetchone() if "boundaries" in have else (False, [])
    postcodes, named = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE list_contains(?, district_code)) FROM postcodes",
        [six]).fetchone() if "postcodes" in have else (0, 0)
    placeable = set(bounded or []) if any_boundary else set(six) if named else set()
    return Reference(len(bounded or []), int(postcodes), int(named),
                     tuple(code for code in six if code in placeable))


@dataclass(frozen=True)
class Coverage:
    """The districts of a hotspot study area drawn from boundaries, by whether any loaded report is in them."""
    without_reports: tuple[str, ...] = ()     # names, as the boundary file gives them
    with_reports: tuple[str, ...] = ()

    @property
    def uneven(self) -> bool:
        """Some districts of the area hold reports and some hold none from any file: a hot spot is then judged
        against hexagons no report source covers."""
        return bool(self.without_reports and self.with_reports)


def districts_without_reports(con: duckdb.DuckDBPyConnection, districts: tuple[str, ...] = ()) -> Coverage:
    """The study area's districts (`districts`, a filter's; empty for all six) with a boundary loaded, split by
    whether any report of any loaded file, whatever its date, is placed in them as the hotspot statistics count
    reports (a position, not flagged). Other filters do not narrow it: a district no file covers is not a quiet
    district."""
    rows = con.execute("""
        SELECT coalesce(b.name, b.code) AS name,
               EXISTS (SELECT 1 FROM reports r WHERE r.district_code = b.code
                       AND r.lat IS NOT NULL AND r.location_flag IS NULL) AS placed
        FROM boundaries b
        WHERE b.level = 'district' AND list_contains(?, b.code)
        ORDER BY name
    """, [study_area.in_view(districts)]).fetchall()
    return Coverage(tuple(n for n, placed in rows if not placed), tuple(n for n, placed in rows if placed))
