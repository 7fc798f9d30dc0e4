"""The hand-off package as a ZIP streamed with zipstream-ng: never built in memory or on disk whole.

Entries, in this order: README.txt, the workbook (a small temporary file the caller removes once the
stream has ended), then per question of the instrument its folder and files, then the sensitive
files' own top folder in the same order. Every entry is stored, not deflated: the evidence is PDFs
and images that do not shrink, and a stored stream knows its size before the first byte
(Content-Length, a download's progress bar).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from zipstream import ZIP_STORED, ZipStream  # type: ignore[import-untyped]  # no stubs

from app.evidence import EvidenceStore
from app.services.handoff.plan import SENSITIVE_FOLDER, Handoff
from app.services.handoff.workbook import readme_text, write_workbook

README_NAME = "README.txt"


@dataclass
class Package:
    """A package ready to stream: iterate `chunks()` once, then `close()` (removes the workbook)."""

    handoff: Handoff
    stream: ZipStream
    workbook: Path

    @property
    def size(self) -> int:
        return len(self.stream)

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self.stream
        finally:
            self.close()

    def close(self) -> None:
        self.workbook.unlink(missing_ok=True)


def build_package(handoff: Handoff, store: EvidenceStore, now: datetime | None = None) -> Package:
    """Write the workbook to a temporary file in the store's temp folder (swept if a crash leaves
    it) and queue every entry; nothing is read from the evidence store until the stream is iterated."""
    now = now or datetime.now(UTC)
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="handoff-", suffix=".xlsx", dir=store.tmp_dir)
    os.close(handle)
    workbook = Path(name)
    try:
        write_workbook(handoff, workbook, now)
        stream = ZipStream(compress_type=ZIP_STORED, sized=True)
        stream.add(readme_text(handoff, now).encode("utf-8-sig"), README_NAME)
        stream.add_path(str(workbook), handoff.workbook_name)
        sensitive = []
        for question in handoff.questions:
            if not question.answered:
                continue
            plain = [f for f in question.files if not f.sensitive]
            if not plain:
                stream.mkdir(question.folder)
            for packed in plain:
                stream.add_path(str(store.path_for(packed.sha256)), packed.path)
            sensitive += [f for f in question.files if f.sensitive]
        for packed in sensitive:
            stream.add_path(str(store.path_for(packed.sha256)), packed.path)
        assert all(f.path.startswith(SENSITIVE_FOLDER + "/") for f in sensitive)
    except BaseException:
        workbook.unlink(missing_ok=True)
        raise
    return Package(handoff, stream, workbook)
