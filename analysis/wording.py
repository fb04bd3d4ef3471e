"""Small wording rules shared by the reasons text and the data-health warnings, so both say ages alike."""
from __future__ import annotations

DAYS_PER_MONTH = 30.4375


def age(days: int) -> str:
    """'14 months' from 60 days on (to the nearest month, so never fewer than 2), else '23 days'."""
    days = abs(int(days))
    if days >= 60:
        return plural(int(days / DAYS_PER_MONTH + 0.5), "month")
    return plural(days, "day")


def distance(km: float) -> str:
    """A distance as a reader says it: "about 500 m" under a kilometre (to 100 m), else "about 1.4 km"."""
    if km < 1:
        return f"about {max(100, round(km * 10) * 100):,} m"
    return f"about {km:.1f} km" if km < 10 else f"about {km:.0f} km"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
