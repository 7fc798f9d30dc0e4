"""The service worker of offline work (issue 25, offline): `/sw.js`, at the root so that its scope
covers the workspace pages (a worker's scope cannot be wider than the folder of its script, and
/static/ is served with a year's cache, which a worker script must never have).

The script is a template: it names the static files to keep under their versioned names (issue 25,
budget: app/static_assets.py) and a version made of every file's content hash, so that any change of a
static file gives the browser a new worker, which drops the old cache. Pages are kept only by the worker (see
static/offline.js and docs/architecture.md, "Offline work"); every page stays `no-store` for HTTP.
"""

from __future__ import annotations

import gzip
import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.static_assets import StaticAssets, assets, minified
from app.templating import env

router = APIRouter(tags=["offline"])

# What a reload of the workspace needs offline; anything else under /static/ is kept once fetched.
PRECACHED = ("app.css", "favicon.svg", "htmx.min.js", "app.js", "focus.js", "offline.js", "photos.js", "upload.js")


def static_version(store: StaticAssets = assets) -> str:
    """A short digest of every static file's content hash (app.static_assets): it changes whenever a
    file does, so the browser gets a new worker, which drops the old cache."""
    digest = hashlib.sha256()
    for name, asset in sorted(store.all().items()):
        digest.update(f"{name}:{asset.digest}\n".encode())
    return digest.hexdigest()[:16]


@router.get("/sw.js", name="service_worker", include_in_schema=False)
def service_worker(request: Request) -> Response:
    root: str = request.scope.get("root_path", "")
    version = static_version()
    # no-cache: the browser asks again on every visit of the workspace instead of keeping an old worker;
    # the tag makes that question cost a 304 until a static file changes. A worker script is same-origin
    # JavaScript, which the CSP (script-src 'self') allows.
    packed = "gzip" in request.headers.get("accept-encoding", "")
    headers = {"Cache-Control": "no-cache", "ETag": f'"sw-{version}{"-gz" if packed else ""}"',
               "Vary": "Accept-Encoding"}
    if f'"sw-{version}' in request.headers.get("if-none-match", ""):  # either representation's tag
        return Response(status_code=304, headers=headers)
    kept = [f"{root}/static/{assets.url_path(name)}" for name in PRECACHED]  # the names pages ask for
    # Sent as the static scripts are (app.static_assets): without its comments, gzipped when asked.
    script = minified("sw.js", env.get_template("offline/sw.js").render(assets=kept, version=version).encode())
    if packed:
        script = gzip.compress(script, compresslevel=9, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(script, media_type="text/javascript; charset=utf-8", headers=headers)
