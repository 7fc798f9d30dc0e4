"""The bytes of resumable uploads in progress: one file per upload under `<evidence_dir>/tus/`.

Inside the store's root, never served: nothing reads these files but this module and, once the last
byte is there, `EvidenceStore.save_file`, which checks and stores a copy exactly as it stores a file
of the plain form (sniff, active content, size, SHA-256, fsync, atomic rename). Until then the bytes
are nobody's evidence: not in the library, not on a card, not downloadable.

The offset of an upload is the size of its file: written with fsync before the PATCH answers, so
what HEAD reports after a dropped line is what the disk holds.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

from app.tus.protocol import valid_id


class Partials:
    def __init__(self, evidence_root: Path) -> None:
        self.root = Path(evidence_root) / "tus"

    def path(self, upload_id: str) -> Path:
        if not valid_id(upload_id):  # an id is never trusted into a path
            raise ValueError("not an upload id")
        return self.root / f"{upload_id}.part"

    def create(self, upload_id: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(upload_id).touch(exist_ok=True)

    def offset(self, upload_id: str) -> int | None:
        """Bytes received so far; None when the file is gone (removed, expired)."""
        try:
            return self.path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def open_append(self, upload_id: str) -> int:
        """A descriptor appending to the upload's file (it must exist: a removed upload is not revived)."""
        return os.open(self.path(upload_id), os.O_WRONLY | os.O_APPEND)

    def truncate(self, upload_id: str, size: int) -> None:
        """Back to `size` bytes (what a refused PATCH found), durably."""
        with contextlib.suppress(FileNotFoundError):
            descriptor = os.open(self.path(upload_id), os.O_WRONLY)
            try:
                os.ftruncate(descriptor, size)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def remove(self, upload_id: str) -> None:
        with contextlib.suppress(ValueError):
            self.path(upload_id).unlink(missing_ok=True)

    def sweep_orphans(self, known: Iterable[str], max_age_seconds: float) -> int:
        """Remove files of uploads without a row (a creation rolled back, a row removed while its file
        was busy) once they have not changed for `max_age_seconds`. Returns how many."""
        if not self.root.is_dir():
            return 0
        keep, cutoff, removed = set(known), time.time() - max_age_seconds, 0
        for entry in self.root.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stem not in keep and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed
