"""sniff(): the type comes from the bytes; hostile files are refused with the right code."""

from __future__ import annotations

import codecs
import dataclasses
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.evidence import ALLOWED_EXTENSIONS, RefusedFile, Sniffed, sniff
from app.evidence.sniff import MEDIA_TYPES, REFUSAL_CODES
from tests.app import test_evidence_samples as samples


def write(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path: Path, **options: int) -> str:
    with pytest.raises(RefusedFile) as caught:
        sniff(path, **options)
    assert caught.value.code in REFUSAL_CODES
    return caught.value.code


# --- accepted ------------------------------------------------------------------------------

VALID = {
    "pdf": samples.pdf,
    "png": samples.png,
    "jpeg": samples.jpeg,
    "gif": samples.gif,
    "webp": samples.webp,
    "docx": samples.docx,
    "xlsx": samples.xlsx,
    "doc": lambda: samples.ole("1Table", "WordDocument"),
    "xls": lambda: samples.ole("Workbook"),
    "odt": lambda: samples.opendocument("application/vnd.oasis.opendocument.text"),
    "ods": lambda: samples.opendocument("application/vnd.oasis.opendocument.spreadsheet"),
}


def test_every_allowed_kind_has_a_sample():
    assert set(VALID) == set(ALLOWED_EXTENSIONS) == set(MEDIA_TYPES)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_accepts_real_files(tmp_path, kind):
    result = sniff(write(tmp_path, VALID[kind]()))
    assert result == Sniffed(kind, MEDIA_TYPES[kind], ALLOWED_EXTENSIONS[kind])


def test_extension_is_ignored(tmp_path):
    assert sniff(write(tmp_path, samples.png(), "laporan.pdf")).kind == "png"


def test_canonical_extensions_and_media_types():
    assert ALLOWED_EXTENSIONS["jpeg"] == ".jpg"
    assert MEDIA_TYPES["pdf"] == "application/pdf"
    assert all(extension.startswith(".") for extension in ALLOWED_EXTENSIONS.values())


def test_old_excel_book_stream_is_xls(tmp_path):
    assert sniff(write(tmp_path, samples.ole("Book"))).kind == "xls"


def test_word_file_with_embedded_workbook_stays_doc(tmp_path):
    assert sniff(write(tmp_path, samples.ole("WordDocument", "Workbook"))).kind == "doc"


def test_pdf_signature_may_follow_a_little_junk(tmp_path):
    assert sniff(write(tmp_path, samples.pdf(prefix=b"\x00" * 300))).kind == "pdf"


def test_pdf_signature_too_far_in_is_unknown(tmp_path):
    assert refusal(write(tmp_path, samples.pdf(prefix=b"\x00" * 2000))) == "unknown_type"


def test_result_is_frozen(tmp_path):
    result = sniff(write(tmp_path, samples.png()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.kind = "pdf"  # type: ignore[misc]


# --- refused -------------------------------------------------------------------------------

HOSTILE = {
    "empty file": (b"", "empty"),
    "windows program named .pdf": (
        b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run",
        "executable",
    ),
    "linux program": (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "executable"),
    "mac program": (b"\xcf\xfa\xed\xfe" + b"\x00" * 100, "executable"),
    "shell script": (b"#!/bin/sh\nrm -rf ~\n", "executable"),
    "html with script": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "html"),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "html",
    ),
    "xml declaration": (b'<?xml version="1.0"?><svg onload="alert(1)"/>', "html"),
    "html after bom and blanks": (codecs.BOM_UTF8 + b" \r\n\t<html><body>x</body></html>", "html"),
    "utf-16 html": (codecs.BOM_UTF16_LE + "<html><script>x</script>".encode("utf-16-le"), "html"),
    "text then script": (b"Laporan kegiatan\n<script>alert(1)</script>", "html"),
    "plain text": (b"Laporan kegiatan tahun 2024\n", "unknown_type"),
    "csv": (b"indikator,nilai\n1,100\n", "unknown_type"),
    "random bytes": (bytes(range(256)) * 4, "unknown_type"),
    "zip header then junk": (b"PK\x03\x04" + b"\x13\x37" * 200, "corrupt"),
    "truncated ole header": (samples.OLE_MAGIC + b"\x00" * 100, "corrupt"),
    "ole without office streams": (samples.ole("Contents", "EncryptedPackage"), "unknown_type"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_refuses_hostile_content(tmp_path, name):
    data, code = HOSTILE[name]
    assert refusal(write(tmp_path, data, "bukti.pdf")) == code


def test_refuses_ole_name_that_is_not_a_directory_entry(tmp_path):
    text = b"Q" * 5 + "WordDocument".encode("utf-16-le") + b"\x00\x00"  # mentioned, not an entry
    assert refusal(write(tmp_path, samples.ole("Contents", filler=text))) == "unknown_type"


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(None, id="pptx"),
        pytest.param({"foto.jpg": b"\xff\xd8\xff"}, id="plain zip"),
        pytest.param(
            {"[Content_Types].xml": b"", "word/document.xml": b"", "xl/workbook.xml": b""}, id="both"
        ),
        pytest.param({"word/document.xml": b"<w:document/>"}, id="no content types"),
    ],
)
def test_zips_that_are_not_accepted_documents(tmp_path, entries):
    data = samples.pptx() if entries is None else samples.zip_of(entries)
    assert refusal(write(tmp_path, data, "data.xlsx")) == "unknown_type"


