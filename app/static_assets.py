"""The app's static files (CSS, scripts, icons, vendored libraries) under versioned names (issue 25, budget).

Why: a phone on a weak line should fetch htmx and the style sheet once, not on every visit. Each file
gets a name that carries a hash of its content (`app.css` -> `/static/app.3f9a1c2e.css`), which may then
be cached for a year: a changed file gets a new name, so a stale copy is never used. Templates name
files with `static_url('app.css')` (a Jinja global, app.templating).

Every file is read and gzipped once, when the app first needs it (not per request); a request is a
dictionary look-up, so no path from the address ever reaches the file system (no traversal). An
unversioned name (`/static/app.css`, what `/favicon.ico` redirects to) or an earlier version's name
(an old cached page asking for the style sheet of the day it was saved) still gets today's file,
cached only briefly. In development a file edited on disk is read again on its next request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import rcssmin
import rjsmin
from starlette.types import Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"  # a year: the name changes with the content
SHORT = "public, max-age=300"  # an unversioned or outdated name: today's file, checked again soon
HASH_LENGTH = 10  # hex digits of SHA-256: a collision between two versions of one file is not a concern
VERSIONED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{" + str(HASH_LENGTH) + r"})(?P<suffix>\.[A-Za-z0-9]+)$")
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".json": "application/json", ".map": "application/json",
         ".webmanifest": "application/manifest+json", ".woff2": "font/woff2", ".png": "image/png",
         ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One static file as it is served: its versioned URL path, its bytes and their gzip."""

    name: str  # relative to static/, with slashes: "app.css", "vendor/x-1.2.3.min.js"
    digest: str
    body: bytes
    gzipped: bytes | None  # None: not worth it (an image format that is compressed already)
    content_type: str
    mtime_ns: int
    size: int

    @property
    def versioned(self) -> str:
        path = PurePosixPath(self.name)
        return str(path.with_name(f"{path.stem}.{self.digest}{path.suffix}"))

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    @property
    def etag_gzip(self) -> str:
        """Another representation, another tag (RFC 9110 8.8.3); both answer an If-None-Match."""
        return f'"{self.digest}-gz"'


def minified(name: str, body: bytes) -> bytes:
    """Our own scripts and style sheets without their comments and spaces: the sources explain
    themselves at length, which a phone need not download (about 8 KB of the workspace's first load,
    gzipped). rjsmin and rcssmin only drop what the language ignores; they rename nothing. A vendored
    file (`*.min.*`) is sent as published."""
    if ".min." in name or not name.endswith((".js", ".css")):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    small = rcssmin.cssmin(text) if name.endswith(".css") else rjsmin.jsmin(text)
    return small.encode("utf-8")


def _read(directory: Path, name: str) -> Asset | None:
    path = directory / name
    try:
        stat = path.stat()
        body = path.read_bytes()
    except OSError:
        return None
    suffix = PurePosixPath(name).suffix.lower()
    content_type = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    body = minified(name, body)
    gzipped = None
    if content_type.startswith(COMPRESSIBLE):
        packed = gzip.compress(body, compresslevel=9, mtime=0)  # mtime=0: the same bytes on every start
        gzipped = packed if len(packed) < len(body) else None
    digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
    return Asset(name, digest, body, gzipped, content_type, stat.st_mtime_ns, stat.st_size)


