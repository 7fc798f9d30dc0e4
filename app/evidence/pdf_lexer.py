"""Where a PDF's objects and stream data are, read from its bytes the way viewers read them.

Compressed data holds any short byte sequence sooner or later, so the short names (`/JS`, `/EF`,
`/XFA`) can only be looked for outside stream data; which bytes are stream data is a question
of PDF syntax, and a reading that gets it wrong can be steered. `(>> stream\n)` inside a string
does not start a stream; `>> % note` before `stream` does not stop one from starting. So the
file is lexed as a viewer lexes an object: strings with escapes and nesting, hex strings,
comments, nested dictionaries. A dictionary followed by the `stream` keyword starts a stream,
whose data ends at its `/Length` when `endstream` follows there, else at the first `endstream`.

Viewers find objects by their offsets, not by reading the file in order, and they repair a
damaged file by looking for `obj`; an offset may point anywhere, also into a string, a
comment or another stream's data. The lexer reads the file once in order, and every `obj`
(or `trailer`) keyword that this reading passes over inside a string, comment or stream data
starts an object of its own, lexed from there on its own. Every `obj` in the file thus starts
an object whose text is known, wherever it stands.

Work is bounded by the file's size, so that a small file cannot cost seconds: at most one
object per 16 bytes (100,000 at least), one token per 10 bytes (500,000 at least), and the
objects lexed on their own may read the file 4 times over, not more.
"""

from __future__ import annotations

import mmap
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import TypeAlias

from app.evidence.refused import RefusedFile

REGULAR = rb"[^\x00\t\n\f\r ()<>\[\]{}/%]"
_NOT_REGULAR = frozenset(b"\x00\t\n\f\r ()<>[]{}/%")
_WHITESPACE = frozenset(b"\x00\t\n\f\r ")

_TOKENS = re.compile(rb"<<|>>|endobj|stream|obj|trailer|[(%<>]")
_STRING = re.compile(rb"\\.|[()]", re.DOTALL)
_EOL = re.compile(rb"[\r\n]")
_SPACES = re.compile(rb" *")
_SPACE_AND_COMMENTS = re.compile(rb"(?:[\x00\t\n\f\r ]+|%[^\r\n]*)*")
_LENGTH = re.compile(rb"/Length[\x00\t\n\f\r ]+(\d{1,10})(?![\x00\t\n\f\r ]+\d+[\x00\t\n\f\r ]+R)(?!\d)")
_ENDSTREAM = re.compile(rb"[\x00\t\n\f\r ]{0,64}endstream")
_ENDSTREAM_KEYWORD = re.compile(rb"endstream")

MIN_OBJECTS, BYTES_PER_OBJECT = 100_000, 16  # `1 0 obj null endobj` is 19 bytes
MIN_TOKENS, BYTES_PER_TOKEN = 500_000, 10  # a dictionary-heavy file has one token per ~100 bytes
LEX_BYTES_PER_BYTE = 4

# The file as read: bytes, or a read-only memory map of a large upload (never copied into bytes).
Data: TypeAlias = bytes | mmap.mmap


@dataclass(slots=True)
class Extent:
    """An object (or trailer) in the file: `start` is just after its keyword, `end` where its
    text ends (`endobj`, `stream`, the next object, or the end of the file)."""

    start: int
    end: int
    dictionary: tuple[int, int] | None = None  # a stream's dictionary, from `<<` to after `>>`
    body: tuple[int, int] | None = None  # a stream's data
    odd_start: bool = False  # `stream` not followed by an end of line: viewers differ on the data
    hidden: bool = False  # inside a string, comment or stream data of the file read in order


def objects(data: Data) -> tuple[list[Extent], list[tuple[int, int]]]:
    """Every object and trailer of the file (bytes or mmap), and the strings, comments and hex
    strings of the reading in order (what is no syntax). `RefusedFile` past the budgets."""
    lexer = _Lexer(data)
    return lexer.run(), lexer.text


