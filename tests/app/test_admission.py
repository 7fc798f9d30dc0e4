"""app.admission: no more requests inside the app than the limit; health checks never wait."""

from __future__ import annotations

import asyncio

from app.admission import AdmissionLimit


def test_at_most_the_limit_inside_and_health_checks_pass_the_queue():
    inside, most, health_done = 0, 0, []
    release = asyncio.Event()

    async def app(scope, receive, send):
        nonlocal inside, most
        if scope["path"] == "/health":
            health_done.append(True)
            return
        inside += 1
        most = max(most, inside)
        await release.wait()
        inside -= 1

    limited = AdmissionLimit(app, limit=3)

    async def main():
        requests = [asyncio.create_task(limited({"type": "http", "path": f"/p{i}"}, None, None)) for i in range(10)]
        await asyncio.sleep(0.01)
        assert inside == 3  # seven wait on the event loop
        await asyncio.wait_for(limited({"type": "http", "path": "/health"}, None, None), 1)
        assert health_done  # not stuck behind the full app
        release.set()
        await asyncio.wait_for(asyncio.gather(*requests), 2)

    asyncio.run(main())
    assert most == 3 and inside == 0
