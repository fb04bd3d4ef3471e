"""Single sign-on end to end: a real OpenID Connect provider (oidc-provider-mock, on a free localhost port),
the dashboard started with an [auth] section in its secrets, and Chromium through the provider's login form.

A known identity lands on the map with its account's role and is audited; signing out goes through st.logout()
and the provider's end-session page; an identity with no account is refused, told to ask an administrator,
and audited. Nothing leaves the machine: the provider's own page asks a CDN for a stylesheet, which is blocked.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import threading
import warnings
from pathlib import Path

import pytest

from tests.app_server import CHROMIUM, free_port, streamlit_app

ROOT = Path(__file__).resolve().parent.parent
LEAD = "lead@force.police.uk"
STRANGER = "stranger@force.police.uk"
SIGNED_IN = re.compile(r"^Signed in as ")  # the sidebar's line (not the refusal's "You signed in as")

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*"),  # the provider's Authlib calls
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium")]


@pytest.fixture(scope="module")
def provider():
    """The identity provider, in a thread of this process: two users, as Entra ID would describe them."""
    import werkzeug.serving

    with warnings.catch_warnings():  # the provider's own use of Authlib's older modules, not ours
        import authlib.deprecate  # noqa: F401 - puts its own "always" filter first when imported
        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import User, app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider itself refuses plain http otherwise
        users = [User(sub="lead-oid", claims={"preferred_username": LEAD.upper(), "email": LEAD, "name": "A Lead"}),
                 User(sub="stranger-oid", claims={"preferred_username": STRANGER, "name": "A Stranger"})]
        server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(5)


@pytest.fixture(scope="module")
def dashboard(provider, tmp_path_factory):
    """The dashboard with single sign-on configured through --secrets.files (never the repo's secrets)."""
    from access.store import Store

    folder = tmp_path_factory.mktemp("oidc")
    accounts = Store(folder / "accounts.db")
    accounts.add_sso(LEAD, "analyst", actor="test")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "hotspots-test"\n'
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    env = {**os.environ, "HOTSPOTS_ACCOUNTS": str(accounts.path), "HOTSPOTS_DB": str(folder / "none.duckdb"),
           "HOTSPOTS_TILES": "none"}
    with streamlit_app(env, "--secrets.files", str(secrets_file), port=port) as (url, _proc):
        yield url, accounts


@pytest.fixture
def page(browser, provider):
    """A fresh browser (no identity cookie) that may reach only this machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked = []

    def local_only(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append((url, route.request.frame.url))
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    yield page
    context.close()
    # only the provider's page asks for anything outside (its stylesheet); the dashboard never does
    assert all(frame.startswith(provider) for _, frame in blocked), blocked


def _sign_in_at_the_provider(page, app: str, subject: str) -> None:
    page.goto(app + "/", timeout=60_000)
    page.get_by_role("button", name="Sign in with single sign-on").click(timeout=60_000)
    page.wait_for_url("**/oauth2/authorize**", timeout=60_000)
    page.get_by_placeholder("sub").fill(subject)  # the provider's login form: who signs in
    page.get_by_role("button", name="Authorize").click()


def _audit(accounts, actor: str) -> list[tuple[str, dict]]:
    return [(r["action"], json.loads(r["detail"])) for r in reversed(accounts.audit_rows(actor=actor))]


def test_a_known_identity_lands_on_the_map_with_its_role_and_signs_out(dashboard, page):
    app, accounts = dashboard
    _sign_in_at_the_provider(page, app, "lead-oid")
    page.get_by_text(f"Signed in as {LEAD} (analyst)").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Map").first.wait_for(timeout=60_000)
    nav = page.locator("[data-testid='stSidebarNav']")
    assert nav.get_by_text("Data", exact=True).count() == 1      # the analyst's page
    assert nav.get_by_text("Audit log", exact=True).count() == 0  # not an admin's
    assert ("sign_in", {"method": "sso"}) in _audit(accounts, LEAD)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=60_000)  # st.logout() ends the provider's session too
    page.get_by_role("button", name="End session").click()
    page.get_by_role("button", name="Sign in with single sign-on").wait_for(timeout=60_000)
    assert page.get_by_text(SIGNED_IN).count() == 0
    assert _audit(accounts, LEAD)[-1] == ("sign_out", {"method": "sso"})
    page.goto(app + "/data", timeout=60_000)  # the identity cookie is gone: a deep link is the sign-in page again
    page.get_by_role("button", name="Sign in with single sign-on").wait_for(timeout=60_000)


def test_an_unknown_identity_is_refused_and_audited(dashboard, page):
    app, accounts = dashboard
    _sign_in_at_the_provider(page, app, "stranger-oid")
    page.get_by_text("has no account for you yet", exact=False).wait_for(timeout=60_000)
    page.get_by_text("Ask a Hotspots administrator to add you", exact=False).wait_for()
    assert page.get_by_text(SIGNED_IN).count() == 0
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert _audit(accounts, STRANGER) == [("sign_in_refused", {"method": "sso", "why": "unknown user"})]
