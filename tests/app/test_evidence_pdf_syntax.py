"""sniff() on PDFs whose syntax misleads a naive scan (issue 19, review of item 11): object
streams nobody names, fake stream boundaries inside strings, objects inside other objects'
data; and structures too large for their file. Samples: test_evidence_pdf_samples."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.evidence import RefusedFile, sniff
from tests.app import test_evidence_pdf_samples as pdfs
from tests.app import test_evidence_samples as samples

OPEN_ACTION_JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
URI_ACTION = b"<< /S /URI /URI (https://kla.go.id) >>"
XFA_WITH_SCRIPT = (b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><event activity="initialize">'
                   b'<script contentType="application/x-javascript">app.alert(1)</script></event></subform></template>'
                   b"</xdp:xdp>")
ATTACHMENT = b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 50 50] /FS 7 0 R >>"
PROGRAM = samples.pdf_stream(b"MZ\x90\x00 program", b"")


def refusal(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bukti.pdf"
    path.write_bytes(data)
    with pytest.raises(RefusedFile) as caught:
        sniff(path)
    return caught.value.code


def kind(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bukti.pdf"
    path.write_bytes(data)
    return sniff(path).kind


# --- object streams that no name announces -------------------------------------------------


@pytest.mark.parametrize("chain", [["FlateDecode"], ["ASCIIHexDecode"]], ids=["Flate", "ASCIIHex"])
def test_object_stream_without_any_type_is_decoded_for_its_keys(tmp_path, chain):
    """No /ObjStm, no /XRef: MuPDF still runs the OpenAction from stream 5 (pypdf cannot read the file)."""
    data = pdfs.untyped_object_streams(OPEN_ACTION_JS, chain)
    assert b"JavaScript" not in data and b"ObjStm" not in data and b"XRef" not in data
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_object_stream_this_scan_cannot_decode_in_a_file_pypdf_cannot_read_is_refused(tmp_path):
    """Indirect /DecodeParms: only a parser can follow them, and pypdf gives up on the file."""
    data = pdfs.untyped_object_streams(OPEN_ACTION_JS, ["ASCIIHexDecode"], stream_dictionary=b"/DecodeParms 2 0 R ")
    assert refusal(tmp_path, data) == "corrupt"


def test_file_pypdf_cannot_read_but_seen_whole_passes(tmp_path):
    """Viewers open it; every object stream in it was decoded and found harmless."""
    assert kind(tmp_path, pdfs.untyped_object_streams(URI_ACTION, ["FlateDecode"])) == "pdf"


# --- stream boundaries in strings, objects in other objects' data ---------------------------


def test_xfa_named_between_a_fake_stream_start_and_end_in_strings(tmp_path):
    form = b"<< /DA (>> stream\n) /Fields [] /XFA 5 0 R /DR (endstream) >>"
    data = samples.pdf(form, samples.pdf_stream(XFA_WITH_SCRIPT), catalog_extra=b"/AcroForm 4 0 R ")
    assert refusal(tmp_path, data) == "pdf_form_script"


def test_attachment_named_between_a_fake_stream_start_and_end_in_strings(tmp_path):
    annotation = (b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 50 50] /Contents (>> stream\n) "
                  b"/FS << /Type /Filespec /F (laporan.exe) /EF << /F 5 0 R >> >> /NM (endstream) >>")
    data = pdfs.pdf_listing(annotation, PROGRAM, page_extra=b"/Annots [4 0 R] ")
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_attachment_whose_file_specification_lies_inside_another_streams_data(tmp_path):
    """The table points object 7 into stream 6's data, and MuPDF reads it from there."""
    spec = b"7 0 obj\n<< /Type /Filespec /F (laporan.exe) /EF << /F 5 0 R >> >>\nendobj\n"
    data = pdfs.pdf_listing(ATTACHMENT, PROGRAM, pdfs.raw_stream(b"% " + spec), page_extra=b"/Annots [4 0 R] ")
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_object_stream_behind_a_comment_before_the_stream_keyword(tmp_path):
    """MuPDF runs the OpenAction; pypdf sees a dictionary and no stream."""
    data = pdfs.comment_before_stream(samples.pdf_with_object_stream(OPEN_ACTION_JS, ["ASCIIHexDecode"]))
    assert b">>%\nstream" in data
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_strings_that_mention_streams_and_data_that_holds_names_pass(tmp_path):
    info = (b"<< /Title (Catatan: >> stream\n ... endstream, /JS dan /EF) /Subject <3e3e2073747265616d0a> "
            b"/Keywords (obj trailer /EF) /URI (https://kla.go.id/EF/JS/) >>")
    image = b"<< /Type /XObject /Subtype /Image /Length 12 >>\nstream\n\x00/JS (\x00/EF\xff\n\nendstream"
    data = pdfs.pdf_listing(info, image, pdfs.raw_stream(b"% 1 0 obj is a comment in a content stream"))
    assert b"/JS" in data and kind(tmp_path, data) == "pdf"


# --- structures too large for their file (CPU) ---------------------------------------------


def test_cross_reference_stream_of_a_million_entries_in_10_kb(tmp_path):
    data = pdfs.xref_stream_of(1_000_000)
    assert len(data) < 20_000
    started = time.process_time()
    assert refusal(tmp_path, data) == "pdf_structure"
    assert time.process_time() - started < 0.5  # pypdf spent ~1.4 s reading it


def test_object_stream_of_more_objects_than_any_writer_puts_in_one(tmp_path):
    assert refusal(tmp_path, pdfs.object_stream_of(20_000)) == "pdf_structure"
    assert kind(tmp_path, pdfs.object_stream_of(2_000)) == "pdf"


def test_more_objects_than_the_file_can_hold(tmp_path):
    assert refusal(tmp_path, b"%PDF-1.4\n" + b"1 0 obj " * 150_000) == "pdf_structure"


def test_objects_overlapping_far_beyond_the_file(tmp_path):
    """Each `obj` opens a string that runs to the end: lexing each on its own would read the file 20,000 times."""
    assert refusal(tmp_path, b"%PDF-1.4\n" + b"(1 0 obj (" * 20_000) == "pdf_structure"
