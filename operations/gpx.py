"""A GPX file of a plan's stops, for a sat-nav or a phone: one waypoint per stop and the route in order."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from operations.plans import Start

NS = "http://www.topografix.com/GPX/1/1"


def render(name: str, start: Start, stops: pd.DataFrame) -> bytes:
    """GPX 1.1; stops without a position are left out (a sat-nav can't use them)."""
    ET.register_namespace("", NS)
    gpx = ET.Element(f"{{{NS}}}gpx", version="1.1", creator="Hotspots")
    meta = ET.SubElement(gpx, f"{{{NS}}}metadata")
    ET.SubElement(meta, f"{{{NS}}}name").text = name
    placed = [(n, s) for n, s in enumerate(stops.itertuples(index=False), start=1)
              if pd.notna(s.lat) and pd.notna(s.lon)]
    _point(gpx, "wpt", start.lat, start.lon, f"Start: {start.label}")
    for n, s in placed:
        _point(gpx, "wpt", s.lat, s.lon, f"{n}. {s.address}", s.postcode)
    rte = ET.SubElement(gpx, f"{{{NS}}}rte")
    ET.SubElement(rte, f"{{{NS}}}name").text = name
    _point(rte, "rtept", start.lat, start.lon, "Start")
    for n, s in placed:
        _point(rte, "rtept", s.lat, s.lon, f"{n}. {s.address}")
    return ET.tostring(gpx, encoding="utf-8", xml_declaration=True)


def _point(parent: ET.Element, tag: str, lat: float, lon: float, name: str, desc: str | None = None) -> None:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", lat=f"{float(lat):.6f}", lon=f"{float(lon):.6f}")
    ET.SubElement(el, f"{{{NS}}}name").text = name
    if isinstance(desc, str) and desc:
        ET.SubElement(el, f"{{{NS}}}desc").text = desc
