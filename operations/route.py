"""A short visiting order for a handful of addresses: nearest neighbour, then 2-opt.

A team visits five to twenty doors in a day; straight-line distance is a fair guide at that scale
and needs no road network (the product runs with no internet). The route starts at a chosen point
(a police station) and ends at the last stop: the drive back is the same whatever the order of
the middle, give or take one leg, and teams often finish elsewhere.

Up to EXACT_UP_TO stops (a normal day) the order is the shortest there is, found by dynamic
programming over subsets (Held-Karp: n² 2ⁿ steps, a few milliseconds at 10). Beyond that,
nearest neighbour, then 2-opt: nearest neighbour alone can cross itself badly; 2-opt removes every
crossing it can by reversing a stretch of the route, until no reversal shortens it. `order` never
returns a route longer than the order the user gave.
"""
from __future__ import annotations

import math
from typing import Sequence

EARTH_RADIUS_M = 6_371_008.8
EXACT_UP_TO = 10

Point = tuple[float, float]  # (lat, lon) in degrees


def metres(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def length(start: Point, stops: Sequence[Point], order: Sequence[int]) -> float:
    """Metres from `start` through the stops in `order`."""
    total, here = 0.0, start
    for i in order:
        total += metres(here, stops[i])
        here = stops[i]
    return total


def legs(start: Point, stops: Sequence[Point], order: Sequence[int]) -> list[float]:
    """Metres of each leg: start → first stop, then stop to stop."""
    out, here = [], start
    for i in order:
        out.append(metres(here, stops[i]))
        here = stops[i]
    return out


def nearest_neighbour(start: Point, stops: Sequence[Point]) -> list[int]:
    """Always go to the closest stop not yet visited (ties: the earlier stop in the input)."""
    left, here, order = list(range(len(stops))), start, []
    while left:
        nxt = min(left, key=lambda i: (metres(here, stops[i]), i))
        order.append(nxt)
        left.remove(nxt)
        here = stops[nxt]
    return order


def two_opt(start: Point, stops: Sequence[Point], order: Sequence[int]) -> list[int]:
    """Reverse stretches of the path while that shortens it (an open path anchored at `start`)."""
    route = list(order)
    pts = [start] + [stops[i] for i in route]
    n = len(pts)
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                # Reversing pts[i..j]: edge (i-1, i) becomes (i-1, j); edge (j, j+1) becomes (i, j+1).
                before = metres(pts[i - 1], pts[i])
                after = metres(pts[i - 1], pts[j])
                if j + 1 < n:
                    before += metres(pts[j], pts[j + 1])
                    after += metres(pts[i], pts[j + 1])
                if after < before - 1e-6:
                    pts[i:j + 1] = reversed(pts[i:j + 1])
                    route[i - 1:j] = reversed(route[i - 1:j])
                    improved = True
    return route


def shortest(start: Point, stops: Sequence[Point]) -> list[int]:
    """The shortest open path from `start` through every stop (Held-Karp); for small n only."""
    n = len(stops)
    d0 = [metres(start, p) for p in stops]
    d = [[metres(a, b) for b in stops] for a in stops]
    # best[mask][j]: shortest path from start through the stops in mask, ending at j (j in mask)
    best = [[math.inf] * n for _ in range(1 << n)]
    back = [[-1] * n for _ in range(1 << n)]
    for j in range(n):
        best[1 << j][j] = d0[j]
    for mask in range(1, 1 << n):
        for j in range(n):
            here = best[mask][j]
            if here == math.inf:
                continue
            for k in range(n):
                if mask & (1 << k):
                    continue
                nxt = mask | (1 << k)
                if here + d[j][k] < best[nxt][k] - 1e-9:
                    best[nxt][k] = here + d[j][k]
                    back[nxt][k] = j
    full = (1 << n) - 1
    j = min(range(n), key=lambda i: (best[full][i], i))
    path, mask = [], full
    while j != -1:
        path.append(j)
        j, mask = back[mask][j], mask & ~(1 << j)
    return path[::-1]


def order(start: Point, stops: Sequence[Point]) -> list[int]:
    """A short order of `stops` from `start`: the shortest for a day's worth, never longer than the order given."""
    if len(stops) < 2:
        return list(range(len(stops)))
    given = list(range(len(stops)))
    if len(stops) <= EXACT_UP_TO:
        best = shortest(start, stops)
        return best if length(start, stops, best) <= length(start, stops, given) else given
    candidates = [two_opt(start, stops, nearest_neighbour(start, stops)), two_opt(start, stops, given)]
    best = min(candidates, key=lambda o: length(start, stops, o))
    return best if length(start, stops, best) <= length(start, stops, given) else given
