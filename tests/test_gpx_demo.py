"""A GPX route from a demo warehouse says it is made up inside the file, not only in its DEMO- name.

Loaded into a sat-nav or a phone, the file name is gone: the route read "1. 12 Mill Road", like any real
plan. The file's and the route's names now start DEMO, and their description and every point's say that the
data is synthetic. A real warehouse's GPX is unchanged, and a marked one is still the same route. The plan
page's own GPX download is checked in tests/test_demo_downloads_marked.py."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from dashboard import downloads as marks
from operations import gpx
from operations.plans import Start

NOTE = "SYNTHETIC DEMO DATA – not real people or places"
NS = {"g": gpx.NS}
STOPS = pd.DataFrame({"address": ["12 Mill Road & Co <flat 2>", "3 Fen Lane", "No position"],
                      "postcode": ["PE1 1AA", None, "PE1 9ZZ"], "lat": [52.57, 52.58, None],
                      "lon": [-0.24, -0.25, None]})


def _plain() -> bytes:
    return gpx.render("Visits 12 Mar", Start("Thorpe Wood", 52.56, -0.27), STOPS)


def _points(root: ET.Element) -> list[tuple[str, str, str, str | None]]:
    return [(p.get("lat"), p.get("lon"), p.findtext("g:name", namespaces=NS), p.findtext("g:desc", namespaces=NS))
            for p in root.iter() if p.tag in (f"{{{gpx.NS}}}wpt", f"{{{gpx.NS}}}rtept")]


def test_a_demo_gpx_says_so_in_its_names_and_every_point():
    plain = _plain()
    marked = marks.marked(lambda: plain, "gpx", demo=True)()
    root = ET.fromstring(marked)
    assert root.findtext("g:metadata/g:name", namespaces=NS) == "DEMO – Visits 12 Mar"
    assert root.findtext("g:metadata/g:desc", namespaces=NS).startswith(NOTE)   # then the stops left out, if any
    assert root.findtext("g:rte/g:name", namespaces=NS) == "DEMO – Visits 12 Mar"
    assert root.findtext("g:rte/g:desc", namespaces=NS) == NOTE
    points = _points(root)
    assert len(points) == 6 and all(desc.startswith(NOTE) for *_, desc in points)   # start + 2 stops, twice
    assert "12 Mill Road & Co <flat 2>" in [name.split(". ", 1)[-1] for _, _, name, _ in points]   # text, not markup
    assert f"{NOTE} · PE1 1AA" in [desc for *_, desc in points]                   # the postcode is kept
    # The same route: positions, names and order as the plain file, and GPX 1.1's order inside each element.
    before = _points(ET.fromstring(plain))
    assert [p[:3] for p in points] == [p[:3] for p in before]
    for el in root.iter():
        tags = [c.tag.split("}")[1] for c in el]
        if "desc" in tags and "name" in tags:
            assert tags.index("desc") == tags.index("name") + 1
    rte = [c.tag.split("}")[1] for c in root.find("g:rte", NS)]
    assert rte[:2] == ["name", "desc"] and set(rte[2:]) == {"rtept"}


def test_a_real_warehouses_gpx_is_unchanged():
    plain = _plain()
    assert marks.marked(lambda: plain, "gpx", demo=False)() == plain
    assert NOTE.encode() not in plain and b"DEMO" not in plain
