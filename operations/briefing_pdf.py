"""The briefing pack: one PDF a tactical lead prints for the briefing room.

Page one says who goes where and what to bring (languages, partners), shows a map of the route,
and carries the victim-first reminder; then one block per stop, in visiting order. The map is drawn
from the warehouse's own district outlines and the stops' positions: no tiles, no internet.

The font is Roboto from the font-roboto wheel, so Lithuanian, Romanian and Polish addresses print
as written (the PDF core fonts only know Latin-1).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import font_roboto
import pandas as pd
from fpdf import FPDF

from etl import vocab
from operations import plans, vocabulary

FONT_DIR = Path(font_roboto.__file__).resolve().parent / "files"
FONT = "Roboto"
MAP_W, MAP_H = 180.0, 95.0     # mm
ROUTE_COLOUR = (178, 24, 43)
OUTLINE_COLOUR = (120, 120, 120)
BANNER_COLOUR = (183, 28, 28)  # the dashboard's synthetic-data banner red
# Set while a pack is built from a demo warehouse (dashboard/downloads.py): the words printed across the top of
# every page, so a printed or forwarded demo pack is never taken for a real operation.
_BANNER: contextvars.ContextVar[str] = contextvars.ContextVar("briefing_banner", default="")


@contextlib.contextmanager
def demo_banner(text: str):
    """Packs rendered inside this block carry `text` as a banner line on every page."""
    token = _BANNER.set(text)
    try:
        yield
    finally:
        _BANNER.reset(token)


@dataclass(frozen=True)
class Pack:
    """Everything printed: the plan's words, its ordered stops, their recent reports, and the districts."""
    name: str
    planned_for: dt.date
    team: str
    start: plans.Start
    stops: pd.DataFrame            # ordered; address, postcode, district, lat, lon, licence_status, reasons, ...
    reports: pd.DataFrame          # analysis.briefing.stop_reports
    districts: dict | None         # GeoJSON FeatureCollection
    prepared_by: str | None = None


def _words() -> dict:
    with open(vocabulary.VOCAB / "briefing.toml", "rb") as fh:
        return tomllib.load(fh)


# What stands for characters the font cannot draw: Roboto has it, and a reader knows something was there.
UNPRINTABLE = "\ufffd"
# Invisible characters (zero-width spaces, joiners, controls): nothing to draw, so nothing to stand in for.
_INVISIBLE = ("Cc", "Cf")