class _Lexer:
    def __init__(self, data: Data) -> None:
        self.data = data
        self.objects_left = max(MIN_OBJECTS, len(data) // BYTES_PER_OBJECT)
        self.tokens_left = max(MIN_TOKENS, len(data) // BYTES_PER_TOKEN)
        self.bytes_left = LEX_BYTES_PER_BYTE * len(data) + 1024 * 1024
        self.hidden: list[int] = []
        self.text: list[tuple[int, int]] = []
        self.endstreams: list[int] | None = None

    def run(self) -> list[Extent]:
        found = self._in_order()
        for start in self.hidden:
            item = self._on_its_own(start, min(len(self.data), start + self.bytes_left))
            self.bytes_left -= item.end - start
            item.hidden = True
            found.append(item)
        return found

    def _in_order(self) -> list[Extent]:
        data, found, search, size = self.data, [], _TOKENS.search, len(self.data)
        position, start, depth, opened = 0, None, 0, 0
        while match := search(data, position):
            self.tokens_left -= 1
            at, token = match.start(), match.group()
            if token == b"<<":
                opened = at if depth == 0 else opened
                depth, position = depth + 1, at + 2
            elif token == b">>":
                position = at + 2
                if depth > 1:
                    depth -= 1
                elif depth == 1:
                    depth = 0
                    item = self._stream_after(opened if start is None else start, opened, position)
                    if item and item.body:  # a stream always has a body
                        found.append(item)
                        self._look_inside(*item.body)
                        position, start = item.body[1], None
            elif token in (b"(", b"%", b"<"):
                position = self._skip(at, size)
                self.text.append((at, position))
                self._look_inside(at, position)
            elif token in (b">", b"stream") or not _keyword(data, at, len(token)):
                position = at + 1  # a stray `>`, `stream` where no stream can start, part of a word
            else:  # `obj`, `trailer` or `endobj`: an object ends, and with the first two one begins
                if start is not None:
                    found.append(Extent(start, at))
                start, depth, position = (None if token == b"endobj" else match.end()), 0, match.end()
                if start is not None:
                    self._count_object()
            if self.tokens_left < 0:
                self._spend_token()
        if start is not None:
            found.append(Extent(start, size))
        return found

    def _on_its_own(self, start: int, stop: int) -> Extent:
        """An object found inside a string, comment or stream data, lexed from its keyword on.

        `stop` is where the budget of bytes ends: reaching it before the end of the file means
        that objects overlap far beyond what any writer produces."""
        data, position, depth, opened = self.data, start, 0, start
        while match := _TOKENS.search(data, position, stop):
            self._spend_token()
            at, token = match.start(), match.group()
            if token == b"<<":
                opened = at if depth == 0 else opened
                depth, position = depth + 1, at + 2
            elif token == b">>":
                depth, position = max(depth - 1, 0), at + 2
                item = self._stream_after(start, opened, position) if depth == 0 else None
                if item:
                    return item
            elif token in (b"(", b"%", b"<"):
                position = self._skip(at, stop)
            elif token in (b">", b"stream") or not _keyword(data, at, len(token)):
                position = at + 1
            else:
                return Extent(start, at)
        if stop < len(self.data):
            raise RefusedFile("pdf_structure", "objects overlap far beyond the size of the file")
        return Extent(start, len(data))

    def _skip(self, at: int, stop: int) -> int:
        """The end of the string, comment or hex string that starts at `at`."""
        data = self.data
        if data[at] == 0x28:  # (
            depth, position = 1, at + 1
            while match := _STRING.search(data, position, stop):
                self._spend_token()
                position = match.end()
                if match.group() == b"(":
                    depth += 1
                elif match.group() == b")":
                    depth -= 1
                    if depth == 0:
                        return position
            return stop
        if data[at] == 0x25:  # %
            eol = _EOL.search(data, at, stop)
            return eol.end() if eol else stop
        close = data.find(b">", at + 1, stop)
        return close + 1 if close != -1 else stop

    def _stream_after(self, start: int, opened: int, closed: int) -> Extent | None:
        """A stream, if the `stream` keyword follows the dictionary that ends at `closed`."""
        data = self.data
        keyword = _end_of(_SPACE_AND_COMMENTS, data, closed)
        if data[keyword : keyword + 6] != b"stream" or not _keyword_after(data, keyword + 6):
            return None
        position = _end_of(_SPACES, data, keyword + 6)
        eol = data[position : position + 2]
        odd = not eol.startswith((b"\n", b"\r"))
        position += 2 if eol == b"\r\n" else (0 if odd else 1)
        return Extent(start, keyword, (opened, closed), (position, self._body_end(opened, closed, position)), odd)

    def _body_end(self, opened: int, closed: int, begin: int) -> int:
        data = self.data
        length = _LENGTH.search(data, opened, closed)
        if length and _ENDSTREAM.match(data, begin + int(length.group(1))):
            return begin + int(length.group(1))
        if self.endstreams is None:  # found once: a search per stream could read the file once per stream
            self.endstreams = [match.start() for match in _ENDSTREAM_KEYWORD.finditer(data)]
        index = bisect_left(self.endstreams, begin)
        return self.endstreams[index] if index < len(self.endstreams) else len(data)

    def _look_inside(self, start: int, end: int) -> None:
        """Objects that viewers may find inside what this reading passed over: `obj` after a
        number (or a comment, which may stand between), `trailer` after an `xref` table."""
        data = self.data
        for keyword in (b"obj", b"trailer"):
            at = data.find(keyword, start, end)
            while at != -1:
                if _keyword(data, at, len(keyword)) and (
                        _after_number(data, at, start) if keyword == b"obj" else data.rfind(b"xref", start, at) != -1):
                    self.hidden.append(at + len(keyword))
                    self._count_object()
                at = data.find(keyword, at + 1, end)

    def _count_object(self) -> None:
        self.objects_left -= 1
        if self.objects_left < 0:
            raise RefusedFile("pdf_structure", f"more objects than a file of {len(self.data)} bytes can hold")

    def _spend_token(self) -> None:
        self.tokens_left -= 1
        if self.tokens_left < 0:
            raise RefusedFile("pdf_structure", f"more syntax than a file of {len(self.data)} bytes can hold")


def _end_of(pattern: re.Pattern[bytes], data: Data, at: int) -> int:
    """Where `pattern`, which also matches nothing, stops matching from `at` on."""
    match = pattern.match(data, at)
    return match.end() if match else at


def _keyword(data: Data, at: int, length: int) -> bool:
    """A keyword, not part of a word or a name; a digit may be glued in front (`1 0obj`)."""
    before = data[at - 1] if at else 0x20
    return (before in _NOT_REGULAR and before != 0x2F or 0x30 <= before <= 0x39) and _keyword_after(data, at + length)


def _after_number(data: Data, at: int, floor: int) -> bool:
    """Whether a number, or the end of a comment, comes before `at` (spaces aside)."""
    position = at - 1
    while position >= floor and data[position] in _WHITESPACE:
        position -= 1
    if position < floor:
        return False
    if 0x30 <= data[position] <= 0x39:
        return True
    line = max(data.rfind(b"\n", floor, position + 1), data.rfind(b"\r", floor, position + 1))
    return data.find(b"%", max(line + 1, floor), position + 1) != -1


def _keyword_after(data: Data, end: int) -> bool:
    return end >= len(data) or data[end] in _NOT_REGULAR
