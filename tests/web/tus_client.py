"""A small tus 1.0.0 client over the app's TestClient (plain HTTP), for the protocol tests (issue 25, tus)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


@dataclass
class Tus:
    client: TestClient
    token: str  # the session's CSRF token
    target: str  # the question's plain upload route

    def create(self, length: int, filename: str = "bukti.pdf", *, target: str | None = None,
               headers: dict[str, str] | None = None):
        sent = {**TUS, "X-CSRF-Token": self.token, "Upload-Length": str(length),
                "Upload-Metadata": metadata(filename=filename, filetype="application/pdf",
                                            target=self.target if target is None else target)}
        return self.client.post("/tus/", headers={**sent, **(headers or {})})

    def start(self, length: int, filename: str = "bukti.pdf") -> str:
        response = self.create(length, filename)
        assert response.status_code == 201, response.text
        return response.headers["Location"]

    def head(self, url: str, headers: dict[str, str] | None = None):
        return self.client.head(url, headers={**TUS, **(headers or {})})

    def patch(self, url: str, offset: int, data: bytes, headers: dict[str, str] | None = None):
        sent = {**TUS, "X-CSRF-Token": self.token, "Upload-Offset": str(offset), "Content-Type": OFFSET}
        return self.client.patch(url, content=data, headers={**sent, **(headers or {})})

    def delete(self, url: str, headers: dict[str, str] | None = None):
        return self.client.delete(url, headers={**TUS, "X-CSRF-Token": self.token, **(headers or {})})

    def send(self, data: bytes, filename: str = "bukti.pdf", chunk: int = 1000) -> tuple[str, object]:
        """Create and send `data` in chunks, checking HEAD after each; the URL and the last answer."""
        url = self.start(len(data), filename)
        response = None
        for offset in range(0, len(data), chunk):
            response = self.patch(url, offset, data[offset:offset + chunk])
            if response.status_code != 204:
                break
            if offset + chunk < len(data):
                assert int(self.head(url).headers["Upload-Offset"]) == offset + chunk
        return url, response


# -- raw ASGI PATCHes, for races a TestClient cannot make (two PATCHes at once, one stalled) ----------


def patch_scope(tus: Tus, url: str, offset: int, length: int) -> dict:
    """The ASGI scope of a PATCH of `length` bytes at `offset`, in `tus`'s session."""
    headers = {**TUS, "X-CSRF-Token": tus.token, "Upload-Offset": str(offset), "Content-Type": OFFSET,
               "Content-Length": str(length), "Host": "testserver",
               "Cookie": "; ".join(f"{k}={v}" for k, v in tus.client.cookies.items())}
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PATCH", "scheme": "http",
            "path": url, "raw_path": url.encode(), "query_string": b"", "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("testclient", 50000), "server": ("testserver", 80), "state": {}}


@dataclass
class Stalled:
    """A PATCH body whose first part arrives at once and the rest only once `gate` is set: a phone's
    line that stalls in the middle."""

    first: bytes
    rest: bytes
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False

    async def receive(self) -> dict:
        if not self.started:
            self.started = True
            return {"type": "http.request", "body": self.first, "more_body": True}
        await self.gate.wait()
        return {"type": "http.request", "body": self.rest, "more_body": False}


def whole(body: bytes):
    """A PATCH body that arrives at once."""
    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


def status_into(statuses: dict[str, int], key: str):
    """An ASGI `send` that keeps the response's status under `key`."""
    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses[key] = message["status"]
    return send
