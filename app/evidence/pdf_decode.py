"""Decoding the streams of a PDF that can hold objects (object streams, XFA forms) within budgets.

Both passes of `pdf_checks` decode through `Decoder`: the filter chain is walked here, not by
`StreamObject.get_data()`, so that every stage is counted, and pypdf's own limits are lowered
to the same budgets for anything it decodes by itself.

LZW, ASCII85 and RunLength are decoded in pure Python (LZW at ~1 MB/s) and no writer uses them
for these streams, only an obfuscator would: their input gets a small budget of its own, so a
20 MB LZW stream costs a refusal, not 20 s of CPU. Image filters make no sense here and are
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from pypdf import apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, FlateDecode, LZWDecode, RunLengthDecode
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    PdfObject,
    StreamObject,
)

from app.evidence.refused import RefusedFile

# Decoded bytes of object streams and XFA per file (each pass): real ones hold a few MB.
MAX_OBJECT_BYTES = 64 * 1024 * 1024
MAX_SLOW_FILTER_BYTES = 1024 * 1024
MAX_FILTERS = 8

# Keyed by filter name, looked up with whatever object a file puts there.
_Filter = Callable[[bytes, DictionaryObject], bytes]
_FAST_FILTERS: dict[object, _Filter] = {
    "/FlateDecode": FlateDecode.decode, "/Fl": FlateDecode.decode,
    "/ASCIIHexDecode": ASCIIHexDecode.decode, "/AHx": ASCIIHexDecode.decode}
_SLOW_FILTERS: dict[object, _Filter] = {
    "/LZWDecode": LZWDecode.decode, "/LZW": LZWDecode.decode, "/ASCII85Decode": ASCII85Decode.decode,
    "/A85": ASCII85Decode.decode, "/RunLengthDecode": RunLengthDecode.decode, "/RL": RunLengthDecode.decode}


class Decoder:
    """Decodes streams of objects within this file's budgets: bytes out, and slow-filter bytes in."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.slow_left = MAX_SLOW_FILTER_BYTES

    def limits(self) -> AbstractContextManager[object]:
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
        """A pypdf stream (its raw, already decrypted bytes) decoded; the result is kept on the stream."""
        if not isinstance(stream, StreamObject):
            return b""
        data = self.decode_raw(stream._data, stream.get("/Filter"), stream.get("/DecodeParms"))
        if isinstance(stream, EncodedStreamObject):  # pypdf resolving objects from it reuses this result
            stream.decoded_self = DecodedStreamObject()
            stream.decoded_self.set_data(data)
        return data

    def decode_raw(self, data: bytes, filters: PdfObject | None, parameters: PdfObject | None) -> bytes:
        names, all_params = as_list(filters), as_list(parameters)
        if len(names) > MAX_FILTERS:
            raise RefusedFile("zip_bomb", f"{len(names)} filters on one stream")
        for index, name in enumerate(names):
            params = all_params[index] if index < len(all_params) else None
            data = self._stage(data, name, params if isinstance(params, DictionaryObject) else DictionaryObject())
        return data

    def _stage(self, data: bytes, name: object, params: DictionaryObject) -> bytes:
        decoder = _FAST_FILTERS.get(name) or _SLOW_FILTERS.get(name)
        if decoder is None:
            raise RefusedFile("corrupt", f"filter {name!r} on a stream of objects")
        if name in _SLOW_FILTERS:
            self.slow_left -= len(data)
            if self.slow_left < 0:
                raise RefusedFile("zip_bomb", "too much LZW/ASCII85/RunLength data to check")
        try:
            with self.limits():
                data = decoder(data, params)
        except LimitReachedError as exc:
            raise RefusedFile("zip_bomb", f"pypdf: {exc}") from exc
        self.left -= len(data)
        if self.left < 0:
            raise RefusedFile("zip_bomb", "PDF streams decode beyond the limit")
        return data


def as_list(value: PdfObject | None) -> list[PdfObject | None]:
    value = value.get_object() if value is not None else None
    if value is None:
        return []
    items = list(value) if isinstance(value, ArrayObject) else [value]
    return [item.get_object() for item in items]
