"""The Visit plans page's table of a plan's stops: which columns, in what order, and how wide.

Beside the route map the table had about 500 of the 906 px a 1366 px laptop gives the page (sidebar open): it
showed the stop, the address, the postcode and the licence, and why, the language support, the partners and the
outcome needed a sideways scroll. It now has the page's width under the map, and its columns come in the order
the Visit list's do: what a team reads at the door first. The stop, the address, why, the language support and
the outcome recorded add up to 870 px (WIDTHS), so they are all in view on that laptop; the partners, the
licence, the postcode and the distance follow. Rows are as tall as the Visit list's, so the reasons wrap."""
from __future__ import annotations

import pandas as pd
import streamlit as st

# The columns in the order shown: the first five are the ones that must fit a laptop's width.
COLUMNS = ["stop", "address", "reasons", "languages", "outcome", "partners", "licence", "postcode", "leg_km"]
IN_VIEW = COLUMNS[:5]
# Pixels. Why is as wide as on the Visit list, less 20 px; ROW_HEIGHT holds five lines of it (about 300
# characters), as the Visit list's does (a row taller than 64 px lets Streamlit's grid wrap its text).
WIDTHS = {"stop": 50, "address": 170, "reasons": 380, "languages": 140, "outcome": 130, "partners": 180,
          "licence": 130, "postcode": 80, "leg_km": 90}
ROW_HEIGHT, HEADER_HEIGHT, MAX_HEIGHT = 112, 38, 600


def shown(stops: pd.DataFrame) -> pd.DataFrame:
    """The stops' columns in the table's order (a column a plan lacks is left out)."""
    return stops[[c for c in COLUMNS if c in stops.columns]]


def height(rows: int) -> int:
    """Every stop of a short plan without an inner scroll bar; a long plan scrolls inside MAX_HEIGHT."""
    return min(MAX_HEIGHT, HEADER_HEIGHT + ROW_HEIGHT * max(rows, 1))


def column_config() -> dict:
    """The headings and widths, with a help on the columns a lead may ask about."""
    cc = st.column_config
    return {
        "stop": cc.NumberColumn("Stop", width=WIDTHS["stop"], help="The order of the route."),
        "address": cc.TextColumn("Address", width=WIDTHS["address"]),
        "reasons": cc.TextColumn("Why", width=WIDTHS["reasons"],
                                 help="Why the address was put on the Visit list, as it read when the plan was "
                                      "saved."),
        "languages": cc.TextColumn("Language support", width=WIDTHS["languages"],
                                   help="Interpreters or Victim Care Coordinators to bring to this stop."),
        "outcome": cc.TextColumn("Outcome recorded", width=WIDTHS["outcome"],
                                 help="What the last visit recorded here found; empty until one is recorded."),
        "partners": cc.TextColumn("Partners", width=WIDTHS["partners"]),
        "licence": cc.TextColumn("HMO licence", width=WIDTHS["licence"]),
        "postcode": cc.TextColumn("Postcode", width=WIDTHS["postcode"]),
        "leg_km": cc.NumberColumn("km from previous", format="%.1f", width=WIDTHS["leg_km"]),
    }
