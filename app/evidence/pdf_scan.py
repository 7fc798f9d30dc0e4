"""Pass 1 of the PDF check: the file's bytes, with no parser, object by object (`pdf_lexer`).

- The long active names (`/JavaScript`, `/Launch`, `/EmbeddedFile(s)`) are searched anywhere:
  eight or more exact bytes never occur by chance, not even in compressed data.
- All active names, the short ones too (`/JS`, `/EF`), are searched everywhere outside stream
  data, strings and comments (a link to `https://.../EF/` is no attachment), and in all of
  each object that the lexer found inside any of these. Taking too much for stream data or a
  string therefore hides nothing a viewer reads.
- Streams that can hold objects (`/N` and `/First`, or `/Type /ObjStm`) are decoded with all
  their filters and searched, whatever the cross-reference data says.

What cannot be checked here is reported, so that pass 2 (pypdf) must read the file or it is
refused: XFA forms, encryption, an object stream whose filters are indirect, whose `/Length`
is indirect, or whose data does not decode. The declared sizes of cross-reference streams
(`/Size`, `/Index`) and object streams (`/N`), and the number of object streams, are checked
against what a file of this size can hold before any parser spends time on them.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject, read_object

from app.evidence.pdf_decode import Decoder
from app.evidence.pdf_lexer import REGULAR, Data, objects
from app.evidence.refused import RefusedFile

if TYPE_CHECKING:  # pypdf names the reader's interface only in a private module: for the checker alone
    from pypdf._protocols import PdfReaderProtocol


def _pdf_names(words: Iterable[str]) -> re.Pattern[bytes]:
    """Match PDF names exactly, including `#xx` escapes (`/J#61vaScript` is `/JavaScript`)."""

    def letter(char: str) -> bytes:
        return b"(?:%s|#(?i:%02x))" % (re.escape(char.encode()), ord(char))

    alternatives = b"|".join(b"".join(letter(char) for char in word) for word in words)
    return re.compile(rb"/(?:" + alternatives + rb")(?!" + REGULAR + rb")")


def name_of(raw: bytes) -> str:
    """`/J#61vaScript` -> `JavaScript`."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw[1:]).decode("latin-1")


