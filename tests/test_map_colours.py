"""A busy hexagon must never look like a hot spot: the report counts' colours and the hot/cold spot classes'
colours stay apart, to normal eyes and to each kind of colour blindness.

The hexagons once ran yellow to dark red, the hot spots pink to dark red: the busiest hexagon (#bd0026) and a
99% hot spot (#b2182b) were 8 apart in CIELAB (3 to a protanope), and a lead could not tell them apart.
Distinct hex codes prove nothing, so the test measures the colours as seen, through Machado, Oliveira &
Fernandes's (2009) simulation of full protanopia, deuteranopia and tritanopia.
"""
from __future__ import annotations

import numpy as np
import pytest

from dashboard import map_render

# Machado et al. 2009, severity 1.0, applied to linear sRGB.
VISION = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
APART = 12.0   # CIE76 ΔE: about 2.3 is a just noticeable difference; 12 is plainly another colour on a map


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = to_xyz @ np.clip(linear, 0, 1)
    n = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(n > (6 / 29) ** 3, np.cbrt(n), n / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _seen_apart(a: str, b: str, vision: np.ndarray) -> float:
    return float(np.linalg.norm(_lab(vision @ _linear(a)) - _lab(vision @ _linear(b))))


def test_the_measure_tells_the_old_shared_reds_apart_from_distinct_colours():
    """The measure itself: the old darkest hexagon and the 99% hot spot are too close; red and blue are not."""
    assert _seen_apart("#bd0026", "#b2182b", VISION["normal"]) < APART
    assert _seen_apart("#bd0026", "#b2182b", VISION["protanopia"]) < APART
    assert _seen_apart("#b2182b", "#2166ac", VISION["deuteranopia"]) > APART


@pytest.mark.parametrize("vision", VISION)
def test_report_counts_and_hotspot_classes_never_share_a_colour(vision):
    counts = [c.lower() for c in map_render.HEX_COLOURS]
    spots = [c.lower() for c in map_render.HOTSPOT_COLOURS.values()]
    assert not set(counts) & set(spots)
    closest = min((_seen_apart(c, s, VISION[vision]), c, s) for c in counts for s in spots)
    assert closest[0] > APART, f"{closest[1]} (reports) and {closest[2]} (hotspot) look alike to {vision} vision"


@pytest.mark.parametrize("vision", VISION)
def test_report_counts_stay_apart_from_the_victim_case_areas(vision):
    """Case areas are hexagons too (purple, dashed): a busy report hexagon must not read as victim cases."""
    for colour in map_render.HEX_COLOURS:
        assert _seen_apart(colour, map_render.CASE_COLOUR, VISION[vision]) > APART


def test_the_counts_still_run_light_to_dark():
    """The key says "from fewer (light) to more (dark)"."""
    lightness = [_lab(_linear(c))[0] for c in map_render.HEX_COLOURS]
    assert lightness == sorted(lightness, reverse=True) and len(set(map_render.HEX_COLOURS)) == len(lightness)
