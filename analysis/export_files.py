"""Write analysis results to the file an analyst asked for, by its extension.

CSV and XLSX go through `spreadsheets.safe_frame`, so a cell that looks like a formula
arrives as text; GeoJSON and GeoPackage carry the cell polygons in WGS84.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd
from shapely.geometry import Polygon

from analysis import hotspots
from analysis.filters import Filters

HOTSPOT_COLUMNS = ["h3", "reports", "gi_z", "gi_p", "gi_bin", "trend"]
PRIORITY_COLUMNS = ["rank", "address", "postcode", "lat", "lon", "score", "reasons", "languages", "last_visit",
                    "last_outcome"]
FORMATS = {".csv": "CSV", ".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".xlsx": "XLSX"}


class ExportError(Exception):
    """The export can't be written as asked; the CLI prints it as one line."""


def hotspot_frame(con, f: Filters, resolution: int | None = None) -> tuple[gpd.GeoDataFrame, str | None]:
    """One row per study-area cell, with its polygon (h3 gives (lat, lng): swapped to (x, y) here), and the
    warning the map shows beside the same cells (too few reports to trust them), which the file cannot carry."""
    result = hotspots.compute(con, f, resolution)
    cells = result.cells[HOTSPOT_COLUMNS]
    polygons = [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells["h3"]]
    return gpd.GeoDataFrame(cells, geometry=polygons, crs="EPSG:4326"), result.warning


def priority_frame(con, f: Filters, today, outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every scored address, best first, with recorded visit outcomes taken into account.

    The last outcome is in the words the dashboard and the visit form use ("Potential victims identified"), not
    its stored code: a briefing reader never sees "potential_victims"."""
    from analysis.spreadsheets import rounded_positions
    from analysis.visits import visit_list
    from operations import vocabulary

    frame = visit_list(con, f, today, limit=None, outcomes=outcomes)[PRIORITY_COLUMNS].copy()
    frame = rounded_positions(frame)    # every format, GeoJSON and GeoPackage points too
    frame["last_outcome"] = [vocabulary.outcome_label(o) if isinstance(o, str) else None
                             for o in frame["last_outcome"]]
    return frame


def why_no_priorities(con, f: Filters) -> str:
    """Why a priority export holds no address: said beside "wrote 0", which otherwise reads as nothing to visit."""
    from analysis.filters import reports_where
    from analysis.visits import reports_without_a_door

    where, params = reports_where(f)
    reports = int(con.execute(f"SELECT count(*) FROM reports r WHERE {where}", params).fetchone()[0])
    dates = f"{f.date_from:%d %b %Y} to {f.date_to:%d %b %Y}"
    if not reports:
        return f"no report falls in these filters ({dates}), and no HMO licence in them was ranked"
    doorless = reports_without_a_door(con, f)
    return (f"{doorless:,} of the {reports:,} reports in these filters ({dates}) name no address to visit (no "
            "address, or a street-level location such as police.uk's), and no HMO licence in them was ranked")


def write(frame: pd.DataFrame, path: Path, allowed: tuple[str, ...]) -> str:
    """Write `frame` in the format `path`'s extension names; return that format's name."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt not in allowed:
        raise ExportError(f"{path.name}: use one of {', '.join(s for s, f in FORMATS.items() if f in allowed)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("CSV", "XLSX"):
        from analysis.spreadsheets import to_csv, to_xlsx

        table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        path.write_bytes(to_csv(table) if fmt == "CSV" else to_xlsx(table, sheet=path.stem))
    else:
        geo = frame if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
        geo.to_file(path, driver=fmt)
    return fmt
