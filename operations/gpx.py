"""A GPX file of a plan's stops, for a sat-nav or a phone: one waypoint per stop and the route in order.

From a demo warehouse the file says so inside (`marked`): loaded into a sat-nav, a GPX is a list of stops
with no file name, banner or column beside it, and "1. 12 Mill Road" read as a real door."""
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
    left_out = len(stops) - len(placed)
    if left_out:   # said in the file, or a team driving the route would miss those doors
        ET.SubElement(meta, f"{{{NS}}}desc").text = (
            f"{left_out} stop(s) of this plan have no map position and are not in this file: find them by their "
            "address (the briefing pack lists every stop)")
    _point(gpx, "wpt", start.lat, start.lon, f"Start: {start.label}")
    for n, s in placed:
        _point(gpx, "wpt", s.lat, s.lon, f"{n}. {s.address}", s.postcode)
    rte = ET.SubElement(gpx, f"{{{NS}}}rte")
    ET.SubElement(rte, f"{{{NS}}}name").text = name
    _point(rte, "rtept", start.lat, start.lon, "Start")
    for n, s in placed:
        _point(rte, "rtept", s.lat, s.lon, f"{n}. {s.address}")
    return ET.tostring(gpx, encoding="utf-8", xml_declaration=True)


def marked(data: bytes, note: str, tag: str) -> bytes:
    """`render`'s file, saying `note` wherever a sat-nav or phone shows words about it: the file's and the
    route's names start with `tag` ("DEMO – Visits 12 Mar"), their descriptions are `note`, and so is each
    point's description (before a postcode it held). The points' names, positions and order are unchanged."""
    ET.register_namespace("", NS)
    root = ET.fromstring(data)
    meta = root.find(_q("metadata"))
    if meta is None:
        meta = ET.Element(_q("metadata"))
        root.insert(0, meta)
    for holder in (meta, *root.findall(_q("rte"))):
        name = holder.find(_q("name"))
        if name is None:
            name = ET.Element(_q("name"))
            holder.insert(0, name)
        name.text = f"{tag} – {name.text}" if name.text else tag
        desc = holder.find(_q("desc"))
        _describe(holder, f"{note} · {desc.text}" if desc is not None and desc.text else note)
    for point in (*root.iter(_q("wpt")), *root.iter(_q("rtept"))):
        desc = point.find(_q("desc"))
        _describe(point, f"{note} · {desc.text}" if desc is not None and desc.text else note)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _describe(el: ET.Element, text: str) -> None:
    """Set `el`'s desc, placed right after its name as GPX 1.1 orders them (a route's desc before its points)."""
    desc = el.find(_q("desc"))
    if desc is None:
        name = el.find(_q("name"))
        desc = ET.Element(_q("desc"))
        el.insert(list(el).index(name) + 1 if name is not None else 0, desc)
    desc.text = text


def _point(parent: ET.Element, tag: str, lat: float, lon: float, name: str, desc: str | None = None) -> None:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", lat=f"{float(lat):.6f}", lon=f"{float(lon):.6f}")
    ET.SubElement(el, f"{{{NS}}}name").text = name
    if isinstance(desc, str) and desc:
        ET.SubElement(el, f"{{{NS}}}desc").text = desc
