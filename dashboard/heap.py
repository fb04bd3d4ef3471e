"""The dashboard process's start-up objects, kept out of Python's cycle collector.

A full collection walks every object the collector tracks. Once Streamlit, pandas, DuckDB, h3, shapely
and the analysis modules are imported that is over 130,000 objects, and at national scale each full
collection took 65-90 ms, charged to whichever query happened to be running: the slowest map page in
ten was the one that paid it. What is alive after start-up (modules, classes, functions, vocabularies)
lives as long as the process, so it is frozen (`gc.freeze`), and collections walk only what the pages
made since. Objects made later are collected as before.
"""
from __future__ import annotations

import gc
import importlib
import logging

log = logging.getLogger("hotspots.dashboard")
_frozen = False


def freeze_startup_heap(modules) -> None:
    """Import `modules` (those the pages' queries live in), collect once, and freeze what is left.

    Once per process: Streamlit reruns the app script, not its imports. A module that does not import
    is left for its query to report (dashboard/connection.py raises its ImportError when a page asks)."""
    global _frozen
    if _frozen:
        return
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            log.warning("could not import %s before freezing the start-up heap", name)
    gc.collect()
    gc.freeze()
    _frozen = True
