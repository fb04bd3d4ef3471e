"""The briefing pack's route map keeps every stop number readable when stops are close together.

Each stop was a circle with its number, and the start a square with the word "Start" beside it: flats in one
building, or doors a few metres apart, put their circles one on another (the map is at least a kilometre across,
so a circle covers about 35 m), and a start at the first door hid under them. Only the top number could be read.
Labels that would touch now share one: "Start | 1–6", as the dashboard's route map merges its badges."""
from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
from fpdf import FPDF
from pypdf import PdfReader

from operations import briefing_pdf, plans

START = plans.Start("Wisbech Police Station", 52.66480, 0.15990)
# Three flats at one point, three doors 4-8 m apart along the street (one building's worth), one 200 m off and
# one a kilometre away; the start 25 m from the flats.
CLOSE = pd.DataFrame({
    "address_key": [f"k{i}" for i in range(8)],
    "address": ["Flat 1, 14 Mill Lane", "Flat 2, 14 Mill Lane", "Flat 3, 14 Mill Lane", "16 Mill Lane",
                "18 Mill Lane", "20 Mill Lane", "3 Cross Street", "9 Far Road"],
    "postcode": ["PE13 1AB"] * 8, "district": ["Fenland"] * 8,
    "lat": [52.66500, 52.66500, 52.66500, 52.66504, 52.66508, 52.66512, 52.66600, 52.67200],
    "lon": [0.16000, 0.16000, 0.16000, 0.16006, 0.16012, 0.16018, 0.16300, 0.17500],
    "licence_ref": [None] * 8, "licence_status": [None] * 8, "over_occupied": [False] * 8,
    "indicators": [[]] * 8, "reasons": ["1 report"] * 8, "languages": [None] * 8})
PT_PER_MM = 72 / 25.4


def _pack(stops: pd.DataFrame) -> briefing_pdf.Pack:
    return briefing_pdf.Pack(name="Close stops", planned_for=dt.date(2026, 12, 2), team="A", start=START,
                             stops=plans.ordered(stops, START), reports=pd.DataFrame(columns=["address_key"]),
                             districts=None)


def _font(size: float) -> FPDF:
    pdf = FPDF()
    pdf.add_font(briefing_pdf.FONT, "B", str(briefing_pdf.FONT_DIR / "Roboto-Bold.ttf"))
    pdf.set_font(briefing_pdf.FONT, "B", size)
    return pdf


def _map_words(data: bytes) -> list[dict]:
    """Every word drawn on page one's map, with its box in points (from the PDF's text runs: what is printed).
    The map is the MAP_H mm above its caption."""
    runs = []

    def visit(text, _cm, tm, _font_dict, size):
        if text.strip():
            runs.append({"text": text.strip(), "x": tm[4], "y": tm[5], "size": size})
    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    caption = next(r for r in runs if r["text"].startswith("Straight lines"))
    top = caption["y"] + (briefing_pdf.MAP_H + 2) * PT_PER_MM
    words = [r for r in runs if caption["y"] < r["y"] < top]
    for w in words:
        w["w"] = _font(w["size"]).get_string_width(w["text"]) * PT_PER_MM
        w["h"] = w["size"] * 0.75           # from the baseline up: digits and capitals
    return words


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"])


def _stops_named(text: str) -> list[int]:
    out: list[int] = []
    for part in re.findall(r"\d+(?:–\d+)?", text):
        a, _, b = part.partition("–")
        out += list(range(int(a), int(b or a) + 1))
    return out


def test_close_stops_numbers_are_printed_apart_each_once():
    words = _map_words(briefing_pdf.render(_pack(CLOSE)))
    clashes = [(a["text"], b["text"]) for i, a in enumerate(words) for b in words[i + 1:] if _overlap(a, b)]
    assert not clashes, clashes
    named = sorted(n for w in words for n in _stops_named(w["text"]))
    assert named == list(range(1, len(CLOSE) + 1)), words        # every stop readable, none twice
    assert [w["text"] for w in words].count("Start") == 1, words


def test_labels_that_would_touch_are_merged_until_none_do():
    font = _font(briefing_pdf.LABEL_FONT)
    mm = 180 / 1000                      # about the map's scale for a plan a kilometre across: mm per metre
    metres = {0: (0, 25), 1: (0, 0), 2: (0, 0), 3: (0, 0), 4: (4, 4), 5: (8, 8), 6: (12, 12), 7: (200, 100),
              8: (700, 900)}
    places = {n: (20 + x * mm, 80 - y * mm) for n, (x, y) in metres.items()}
    labels = briefing_pdf.map_labels(places, font.get_string_width)
    assert sorted(p for label in labels for p in label.places) == sorted(places)       # each place once
    assert not [(a.places, b.places) for i, a in enumerate(labels) for b in labels[i + 1:] if a.touches(b)]
    shared = next(label for label in labels if 1 in label.places)
    assert shared.start and shared.numbers == "1–6"       # the start and the building's six doors, one label
    assert [label.numbers for label in labels if label.places in ((7,), (8,))] == ["7", "8"]   # stops apart stay


def test_a_shared_label_reads_runs_and_single_numbers_as_the_dashboard_does():
    def numbers(places):
        return briefing_pdf.MapLabel(places, 0, 0, 0).numbers
    assert numbers((1, 2, 3, 5)) == "1–3, 5" and numbers((0, 1, 2)) == "1, 2" and numbers((4,)) == "4"
    assert briefing_pdf.MapLabel((0, 1), 0, 0, 0).start and not briefing_pdf.MapLabel((1, 2), 0, 0, 0).start
