"""Decide what an uploaded evidence file *is* from its bytes, never from its name.

Why content sniffing: the file name and the Content-Type header are chosen by whoever
uploads, so `laporan.pdf` may be a Windows program and `foto.jpg` an HTML page with a
script in it. Evidence files are later opened by reviewers, on their own computers and in
their browsers, so the only safe basis for "this is a PDF" is the PDF's own bytes.

The rules are an allow-list: a file is accepted only when it positively matches one of the
document or image formats civil servants actually upload. Everything else is refused with
a short code (see `REFUSAL_CODES`) that `messages.refusal_message` turns into words.

Checks are bounded and never extract anything to disk: ZIP-based Office files are judged
from the central directory (`infolist()`) and then read part by part for macros, embedded
objects and remote content (`office_checks`); legacy .doc and .xls by their directory
(`ole`); PDFs are scanned through a read-only memory map and their object streams decoded
within a budget (`pdf_checks`). These are screens for the common ways to carry active
content, not proofs that a file is harmless; downloads are still served as attachments
with `nosniff`.
"""

from __future__ import annotations

import codecs
import mmap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from app.evidence.office_checks import check_ooxml, check_opendocument
from app.evidence.ole import OLE_MAGIC, ole_kind
from app.evidence.pdf_checks import check_pdf
from app.evidence.refused import REFUSAL_CODES, RefusedFile

__all__ = ["ALLOWED_EXTENSIONS", "MEDIA_TYPES", "REFUSAL_CODES", "RefusedFile", "Sniffed", "sniff"]

@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str
    media_type: str
    extension: str


ALLOWED_EXTENSIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "pdf": ".pdf",
        "png": ".png",
        "jpeg": ".jpg",
        "gif": ".gif",
        "webp": ".webp",
        "docx": ".docx",
        "xlsx": ".xlsx",
        "doc": ".doc",
        "xls": ".xls",
        "odt": ".odt",
        "ods": ".ods",
    }
)

MEDIA_TYPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "pdf": "application/pdf",
        "png": "image/png",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc": "application/msword",
        "xls": "application/vnd.ms-excel",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
    }
)

HEAD_BYTES = 64 * 1024
MARKUP_WINDOW = 1024
MAX_ZIP_ENTRIES = 10_000
# Below this declared size a high compression ratio is harmless (sheet XML often
# compresses 50:1); the ratio rule is for archives that would actually hurt.
RATIO_FLOOR_BYTES = 1024 * 1024

_EXECUTABLE_MAGICS = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal (also Java class files)
    b"#!",  # script with an interpreter line
)
_MARKUP_TOKENS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")
_ZIP_MAGIC = b"PK\x03\x04"
_MAGIC_PREFIXES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (_ZIP_MAGIC, "zip"),
    (OLE_MAGIC, "ole"),
)


def sniff(path: Path, *, max_unzipped_bytes: int = 200 * 1024 * 1024, max_ratio: int = 100) -> Sniffed:
    """Return what the file at `path` is, or raise `RefusedFile`."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        raise RefusedFile("empty", "0 bytes")
    kind = _kind_from_head(head)
    if kind == "zip":
        kind = _zip_kind(path, max_unzipped_bytes, max_ratio)
    elif kind == "ole":
        kind = _ole_kind(path)
    elif kind == "pdf":
        check_pdf(path, max_unzipped_bytes)
    return Sniffed(kind, MEDIA_TYPES[kind], ALLOWED_EXTENSIONS[kind])


# --- first bytes -------------------------------------------------------------------------


def _kind_from_head(head: bytes) -> str:
    """A kind, or "zip"/"ole" (containers decided later); refuses programs and markup."""
    if head.startswith(_EXECUTABLE_MAGICS):
        raise RefusedFile("executable", f"magic {head[:4]!r}")
    if _starts_with_markup(head):
        raise RefusedFile("html", "starts with '<'")
    for magic, kind in _MAGIC_PREFIXES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if _contains_markup(head):
        raise RefusedFile("html", "markup in the first KiB")
    raise RefusedFile("unknown_type", f"first bytes {head[:8]!r}")


def _starts_with_markup(head: bytes) -> bool:
    text = head[:MARKUP_WINDOW]
    if text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]
    elif text.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = text.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    return text.lstrip(b" \t\r\n\f\v\x00").startswith(b"<")


def _contains_markup(head: bytes) -> bool:
    # Dropping NULs also catches UTF-16 text without a byte-order mark.
    window = head[: MARKUP_WINDOW * 2].replace(b"\x00", b"").lower()
    return any(token in window for token in _MARKUP_TOKENS)


# --- ZIP: OOXML and OpenDocument -----------------------------------------------------------

_ODF_KINDS = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def _zip_kind(path: Path, max_unzipped_bytes: int, max_ratio: int) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_zip_bomb(infos, max_unzipped_bytes, max_ratio)
            kind = _office_kind(archive, [info.filename for info in infos])
    except RefusedFile:
        raise
    except Exception as exc:  # hostile input: any failure to read the archive means "corrupt"
        raise RefusedFile("corrupt", f"zip: {type(exc).__name__}: {exc}") from exc
    if kind is None:
        raise RefusedFile("unknown_type", "zip that is not docx/xlsx/odt/ods")
    return kind


def _check_zip_bomb(infos: list[zipfile.ZipInfo], max_unzipped_bytes: int, max_ratio: int) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise RefusedFile("zip_bomb", f"{len(infos)} entries")
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unpacked > max_unzipped_bytes:
        raise RefusedFile("zip_bomb", f"declares {unpacked} bytes uncompressed")
    if unpacked > RATIO_FLOOR_BYTES and unpacked > max_ratio * max(packed, 1):
        raise RefusedFile("zip_bomb", f"ratio {unpacked / max(packed, 1):.0f}:1")


def _office_kind(archive: zipfile.ZipFile, names: list[str]) -> str | None:
    """The kind, once the file's active content (`office_checks`) has been ruled out."""
    if "mimetype" in names:
        with archive.open("mimetype") as entry:
            kind = _ODF_KINDS.get(entry.read(256).strip())
        if kind:
            check_opendocument(archive, names)
        return kind
    if "[Content_Types].xml" not in names:
        return None
    word, excel = "word/document.xml" in names, "xl/workbook.xml" in names
    if word == excel:
        return None  # pptx, or ambiguous
    check_ooxml(archive, names)
    return "docx" if word else "xlsx"


# --- OLE2 compound files: legacy .doc and .xls ---------------------------------------------


def _ole_kind(path: Path) -> str:
    """Word or Excel, from the compound file's directory (`ole`), once macros are ruled out."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        kind = ole_kind(data)
    if kind is None:
        raise RefusedFile("unknown_type", "OLE file without a Word or Excel stream")
    return kind
