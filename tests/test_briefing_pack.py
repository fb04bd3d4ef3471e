"""The briefing pack opens, names every stop (accents and all), draws the district outlines, and the GPX
file is well-formed with every placed stop."""
from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pandas as pd
from pypdf import PdfReader

from operations import briefing_pdf, gpx, plans

START = plans.Start("Parkside Police Station, Cambridge", 52.2036, 0.1320)
HOSTILE = "<img src=x onerror=alert(1)> =HYPERLINK(\"x\")"


def stops() -> pd.DataFrame:
    frame = pd.DataFrame({
        "address_key": ["L|F|1", "A|2|", "A|3|", "A|4|"],
        "address": ["14 Mill Lane, Wisbech", "Šv. Jono g. 5 & Strada Ştefan cel Mare 2", HOSTILE, "Unplaced Farm"],
        "postcode": ["PE13 1AB", "PE15 8AA", None, None],
        "district": ["Fenland", "Fenland", "Cambridge", None],
        "lat": [52.665, 52.55, 52.21, None], "lon": [0.16, 0.088, 0.13, None],
        "licence_ref": ["FDC/1", None, None, None],
        "licence_status": ["expired", "possible_unlicensed", "not an HMO on record", None],
        "over_occupied": [True, False, False, False],
        "indicators": [["long_hours_low_pay"], ["overcrowding"], [], []],
        "reasons": ["3 reports in the last 90 days", "x" * 3000, "1 report", None],
        "languages": ["Lithuanian, Russian", "Romanian", None, None],
    })
    return plans.ordered(frame, START)


def reports() -> pd.DataFrame:
    return pd.DataFrame({"address_key": ["L|F|1", "L|F|1"],
                         "received_on": [pd.Timestamp("2026-11-20"), pd.Timestamp("2026-10-01")],
                         "grading": ["1-B-P", None], "source_type": ["police", "public"],
                         "summary": ["Men collected by van at 5am; mattresses seen.", "Curtains drawn\nall day"],
                         "indicators": [["van_pickups"], ["curtains_drawn"]]})


DISTRICTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "E07000010", "name": "Fenland"},
     "geometry": {"type": "Polygon", "coordinates": [[[0.0, 52.5], [0.3, 52.5], [0.3, 52.7], [0.0, 52.7], [0.0, 52.5]]]}},
    {"type": "Feature", "properties": {"code": "E07000008", "name": "Cambridge"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[0.07, 52.17], [0.2, 52.17], [0.2, 52.24], [0.07, 52.17]]]]}}]}


def pack(**kw) -> briefing_pdf.Pack:
    base = dict(name="Operation Hearth", planned_for=dt.date(2026, 11, 29), team="PC 123, VCC (Lithuanian)",
                start=START, stops=stops(), reports=reports(), districts=DISTRICTS, prepared_by="lead")
    return briefing_pdf.Pack(**{**base, **kw})


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pack_opens_and_names_every_stop_in_order():
    p = pack()
    data = briefing_pdf.render(p)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    flat = " ".join(text.split())
    for number, address in enumerate(p.stops["address"], start=1):
        assert f"Stop {number}." in flat
        assert " ".join(address.split()) in flat, address
    assert "Šv. Jono g. 5" in flat and "Ştefan" in flat  # Lithuanian and Romanian letters print as written
    assert "Victims first" in flat and "08000 121 700" in flat and "National Referral Mechanism" in flat
    assert "OFFICIAL-SENSITIVE" in flat
    assert "Lithuanian" in flat and "GLAA" in flat and "Council housing" in flat  # team needs
    assert "Men collected by van at 5am" in flat and "1-B-P" in flat  # recent reports with their gradings
    assert "1-B-P · Police: Men collected" in flat and "ungraded · Member of the public: Curtains" in flat
    assert "· public:" not in flat and "· police:" not in flat  # who reported, in words, not the stored code
    assert "no map position" in flat  # the unplaced stop is listed, last


def test_the_map_draws_the_route_and_district_outlines():
    with_outlines = briefing_pdf.render(pack())
    without = briefing_pdf.render(pack(districts=None))
    assert len(with_outlines) > len(without)  # the outlines are drawn from the warehouse's geometries
    assert pdf_text(without)  # and the pack still works without boundaries


