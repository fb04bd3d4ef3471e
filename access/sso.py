"""Single sign-on (OpenID Connect, e.g. Microsoft Entra ID): which account a signed-in identity is.

The identity provider says who someone is; the account store (access/store.py) says what they may see.
An identity maps to the SSO account named by its `preferred_username` claim (Entra ID's user principal
name, which the force's tenant controls), else by its `email` claim unless the provider says that
address is unverified; lower-cased, since providers do not agree on case. No account of that name, or
one with a password instead: no access (the store refuses and audits it). Nothing here imports Streamlit.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any, Mapping

CLAIMS = ("preferred_username", "email")
NAME_CHARS = frozenset("._-@+'")   # besides letters and digits: e-mail addresses and UPNs
MAX_NAME = 254                     # the longest e-mail address
DEFAULT_HOURS = 12.0


def normalise(name: str) -> str:
    return name.strip().lower()


def valid_name(name: str) -> bool:
    """An SSO account name: 1 to 254 letters, digits or . _ - @ + ' (what e-mail addresses use)."""
    return 0 < len(name) <= MAX_NAME and all(c.isalnum() or c in NAME_CHARS for c in name)


def identity(claims: Mapping[str, Any]) -> str | None:
    """The account name for these identity-token claims, or None when they name nobody usable."""
    for claim in CLAIMS:
        value = claims.get(claim)
        if claim == "email" and claims.get("email_verified") is False:
            continue
        if isinstance(value, str) and valid_name(normalise(value)):
            return normalise(value)
    return None


def max_hours() -> float:
    """$HOTSPOTS_SSO_HOURS (default 12): how long a single sign-on is good for, from the provider's sign-in.

    Streamlit keeps the signed-in identity in a cookie for 30 days; on a shared police workstation that is
    far too long, so an older sign-in must be renewed with the identity provider."""
    try:
        hours = float(os.environ.get("HOTSPOTS_SSO_HOURS", DEFAULT_HOURS))
    except ValueError:
        hours = DEFAULT_HOURS
    return max(hours, 0.01)


def expired(claims: Mapping[str, Any], now: dt.datetime | None = None, hours: float | None = None) -> bool:
    """True when the identity token was issued (`iat`) more than `hours` ago. A token without `iat`
    can't be aged and is not treated as expired (every OpenID Connect ID token carries one)."""
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return False
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.timestamp() - float(issued) > (hours if hours is not None else max_hours()) * 3600
