"""The service worker of offline work (issue 25, offline): `/sw.js`, at the root so that its scope
covers the workspace pages (a worker's scope cannot be wider than the folder of its script, and
/static/ is served with a year's cache, which a worker script must never have).

The script is a template: it names the static files to keep (through `url_for`, so versioned names
follow) and a version made of those files' sizes and times, so that any change of a static file
gives the browser a new worker, which drops the old cache. Pages are kept only by the worker (see
static/offline.js and docs/architecture.md, "Offline work"); every page stays `no-store` for HTTP.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.templating import env

router = APIRouter(tags=["offline"])

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
# What a reload of the workspace needs offline; anything else under /static/ is kept once fetched.
PRECACHED = ("app.css", "favicon.svg", "htmx.min.js", "app.js", "focus.js", "offline.js")


def static_version(root: Path = STATIC_DIR) -> str:
    """A short digest of every static file's name, size and time: cheap (stat only), and it changes
    whenever a file does, even while the static URLs carry no version of their own."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@router.get("/sw.js", name="service_worker", include_in_schema=False)
def service_worker(request: Request) -> Response:
    assets = [request.url_for("static", path=name).path for name in PRECACHED]
    script = env.get_template("offline/sw.js").render(assets=assets, version=static_version())
    # no-cache: the browser asks again (cheaply) instead of keeping an old worker; a worker script is
    # same-origin JavaScript, which the CSP (script-src 'self') allows.
    return Response(script, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"})
