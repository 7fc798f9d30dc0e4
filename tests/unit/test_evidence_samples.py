"""Sample evidence files, built in code, for the evidence tests; and checks that they are real.

Nothing binary is committed: each builder returns the bytes of a small but genuine file
(or a deliberately hostile one), so a reader can see exactly what every test feeds in.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

# --- PDF -----------------------------------------------------------------------------------


def pdf(*extra_objects: bytes, catalog_extra: bytes = b"", prefix: bytes = b"") -> bytes:
    """A one-page PDF with a correct xref table; `extra_objects` become objects 4, 5, ..."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *extra_objects,
    ]
    out = bytearray(prefix + b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_stream(data: bytes, dictionary: bytes = b"/Filter /FlateDecode") -> bytes:
    """An object body holding a Flate-compressed stream of `data`."""
    packed = zlib.compress(data)
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(packed), packed)


def pdf_with_hidden_javascript() -> bytes:
    """The JavaScript action sits only inside a compressed object stream (PDF 1.5+ style)."""
    header = b"4 0 "
    objstm = pdf_stream(
        header + b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header),
    )
    return pdf(objstm, catalog_extra=b"/OpenAction 4 0 R ")


# --- images --------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """A real 1x1 white RGB PNG."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: enough for the signature."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def gif() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def webp() -> bytes:
    chunk = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# --- ZIP-based Office files ----------------------------------------------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def zip_of(entries: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            method = zipfile.ZIP_STORED if name == stored_first else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def docx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body><w:p/></w:body></w:document>",
        }
    )


def xlsx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "xl/workbook.xml": b"<workbook><sheets/></workbook>",
            "xl/worksheets/sheet1.xml": b"<worksheet><sheetData/></worksheet>",
        }
    )


def pptx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "ppt/presentation.xml": b"<p:presentation/>",
        }
    )


def opendocument(mimetype: str) -> bytes:
    return zip_of(
        {"mimetype": mimetype.encode(), "content.xml": b"<office:document-content/>"},
        stored_first="mimetype",
    )


def write_zip_bomb(path: Path, megabytes: int = 50) -> None:
    """An "xlsx" with a real workbook part and `megabytes` of zeros, written in pieces."""
    piece = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            for _ in range(megabytes):
                entry.write(piece)


# --- OLE2 compound files (legacy .doc / .xls) ----------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE = 0xFFFFFFFF


def _ole_entry(name: str, object_type: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), object_type, 1)
    entry += struct.pack("<III", _FREE, _FREE, _FREE)  # left, right, child
    return entry.ljust(128, b"\x00")


def ole(*stream_names: str, filler: bytes = b"") -> bytes:
    """A version-3 compound file header, then one directory sector (root + streams).

    Enough structure for a sniffer; not a document Word would open. `filler` goes between
    the header and the directory (to test that only aligned entries count).
    """
    filler = filler.ljust(-(-len(filler) // 512) * 512, b"\x00")
    directory_sector = len(filler) // 512
    header = OLE_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
    header += bytes(6) + struct.pack("<IIII", 0, 1, directory_sector, 0)
    header = header.ljust(512, b"\xff")
    entries = [_ole_entry("Root Entry", 5)] + [_ole_entry(name, 2) for name in stream_names]
    directory = b"".join(entries).ljust(512 * (-(-len(entries) // 4)), b"\x00")
    return header + filler + directory


# --- checks that the samples are what they claim -------------------------------------------


def test_pdf_xref_offsets_point_at_objects():
    data = pdf(b"<< /Hello true >>")
    xref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref:].startswith(b"xref")
    table = data[xref:].split(b"\n")[3:7]
    for number, row in enumerate(table, start=1):
        offset = int(row[:10])
        assert data[offset:].startswith(b"%d 0 obj" % number)


def test_png_chunks_have_valid_crcs():
    data = png()[8:]
    while data:
        (length,) = struct.unpack(">I", data[:4])
        kind, body, crc = data[4:8], data[8 : 8 + length], data[8 + length : 12 + length]
        assert struct.unpack(">I", crc)[0] == zlib.crc32(kind + body)
        data = data[12 + length :]


def test_office_samples_open_as_zips():
    for sample in (docx(), xlsx(), pptx(), opendocument("application/vnd.oasis.opendocument.text")):
        with zipfile.ZipFile(io.BytesIO(sample)) as archive:
            assert archive.testzip() is None


def test_ole_directory_entries_are_128_byte_aligned():
    data = ole("WordDocument", filler=b"x" * 700)
    offset = data.index("WordDocument".encode("utf-16-le"))
    assert offset % 128 == 0
    assert data[offset + 64 : offset + 66] == struct.pack("<H", 26)


def test_hidden_javascript_is_not_visible_in_the_raw_bytes():
    data = pdf_with_hidden_javascript()
    assert b"/JavaScript" not in data and b"/JS" not in data
    assert b"/Type /ObjStm" in data