# Long names are matched anywhere: eight or more exact bytes never occur by chance.
ACTIVE_LONG = _pdf_names(("JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles"))
_ACTIVE = {"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "EF"}
_UNCHECKED = {"XFA", "Encrypt"}  # only a parser can follow these
_STRUCTURE = {"ObjStm", "XRef", "XRefStm"}
NAMES = _pdf_names(sorted(_ACTIVE | _UNCHECKED | _STRUCTURE))
ACTIVE_OR_XFA = _pdf_names(sorted(_ACTIVE | {"XFA"}))
_STREAM_KEYS = _pdf_names(("N", "First", "ObjStm", "W"))
MIN_XREF_ENTRIES, BYTES_PER_XREF_ENTRY = 100_000, 8  # a tiny object in a compressed object stream
MAX_OBJECTS_PER_STREAM = 10_000  # writers put 100-200; pypdf parses a whole stream at ~15 us an object
MIN_OBJECT_STREAMS, BYTES_PER_OBJECT_STREAM = 1_000, 1024


def max_xref_entries(size: int) -> int:
    return max(MIN_XREF_ENTRIES, size // BYTES_PER_XREF_ENTRY)


def max_object_streams(size: int) -> int:
    return max(MIN_OBJECT_STREAMS, size // BYTES_PER_OBJECT_STREAM)


@dataclass
class Findings:
    unchecked: set[str] = field(default_factory=set)  # what pass 2 must check, or the file is refused
    structure: bool = False  # cross-reference or object streams: pass 2 gives a second opinion


class _NoReader:
    """Stands in for a `PdfReader` while a lone dictionary is parsed: references stay references.
    `read_object` asks the reader only for `strict` and `get_object` (and `None` fails on `1 0 R`)."""

    strict = False

    def get_object(self, reference: object) -> None:
        return None


def scan(data: Data, max_decoded_bytes: int) -> Findings:
    return _Scan(data, max_decoded_bytes).run()


class _Scan:
    def __init__(self, data: Data, max_decoded_bytes: int) -> None:
        self.data = data
        self.decoder = Decoder(max_decoded_bytes)
        self.findings = Findings()
        self.object_streams_left = max_object_streams(len(data))

    def run(self) -> Findings:
        data = self.data
        _refuse_active(ACTIVE_LONG.search(data), "in the file")
        found, self.text = objects(data)
        bodies = _merge([item.body for item in found if item.body])
        position = 0
        for start, end in [*bodies, (len(data), len(data))]:
            self._search(position, start, skip_text=True)
            position = max(position, end)
        # Objects read in order never overlap the stream data read in order; objects found inside
        # strings, comments or stream data are searched whole, and so is what their streams cover.
        starts = [start for start, _ in bodies]
        hidden_streams = any(item.hidden and item.body for item in found)
        for item in found:
            index = bisect_right(starts, item.end - 1) - 1  # the last body starting inside or before it
            if item.hidden or (hidden_streams and index >= 0 and bodies[index][1] > item.start):
                self._search(item.start, item.end)
        for item in found:
            if item.dictionary and item.body:  # a stream: both are always set
                self._stream(item.dictionary, item.body, item.odd_start)
        return self.findings

    # --- names, and streams of objects -----------------------------------------------------

    def _search(self, start: int, end: int, *, skip_text: bool = False) -> None:
        for match in NAMES.finditer(self.data, start, end):
            if skip_text:
                index = bisect_right(self.text, (match.start(), len(self.data))) - 1
                if index >= 0 and self.text[index][1] > match.start():
                    continue  # inside a string or comment: words, not a name
            self._found(match, "in a dictionary")

    def _found(self, match: re.Match[bytes], where: str) -> None:
        name = name_of(match.group())
        if name in _ACTIVE:
            _refuse_active(match, where)
        elif name in _UNCHECKED:
            self.findings.unchecked.add(name)
        else:
            self.findings.structure = True

    def _stream(self, span: tuple[int, int], body: tuple[int, int], odd_start: bool) -> None:
        """The stream whose dictionary is at `span` and whose data is at `body`."""
        data = self.data
        keys = {name_of(m.group()) for m in _STREAM_KEYS.finditer(data, *span)}
        if "W" in keys or "ObjStm" in keys or {"N", "First"} <= keys:
            self.findings.structure = True
        else:
            return
        try:
            dictionary = read_object(io.BytesIO(data[slice(*span)]), cast("PdfReaderProtocol", _NoReader()))
        except Exception:  # a dictionary pypdf cannot read: pass 2 must, or the file is refused
            self.findings.unchecked.add("unreadable stream dictionary")
            return
        if not isinstance(dictionary, DictionaryObject):
            self.findings.unchecked.add("unreadable stream dictionary")
        elif "W" in keys:
            _check_xref_size(dictionary, len(data))
        if "ObjStm" in keys or {"N", "First"} <= keys:
            self._object_stream(body, odd_start, dictionary if isinstance(dictionary, DictionaryObject) else None)

    def _object_stream(self, body: tuple[int, int], odd_start: bool, dictionary: DictionaryObject | None) -> None:
        self.object_streams_left -= 1
        if self.object_streams_left < 0:
            raise RefusedFile("pdf_structure", f"over {max_object_streams(len(self.data))} object streams")
        count = dictionary.get("/N") if dictionary is not None else None
        if isinstance(count, NumberObject) and count > MAX_OBJECTS_PER_STREAM:
            raise RefusedFile("pdf_structure", f"object stream of {count} objects")
        if dictionary is None or "Encrypt" in self.findings.unchecked:
            return  # unreadable (already noted), or encrypted: only pass 2 can decode it
        # `get` leaves references unresolved (`_NoReader` could not resolve them anyway).
        filters, parameters, length = (dictionary.get(key) for key in ("/Filter", "/DecodeParms", "/Length"))
        if _has_reference(filters) or _has_reference(parameters):
            self.findings.unchecked.add("object stream with indirect filters")
            return
        if odd_start or isinstance(length, IndirectObject):
            self.findings.unchecked.add("object stream whose data viewers may read differently")
        begin, end = body
        candidates = {self.data[begin:end]}  # up to `endstream`, as a viewer repairing the file reads it
        if isinstance(length, NumberObject) and 0 <= length <= len(self.data) - begin:
            candidates.add(self.data[begin : begin + int(length)])  # as a viewer trusting /Length reads it
        for raw in candidates:
            try:
                decoded = self.decoder.decode_raw(raw, filters, parameters)
            except RefusedFile as refused:
                if refused.code != "corrupt":
                    raise
                self.findings.unchecked.add("object stream with a filter for images")  # is it one at all?
                continue
            except Exception:  # damaged or hostile data: pass 2 must decode it, or the file is refused
                self.findings.unchecked.add("object stream that does not decode")
                continue
            for match in NAMES.finditer(decoded):
                self._found(match, "in an object stream")


def _check_xref_size(dictionary: DictionaryObject, size: int) -> None:
    """A cross-reference stream cannot list more objects than a file of this size can hold."""
    limit = max_xref_entries(size)
    declared = dictionary.get("/Size")
    index = dictionary.get("/Index")
    counts = [int(n) for n in list(index)[1::2] if isinstance(n, NumberObject)] if isinstance(index, ArrayObject) else []
    for value in [declared if isinstance(declared, NumberObject) else 0, sum(counts)]:
        if value > limit:
            raise RefusedFile("pdf_structure", f"cross-reference stream of {value} entries in {size} bytes")


def _has_reference(value: object) -> bool:
    if isinstance(value, IndirectObject):
        return True
    if isinstance(value, ArrayObject | DictionaryObject):
        return any(_has_reference(item) for item in (value.values() if isinstance(value, dict) else value))
    return False


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _refuse_active(match: re.Match[bytes] | None, where: str) -> None:
    if match:
        raise RefusedFile("pdf_active_content", f"{match.group()!r} {where}")