class _Document(FPDF):
    marking = ""
    banner = ""
    marked_unprintable = False   # whether any text so far had characters shown as UNPRINTABLE

    def normalize_text(self, text: str) -> str:
        """Text with each run of characters the font has no glyph for (an emoji, Chinese or Arabic in a report)
        as one UNPRINTABLE mark: fpdf2 would leave them out without a trace, and a reader would take a shortened
        address or report for the whole of it. The pack's end says what the mark means."""
        text = super().normalize_text(text)
        cmap = getattr(self.current_font, "cmap", None)
        if not cmap or all(ord(ch) in cmap or ch in "\n\r\t" for ch in text):
            return text
        marked: list[str] = []
        for ch in text:
            invisible = unicodedata.category(ch) in _INVISIBLE and ch not in "\n\r\t"
            if marked and marked[-1] == UNPRINTABLE and (invisible or ord(ch) not in cmap):
                continue    # the rest of one emoji (its joiners and variation selectors) or of one word
            marked.append(ch if ord(ch) in cmap or ch in "\n\r\t" else "" if invisible else UNPRINTABLE)
            self.marked_unprintable |= marked[-1] == UNPRINTABLE and ord(ch) not in cmap
        return "".join(marked)

    def header(self) -> None:
        self.set_font(FONT, "B", 8)
        self.set_text_color(150, 0, 0)
        self.cell(0, 4, self.marking, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.banner:
            self.set_font(FONT, "B", 11)
            self.set_fill_color(*BANNER_COLOUR)
            self.set_text_color(255, 255, 255)
            self.cell(0, 7, self.banner, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
            self.set_fill_color(255, 255, 255)
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(150, 0, 0)
        self.cell(0, 4, f"{self.marking} · page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def render(pack: Pack, banner: str | None = None) -> bytes:
    """The pack as PDF bytes; `banner` (else the one `demo_banner` set) across the top of every page."""
    words = _words()
    pdf = _Document(format="A4")
    pdf.marking = words["marking"]
    pdf.banner = _BANNER.get() if banner is None else banner
    if pdf.banner:
        pdf.set_subject(pdf.banner)
    pdf.set_title(f"{words['title']}: {pack.name}")
    pdf.set_author(pack.prepared_by or "Hotspots")
    pdf.add_font(FONT, "", str(FONT_DIR / "Roboto-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "Roboto-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _cover(pdf, pack, words)
    _map(pdf, pack, words)
    _reminder(pdf, words)
    for number, stop in enumerate(pack.stops.itertuples(index=False), start=1):
        _stop(pdf, number, stop, pack.reports)
    if pdf.marked_unprintable:
        pdf.ln(3)
        pdf.set_font(FONT, "", 8)
        pdf.multi_cell(0, 4, words["unprintable"].format(mark=UNPRINTABLE), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _cover(pdf: FPDF, pack: Pack, words: dict) -> None:
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, f"{words['title']}: {pack.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    km = plans.total_km(pack.stops)
    lines = [f"Date: {pack.planned_for:%A %-d %B %Y}", f"Team: {pack.team or 'not set'}",
             f"Start: {pack.start.label}",
             f"{len(pack.stops)} stop{'s' if len(pack.stops) != 1 else ''}"]
    unplaced = int((~plans.has_position(pack.stops)).sum())
    if unplaced < len(pack.stops):
        lines[-1] += f", about {km:.1f} km in straight lines"
    if unplaced:   # "about 0.0 km" for a plan with no stop placed read as every door being at the start
        lines.append(f"{unplaced} stop(s) have no map position and are listed last" if unplaced < len(pack.stops)
                     else "No stop has a map position, so there is no route to measure: find each by its address")
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 5, "Language support to bring: " + _languages_to_bring(pack.stops),
                   new_x="LMARGIN", new_y="NEXT")
    partners = plans.partners(pack.stops)
    pdf.multi_cell(0, 5, "Partners: " + ("none identified" if not partners else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    for label, n, why in partners:
        pdf.multi_cell(0, 5, f"  • {label}: {n} stop{'s' if n != 1 else ''} ({why})", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _languages_to_bring(stops: pd.DataFrame) -> str:
    """The plan's languages, each once with where it was seen ("Lithuanian (at the address)", "Albanian
    (nearby)": `plans.languages`). A stop's "+2 more (nearby)" is a count for that stop alone, not a language:
    the cover points to the stops instead."""
    named = plans.languages(stops)
    text = ", ".join(named) if named else "none identified"
    return text + (" (and more at some stops: see each stop)" if plans.more_languages_at_some_stops(stops) else "")


def _reminder(pdf: FPDF, words: dict) -> None:
    pdf.ln(2)
    pdf.set_fill_color(255, 243, 205)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, words["reminder_title"], fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    for paragraph in words["reminder"]:
        pdf.multi_cell(0, 4.5, paragraph, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255, 255, 255)


def _stop(pdf: FPDF, number: int, stop, reports: pd.DataFrame) -> None:
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_draw_color(*OUTLINE_COLOUR)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1)
    pdf.set_font(FONT, "B", 12)
    where = _text(stop.address) or "address not recorded"
    if isinstance(stop.postcode, str) and stop.postcode and stop.postcode.replace(" ", "") not in where.upper().replace(" ", ""):
        where = f"{where}, {stop.postcode}"
    pdf.multi_cell(0, 6, f"Stop {number}. {where}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    leg = getattr(stop, "leg_km", float("nan"))
    facts = [("District", _text(getattr(stop, "district", None))),
             ("HMO licence", _licence_words(_text(getattr(stop, "licence_status", None)),
                                            _text(getattr(stop, "licence_ref", None)))),
             ("Why", _text(getattr(stop, "reasons", None))),
             ("Languages", _text(getattr(stop, "languages", None)) or "none identified"),
             ("Partners", _text(getattr(stop, "partners", None)) or "none identified"),
             ("Distance", f"{leg:.1f} km from the previous stop" if isinstance(leg, float) and not math.isnan(leg)
              else "no map position: find it on arrival")]
    for label, value in facts:
        if not value:
            continue
        pdf.set_font(FONT, "B", 9)
        pdf.cell(26, 4.5, label)
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 4.5, str(value), new_x="LMARGIN", new_y="NEXT")
    mine = reports[reports["address_key"] == getattr(stop, "address_key", None)] if not reports.empty else reports
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 5, "Recent reports" if not mine.empty else "Recent reports: none in the last year",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    for r in mine.itertuples(index=False):
        grading = _text(r.grading) or "ungraded"
        when = pd.Timestamp(r.received_on).strftime("%d/%m/%Y") if pd.notna(r.received_on) else "date unknown"
        source = _text(r.source_type)
        who = vocab.source_type_label(source) if source else "source unknown"
        summary = " ".join(_text(r.summary).split())
        if len(summary) > 400:
            summary = summary[:399] + "…"
        pdf.multi_cell(0, 4, f"  {when} · {grading} · {who}: {summary or '(no text)'}",
                       new_x="LMARGIN", new_y="NEXT")


def _text(value: object) -> str:
    """A printable value, or '' for a missing one: pandas hands a missing cell over as NaN, which is truthy
    and would print as the word "nan"."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value).strip()


def _licence_words(status: str | None, ref: str | None) -> str | None:
    words = {"current": "current", "expiring": "expiring soon", "expired": "expired",
             "possible_unlicensed": "not on any register, yet reported as crowded (possible unlicensed HMO)",
             "not an HMO on record": "not an HMO on record"}
    if not status:
        return None
    text = words.get(status, status)
    return f"{text} ({ref})" if isinstance(ref, str) and ref else text


# --- the static map ----------------------------------------------------------------------------------------

LABEL_H = 4.8                  # a stop's circle (and a shared label's height), mm
LABEL_GAP = 0.4                # the least white between two labels, mm
LABEL_FONT = 7                 # pt, bold
LABEL_PAD = 2.4                # the white around a label's words, both sides together, mm
START_WORD = "Start"


@dataclass(frozen=True)
class MapLabel:
    """One label on the pack's map: the places it names (0 the start, then stop numbers), drawn centred on
    (x, y), w by h mm. Stops in one building, or a start at the first door, share one label ("Start | 1–3, 5"):
    drawn each on its own, their circles lay one on another, and only the top number could be read."""
    places: tuple[int, ...]
    x: float
    y: float
    w: float
    h: float = LABEL_H

    @property
    def start(self) -> bool:
        return 0 in self.places

    @property
    def numbers(self) -> str:
        """The stop numbers as read ("1–3, 5"): a run of three or more as its ends, as on the dashboard."""
        stops = sorted(p for p in self.places if p > 0)
        parts, i = [], 0
        while i < len(stops):
            j = i
            while j + 1 < len(stops) and stops[j + 1] == stops[j] + 1:
                j += 1
            parts += [f"{stops[i]}–{stops[j]}"] if j - i >= 2 else [str(n) for n in stops[i:j + 1]]
            i = j + 1
        return ", ".join(parts)

    def touches(self, other: "MapLabel") -> bool:
        return (abs(self.x - other.x) < (self.w + other.w) / 2 + LABEL_GAP
                and abs(self.y - other.y) < (self.h + other.h) / 2 + LABEL_GAP)


def map_labels(places: dict[int, tuple[float, float]], width_of) -> list[MapLabel]:
    """Labels for `places` (0 the start, then each placed stop's number → its point on the page, mm), none
    touching another: any two that would touch become one, centred among the points it names, until none do.
    `width_of(text)` is the text's width in the label font."""
    labels = [_label((n,), places, width_of) for n in sorted(places)]
    while True:
        pair = next(((a, b) for i, a in enumerate(labels) for b in labels[i + 1:] if a.touches(b)), None)
        if pair is None:
            return labels
        a, b = pair
        labels = [x for x in labels if x is not a and x is not b] + [_label(a.places + b.places, places, width_of)]


def _label(members: tuple[int, ...], places: dict[int, tuple[float, float]], width_of) -> MapLabel:
    members = tuple(sorted(members))
    x = sum(places[n][0] for n in members) / len(members)
    y = sum(places[n][1] for n in members) / len(members)
    probe = MapLabel(members, x, y, 0)
    w = ((width_of(START_WORD) + LABEL_PAD if probe.start else 0)
         + (width_of(probe.numbers) + LABEL_PAD if probe.numbers else 0))
    return MapLabel(members, x, y, max(LABEL_H, w))


def _map(pdf: FPDF, pack: Pack, words: dict) -> None:
    where = {number: (float(r.lat), float(r.lon))
             for number, r in enumerate(pack.stops.itertuples(index=False), start=1)
             if pd.notna(r.lat) and pd.notna(r.lon)}
    points = [(pack.start.lat, pack.start.lon)] + list(where.values())
    x0, y0 = pdf.l_margin + (pdf.w - pdf.l_margin - pdf.r_margin - MAP_W) / 2, pdf.get_y()
    project = _projection(points, x0, y0)
    pdf.set_draw_color(*OUTLINE_COLOUR)
    pdf.rect(x0, y0, MAP_W, MAP_H)
    with pdf.rect_clip(x0, y0, MAP_W, MAP_H):
        _outlines(pdf, pack.districts, project)
        pdf.set_draw_color(*ROUTE_COLOUR)
        pdf.set_line_width(0.6)
        path = [project(lat, lon) for lat, lon in points]
        if len(path) > 1:
            pdf.polyline(path)
        pdf.set_line_width(0.2)
        pdf.set_font(FONT, "B", LABEL_FONT)
        places = {0: path[0], **{n: project(lat, lon) for n, (lat, lon) in where.items()}}
        for label in map_labels(places, pdf.get_string_width):
            _draw_label(pdf, label)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(y0 + MAP_H + 1)
    pdf.set_font(FONT, "", 7)
    pdf.multi_cell(0, 3.5, words["map_caption"], new_x="LMARGIN", new_y="NEXT")


def _draw_label(pdf: FPDF, label: MapLabel) -> None:
    """A lone stop is a white circle with its number; the start, and any shared label, a rounded box whose
    black part says Start and whose white part lists the stops."""
    left, top, r = label.x - label.w / 2, label.y - label.h / 2, label.h / 2
    round_r = r - 0.05     # fpdf2 takes a radius of half the height or more as a fraction of it
    baseline = label.y + 1.0
    pdf.set_draw_color(*ROUTE_COLOUR)
    if not label.start and len(label.places) == 1:
        pdf.set_fill_color(255, 255, 255)
        pdf.circle(label.x, label.y, r, style="FD")
        pdf.set_text_color(0, 0, 0)
        pdf.text(label.x - pdf.get_string_width(label.numbers) / 2, baseline, label.numbers)
        return
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(left, top, label.w, label.h, style="FD", round_corners=True, corner_radius=round_r)
    if label.start:
        black = pdf.get_string_width(START_WORD) + LABEL_PAD if label.numbers else label.w
        pdf.set_fill_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
        pdf.rect(left, top, black, label.h, style="FD", round_corners=True, corner_radius=round_r)
        if label.numbers:   # square where the stops' part begins
            pdf.rect(left + r, top, black - r, label.h, style="FD")
        pdf.set_text_color(255, 255, 255)
        pdf.text(left + (black - pdf.get_string_width(START_WORD)) / 2, baseline, START_WORD)
        left += black
    if label.numbers:
        pdf.set_text_color(0, 0, 0)
        rest = label.x + label.w / 2 - left
        pdf.text(left + (rest - pdf.get_string_width(label.numbers)) / 2, baseline, label.numbers)


def _projection(points: list[tuple[float, float]], x0: float, y0: float):
    """Equirectangular, scaled to fit the points with a margin (1 km at least), north up."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    mid = math.radians((min(lats) + max(lats)) / 2)
    kx = math.cos(mid)
    span_x = max((max(lons) - min(lons)) * kx, 0.015)
    span_y = max(max(lats) - min(lats), 0.009)
    scale = min(MAP_W / (span_x * 1.25), MAP_H / (span_y * 1.25))
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (x0 + MAP_W / 2 + (lon - cx) * kx * scale, y0 + MAP_H / 2 - (lat - cy) * scale)
    return project


def _outlines(pdf: FPDF, districts: dict | None, project) -> None:
    if not districts:
        return
    pdf.set_draw_color(*OUTLINE_COLOUR)
    pdf.set_line_width(0.3)
    for feature in districts.get("features", []):
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                pdf.polyline([project(lat, lon) for lon, lat in ring])
    pdf.set_line_width(0.2)
