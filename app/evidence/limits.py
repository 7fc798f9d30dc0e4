"""Refuse oversized request bodies before they are read, as pure ASGI middleware.

Why here and not in the route: by the time an endpoint sees an `UploadFile`, the form
parser has already spooled the whole body to disk, so a 2 GB "evidence file" would fill
the server's temp space before any check ran. This middleware answers 413 straight away
when `Content-Length` announces too much, and counts the bytes of bodies sent without it
(chunked), stopping the upload as soon as the count passes the limit.

Pure ASGI (not `BaseHTTPMiddleware`) so the body keeps streaming instead of being
buffered, and so the 413 can be sent even while the application is mid-way through
reading the body. The store (`store.py`) still checks the exact file size; this bound is
the file limit plus room for the multipart envelope.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.evidence.messages import refusal_message

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ENVELOPE_BYTES = 64 * 1024
_MB = 1024 * 1024


class _BodyTooLarge(Exception):
    """Raised from the wrapped `receive` to stop the application reading."""


class UploadSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, paths_prefix: str = "/", lang: str = "id") -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.app = app
        self.max_bytes = max_bytes
        self.bound = max_bytes + ENVELOPE_BYTES
        self.prefix = paths_prefix.rstrip("/")
        message = refusal_message("too_large", lang, limit_mb=max_bytes / _MB)
        self.body = f'<p class="error" role="alert">{html.escape(message)}</p>'.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._applies(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.bound:
            await self._send_413(send)
            return
        await _LimitedRequest(self, receive, send).run(scope)

    def _applies(self, path: str) -> bool:
        return path == self.prefix or path.startswith(f"{self.prefix}/")

    async def _send_413(self, send: Send) -> None:
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(self.body)).encode()),
            (b"connection", b"close"),  # the rest of the body is never read
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class _LimitedRequest:
    """One request: counts body bytes; once past the bound, the 413 replaces the app's answer.

    The app may catch the exception raised from `receive` (FastAPI turns body-parsing errors
    into a 400), so the send side also checks: after the bound is passed, whatever the app
    sends is dropped and the 413 goes out instead, unless the app had started earlier.
    """

    def __init__(self, limit: UploadSizeLimit, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.inner_receive = receive
        self.inner_send = send
        self.received = 0
        self.tripped = False
        self.app_started = False
        self.refused = False

    async def run(self, scope: Scope) -> None:
        try:
            await self.limit.app(scope, self.receive, self.send)
        except Exception:
            if not self.tripped:
                raise
            # Whatever the app raised now follows from the body being cut off.
        if self.tripped:
            await self._refuse()

    async def receive(self) -> Message:
        if self.tripped:
            raise _BodyTooLarge
        message = await self.inner_receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.bound:
                self.tripped = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.tripped and not self.app_started:
            await self._refuse()  # the app's own error page for the aborted body is dropped
            return
        if message["type"] == "http.response.start":
            self.app_started = True
        await self.inner_send(message)

    async def _refuse(self) -> None:
        # If the app had already started its response, the status cannot change: send nothing
        # more, so the server closes the connection and the client sees an incomplete answer.
        if not self.refused and not self.app_started:
            self.refused = True
            await self.limit._send_413(self.inner_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects malformed lengths; counting still applies
    return None
