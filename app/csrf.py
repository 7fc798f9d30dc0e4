"""CSRF protection for every state change, HTMX requests included.

The CSRF libraries for Starlette are stale, so this is ours: a random token
kept in the signed session, sent back by forms (`csrf_token` field) and by
htmx (`X-CSRF-Token` header, set once on <body hx-headers>). A request from
another site is refused before the token is even looked at (Sec-Fetch-Site /
Origin), which also covers the login form.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "csrf"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


class CsrfRejected(Exception):
    """Raised by the check; the app turns it into a 403 page asking to reload."""


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency applied to the whole app."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRejected("cross-site request")
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and _is_form(request):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfRejected("missing or wrong token")


def _same_origin(request: Request) -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)
    return True


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
