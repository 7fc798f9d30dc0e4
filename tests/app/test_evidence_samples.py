"""Sample evidence files, built in code, for the evidence tests; and checks that they are real.

Nothing binary is committed: each builder returns the bytes of a small but genuine file
(or a deliberately hostile one), so a reader can see exactly what every test feeds in.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

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


# PDF filters, written out so a test can hide an object behind any chain of them. Each
# encoder is the inverse of the decoder the PDF names (ISO 32000-1, 7.4).


def ascii_hex(data: bytes) -> bytes:
    return data.hex().encode() + b">"


def ascii85(data: bytes) -> bytes:
    return base64.a85encode(data) + b"~>"


def run_length(data: bytes, run: int = 3) -> bytes:
    """Literal runs of `run` bytes (short, so no name survives whole), then the end-of-data byte."""
    return b"".join(bytes([len(data[i : i + run]) - 1]) + data[i : i + run] for i in range(0, len(data), run)) + b"\x80"


def lzw(data: bytes) -> bytes:
    """LZW with 9-bit codes, which suffices while the table stays under 511 entries."""
    table = {bytes([i]): i for i in range(256)}
    codes, word = [256], b""  # 256: clear table
    for value in data:
        longer = word + bytes([value])
        if longer in table:
            word = longer
            continue
        codes.append(table[word])
        table[longer] = len(table) + 2  # 256 and 257 are the clear and end codes
        word = bytes([value])
    codes += [table[word], 257] if word else [257]
    assert len(table) + 2 < 511, "sample too long for 9-bit codes"
    bits = "".join(f"{code:09b}" for code in codes)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def png_up(data: bytes, columns: int) -> bytes:
    """The PNG "Up" predictor (/Predictor 12): each byte minus the one above it."""
    data = data.ljust(-(-len(data) // columns) * columns, b" ")
    rows = [data[i : i + columns] for i in range(0, len(data), columns)]
    previous, out = bytes(columns), bytearray()
    for row in rows:
        out += b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row
    return bytes(out)


ENCODERS = {
    "ASCIIHexDecode": ascii_hex,
    "ASCII85Decode": ascii85,
    "RunLengthDecode": run_length,
    "LZWDecode": lzw,
    "FlateDecode": zlib.compress,
}


def encode(data: bytes, filters: Sequence[str]) -> bytes:
    """Encode so that decoding with `filters`, in order, gives `data` back."""
    for name in reversed(filters):
        data = ENCODERS[name](data)
    return data


def pdf_with_object_stream(
    hidden: bytes,
    filters: Sequence[str],
    *,
    catalog_extra: bytes = b"/OpenAction 4 0 R ",
    stream_dictionary: bytes = b"/Type /ObjStm ",
    data: bytes | None = None,
) -> bytes:
    """A PDF 1.5 file as viewers read it: object 4 (`hidden`) lives only in object stream 5,
    encoded with `filters`, and the cross-reference stream (object 6) says so."""
    header = b"4 0 "
    body = data if data is not None else encode(header + hidden, filters)
    names = b" ".join(b"/" + name.encode() for name in filters)
    objstm = b"<< %s/N 1 /First %d /Filter [%s] /Length %d >>\nstream\n%s\nendstream" % (
        stream_dictionary, len(header), names, len(body), body)
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, item in [(1, plain[0]), (2, plain[1]), (3, plain[2]), (5, objstm)]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, item)
    offsets[6] = len(out)
    rows = [(0, 0, 65535), (1, offsets[1], 0), (1, offsets[2], 0), (1, offsets[3], 0), (2, 5, 0),
            (1, offsets[5], 0), (1, offsets[6], 0)]
    xref = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(xref), xref)
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def pdf_with_xfa(*packets: bytes) -> bytes:
    """A PDF whose form is XFA: each packet a Flate stream (objects 5, 6, ...) named in /XFA."""
    streams = [pdf_stream(packet) for packet in packets]
    names = b" ".join(b"(packet%d) %d 0 R" % (i, 5 + i) for i in range(len(packets)))
    return pdf(b"<< /Fields [] /XFA [%s] >>" % names, *streams, catalog_extra=b"/AcroForm 4 0 R ")


def encrypted_pdf(user_password: str, algorithm: str) -> bytes:
    """`pdf()` encrypted by pypdf; an empty user password opens without asking (owner rights only)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf()))
    writer.encrypt(user_password=user_password, owner_password="pemilik-rahasia", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body><w:p/></w:body></w:document>",
            **(extra or {}),
        }
    )