def test_a_pack_with_one_stop_and_no_reports():
    one = stops().head(1)
    text = pdf_text(briefing_pdf.render(pack(stops=one, reports=pd.DataFrame(columns=["address_key"]))))
    assert "Stop 1." in text and "Recent reports: none" in " ".join(text.split())


def test_gpx_has_every_placed_stop_in_order_and_escapes_text():
    s = stops()
    data = gpx.render("Operation <Hearth>", START, s)
    root = ET.fromstring(data)
    ns = {"g": gpx.NS}
    names = [e.text for e in root.findall("g:wpt/g:name", ns)]
    assert names[0].startswith("Start")
    placed = s[s["lat"].notna()]
    assert len(names) == 1 + len(placed)
    assert names[1:] == [f"{i}. {a}" for i, a in enumerate(placed["address"], start=1)]
    assert len(root.findall("g:rte/g:rtept", ns)) == 1 + len(placed)
    assert root.find("g:metadata/g:name", ns).text == "Operation <Hearth>"
    assert b"<img" not in data  # escaped as &lt;img


def test_partners_follow_the_vocabulary():
    s = stops().set_index("address")
    assert "Council housing / HMO licensing" in s.loc["14 Mill Lane, Wisbech", "partners"]
    assert "GLAA" in s.loc["14 Mill Lane, Wisbech", "partners"]
    assert "Fire and rescue service" in s.loc["14 Mill Lane, Wisbech", "partners"]  # over-occupied
    assert s.loc[HOSTILE, "partners"] == ""
    assert plans.languages(stops()) == ["Lithuanian", "Romanian", "Russian"]


def test_a_stops_licence_is_said_once_under_its_label():
    """The pack prints "HMO licence" as the label: the words after it must not say "licence" again."""
    assert briefing_pdf._licence_words("expiring", "L1") == "expiring soon (L1)"
    assert briefing_pdf._licence_words("expired", None) == "expired"


def test_characters_the_font_cannot_print_are_marked_not_dropped():
    """fpdf2 leaves a glyph the font lacks out without a trace: "Seen 👩‍👧 at the door" printed as
    "Seen  at the door", and an Arabic or Chinese name vanished from a report. Each run prints as one mark,
    the joiners inside an emoji with it, and the pack says what the mark means."""
    hostile = reports().assign(summary=["Seen 👩\u200d👧 at the door; note 中文 here; name مرحبا",
                                        "Curtains drawn \U0001F3E0\ufe0f"])
    text = " ".join(pdf_text(briefing_pdf.render(pack(reports=hostile))).split())
    mark = briefing_pdf.UNPRINTABLE
    assert f"Seen {mark} at the door; note {mark} here; name {mark}" in text
    assert f"Curtains drawn {mark}" in text
    assert "marks characters this PDF cannot print" in text
    plain = " ".join(pdf_text(briefing_pdf.render(pack())).split())
    assert mark not in plain and "cannot print" not in plain


def test_stops_without_a_map_position_are_said_in_the_gpx_and_the_pack():
    """The GPX left unplaced stops out without a word, and a plan with none placed printed "about 0.0 km", as if
    every door were at the start."""
    root = ET.fromstring(gpx.render("Op", START, stops()))
    assert "1 stop(s) of this plan have no map position" in root.find(f"{{{gpx.NS}}}metadata/{{{gpx.NS}}}desc").text
    marked = ET.fromstring(gpx.marked(gpx.render("Op", START, stops()), "SYNTHETIC DEMO DATA", "DEMO"))
    assert "have no map position" in marked.find(f"{{{gpx.NS}}}metadata/{{{gpx.NS}}}desc").text  # kept beside the note
    unplaced = stops().assign(lat=None, lon=None)
    text = " ".join(pdf_text(briefing_pdf.render(pack(stops=unplaced))).split())
    assert "No stop has a map position, so there is no route to measure" in text and "0.0 km" not in text
    assert "about" in " ".join(pdf_text(briefing_pdf.render(pack())).split())
