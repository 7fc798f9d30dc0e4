"""One JSON line per request (time, method, path, status, duration, client, worker), for log shippers.

The user id is added when the session names one, so a support question
("my save failed at 10:42") can be traced without logging any content.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("kla.requests")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            session = scope.get("session") or {}
            client = scope.get("client")
            logger.info(json.dumps({
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),  # when the answer was sent
                "method": scope["method"],
                "path": scope["path"],
                "status": status["code"],
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "user": session.get("uid"),
                "client": client[0] if client else None,
                "pid": os.getpid(),  # which worker: with several, a slow request is read beside its neighbours
            }, separators=(",", ":")))


def configure_logging(level: str) -> None:
    """Plain JSON lines on stderr for the app's loggers (uvicorn keeps its own)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("kla.requests",):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level.upper())
        log.propagate = False
