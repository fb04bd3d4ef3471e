"""The default view is computed while the sign-in form is shown (dashboard/prefetch.py), into the cache the
pages read: after signing in, the map page and the visit list find every query already answered."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import connection, prefetch
from tests.test_dashboard_app import APP, PAGES, demo_db, sign_in, _accounts  # noqa: F401

DEFAULT_QUERIES = {"filter_options", "report_hexes_by_resolution", "hmo_marker_layer", "case_hexes", "hotspots",
                   "visit_list"}


@pytest.fixture
def computed(monkeypatch, demo_db, _accounts):  # noqa: F811
    """Names of the queries computed (cache misses), in any thread."""
    monkeypatch.setenv("HOTSPOTS_DB", str(demo_db))
    monkeypatch.setenv("HOTSPOTS_ACCOUNTS", str(_accounts))
    monkeypatch.delenv("HOTSPOTS_TILES", raising=False)
    st.cache_data.clear()
    prefetch._started.clear()
    names: list[str] = []
    real = connection._resolve
    monkeypatch.setattr(connection, "_resolve", lambda name: names.append(name) or real(name))
    return names


def _signed_in_pages(at: AppTest) -> None:
    sign_in(at)
    assert not at.exception, at.exception
    at.switch_page(PAGES["visits"]).run()
    assert not at.exception, at.exception


def test_sign_in_form_prefetches_what_the_map_and_visit_list_ask(computed, monkeypatch):
    monkeypatch.setenv("HOTSPOTS_PREFETCH", "1")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()                                   # the sign-in form: the prefetch starts
    threads = list(prefetch._started.values())
    assert len(threads) == 1
    threads[0].join(timeout=120)
    assert set(computed) >= DEFAULT_QUERIES    # computed by the prefetch...
    before = len(computed)
    _signed_in_pages(at)
    late = set(computed[before:]) & DEFAULT_QUERIES
    assert not late, f"the pages computed {late} again: prefetch.default_view no longer asks what they ask"
    at.run()
    assert len(prefetch._started) == 1         # once per warehouse version


def test_without_prefetch_the_pages_compute_them(computed):
    """The check above can fail: with the prefetch off (the in-process default) the pages do the work."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not prefetch._started
    _signed_in_pages(at)
    assert set(computed) >= DEFAULT_QUERIES


def test_warming_ends_quietly_when_the_sessions_run_is_stopped(monkeypatch):
    """Streamlit stops the signing-in session's run, and raises its stop signal (a BaseException) in the
    prefetch thread too: the warming ends there, with no traceback in the server's log, and asks no more."""
    import contextlib

    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    asked: list[str] = []

    def query(name, f, **kwargs):
        asked.append(name)
        if name == "hotspots":
            raise StopException()

    monkeypatch.setattr(connection, "pinned", contextlib.nullcontext)
    monkeypatch.setattr(connection, "query", query)
    prefetch._warm([("filter_options", None, {}), ("hotspots", None, {}), ("visit_list", None, {})])
    assert asked == ["filter_options", "hotspots"]