def xlsx(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "xl/workbook.xml": b"<workbook><sheets/></workbook>",
            "xl/worksheets/sheet1.xml": b"<worksheet><sheetData/></worksheet>",
            **(extra or {}),
        }
    )


RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def relationships(*items: tuple[str, str, str | None]) -> bytes:
    """A .rels part; each item is (type, target, TargetMode), the type without its URI prefix."""
    rows = "".join(
        f'<Relationship Id="rId{number}" Type="{RELATIONSHIP}{kind}" Target="{escape(target)}"'
        + (f' TargetMode="{mode}"' if mode else "") + "/>"
        for number, (kind, target, mode) in enumerate(items, start=1)
    )
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rows}'
            "</Relationships>").encode()


def pptx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "ppt/presentation.xml": b"<p:presentation/>",
        }
    )


ODF_CONTENT = (
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0">'
    b"<office:scripts/><office:body><office:text>%s</office:text></office:body></office:document-content>"
)


def opendocument(mimetype: str, extra: dict[str, bytes] | None = None, *, text: bytes = b"<text:p/>") -> bytes:
    """`text` goes into the body of content.xml; `extra` adds or replaces entries."""
    return zip_of(
        {"mimetype": mimetype.encode(), "content.xml": ODF_CONTENT % text, **(extra or {})},
        stored_first="mimetype",
    )


def odf_manifest(*entries: tuple[str, str], encrypted: bool = False) -> bytes:
    rows = "".join(
        f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{media}">'
        + ("<manifest:encryption-data manifest:checksum-type=\"SHA1/1K\"/>" if encrypted else "")
        + "</manifest:file-entry>"
        for path, media in entries
    )
    return ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            f"{rows}</manifest:manifest>").encode()


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
    """A version-3 compound file: header, `filler` sectors, one FAT sector, the directory (root + streams).

    Enough structure for a sniffer (the FAT chains the directory's sectors, as Office reads
    them); not a document Word would open. `filler` is data outside the directory.
    """
    filler = filler.ljust(-(-len(filler) // 512) * 512, b"\x00")
    fat_sector = len(filler) // 512
    entries = [_ole_entry("Root Entry", 5)] + [_ole_entry(name, 2) for name in stream_names]
    directory = b"".join(entries).ljust(512 * (-(-len(entries) // 4)), b"\x00")
    directory_sectors = len(directory) // 512
    chain = [fat_sector + 2 + i for i in range(directory_sectors - 1)] + [0xFFFFFFFE]
    fat = [_FREE] * fat_sector + [0xFFFFFFFD] + chain  # 0xFFFFFFFD marks a FAT sector
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    header = OLE_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
    header += bytes(6) + struct.pack("<IIII", 0, 1, fat_sector + 1, 0)
    header = header.ljust(0x4C, b"\xff") + struct.pack("<I", fat_sector)
    return header.ljust(512, b"\xff") + filler + fat_bytes + directory


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


def test_filter_encoders_round_trip_through_a_pdf_reader():
    """Each encoder is checked against pypdf's decoder, so a sample hides what it claims to hide."""
    from pypdf.filters import decode_stream_data
    from pypdf.generic import ArrayObject, EncodedStreamObject, NameObject

    text = b"4 0 << /S /JavaScript /JS (app.alert\\(1\\)) >> " * 3
    for chain in (["ASCIIHexDecode"], ["ASCII85Decode"], ["RunLengthDecode"], ["LZWDecode"],
                  ["ASCIIHexDecode", "FlateDecode"], ["ASCII85Decode", "LZWDecode"]):
        stream = EncodedStreamObject()
        stream[NameObject("/Filter")] = ArrayObject(NameObject("/" + name) for name in chain)
        stream._data = encode(text, chain)
        assert decode_stream_data(stream) == text, chain


def test_object_stream_sample_is_read_like_a_viewer_reads_it():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_with_object_stream(b"<< /S /URI /URI (https://a.id) >>", ["LZWDecode"])))
    assert reader.xref_objStm == {4: (5, 0)}
    assert reader.get_object(4) == {"/S": "/URI", "/URI": "https://a.id"}
    assert reader.trailer["/Root"]["/OpenAction"] == reader.get_object(4)
