"""The Streamlit settings the dashboard's safety rests on, checked every run rather than trusted to a file.

Streamlit reads .streamlit/config.toml from the folder it is started in, not from beside the app: started
from anywhere else, the tables' own "Download as CSV" (an export no audit row records) came back, and the
browser asked data.streamlit.io for usage statistics. The wanted values are read from the repository's
config.toml (so the file stays the one place to change them), with the values below if it can't be read.
"""
from __future__ import annotations

import functools
import logging
import tomllib
from pathlib import Path
from typing import Any

import streamlit as st

log = logging.getLogger("hotspots.dashboard")

CONFIG_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
# Option → the value it must have when config.toml does not say (or can't be read).
SECURITY_OPTIONS: dict[str, Any] = {
    "client.disableDataExport": True,       # no unaudited "Download as CSV" or copy from a table's toolbar
    "client.showErrorDetails": "none",      # no traceback (with data in it) in the browser
    "client.toolbarMode": "minimal",        # no developer menu
    "browser.gatherUsageStats": False,      # no request to data.streamlit.io from a police browser
}
START_HINT = ("Start it from the repository folder (`make run`, or `streamlit run dashboard/app.py` there), or "
              "pass the settings: `streamlit run dashboard/app.py --browser.gatherUsageStats false "
              "--client.disableDataExport true --client.showErrorDetails none --client.toolbarMode minimal`.")


@functools.cache
def required(path: Path = CONFIG_FILE) -> dict[str, Any]:
    """The security options with the values config.toml gives them (SECURITY_OPTIONS where it is silent).
    Read once per process: `enforce` runs on every page run, and the file does not change under a server."""
    wanted = dict(SECURITY_OPTIONS)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        log.exception("could not read %s: using the built-in security settings", path)
        return wanted
    for key in wanted:
        section, name = key.split(".", 1)
        if name in (config.get(section) or {}):
            wanted[key] = config[section][name]
    return wanted


def wrong(wanted: dict[str, Any]) -> dict[str, Any]:
    """The options whose value in this server is not the wanted one: option → wanted value."""
    return {key: value for key, value in wanted.items() if st.get_option(key) != value}


def enforce(path: Path = CONFIG_FILE) -> bool:
    """Put right what Streamlit lets a script set (client.*); stop the page with how to start the app for
    anything it does not (the usage statistics are the server's setting). True when something was set: the
    browser takes client settings at the start of a run, so the caller reruns once it has chosen the page
    (`rerun_if`; a rerun before st.navigation would lose the page a shared link names)."""
    off = wrong(dict(required(path)))
    if not off:
        return False
    settable = {k: v for k, v in off.items() if k.startswith("client.")}
    for key, value in settable.items():
        st.set_option(key, value)
        log.warning("set %s = %r: .streamlit/config.toml was not read (started from another folder?)", key, value)
    rest = {k: v for k, v in off.items() if k not in settable}
    if rest:
        st.error("Hotspots was started without its settings (" + ", ".join(f"`{k}`" for k in rest) + " not as "
                 "`.streamlit/config.toml` says), so it shows nothing. " + START_HINT)
        st.stop()
    return True


def rerun_if(changed: bool) -> None:
    """Rerun when `enforce` changed a setting: this run began without it, the next one sends it."""
    if changed:
        st.rerun()
