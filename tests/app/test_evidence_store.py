"""EvidenceStore: content-addressed, de-duplicated, and never showing a partial or refused file."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import app.evidence.store as store_module
from app.evidence import EvidenceStore, RefusedFile, StoredFile
from tests.app import test_evidence_samples as samples

LIMIT = 64 * 1024


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", max_bytes=LIMIT)


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


async def chunks_of(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_saves_under_its_sha256(store):
    data = samples.pdf()
    sha = hashlib.sha256(data).hexdigest()
    stored = store.save_file(io.BytesIO(data))
    assert stored == StoredFile(
        sha256=sha,
        size=len(data),
        kind="pdf",
        media_type="application/pdf",
        extension=".pdf",
        path=store.root / sha[:2] / sha[2:4] / sha,
        already_stored=False,
    )
    assert stored.path.read_bytes() == data
    assert files_under(store.root) == [stored.path]


def test_save_stream_matches_save_file(tmp_path):
    data = samples.docx()
    streamed = asyncio.run(EvidenceStore(tmp_path / "a", LIMIT).save_stream(chunks_of(data)))
    direct = EvidenceStore(tmp_path / "b", LIMIT).save_file(io.BytesIO(data))
    assert (streamed.sha256, streamed.size, streamed.kind) == (direct.sha256, direct.size, "docx")


def test_same_content_is_kept_once(store):
    data = samples.png()
    first = store.save_file(io.BytesIO(data))
    second = asyncio.run(store.save_stream(chunks_of(data, 7)))
    assert first.sha256 == second.sha256
    assert (first.already_stored, second.already_stored) == (False, True)
    assert files_under(store.root) == [first.path]


def test_exactly_the_limit_is_accepted(store):
    data = samples.pdf(b"<< /Padding (%s) >>" % (b"x" * LIMIT))[:LIMIT]
    assert store.save_file(io.BytesIO(data)).size == LIMIT


def test_too_large_leaves_nothing_behind(tmp_path):
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1024)
    with pytest.raises(RefusedFile) as caught:
        store.save_file(io.BytesIO(samples.pdf(b"<< /Padding (%s) >>" % (b"x" * 2048))))
    assert caught.value.code == "too_large"
    assert caught.value.params == {"limit_mb": 1024 / (1024 * 1024)}
    assert files_under(store.root) == []


def test_too_large_stream_stops_reading(tmp_path):
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1024)
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"%PDF-" + bytes(95)

    with pytest.raises(RefusedFile, match="too_large"):
        asyncio.run(store.save_stream(endless()))
    assert pulled == 11
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"MZ" + bytes(100), "executable"), (b"", "empty"), (b"<html><script></script>", "html")],
)
def test_refused_content_never_reaches_its_final_path(store, data, code):
    with pytest.raises(RefusedFile) as caught:
        store.save_file(io.BytesIO(data))
    assert caught.value.code == code
    assert not store.path_for(hashlib.sha256(data).hexdigest()).exists()
    assert files_under(store.root) == []


def test_final_path_appears_only_once_the_file_is_complete_and_checked(store, monkeypatch):
    data = samples.xlsx()
    final = store.path_for(hashlib.sha256(data).hexdigest())
    seen = {}

    def spying_sniff(path: Path):
        seen["final existed during sniff"] = final.exists()
        seen["temp file complete"] = path.read_bytes() == data
        seen["temp in tmp folder"] = path.parent == store.tmp_dir
        return real_sniff(path)

    real_sniff = store_module.sniff
    monkeypatch.setattr(store_module, "sniff", spying_sniff)
    store.save_file(io.BytesIO(data))
    assert seen == {
        "final existed during sniff": False,
        "temp file complete": True,
        "temp in tmp folder": True,
    }
    assert final.read_bytes() == data


def test_failure_while_streaming_removes_the_temp_file(store):
    async def broken() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7\n"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.save_stream(broken()))
    assert files_under(store.root) == []


def test_verify_detects_an_altered_file(store):
    stored = store.save_file(io.BytesIO(samples.pdf()))
    assert store.verify(stored.sha256)
    with stored.path.open("r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    assert not store.verify(stored.sha256)


def test_upload_repairs_a_damaged_copy(store):
    data = samples.pdf()
    stored = store.save_file(io.BytesIO(data))
    stored.path.write_bytes(data[:-5] + b"XXXXX")
    again = store.save_file(io.BytesIO(data))
    assert not again.already_stored
    assert store.verify(stored.sha256)


def test_verify_of_a_missing_file_is_false(store):
    assert not store.verify("0" * 64)


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "0" * 64 + "\n", "", None, 123],
)
def test_digests_are_validated_before_any_path_is_built(store, bad):
    for method in (store.open, store.path_for, store.exists, store.verify, store.delete):
        with pytest.raises(ValueError):
            method(bad)


def test_open_exists_and_delete(store):
    data = samples.gif()
    stored = store.save_file(io.BytesIO(data))
    assert store.exists(stored.sha256)
    with store.open(stored.sha256) as handle:
        assert handle.read() == data
    store.delete(stored.sha256)
    assert not store.exists(stored.sha256)
    store.delete(stored.sha256)  # deleting twice is fine


def test_sweep_removes_only_stale_temp_files(store):
    store.tmp_dir.mkdir(parents=True)
    stale, fresh = store.tmp_dir / "upload-old.part", store.tmp_dir / "upload-new.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.sweep_tmp() == 1
    assert files_under(store.tmp_dir) == [fresh]


def test_sweep_without_tmp_folder(store):
    assert store.sweep_tmp() == 0


def test_limit_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        EvidenceStore(tmp_path, max_bytes=0)
