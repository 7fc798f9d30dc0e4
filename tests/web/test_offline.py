"""Offline work (issue 25, offline): the service worker's route, the workspace's status element, and
logout telling the browser to drop what it cached. The behaviour in a browser: tests/browser/test_offline.py."""

from __future__ import annotations

import re

from app.routes.offline import PRECACHED, static_version
from app.static_assets import StaticAssets, assets
from tests import html


def test_the_service_worker_is_javascript_at_the_root_and_never_kept_long(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    # The app's CSP still applies (a worker is same-origin script: script-src 'self').
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_service_worker_keeps_the_static_files_and_the_workspace_only(client):
    script = client.get("/sw.js").text
    precache = re.search(r"var PRECACHE\s*=\s*(\[.*?\]);", script)
    assert precache is not None
    for name in PRECACHED:  # under the names the pages ask for (issue 25, budget)
        assert f'"/static/{assets.url_path(name)}"' in precache.group(1)
    assert re.search(rf'var VERSION\s*=\s*"{static_version()}";', script)
    workspace = re.search(r"var WORKSPACE\s*=\s*/(.*?)/;", script)
    assert workspace is not None
    pattern = re.compile(workspace.group(1).replace("\\/", "/"))
    assert pattern.match("/r/62.71/2025/isian") and pattern.match("/r/62.71/2025/isian/1.2q")
    for other in ("/r/62.71/2025/isian/1.2q/riwayat", "/r/62.71/2025/dasbor", "/akun/sandi", "/masuk"):
        assert not pattern.match(other), other
    # Logging in or out (here or in another tab) empties the kept pages.
    assert '"/masuk","/keluar"' in script and "caches.delete(PAGES_CACHE)" in script


def test_the_version_changes_with_any_static_file(tmp_path):
    (tmp_path / "app.js").write_text("one", encoding="utf-8")
    before = static_version(StaticAssets(tmp_path))
    (tmp_path / "app.js").write_text("one and more", encoding="utf-8")
    assert static_version(StaticAssets(tmp_path)) != before


def test_the_service_worker_needs_no_login(client):
    assert client.get("/sw.js", follow_redirects=False).status_code == 200


def test_logout_tells_the_browser_to_drop_its_cache(client, world, auth):
    token = auth.login(client, "opd_a")
    response = client.post("/keluar", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache"'
    assert response.headers["cache-control"] == "no-store"


def test_pages_stay_no_store_for_the_http_cache(client, world, auth):
    auth.login(client, "opd_a")
    response = client.get(f"{world.base('a')}/isian")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_the_workspace_names_the_owner_of_waiting_edits_and_says_what_it_will_show(client, world, auth):
    auth.login(client, "opd_a")
    tree = html.page(client.get(f"{world.base('a')}/isian"))
    [status] = tree.xpath("//*[@id='offline-status']")
    user = world.users["opd_a"]
    assert status.get("data-owner") == f"{user.id}/62.71/{world.year}"
    assert status.get("data-worker") == "/sw.js"
    assert status.get("hidden") is not None and status.get("role") == "status"
    assert "{n}" in status.get("data-waiting") and "{n}" in status.get("data-attention")
    for name in ("data-offline", "data-copy", "data-sending", "data-sent", "data-relogin", "data-kept",
                 "data-needs-line"):
        assert status.get(name), name
    assert tree.xpath("//head/script[starts-with(@src, '/static/offline.')]")  # a versioned name
    # A question's own page has it too; its card alone (an htmx swap into the list) does not.
    code = tree.xpath("//details[@class='question']//span[@class='code']")[0].text.strip()
    assert html.page(client.get(f"{world.base('a')}/isian/{code}")).xpath("//*[@id='offline-status']")
    card = client.get(f"{world.base('a')}/isian/{code}", headers={"HX-Request": "true"})
    assert not html.page(card).xpath("//*[@id='offline-status']")


def test_the_service_worker_answers_304_while_no_static_file_changed(client):
    """The browser asks for /sw.js on every visit of the workspace: a phone pays a few header bytes."""
    first = client.get("/sw.js")
    tag = first.headers["etag"]
    again = client.get("/sw.js", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get("/sw.js", headers={"If-None-Match": '"sw-other"'}).status_code == 200
