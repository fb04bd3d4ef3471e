"""Route ordering: never longer than the order given, and as short as brute force on small cases."""
from __future__ import annotations

import itertools
import random

from hypothesis import given, settings, strategies as st

from operations import route

START = (52.2036, 0.1320)
points = st.lists(st.tuples(st.floats(52.0, 52.74), st.floats(-0.5, 0.52)), min_size=0, max_size=12)


@given(points)
@settings(max_examples=150, deadline=None)
def test_never_longer_than_the_input_order_and_visits_every_stop_once(stops):
    order = route.order(START, stops)
    assert sorted(order) == list(range(len(stops)))
    assert route.length(START, stops, order) <= route.length(START, stops, range(len(stops))) + 1e-6


def test_matches_brute_force_on_small_cases():
    rng = random.Random(7)
    for _ in range(60):
        stops = [(rng.uniform(52.0, 52.74), rng.uniform(-0.5, 0.52)) for _ in range(rng.randint(2, 7))]
        best = min(route.length(START, stops, p) for p in itertools.permutations(range(len(stops))))
        assert abs(route.length(START, stops, route.order(START, stops)) - best) < 1e-6


def test_larger_plans_use_two_opt_and_stay_close_to_optimal():
    """Past EXACT_UP_TO stops the heuristic runs: never worse than nearest neighbour, no crossings left."""
    rng = random.Random(11)
    for _ in range(10):
        stops = [(rng.uniform(52.0, 52.74), rng.uniform(-0.5, 0.52)) for _ in range(route.EXACT_UP_TO + 4)]
        got = route.order(START, stops)
        nn = route.nearest_neighbour(START, stops)
        assert route.length(START, stops, got) <= route.length(START, stops, nn) + 1e-6
        assert route.two_opt(START, stops, got) == got  # a 2-opt local optimum


def test_a_line_of_stops_is_visited_in_order_from_the_near_end():
    stops = [(52.30, 0.13), (52.21, 0.13), (52.40, 0.13), (52.25, 0.13)]
    assert route.order(START, stops) == [1, 3, 0, 2]
    assert abs(route.length(START, stops, [1, 3, 0, 2]) - route.metres(START, (52.40, 0.13))) < 50


def test_haversine_against_a_known_distance():
    # Cambridge (Parkside) to Peterborough (Thorpe Wood): about 49 km in a straight line.
    assert 47_000 < route.metres((52.2036, 0.1320), (52.5747, -0.2933)) < 51_000
    assert route.metres(START, START) == 0


def test_legs_add_up_to_the_length():
    stops = [(52.3, 0.1), (52.5, -0.2), (52.1, 0.4)]
    assert abs(sum(route.legs(START, stops, [2, 0, 1])) - route.length(START, stops, [2, 0, 1])) < 1e-6


def test_the_stops_download_rounds_distances_as_the_page_shows_them():
    import pandas as pd

    from operations import plans

    stops = pd.DataFrame({"address": ["1 A St", "2 B St", "3 C St"], "postcode": ["PE1 1AA", None, "PE1 1AB"],
                          "district": ["E06000031"] * 3, "licence_status": ["expired", "current", None],
                          "licence_ref": ["L1", None, None], "reasons": ["r"] * 3, "languages": ["", "", ""],
                          "indicators": [[], [], []], "over_occupied": [False] * 3,
                          "lat": [52.5712345678, None, 52.58], "lon": [-0.2412345678, None, -0.25]})
    annotated = plans.annotate(stops, plans.Start("Thorpe Wood", 52.5736, -0.2870))
    table = plans.stops_table(annotated, {"expired": "Expired", "current": "Current"}.get)
    assert list(table.columns[:4]) == ["Stop", "Address", "Postcode", "District"]
    assert list(table["Stop"]) == [1, 2, 3]
    assert table["km from previous"].iloc[0] == round(annotated["leg_km"].iloc[0], 1) != annotated["leg_km"].iloc[0]
    assert pd.isna(table["km from previous"].iloc[1])      # no position: no leg, not 0 km
    assert table["Latitude"].iloc[0] == 52.57123 and table["Longitude"].iloc[0] == -0.24123
    assert list(table["HMO licence"].fillna("")) == ["Expired", "Current", ""]
