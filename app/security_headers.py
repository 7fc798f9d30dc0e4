"""Security headers on every response: only the app's own scripts and styles, no inline script,
and nothing but the static files kept in a cache (pages show one person's region; a shared or
back-button cache must not show them to the next person at the computer).

Routes may set their own Content-Security-Policy (evidence previews use a sandbox) and their own
Cache-Control; they are kept. The 500 page is sent by Starlette's ServerErrorMiddleware, outside
every middleware the app adds: its handler puts the same headers on it (`headers_for`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"SAMEORIGIN",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}
HSTS = b"max-age=31536000; includeSubDomains"
NO_STORE = (b"cache-control", b"no-store")
CACHEABLE = "/static/"  # the app's own CSS, scripts and icons: the same for everybody


def headers_for(path: str, *, hsts: bool = False) -> dict[str, str]:
    """The headers a response to `path` carries, for a response built outside this middleware."""
    extra = dict(HEADERS)
    if hsts:
        extra[b"strict-transport-security"] = HSTS
    if not path.startswith(CACHEABLE):
        extra[NO_STORE[0]] = NO_STORE[1]
    return {name.decode(): value.decode() for name, value in extra.items()}


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.extra = dict(HEADERS)
        if hsts:
            self.extra[b"strict-transport-security"] = HSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(name, value) for name, value in self.extra.items() if name not in present]
                if not cacheable and NO_STORE[0] not in present:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
