"""UploadSizeLimit: oversized bodies get a 413 with an Indonesian message, before the app reads them."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, UploadFile
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.evidence import UploadSizeLimit
from app.evidence.limits import ENVELOPE_BYTES

MB = 1024 * 1024
BOUND = MB + ENVELOPE_BYTES
MESSAGE = '<p class="error" role="alert">Berkas terlalu besar. Batas ukuran: 1 MB.'


async def echo_length(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"{len(body)} {body[:3].decode()}")


@pytest.fixture
def client():
    app = Starlette(
        routes=[
            Route("/unggah", echo_length, methods=["POST"]),
            Route("/lain", echo_length, methods=["POST"]),
        ]
    )
    limited = UploadSizeLimit(app, max_bytes=MB, paths_prefix="/unggah")
    with TestClient(limited) as client:
        yield client


def assert_refused(response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith(MESSAGE)


def test_declared_length_above_the_limit(client):
    assert_refused(client.post("/unggah", content=b"x" * (BOUND + 1)))


def test_streamed_body_without_length(client):
    def body():
        for _ in range(20):
            yield b"x" * 64 * 1024

    response = client.post("/unggah", content=body())  # a generator: chunked, no Content-Length
    assert_refused(response)


def test_small_body_passes_whole(client):
    response = client.post("/unggah", content=b"abc" + b"x" * 1000)
    assert response.status_code == 200
    assert response.text == "1003 abc"


def test_the_envelope_allowance_passes(client):
    assert client.post("/unggah", content=b"x" * BOUND).text == f"{BOUND} xxx"


def test_other_paths_are_not_limited(client):
    assert client.post("/lain", content=b"x" * (BOUND + 1)).status_code == 200


def test_prefix_matches_whole_segments():
    anywhere = Starlette(routes=[Route("/{path:path}", echo_length, methods=["POST"])])
    oversized = b"x" * (BOUND + 1)
    with TestClient(UploadSizeLimit(anywhere, max_bytes=MB, paths_prefix="/unggah/")) as limited:
        assert_refused(limited.post("/unggah", content=oversized))
        assert_refused(limited.post("/unggah/bukti/1", content=oversized))
        assert limited.post("/unggahan", content=oversized).status_code == 200
    with TestClient(UploadSizeLimit(anywhere, max_bytes=MB)) as everywhere:
        assert_refused(everywhere.post("/anything", content=oversized))


def test_limit_in_message_is_the_real_one():
    limited = UploadSizeLimit(None, max_bytes=20 * MB)  # type: ignore[arg-type]
    assert b"Batas ukuran: 20 MB." in limited.body
    english = UploadSizeLimit(None, max_bytes=MB // 2, lang="en")  # type: ignore[arg-type]
    assert b"The limit is 0.5 MB." in english.body


def test_fastapi_upload_route_gets_413_not_400():
    """FastAPI turns a failed form parse into a 400; the limit's 413 must win."""
    api = FastAPI()

    @api.post("/unggah")
    async def upload(berkas: UploadFile) -> dict[str, int]:
        return {"size": len(await berkas.read())}

    boundary = "batas"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="berkas"; filename="a.pdf"\r\n\r\n'.encode()

    def body(size: int):
        yield head
        for _ in range(size // (64 * 1024)):
            yield b"x" * 64 * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    with TestClient(UploadSizeLimit(api, max_bytes=MB)) as client:
        assert_refused(client.post("/unggah", content=body(2 * MB), headers=headers))
        assert client.post("/unggah", content=body(MB // 2), headers=headers).json() == {"size": MB // 2}


# --- raw ASGI: what the test client cannot show --------------------------------------------


def run(app, chunks: list[bytes], headers: list[tuple[bytes, bytes]] | None = None):
    """Drive `app` with a body in `chunks`; returns (messages sent, chunks pulled)."""
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers or []}
    pulled = 0
    sent = []

    async def receive():
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, pulled


async def read_all(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_stops_pulling_chunks_once_over_the_bound():
    sent, pulled = run(UploadSizeLimit(read_all, max_bytes=MB), [b"x" * 64 * 1024] * 100)
    assert pulled == BOUND // (64 * 1024) + 1
    assert [message.get("status") for message in sent] == [413, None]


def test_declared_length_is_refused_without_reading():
    sent, pulled = run(
        UploadSizeLimit(read_all, max_bytes=MB), [b"x"], [(b"content-length", b"%d" % (BOUND + 1))]
    )
    assert pulled == 0
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]


def test_an_app_that_swallows_the_error_cannot_answer_instead():
    async def forgiving(scope, receive, send):
        try:
            while (await receive()).get("more_body"):
                pass
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"bad body"})

    sent, _ = run(UploadSizeLimit(forgiving, max_bytes=MB), [b"x" * MB] * 3)
    assert [message.get("status") for message in sent] == [413, None]
    assert sent[1]["body"].startswith(MESSAGE.encode())


def test_response_already_started_is_left_incomplete():
    async def eager(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            await send({"type": "http.response.body", "body": b".", "more_body": True})
        await send({"type": "http.response.body", "body": b"done"})

    sent, _ = run(UploadSizeLimit(eager, max_bytes=MB), [b"x" * MB] * 3)
    assert sent[0]["status"] == 200
    assert all(message.get("status") != 413 for message in sent)
    assert sent[-1].get("more_body") is True  # never completed: the server will close


def test_other_errors_propagate():
    async def failing(scope, receive, send):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run(UploadSizeLimit(failing, max_bytes=MB), [b"x"])


def test_non_http_scopes_pass_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(UploadSizeLimit(app, max_bytes=1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
