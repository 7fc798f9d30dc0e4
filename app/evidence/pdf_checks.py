"""Active content in a PDF: scripts, launch actions, attachments, XFA forms with scripts.

Two passes, each covering what the other cannot:

1. `_scan_bytes` reads the file as it is, with no parser, so a damaged cross-reference
   table or an object no table lists hides nothing from it: active names anywhere in the
   dictionaries, and inside Flate object streams it finds by their `/Type /ObjStm`.
2. `_scan_structure` reads the file the way a viewer does, through pypdf: the
   cross-reference tables and streams say which streams hold compressed objects, and each
   of those is decoded with all its filters (Flate, LZW, ASCIIHex, ASCII85, RunLength,
   chained, with predictors, decrypted when the file opens without a password) and scanned
   like pass 1. The XFA form, if any, is decoded and refused when it holds a `<script>`.
   Pass 2 runs only for files that have such parts (object or cross-reference streams, XFA,
   encryption); a file without them was seen whole by pass 1, so an old-style PDF that
   pypdf cannot read (truncated, no `startxref`) is still accepted as viewers open it. One
   that has them and that pypdf cannot read is refused as damaged: what it hides cannot be
   checked.

Decoding is bounded (a 20 MB upload could otherwise inflate to gigabytes, or keep a worker
busy for 20 s in pure-Python LZW): each pass decodes at most 64 MiB (`MAX_OBJECT_BYTES`, or
less when the caller asks), the slow filters get 1 MiB of input for the whole file, a chain
at most 8 filters; pypdf's own limits are lowered to the same budgets. Image and page
streams are never decoded, so a big scanned or printed PDF costs one read of its
cross-reference data and its object streams (measured on 2 cores: 35 ms for a 10 MB,
5,400-page PDF without object streams, 100 ms with them, 120 ms with them AES-encrypted;
the worst hostile files found take ~1.6 s).

The check is a screen for the usual ways to carry active content, not a proof that a PDF
is harmless; downloads are still served as attachments with `nosniff`.
"""

from __future__ import annotations

import mmap
import re
import zlib
from collections.abc import Iterable
from pathlib import Path

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, FlateDecode, LZWDecode, RunLengthDecode
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    StreamObject,
)

from app.evidence.refused import RefusedFile

_PDF_REGULAR = rb"[^\s\x00()<>\[\]{}/%]"


def _pdf_names(words: Iterable[str]) -> re.Pattern[bytes]:
    """Match PDF names exactly, including `#xx` escapes (`/J#61vaScript` is `/JavaScript`)."""

    def letter(char: str) -> bytes:
        return b"(?:%s|#(?i:%02x))" % (re.escape(char.encode()), ord(char))

    alternatives = b"|".join(b"".join(letter(char) for char in word) for word in words)
    return re.compile(rb"/(?:" + alternatives + rb")(?!" + _PDF_REGULAR + rb")")


