"""At most N requests of a worker inside the app at once; the others wait their turn on the event loop.

Why: a request takes a database connection in one thread-pool hop (the user
lookup) and keeps it across the next hops (the handler). With more requests in
flight than the pool has connections, every thread can end up waiting for a
connection while the requests holding the connections wait for a thread: no
progress until the pool's timeout answers 500. Admitting no more requests than
there are connections (app.db sizes the pool from the same setting) rules that
out; waiting on the event loop costs nothing. Health checks are never held up.

Uploads are read inside the app, so a slow client holds its place while it
sends; in production a reverse proxy that buffers request bodies (nginx does
by default) hands the app whole requests (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = ("/health", "/ready", "/static/")


class AdmissionLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        # One semaphore per event loop: a worker has one, a test may run several one after another.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        async with slots:
            await self.app(scope, receive, send)
