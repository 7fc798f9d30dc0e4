"""Active content in a PDF: scripts, launch actions, attachments, XFA forms with scripts.

Two passes, each covering what the other cannot:

1. `pdf_scan` reads the file's bytes object by object with its own lexer (`pdf_lexer`) and no
   parser, so a damaged or missing cross-reference table hides nothing from it: active names
   in every dictionary, wherever it lies (also inside a string or another stream's data, where
   a cross-reference offset may point), and in every stream that can hold objects (`/N` and
   `/First`), decoded with all its filters whatever the file says about it. It reports what
   it could not check.
2. `_scan_structure` reads the file the way a viewer does, through pypdf: the cross-reference
   tables and streams say which streams hold compressed objects, and each of those is decoded
   (decrypted when the file opens without a password) and scanned like pass 1. The XFA form,
   if any, is decoded and refused when it holds a `<script>`.

Pass 2 runs when the file has cross-reference or object streams, an XFA form or encryption.
When pypdf cannot read the file, it is refused as damaged only if pass 1 left something
unchecked (XFA, encryption, an object stream it could not decode): a file that pass 1 saw
whole is accepted, as viewers open it, whatever pypdf thinks of its cross-reference data.

Work is bounded by the file's size (a 10 KB file could otherwise keep a worker busy for
seconds): decoding at most 64 MiB per pass (`MAX_OBJECT_BYTES`, or less when the caller
asks), 1 MiB of input to the slow pure-Python filters, 8 filters a chain; the lexer's objects
and tokens, the declared entries of cross-reference streams and objects of object streams,
and the number of object streams, each within what a file of this size can hold
(`pdf_lexer`, `pdf_scan`); pypdf's own limits are lowered to the same budgets. Image and
page streams are never decoded. Measured on 2 busy cores (CPU time): a 10 MB, 5,400-page PDF
without object streams ~130 ms, with them ~125 ms (a plain byte scan took 30 and 90 ms, and
missed what the lexer finds); a 10 KB file declaring a million cross-reference entries is
refused in 1 ms (pypdf took 1.4 s on it); the worst files found, 20 MB of nothing but tiny
objects, take ~2.7 s before they are refused.

The check is a screen for the usual ways to carry active content, not a proof that a PDF
is harmless; downloads are still served as attachments with `nosniff`.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from app.evidence.pdf_decode import MAX_OBJECT_BYTES, Decoder
from app.evidence.pdf_scan import ACTIVE_OR_XFA, Findings, max_object_streams, max_xref_entries, name_of, scan
from app.evidence.refused import RefusedFile

# An XFA `<script>` element under any prefix; NULs are dropped first, so UTF-16 matches too.
_XFA_SCRIPT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?script[\s/>]", re.IGNORECASE)


def check_pdf(path: Path, max_decoded_bytes: int) -> None:
    """Raise `RefusedFile` for active content, a password to open, damage or a decompression bomb."""
    budget = min(max_decoded_bytes, MAX_OBJECT_BYTES)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        findings = scan(data, budget)
        size = len(data)
    if findings.unchecked or findings.structure:
        _scan_structure(path, budget, findings, size)


def _scan_structure(path: Path, max_decoded_bytes: int, findings: Findings, size: int) -> None:
    decoder = Decoder(max_decoded_bytes)
    try:
        with decoder.limits():
            reader = PdfReader(path, strict=False, xref_stream_maximum_entries=max_xref_entries(size))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise RefusedFile("encrypted", "PDF needs a password to open")
            xfa = "XFA" in findings.unchecked
            streams = sorted({stream for stream, _ in reader.xref_objStm.values()})
            if len(streams) > max_object_streams(size):
                raise RefusedFile("pdf_structure", f"{len(streams)} object streams")
            for number in streams:
                for match in ACTIVE_OR_XFA.finditer(decoder.decode(reader.get_object(number))):
                    if name_of(match.group()) != "XFA":
                        raise RefusedFile("pdf_active_content", f"{match.group()!r} in object stream {number}")
                    xfa = True
            if xfa and _XFA_SCRIPT.search(_xfa(reader, decoder).replace(b"\x00", b"")):
                raise RefusedFile("pdf_form_script", "XFA form with a <script>")
    except RefusedFile:
        raise
    except LimitReachedError as exc:
        code = "pdf_structure" if "XRef" in str(exc) else "zip_bomb"
        raise RefusedFile(code, f"pypdf: {exc}") from exc
    except Exception as exc:  # hostile input: whatever stops pypdf means "cannot be checked"
        if findings.unchecked:
            raise RefusedFile("corrupt", f"pypdf: {type(exc).__name__}: {exc}; "
                                         f"unchecked: {sorted(findings.unchecked)}") from exc


def _xfa(reader: PdfReader, decoder: Decoder) -> bytes:
    """The XFA form's packets, decoded and joined (a tag may straddle two packets)."""
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    form = root.get("/AcroForm") if isinstance(root, DictionaryObject) else None
    form = form.get_object() if form is not None else None
    xfa = form.get("/XFA") if isinstance(form, DictionaryObject) else None
    xfa = xfa.get_object() if xfa is not None else None
    parts = [item.get_object() for item in xfa] if isinstance(xfa, ArrayObject) else [xfa]
    return b"".join(decoder.decode(part) for part in parts if isinstance(part, StreamObject))
