"""The rules that slow and stop password guessing (the numbers are in access/lockout.toml).

A lock that lasted until an administrator lifted it let anyone who knew a user name (`dci.lead`) shut
its owner out at will, five wrong passwords at a time. So a lock is timed, grows for a name and client
that keep failing, and is first a lock for the client that failed only: the person signing in from
their own desk is not the one guessing. A client that tries many names is throttled as a whole. The
store (access/store.py) keeps the counts; nothing here touches a file or Streamlit.
"""
from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("lockout.toml")
EVERY_CLIENT = "*"     # the key of a lock that holds for every client (no IP address is "*")


@dataclass(frozen=True)
class Rules:
    attempts: int
    any_client_attempts: int
    minutes: float
    growth: float
    max_minutes: float
    forget_hours: float
    throttle_attempts: int
    throttle_minutes: float

    def lock_length(self, earlier_locks: int) -> dt.timedelta:
        """How long the next lock lasts, after `earlier_locks` of the same name and client since the last
        sign-in: `minutes`, times `growth` for each earlier one, at most `max_minutes`."""
        minutes = min(self.minutes * self.growth ** min(earlier_locks, 64), self.max_minutes)
        return dt.timedelta(minutes=minutes)

    @property
    def forget_after(self) -> dt.timedelta:
        return dt.timedelta(hours=self.forget_hours)

    @property
    def throttle_window(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.throttle_minutes)


@cache
def rules() -> Rules:
    with open(RULES_FILE, "rb") as fh:
        table = tomllib.load(fh)
    lock, throttle = table["lockout"], table["throttle"]
    return Rules(attempts=int(lock["attempts"]), any_client_attempts=int(lock["any_client_attempts"]),
                 minutes=float(lock["minutes"]), growth=float(lock["growth"]), max_minutes=float(lock["max_minutes"]),
                 forget_hours=float(lock["forget_hours"]), throttle_attempts=int(throttle["attempts"]),
                 throttle_minutes=float(throttle["minutes"]))


def wait_text(until: dt.datetime, now: dt.datetime) -> str:
    """'in 15 minutes': how long until `until`, for a message (whole minutes, rounded up; no time zone to get wrong)."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    return f"in {math.ceil(minutes / 60)} hours"
