"""Text from the data (addresses, report summaries, licence references, names typed into a form or a link),
made safe for the two kinds of markup the dashboard shows it in. Elsewhere (st.dataframe, st.text,
st.code) Streamlit shows text as text, and neither is needed.

- `html_text`: raw HTML. st.html (the visit list's cards, the map's side panel), the folium map (Leaflet
  tooltips and folium's GeoJsonTooltip insert their text as HTML, and folium puts a marker's tooltip inside
  a JavaScript template literal), and HTML blocks written into st.markdown(unsafe_allow_html=True).
- `markdown_text`: Markdown text. st.markdown, st.caption, st.info/warning/error/success and st.table's
  cells, whether or not the markdown allows HTML: an escaped `<` is a literal character, never a tag.

The two are not interchangeable: inside an HTML block Markdown's backslashes are shown as they are, and
HTML entities in Markdown text do not stop a link, an image or emphasis. A value missing from a record
(None, NaN, NaT) is shown as nothing rather than as "None" or "nan".
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd

# folium writes a marker's tooltip into a JavaScript template literal (`...`), where `${...}` runs as code and a
# backtick or a backslash ends or bends the string: HTML escaping alone leaves all three. As entities they read
# the same on the map and mean nothing to JavaScript. Line breaks become spaces, as HTML shows them anyway: a
# blank line inside st.markdown(unsafe_allow_html=True) would end the HTML block and let the rest be read as
# Markdown (a link, an image).
_HTML_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "\n": " ", "\r": " "})

# Every character that starts Markdown (emphasis, links, images, headings, lists, tables, code), Streamlit's
# own syntax (`:red[...]`, `:material/icon:`, `$maths$`), raw HTML and entities (`<`, `&`), and the quotes of a
# link title: each is shown as itself when escaped with a backslash. Line breaks become spaces, so a value can't
# start a block of its own (a heading, a list, a table, a code block) or underline itself into a heading.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:'\"&")
_LINE_BREAKS = str.maketrans({"\n": " ", "\r": " "})


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or an array: not one missing value
        return False


def html_text(value: Any) -> str:
    """`value` as text inside HTML, including HTML that folium puts in a JavaScript template literal and HTML
    blocks in st.markdown(unsafe_allow_html=True): no tag, attribute, entity or script can come of it."""
    if _missing(value):
        return ""
    return html.escape(str(value), quote=True).translate(_HTML_EXTRA)


def markdown_text(value: Any) -> str:
    """`value` as literal text inside Streamlit markdown, on one line: no emphasis, link, image, HTML, LaTeX,
    colour or icon can come of it."""
    if _missing(value):
        return ""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(value).translate(_LINE_BREAKS))