# Long names are matched anywhere: eight or more exact bytes never occur by chance. The short
# `/JS` and `/EF` (a file specification's embedded file, whose stream need not say
# `/Type /EmbeddedFile`) would, in megabytes of compressed image data, so they are only
# looked for outside stream bodies (where dictionaries live) and in decoded object streams.
_PDF_ACTIVE_LONG = _pdf_names(("JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles"))
_PDF_ACTIVE = _pdf_names(("JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "EF"))
_PDF_OBJSTM = _pdf_names(("ObjStm",))
# What only a parser can check: object streams (and the cross-reference streams that list
# them), XFA forms, encryption. A PDF without any of these is fully seen by pass 1.
_PDF_STRUCTURE = _pdf_names(("ObjStm", "XRef", "XRefStm", "XFA", "Encrypt"))
_PDF_STREAM = re.compile(rb">>[\s\x00]*stream\r?\n")
_INFLATE_PIECE = 64 * 1024
# Decoded bytes of object streams and XFA per file (each pass): real ones hold a few MB.
MAX_OBJECT_BYTES = 64 * 1024 * 1024
# An XFA `<script>` element under any prefix; NULs are dropped first, so UTF-16 matches too.
_XFA_SCRIPT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?script[\s/>]", re.IGNORECASE)


def check_pdf(path: Path, max_decoded_bytes: int) -> None:
    """Raise `RefusedFile` for active content, a password to open, damage or a decompression bomb."""
    budget = min(max_decoded_bytes, MAX_OBJECT_BYTES)
    if _scan_bytes(path, budget):
        _scan_structure(path, budget)


# --- pass 1: the bytes as they are ---------------------------------------------------------


def _scan_bytes(path: Path, max_inflated_bytes: int) -> bool:
    """Refuse scripts, launch actions and attachments, also inside Flate object streams.

    Modern writers put most dictionaries into Flate-compressed object streams, so a raw
    byte scan alone would miss `/OpenAction << /S /JavaScript ... >>` stored there.
    Returns whether the file has parts that only pass 2 can check.
    """
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        _refuse_active(_PDF_ACTIVE_LONG.search(data), "in the file")
        budget = max_inflated_bytes
        position = 0
        structure = False
        for match in _PDF_STREAM.finditer(data):
            if match.start() < position:
                continue  # the keyword sits inside the previous stream's body
            _refuse_active(_PDF_ACTIVE.search(data, position, match.start()), "in a dictionary")
            structure = structure or bool(_PDF_STRUCTURE.search(data, position, match.start()))
            end = data.find(b"endstream", match.end())
            end = len(data) if end == -1 else end
            if _PDF_OBJSTM.search(data, position, match.start()):
                inflated = _inflate(data[match.end() : end], budget)
                budget -= len(inflated)
                if budget < 0:
                    raise RefusedFile("zip_bomb", "PDF object streams inflate beyond the limit")
                _refuse_active(_PDF_ACTIVE.search(inflated), "in an object stream")
            position = end
        _refuse_active(_PDF_ACTIVE.search(data, position), "in a dictionary")
        return structure or bool(_PDF_STRUCTURE.search(data, position))


def _refuse_active(match: re.Match[bytes] | None, where: str) -> None:
    if match:
        raise RefusedFile("pdf_active_content", f"{match.group()!r} {where}")


def _inflate(raw: bytes, limit: int) -> bytes:
    """Flate-decode at most `limit + 1` bytes; keep what decoded before any damage."""
    inflater = zlib.decompressobj()
    out = bytearray()
    for start in range(0, len(raw), _INFLATE_PIECE):
        try:
            out += inflater.decompress(raw[start : start + _INFLATE_PIECE], limit + 1 - len(out))
        except zlib.error:
            break  # not Flate, or damaged
        if len(out) > limit or inflater.eof:
            break
    return bytes(out)


# --- pass 2: the objects a viewer loads -----------------------------------------------------


def _scan_structure(path: Path, max_decoded_bytes: int) -> None:
    decoder = _Decoder(max_decoded_bytes)
    try:
        with decoder.limits():
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise RefusedFile("encrypted", "PDF needs a password to open")
            for number in sorted({stream for stream, _ in reader.xref_objStm.values()}):
                _refuse_active(_PDF_ACTIVE.search(decoder.decode(reader.get_object(number))),
                               f"in object stream {number}")
            if _XFA_SCRIPT.search(_xfa(reader, decoder).replace(b"\x00", b"")):
                raise RefusedFile("pdf_form_script", "XFA form with a <script>")
    except RefusedFile:
        raise
    except LimitReachedError as exc:
        raise RefusedFile("zip_bomb", f"pypdf: {exc}") from exc
    except Exception as exc:  # hostile input: whatever stops pypdf means "cannot be checked"
        raise RefusedFile("corrupt", f"pypdf: {type(exc).__name__}: {exc}") from exc


def _xfa(reader: PdfReader, decoder: _Decoder) -> bytes:
    """The XFA form's packets, decoded and joined (a tag may straddle two packets)."""
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    form = root.get("/AcroForm") if isinstance(root, DictionaryObject) else None
    form = form.get_object() if form is not None else None
    xfa = form.get("/XFA") if isinstance(form, DictionaryObject) else None
    xfa = xfa.get_object() if xfa is not None else None
    parts = [item.get_object() for item in xfa] if isinstance(xfa, ArrayObject) else [xfa]
    return b"".join(decoder.decode(part) for part in parts if isinstance(part, StreamObject))


# The filters a stream of objects or an XFA form may use. LZW, ASCII85 and RunLength are
# decoded in pure Python (LZW at ~1 MB/s) and no writer uses them for these streams, only
# an obfuscator would: their input gets a small budget of its own, so a 20 MB LZW stream
# costs a refusal, not 20 s of CPU. Image filters make no sense here and are refused.
_FAST_FILTERS = {"/FlateDecode": FlateDecode, "/Fl": FlateDecode,
                 "/ASCIIHexDecode": ASCIIHexDecode, "/AHx": ASCIIHexDecode}
_SLOW_FILTERS = {"/LZWDecode": LZWDecode, "/LZW": LZWDecode, "/ASCII85Decode": ASCII85Decode,
                 "/A85": ASCII85Decode, "/RunLengthDecode": RunLengthDecode, "/RL": RunLengthDecode}
MAX_SLOW_FILTER_BYTES = 1024 * 1024
MAX_FILTERS = 8


class _Decoder:
    """Decodes streams of objects within this file's budgets: bytes out, and slow-filter bytes in.

    The chain is walked here, not by `StreamObject.get_data()`, so that every stage is counted;
    pypdf's own limits are lowered to the same budgets for anything it decodes by itself.
    """

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.slow_left = MAX_SLOW_FILTER_BYTES

    def limits(self):
        left, slow = max(self.left, 0), max(self.slow_left, 0)
        return apply_configuration(
            zlib_maximum_output_length=left,
            brotli_maximum_output_length=left,
            jbig2_maximum_output_length=left,
            array_based_stream_maximum_output_length=left,
            lzw_maximum_output_length=slow,
            run_length_maximum_output_length=slow,
            stream_decoding_work_maximum_length=left + slow,
            xfa_decoding_work_maximum_length=left,
            stream_filters_maximum_length=MAX_FILTERS,
            jbig2dec_binary=None,  # never run a helper program on uploaded bytes
        )

    def decode(self, stream: object) -> bytes:
        if not isinstance(stream, StreamObject):
            return b""
        filters = _as_list(stream.get("/Filter"))
        parameters = _as_list(stream.get("/DecodeParms"))
        if len(filters) > MAX_FILTERS:
            raise RefusedFile("zip_bomb", f"{len(filters)} filters on one stream")
        data = stream._data  # the raw (already decrypted) bytes; pypdf has no public name for them
        for index, name in enumerate(filters):
            params = parameters[index] if index < len(parameters) else None
            data = self._stage(data, name, params if isinstance(params, DictionaryObject) else DictionaryObject())
        if isinstance(stream, EncodedStreamObject):  # pypdf resolving objects from it reuses this result
            stream.decoded_self = DecodedStreamObject()
            stream.decoded_self.set_data(data)
        return data

    def _stage(self, data: bytes, name: object, params: DictionaryObject) -> bytes:
        decoder = _FAST_FILTERS.get(name) or _SLOW_FILTERS.get(name)
        if decoder is None:
            raise RefusedFile("corrupt", f"filter {name!r} on a stream of objects")
        if name in _SLOW_FILTERS:
            self.slow_left -= len(data)
            if self.slow_left < 0:
                raise RefusedFile("zip_bomb", "too much LZW/ASCII85/RunLength data to check")
        with self.limits():
            data = decoder.decode(data, params)
        self.left -= len(data)
        if self.left < 0:
            raise RefusedFile("zip_bomb", "PDF streams decode beyond the limit")
        return data


def _as_list(value: object) -> list:
    value = value.get_object() if value is not None else None
    if value is None:
        return []
    items = list(value) if isinstance(value, ArrayObject) else [value]
    return [item.get_object() for item in items]
