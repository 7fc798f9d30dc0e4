"""More PDF samples, built in code: files whose syntax a naive scan misreads; and checks that a
PDF reader reads them as claimed. (MuPDF was used by hand to confirm that viewers do too.)"""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from pypdf import PdfReader

from tests.app import test_evidence_samples as samples

_HEADER = re.compile(rb"(?<![0-9])(\d+) 0 obj\b")


def pdf_listing(*objects: bytes, catalog_extra: bytes = b"", page_extra: bytes = b"") -> bytes:
    """A one-page PDF, `objects` numbered 4, 5, ...; its cross-reference table lists every
    `N 0 obj` written anywhere, at its first occurrence: also one written inside another
    object's string or stream data, as a viewer finds it by its offset."""
    parts = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page_extra + b">>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number, body in enumerate(parts, start=1):
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets: dict[int, int] = {}
    for match in _HEADER.finditer(out):
        offsets.setdefault(int(match.group(1)), match.start())
    size = max(offsets) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
                    for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def raw_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    """An object body holding `data` as it is, with its true /Length."""
    return b"<< %s/Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def untyped_object_streams(hidden: bytes, filters: list[str], stream_dictionary: bytes = b"") -> bytes:
    """`pdf_with_object_stream` with neither `/Type /ObjStm` nor `/Type /XRef`: MuPDF still
    loads object 4 from stream 5 (the trailer at startxref says so); pypdf cannot read it."""
    data = samples.pdf_with_object_stream(hidden, filters, stream_dictionary=stream_dictionary)
    return data.replace(b"/Type /XRef ", b" " * len(b"/Type /XRef "))


def comment_before_stream(data: bytes) -> bytes:
    """The first stream's `>>` followed by a comment before `stream`, offsets kept: the
    keyword still starts a stream for MuPDF (a comment is whitespace), not for pypdf."""
    index = data.index(b" >>\nstream\n")
    return data[:index] + b">>%\nstream\n" + data[index + len(b" >>\nstream\n") :]


def xref_stream_of(entries: int) -> bytes:
    """A small file whose cross-reference stream lists `entries` compressed objects (the same
    row over and over, so that it compresses to nothing)."""
    plain = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(plain, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets.append(len(out))
    rows = [struct.pack(">BIH", 0, 0, 65535)] + [struct.pack(">BIH", 1, offset, 0) for offset in offsets]
    rows += [struct.pack(">BIH", 2, 5, 0)] * entries
    packed = zlib.compress(b"".join(rows), 9)
    out += (b"4 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n"
            b"stream\n%s\nendstream\nendobj\n" % (len(rows), len(packed), packed))
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[-1]
    return bytes(out)


def object_stream_of(count: int) -> bytes:
    """Object 4 (the OpenAction) first among `count` tiny objects in one object stream."""
    objects = [b"<< /A %d >>" % i for i in range(count)]
    pairs, offset = [], 0
    for index, body in enumerate(objects):
        pairs.append(b"%d %d" % (4 if index == 0 else 100 + index, offset))
        offset += len(body) + 1
    header = b" ".join(pairs) + b" "
    body = zlib.compress(header + b" ".join(objects))
    data = samples.pdf_with_object_stream(b"", ["FlateDecode"], data=body)
    return data.replace(b"/N 1 /First 4 ", b"/N %d /First %d " % (count, len(header)), 1)


# --- checks that the samples are what they claim -------------------------------------------


def test_an_object_inside_another_streams_data_is_where_the_table_says():
    hidden = b"7 0 obj\n<< /Hidden true >>\nendobj\n"
    data = pdf_listing(raw_stream(b"% " + hidden), catalog_extra=b"/Extra 7 0 R ")
    reader = PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/Extra"] == {"/Hidden": True}
    assert data.index(b"7 0 obj") > data.index(b"stream\n")


def test_untyped_object_streams_have_no_type_and_a_valid_startxref():
    data = untyped_object_streams(b"<< /S /URI /URI (https://kla.go.id) >>", ["FlateDecode"])
    assert b"/Type /ObjStm" not in data and b"/Type /XRef" not in data
    startxref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[startxref:].startswith(b"6 0 obj\n<<  ")
    with pytest.raises(Exception):  # noqa: B017 - pypdf gives up (KeyError '/Type'); MuPDF does not
        PdfReader(io.BytesIO(data)).trailer["/Root"]


def test_xref_stream_sample_declares_its_entries():
    data = xref_stream_of(1000)
    assert b"/Size 1005 " in data and len(data) < 2000


def test_object_stream_sample_is_read_like_a_viewer_reads_it():
    reader = PdfReader(io.BytesIO(object_stream_of(50)))
    assert reader.trailer["/Root"]["/OpenAction"] == {"/A": 0}
