"""Every page carries a strict Content-Security-Policy and the usual hardening headers."""

from __future__ import annotations

from app.security_headers import CONTENT_SECURITY_POLICY
from tests import html


def test_pages_forbid_inline_and_foreign_scripts(client, world):
    response = client.get("/masuk")
    policy = response.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "same-origin"


def test_templates_hold_no_inline_script_or_style(client, world, auth):
    auth.login(client, "dp3a_a")
    for url in ("/masuk", f"{world.base()}/isian", f"{world.base()}/dasbor", f"{world.base()}/verifikasi",
                "/instrumen"):
        page = html.page(client.get(url))
        assert not page.xpath("//script[not(@src)]") and not page.xpath("//@style"), url
        assert not html.mentions(page, "javascript:"), url
        assert not page.xpath("//@*[starts-with(name(), 'on')]"), url  # onclick, onchange, ...


def test_the_icon_browsers_ask_for_on_their_own_is_the_apps(client):
    """A PDF opened in its own tab names no icon; the browser asks /favicon.ico (a 404 was a console error)."""
    response = client.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
