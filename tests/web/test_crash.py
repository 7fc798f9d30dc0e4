"""kill -9 of a worker in the middle of uploads: no partial file in the store, no dangling row."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.evidence import EvidenceStore
from app.models import Evidence, StoredFile
from app.services.demo import sample_pdf
from tests import html

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find the worker processes")
def test_killing_a_worker_mid_upload_leaves_nothing_half_done(tmp_path, migrated, world, db):
    if not migrated.startswith("sqlite"):
        pytest.skip("one database kind is enough for a process crash; the suite's SQLite run covers it")
    env = {**os.environ, "KLA_DATABASE_URL": migrated, "KLA_DATA_DIR": str(tmp_path / "data"),
           "KLA_MAX_UPLOAD_MB": "8", "KLA_ENVIRONMENT": "test"}
    port = _free_port()
    kla = str(Path(sys.executable).with_name("kla"))
    server = subprocess.Popen([kla, "serve", "--port", str(port), "--workers", "2", "--no-access-log"], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        stop = threading.Event()
        statuses: list[int] = []
        threads = [threading.Thread(target=_upload_loop, args=(base, world, stop, statuses, n)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        workers = _children(server.pid)
        assert len(workers) >= 2, "uvicorn runs two worker processes"
        os.kill(workers[0], signal.SIGKILL)  # no chance to clean up anything
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert 200 in statuses  # uploads went through before and after the kill
    finally:
        server.terminate()
        server.wait(timeout=20)

    store = EvidenceStore(tmp_path / "data" / "evidence", 8 * 1024 * 1024)
    final_files = [p for p in store.root.rglob("*") if p.is_file() and p.relative_to(store.root).parts[0] != "tmp"]
    for path in final_files:  # every file in the store is whole: its content hashes to its name
        assert store.verify(path.name), f"partial or altered file {path}"
    engine = make_engine(migrated)
    with Session(engine) as session:
        for sha256 in session.exec(select(StoredFile.sha256)):
            assert store.verify(sha256), f"row {sha256} without its file"
        for evidence in session.exec(select(Evidence)):
            assert session.get(StoredFile, evidence.sha256) is not None
    engine.dispose()


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start")


def _upload_loop(base: str, world, stop: threading.Event, statuses: list[int], seed: int) -> None:
    with httpx.Client(base_url=base, timeout=20) as client:
        page = client.get("/masuk")
        token = html.attrs(html.page(page), "//*[@name='csrf_token']/@value")[0]
        client.post("/masuk", data={"username": "opd_a", "password": "rahasia-123", "csrf_token": token})
        token = html.attrs(html.page(client.get("/akun/sandi")), "//*[@name='csrf_token']/@value")[0]
        body_padding = os.urandom(3 * 1024 * 1024)  # big enough to be mid-flight when the worker dies
        count = 0
        while not stop.is_set() and count < 40:
            count += 1
            content = sample_pdf(f"bukti {seed}-{count}", "x") + b"%" + body_padding.hex().encode()[:2_000_000]
            try:
                response = client.post(
                    f"{world.base()}/isian/1.2l/bukti",
                    files={"files": (f"b{seed}-{count}.pdf", content, "application/pdf")},
                    headers={"X-CSRF-Token": token, "HX-Request": "true"},
                )
                statuses.append(response.status_code)
            except httpx.HTTPError:
                statuses.append(0)  # the connection died with the worker
