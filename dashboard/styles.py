"""The dashboard's own CSS files (dashboard/static/), each added where the elements it styles are drawn.

Here rather than in dashboard/ui.py so that dashboard/state.py, which ui imports, can add the sidebar's."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

STATIC = Path(__file__).resolve().parent / "static"


def add(name: str) -> None:
    """Add dashboard/static/`name` to the page (Streamlit inlines a CSS file given to st.html as a style)."""
    st.html(STATIC / name)
