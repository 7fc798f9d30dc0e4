"""Content-addressed storage for evidence files, outside the web root.

Why content addressing: a file is stored under the SHA-256 of its bytes, so the path is
never built from anything the uploader typed, the same scan uploaded by ten districts is
kept once, and `verify()` can prove a file is still exactly what was submitted.

Why temp file + fsync + `os.replace`: an upload is written to `root/tmp/` first, checked
(size while streaming, type with `sniff()` once complete) and only then renamed to its
final path. A rename within one filesystem is atomic, so a reader either finds no file or
the whole, checked file; never half an upload, and never a refused one. The fsync before
the rename makes sure the bytes are on disk before the name points at them.

`root` must not be served by the web server: files are sent by the application, with the
sniffed media type, after access checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.evidence.sniff import RefusedFile, sniff

CHUNK_BYTES = 1024 * 1024
TMP_MAX_AGE_SECONDS = 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    kind: str
    media_type: str
    extension: str
    path: Path
    already_stored: bool


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root)
        self.max_bytes = max_bytes

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    # --- writing ---------------------------------------------------------------------------

    async def save_stream(self, chunks: AsyncIterator[bytes]) -> StoredFile:
        """Store an upload arriving in chunks (e.g. `request.stream()`).

        Chunks are written as they come (small page-cache writes); the fsync, sniff and
        rename run in a worker thread so a large file does not stall the event loop.
        """
        upload = _Upload(self)
        try:
            async for chunk in chunks:
                upload.write(chunk)
        except BaseException:
            upload.discard()
            raise
        return await asyncio.to_thread(upload.finish)

    def save_file(self, fileobj: BinaryIO) -> StoredFile:
        """Store an upload from a file object (e.g. `UploadFile.file`), reading from its position."""
        upload = _Upload(self)
        try:
            while chunk := fileobj.read(CHUNK_BYTES):
                upload.write(chunk)
        except BaseException:
            upload.discard()
            raise
        return upload.finish()

    # --- reading and housekeeping ----------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        """The final path of `sha256`; `ValueError` unless it is 64 lowercase hex digits."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        """True if the stored file is present and still hashes to its name."""
        path = self.path_for(sha256)
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == sha256

    def delete(self, sha256: str) -> None:
        # The two-level folders stay: removing them could race with an upload moving into them.
        self.path_for(sha256).unlink(missing_ok=True)

    def sweep_tmp(self, max_age_seconds: float = TMP_MAX_AGE_SECONDS) -> int:
        """Delete temp files left by crashed uploads; returns how many were removed."""
        if not self.tmp_dir.is_dir():
            return 0
        cutoff = time.time() - max_age_seconds
        removed = 0
        for entry in self.tmp_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):  # a concurrent sweep got there first
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed


class _Upload:
    """One upload in progress: a temp file, its running hash and byte count."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=store.tmp_dir)
        self.path = Path(name)
        self.file = os.fdopen(descriptor, "wb")
        self.hash = hashlib.sha256()
        self.size = 0
        self.moved = False

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.store.max_bytes:
            limit_mb = self.store.max_bytes / _MB
            raise RefusedFile("too_large", f"more than {self.store.max_bytes} bytes", limit_mb=limit_mb)
        self.hash.update(chunk)
        self.file.write(chunk)

    def discard(self) -> None:
        self.file.close()
        if not self.moved:
            self.path.unlink(missing_ok=True)

    def finish(self) -> StoredFile:
        """fsync, sniff, then move into place (or drop the copy if the content is known)."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            sniffed = sniff(self.path)
            final = self.store.path_for(self.hash.hexdigest())
            # A damaged earlier copy does not count: the fresh one replaces it.
            already_stored = self.store.verify(final.name)
            if not already_stored:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.path, final)
                self.moved = True
                _fsync_directory(final.parent)
        finally:
            self.discard()
        return StoredFile(
            sha256=final.name,
            size=self.size,
            kind=sniffed.kind,
            media_type=sniffed.media_type,
            extension=sniffed.extension,
            path=final,
            already_stored=already_stored,
        )


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable; not possible on every platform, so best effort."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
