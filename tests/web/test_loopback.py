"""With the public development secret the app answers only connections made to a loopback address
(issue 19, item 3): started by uvicorn or gunicorn directly on 0.0.0.0, no `kla serve` checks it."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app

REAL_SECRET = "s" * 48


def _get(app, server: tuple[str, int]) -> tuple[int, bytes]:
    """One GET /health through the ASGI app as a connection accepted on `server` (the socket's own
    address, which uvicorn puts in scope["server"]) would make it."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/health", "raw_path": b"/health", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"kla.example")], "client": ("192.0.2.50", 40000), "server": server}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.fixture
def make_app(migrated, tmp_path, catalogue):
    made = []

    def build(**overrides):
        settings = Settings(database_url=migrated, data_dir=tmp_path / "data", **overrides)
        made.append(create_app(settings, catalogue=catalogue))
        return made[-1]

    yield build
    for app in made:
        app.state.engine.dispose()


@pytest.mark.parametrize("server", [("127.0.0.1", 8000), ("::1", 8000), ("127.0.1.1", 8000)])
def test_the_development_secret_serves_loopback_connections(make_app, server):
    assert _get(make_app(environment="development"), server)[0] == 200


@pytest.mark.parametrize("server", [("0.0.0.0", 8000), ("192.0.2.10", 8000), ("2001:db8::1", 8000)])
def test_the_development_secret_refuses_connections_from_the_network(make_app, server):
    status, body = _get(make_app(environment="development"), server)
    assert status == 403
    assert "kunci pengembangan" in body.decode()


def test_a_real_secret_serves_the_network(make_app):
    assert _get(make_app(environment="development", secret_key=REAL_SECRET), ("192.0.2.10", 8000))[0] == 200


def test_the_in_process_test_client_is_served(make_app):
    with TestClient(make_app(environment="test")) as client:
        assert client.get("/health").status_code == 200
