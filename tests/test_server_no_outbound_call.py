"""The dashboard makes no call out of the force network when it starts: headless, with no browser address set,
Streamlit asks checkip.amazonaws.com for the machine's external address to print an "External URL"
(.streamlit/config.toml sets browser.serverAddress so it does not). Started as `make run` starts it."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app_server import ROOT, free_port


@pytest.mark.slow
def test_the_server_starts_without_asking_for_its_external_address(tmp_path):
    port = free_port()
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOTSPOTS_DB": str(tmp_path / "none.duckdb")}
    proc = subprocess.Popen([streamlit, "run", "dashboard/app.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
        time.sleep(2)     # the URLs are printed as the server starts; an external lookup waits up to a second
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert f"URL: http://localhost:{port}" in out, out
    assert "External URL" not in out and "external IP" not in out, out
