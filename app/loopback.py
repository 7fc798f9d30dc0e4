"""With the public development secret, the app serves only connections made to a loopback address.

`kla serve` refuses to bind anything else with that secret, but the app can also be started by
uvicorn or gunicorn directly (`uvicorn app.main:app --host 0.0.0.0`), where no command of ours sees
the address. Every connection knows the local address it arrived on (ASGI `scope["server"]`, the
socket's own name, which no client header can change), so the app checks it per request: anyone
can sign a session cookie with the development secret, so such a server must not be reachable
from another machine.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

# Starlette's TestClient names its server "testserver": an in-process client, no socket at all.
IN_PROCESS = "testserver"

REFUSAL = (
    "Server ini memakai kunci pengembangan KLA_SECRET_KEY yang bersifat publik, sehingga hanya melayani "
    "alamat loopback (127.0.0.1). Isi KLA_SECRET_KEY dan KLA_ENVIRONMENT=production untuk melayani jaringan.\n"
    "This server uses the public development KLA_SECRET_KEY and serves loopback (127.0.0.1) only. Set "
    "KLA_SECRET_KEY and KLA_ENVIRONMENT=production to serve a network.\n"
)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


class LoopbackOnly:
    """Answer 403 to every request that did not arrive on a loopback address (added only while the
    development secret is in use)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            server = scope.get("server")
            host = str(server[0]) if server else ""
            if host != IN_PROCESS and not is_loopback(host):
                await _refuse(send)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    body = REFUSAL.encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