def test_other_opendocument_types_are_unknown(tmp_path):
    data = samples.opendocument("application/vnd.oasis.opendocument.presentation")
    assert refusal(write(tmp_path, data)) == "unknown_type"


# --- zip bombs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "rekap.xlsx"
    samples.write_zip_bomb(path, megabytes=50)
    return path


def test_zip_bomb_sample_is_small_on_disk(zip_bomb):
    assert zip_bomb.stat().st_size < 200 * 1024


def test_zip_bomb_refused_by_ratio(zip_bomb):
    assert refusal(zip_bomb) == "zip_bomb"


def test_zip_bomb_refused_by_declared_size(zip_bomb):
    assert refusal(zip_bomb, max_unzipped_bytes=10 * 1024 * 1024, max_ratio=10**9) == "zip_bomb"


def test_zip_bomb_passes_when_both_limits_allow_it(zip_bomb):
    assert sniff(zip_bomb, max_unzipped_bytes=10**9, max_ratio=10**9).kind == "xlsx"


def test_too_many_zip_entries(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", b"")
        archive.writestr("xl/workbook.xml", b"")
        for number in range(10_000):
            archive.writestr(f"x/{number}", b"")
    assert refusal(path) == "zip_bomb"


def test_small_files_may_compress_well(tmp_path):
    """A 500 KB sheet that compresses 500:1 is ordinary, not a bomb."""
    entries = {
        "[Content_Types].xml": samples.CONTENT_TYPES,
        "xl/workbook.xml": b"<workbook/>",
        "xl/worksheets/sheet1.xml": b"<c/>" * 125_000,
    }
    assert sniff(write(tmp_path, samples.zip_of(entries))).kind == "xlsx"


# --- PDF active content --------------------------------------------------------------------

ACTIVE_PDFS = {
    "open action javascript": samples.pdf(
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>", catalog_extra=b"/OpenAction 4 0 R "
    ),
    "js key only": samples.pdf(b"<< /S /Foo /JS 5 0 R >>"),
    "launch action": samples.pdf(b"<< /S /Launch /F (cmd.exe) >>", catalog_extra=b"/OpenAction 4 0 R "),
    "embedded files": samples.pdf(b"<< /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>"),
    "embedded file stream": samples.pdf(samples.pdf_stream(b"MZ", b"/Type /EmbeddedFile")),
    "hex-escaped name": samples.pdf(b"<< /S /J#61va#53cript >>", catalog_extra=b"/OpenAction 4 0 R "),
    "hidden in object stream": samples.pdf_with_hidden_javascript(),
}


@pytest.mark.parametrize("name", sorted(ACTIVE_PDFS))
def test_refuses_pdf_active_content(tmp_path, name):
    assert refusal(write(tmp_path, ACTIVE_PDFS[name])) == "pdf_active_content"


def test_similar_pdf_names_are_not_active_content(tmp_path):
    data = samples.pdf(b"<< /JSX 1 /JavaScriptless true /Launched (no) >>")
    assert sniff(write(tmp_path, data)).kind == "pdf"


def test_js_bytes_inside_an_image_stream_are_not_a_key(tmp_path):
    """Compressed image data contains any short byte sequence sooner or later."""
    image = b"<< /Type /XObject /Subtype /Image /Length 9 >>\nstream\n\x00/JS (\x00\xff\nendstream"
    assert sniff(write(tmp_path, samples.pdf(image))).kind == "pdf"


def test_object_stream_that_inflates_too_far(tmp_path):
    objstm = samples.pdf_stream(b" " * 2_000_000, b"/Type /ObjStm /N 0 /First 0 /Filter /FlateDecode")
    path = write(tmp_path, samples.pdf(objstm))
    assert refusal(path, max_unzipped_bytes=1_000_000) == "zip_bomb"
    assert sniff(path).kind == "pdf"


# --- general -------------------------------------------------------------------------------


def test_refused_file_carries_code_detail_and_params():
    error = RefusedFile("too_large", "2048 bytes", limit_mb=1)
    assert (error.code, error.detail, error.params) == ("too_large", "2048 bytes", {"limit_mb": 1})
    assert str(error) == "too_large: 2048 bytes"
    with pytest.raises(ValueError):
        RefusedFile("nope")


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"PK\x03\x04", samples.OLE_MAGIC, b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n"]),
    body=st.binary(max_size=2048),
)
def test_any_bytes_give_a_kind_or_a_refusal(prefix, body):
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), prefix + body)
        try:
            result = sniff(path)
        except RefusedFile as refused:
            assert refused.code in REFUSAL_CODES
        else:
            assert result.kind in ALLOWED_EXTENSIONS