class StaticAssets:
    """Every file under `directory` (hidden files and folders left out), by name and by versioned name."""

    def __init__(self, directory: Path = STATIC_DIR, *, reload: bool = False) -> None:
        self.directory = directory
        self.reload = reload
        self._lock = threading.Lock()
        self._by_name: dict[str, Asset] | None = None

    def _load(self) -> dict[str, Asset]:
        found: dict[str, Asset] = {}
        for name in sorted(self._listing()):
            asset = _read(self.directory, name)
            if asset is not None:
                found[asset.name] = asset
        return found

    def all(self) -> dict[str, Asset]:
        if self._by_name is None:
            with self._lock:
                if self._by_name is None:
                    self._by_name = self._load()
        return self._by_name

    def get(self, name: str) -> Asset | None:
        """The asset called `name` ("app.css"), read again first if development changed it on disk."""
        asset = self.all().get(name)
        if self.reload:
            asset = self._fresh(name, asset)
        return asset

    def _fresh(self, name: str, asset: Asset | None) -> Asset | None:
        if asset is None:
            if name not in self._listing():  # a file added since the start; never a path outside
                return None
        else:
            try:
                stat = (self.directory / name).stat()
            except OSError:
                return asset
            if (stat.st_mtime_ns, stat.st_size) == (asset.mtime_ns, asset.size):
                return asset
        fresh = _read(self.directory, name)
        if fresh is not None:
            with self._lock:
                self.all()[name] = fresh
        return fresh

    def _listing(self) -> set[str]:
        """The names that may be served: files, hidden ones and those in hidden folders left out (at the
        start and when development looks again alike: issue 25, review)."""
        found = set()
        for path in self.directory.rglob("*"):
            relative = path.relative_to(self.directory)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                found.add(relative.as_posix())
        return found

    def url_path(self, name: str) -> str:
        """The versioned path under /static of `name`; a missing file is a template's mistake: raise."""
        asset = self.get(name)
        if asset is None:
            raise LookupError(f"no static file {name!r} in {self.directory}")
        return asset.versioned

    def resolve(self, requested: str) -> tuple[Asset, bool] | None:
        """The asset a request path under /static names, and whether the name is today's version."""
        versioned = VERSIONED.match(requested)
        if versioned:
            asset = self.get(versioned["stem"] + versioned["suffix"])
            if asset is not None:
                return asset, asset.digest == versioned["hash"]
        asset = self.get(requested)
        return (asset, False) if asset is not None else None


assets = StaticAssets()  # templates' `static_url` and the /static mount share it (app.factory)


class StaticApp:
    """The ASGI app mounted at /static: GET and HEAD, gzip when asked, ETag and If-None-Match."""

    def __init__(self, store: StaticAssets) -> None:
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            await _answer(send, 405, [(b"allow", b"GET, HEAD")], b"Method Not Allowed", method)
            return
        # The Mount at /static extends root_path by "/static"; the (already %-decoded) rest names the file.
        path, root = scope["path"], scope.get("root_path", "")
        requested = path[len(root):] if root and path.startswith(root) else path
        found = self.store.resolve(requested.removeprefix("/"))
        if found is None:
            await _answer(send, 404, [(b"cache-control", b"no-cache")], b"Not Found", method)
            return
        asset, current = found
        headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
        wants_gzip = asset.gzipped is not None and b"gzip" in headers.get(b"accept-encoding", b"")
        etag = asset.etag_gzip if wants_gzip else asset.etag
        common = [(b"cache-control", (IMMUTABLE if current else SHORT).encode()),
                  (b"etag", etag.encode()), (b"vary", b"Accept-Encoding")]
        if _matches(headers.get(b"if-none-match", b""), asset):
            await _answer(send, 304, common, b"", method)
            return
        body = asset.gzipped if wants_gzip and asset.gzipped is not None else asset.body
        common.append((b"content-type", asset.content_type.encode()))
        if wants_gzip:
            common.append((b"content-encoding", b"gzip"))
        await _answer(send, 200, common, body, method)


def _matches(if_none_match: bytes, asset: Asset) -> bool:
    """RFC 9110 13.1.2 (weak comparison): either representation's tag, "*", or one in a list."""
    if not if_none_match:
        return False
    wanted = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return b"*" in wanted or bool(wanted & {asset.etag.encode(), asset.etag_gzip.encode()})


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, method: str) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())] if status != 304 else headers
    if status >= 400:
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" or status == 304 else body})
