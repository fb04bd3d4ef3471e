"""dashboard/escape.py: text from the data as HTML text and as Markdown text, for every sink the dashboard has."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from dashboard.escape import html_text, markdown_text

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "`${alert(2)}`\\"
# What the two markdown helpers this module replaced escaped between them (ui.esc_md, auth.markdown_text).
FORMER_MARKDOWN = set("\\`*_{}[]()<>#+-.!|~$:") | set("'\"&")


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), pd.NA, pd.NaT])
def test_a_missing_value_is_shown_as_nothing(missing):
    assert html_text(missing) == "" and markdown_text(missing) == ""


def test_html_text_leaves_no_tag_attribute_or_template_literal_code():
    said = html_text(f'{XSS} "quoted" \'single\' & {TEMPLATE}')
    assert said == ("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &#x27;single&#x27; &amp; "
                    "&#96;&#36;{alert(2)}&#96;&#92;")
    assert not set("<>\"'`$\\") & set(said)


def test_html_text_puts_a_value_on_one_line():
    """A blank line would end an HTML block in st.markdown(unsafe_allow_html=True): what follows is Markdown."""
    assert html_text("12 Mill Lane\r\n\r\n![x](http://evil.invalid/x.png)") == \
        "12 Mill Lane    ![x](http://evil.invalid/x.png)"


def test_markdown_text_escapes_every_character_either_former_helper_did():
    said = markdown_text("".join(sorted(FORMER_MARKDOWN)))
    assert said == "".join("\\" + ch for ch in sorted(FORMER_MARKDOWN))


@pytest.mark.parametrize("hostile", [
    XSS, TEMPLATE, "![x](http://evil.invalid/x.png)", "[Sign in again](http://phish.invalid)", "**bold** _it_",
    ":red[alarm] :material/warning:", "$x^2$", "&lt;b&gt;", "# Heading", "1. list", "| a | b |", "~~gone~~",
])
def test_markdown_text_leaves_no_markdown_unescaped(hostile):
    said = markdown_text(hostile)
    unescaped = set(re.sub(r"\\.", "", said))       # what is left once every escaped character is taken out
    assert not {ch for ch in unescaped if not ch.isalnum()} - set(" =^/;"), said   # none of these starts markup
    assert re.sub(r"\\(.)", r"\1", said) == hostile     # shown as typed


def test_markdown_text_puts_a_value_on_one_line():
    """st.table's cells and the pages' captions: a line break in an address must not start a heading or a list."""
    assert markdown_text("12 Mill Lane\n===\r\n- x") == "12 Mill Lane ===  \\- x"
