"""The tus 1.0.0 protocol's words: headers, metadata, and the answers every tus response shares.

Only what the protocol says lives here; who may upload what is `app.tus.service`'s, which asks the
same rules as the plain upload form.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from fastapi.responses import Response

from app.evidence.limits import ASGIApp, Message, Receive, Scope, Send

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
PREFIX = "/tus"
OFFSET_TYPE = "application/offset+octet-stream"
# An upload's id: secrets.token_urlsafe(32) (43 characters); anything else names no upload, and
# never reaches a file path.
ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
_ID = re.compile(ID_PATTERN)
# The plain upload route of a question (the card form's action): /r/{kab/kota}/{year}/isian/{code}/bukti.
_TARGET = re.compile(r"^/r/([0-9]{2}\.[0-9]{2})/([0-9]{4})/isian/([A-Za-z0-9.]{1,20})/bukti$")
_MAX_METADATA = 4096


class TusError(Exception):
    """A request the protocol refuses: its status and a plain-text reason (in the user's language)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Target:
    regency_code: str
    year: int
    code: str

    @property
    def path(self) -> str:
        return f"/r/{self.regency_code}/{self.year}/isian/{self.code}/bukti"


def valid_id(upload_id: str) -> bool:
    return bool(_ID.fullmatch(upload_id))


def parse_target(value: str) -> Target | None:
    match = _TARGET.fullmatch(value)
    if match is None:
        return None
    year = int(match.group(2))
    return Target(match.group(1), year, match.group(3)) if 2000 <= year <= 2100 else None


def parse_metadata(header: str | None) -> dict[str, str] | None:
    """Upload-Metadata: comma-separated `key base64value` pairs (a key alone is allowed); None when
    it is not well formed (bad base64, not UTF-8, a key twice, too long)."""
    if header is None:
        return {}
    if len(header) > _MAX_METADATA:
        return None
    pairs: dict[str, str] = {}
    for item in header.split(","):
        parts = item.strip().split(" ")
        if not parts[0] or len(parts) > 2 or parts[0] in pairs:
            return None
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError):
            return None
        if "\x00" in value:
            return None
        pairs[parts[0]] = value
    return pairs


def parse_int(value: str | None) -> int | None:
    """A non-negative decimal header value (Upload-Length, Upload-Offset), or None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 15:
        return None
    return int(value)


def http_date(moment: object) -> str:
    from email.utils import format_datetime  # RFC 7231's date, as Upload-Expires wants it

    return format_datetime(moment, usegmt=True)  # type: ignore[arg-type]


def plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    """A tus answer: plain text (the client shows it), never cached."""
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    if not message:
        return Response(status_code=status, headers=all_headers)
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8", headers=all_headers)


class TusHeaders:
    """Every answer under /tus/ carries Tus-Resumable, error pages and the CSRF refusal included (the
    protocol asks it of every response but OPTIONS'; it does no harm there). Pure ASGI, so the PATCH
    body keeps streaming."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"tus-resumable"]
                message["headers"] = [*headers, (b"tus-resumable", VERSION.encode())]
            await send(message)

        await self.app(scope, receive, send_with_header)
