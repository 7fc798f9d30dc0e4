"""sniff(): active content hidden in encodings, forms, packages and links is refused; its
ordinary look-alikes are not. Every sample is built here or in test_evidence_samples."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest

from app.evidence import RefusedFile, sniff
from tests.app import test_evidence_samples as samples

ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def write(tmp_path: Path, data: bytes, name: str = "bukti.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(tmp_path: Path, data: bytes, **options: int) -> str:
    with pytest.raises(RefusedFile) as caught:
        sniff(write(tmp_path, data), **options)
    return caught.value.code


def kind(tmp_path: Path, data: bytes) -> str:
    return sniff(write(tmp_path, data)).kind


# --- PDF: object streams behind any filter -------------------------------------------------

OPEN_ACTION_JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
CHAINS = {
    "ASCIIHex": ["ASCIIHexDecode"],
    "ASCII85": ["ASCII85Decode"],
    "LZW": ["LZWDecode"],
    "RunLength": ["RunLengthDecode"],
    "ASCIIHex then Flate": ["ASCIIHexDecode", "FlateDecode"],
    "ASCII85 then LZW": ["ASCII85Decode", "LZWDecode"],
}


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_javascript_in_an_object_stream_behind_any_filter(tmp_path, chain):
    data = samples.pdf_with_object_stream(OPEN_ACTION_JS, CHAINS[chain])
    assert b"JavaScript" not in data and b"/JS" not in data  # invisible to a byte scan
    assert refusal(tmp_path, data) == "pdf_active_content"


@pytest.mark.parametrize(
    "hidden",
    [
        pytest.param(b"<< /S /J#61va#53cript /J#53 (x) >>", id="hex-escaped names"),
        pytest.param(b"<< /S /Launch /F (cmd.exe) >>", id="launch"),
        pytest.param(b"<< /Names << /EmbeddedFiles 7 0 R >> >>", id="embedded files"),
        pytest.param(b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>", id="file spec with /EF"),
    ],
)
def test_other_active_names_in_an_ascii_hex_object_stream(tmp_path, hidden):
    assert refusal(tmp_path, samples.pdf_with_object_stream(hidden, ["ASCIIHexDecode"])) == "pdf_active_content"


def test_object_stream_found_only_through_the_cross_reference_stream(tmp_path):
    """No /Type /ObjStm: a viewer still loads object 4 from it, because the xref stream says so."""
    data = samples.pdf_with_object_stream(OPEN_ACTION_JS, ["ASCII85Decode"], stream_dictionary=b"")
    assert b"ObjStm" not in data
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_flate_object_stream_with_a_png_predictor(tmp_path):
    body = zlib.compress(samples.png_up(b"4 0 " + OPEN_ACTION_JS, columns=4))
    data = samples.pdf_with_object_stream(
        OPEN_ACTION_JS, ["FlateDecode"], data=body,
        stream_dictionary=b"/Type /ObjStm /DecodeParms << /Predictor 12 /Columns 4 >> ",
    )
    assert refusal(tmp_path, data) == "pdf_active_content"


def test_file_attachment_annotation_with_an_untyped_embedded_stream(tmp_path):
    annotation = b"<< /Type /Annot /Subtype /FileAttachment /FS << /F (a.exe) /EF << /F 5 0 R >> >> >>"
    assert refusal(tmp_path, samples.pdf(annotation, samples.pdf_stream(b"MZ"))) == "pdf_active_content"


def test_object_stream_bomb_behind_two_filters(tmp_path):
    body = samples.encode(b"4 0 " + bytes(5_000_000), ["FlateDecode", "FlateDecode"])
    data = samples.pdf_with_object_stream(b"", ["FlateDecode", "FlateDecode"], data=body)
    assert len(data) < 10_000
    assert refusal(tmp_path, data, max_unzipped_bytes=1_000_000) == "zip_bomb"


def test_run_length_bomb(tmp_path):
    body = b"\x81\x00" * 20_000 + b"\x80"  # 40 KB that decode to 2.5 MB of zeros
    data = samples.pdf_with_object_stream(b"", ["RunLengthDecode"], data=body)
    assert refusal(tmp_path, data, max_unzipped_bytes=1_000_000) == "zip_bomb"


def test_more_slow_filter_data_than_any_real_file_is_refused_unread(tmp_path):
    """LZW, ASCII85 and RunLength decode in pure Python: past 1 MiB of input, refuse rather than spin."""
    body = samples.ascii85(random.Random(11).randbytes(1_200_000))
    assert refusal(tmp_path, samples.pdf_with_object_stream(b"", ["ASCII85Decode"], data=body)) == "zip_bomb"


# benign counterparts


def test_plain_objects_in_encoded_object_streams_pass(tmp_path):
    for chain in CHAINS.values():
        data = samples.pdf_with_object_stream(b"<< /S /URI /URI (https://kla.go.id) >>", chain)
        assert kind(tmp_path, data) == "pdf", chain


def test_ascii_hex_encoded_content_stream_passes(tmp_path):
    content = samples.ascii_hex(b"BT /F1 12 Tf 20 100 Td (Laporan kegiatan) Tj ET")
    stream = b"<< /Filter /ASCIIHexDecode /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    assert kind(tmp_path, samples.pdf(stream)) == "pdf"


def test_old_style_pdf_that_pypdf_cannot_read_still_passes(tmp_path):
    """No xref at all and no object streams: viewers open it, and the byte scan saw all of it."""
    data = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    assert kind(tmp_path, data) == "pdf"


# --- PDF: XFA forms ------------------------------------------------------------------------

XFA_HEAD = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform name="f">'
XFA_TAIL = b"</subform></template></xdp:xdp>"


def test_xfa_form_with_a_script(tmp_path):
    script = b'<event activity="initialize"><script contentType="application/x-javascript">app.alert(1)</script></event>'
    data = samples.pdf_with_xfa(XFA_HEAD + script + XFA_TAIL)
    assert b"script" not in data  # compressed
    assert refusal(tmp_path, data) == "pdf_form_script"


def test_xfa_script_split_across_packets(tmp_path):
    data = samples.pdf_with_xfa(XFA_HEAD + b"<event><scr", b"ipt>xfa.host.gotoURL('x')</script></event>" + XFA_TAIL)
    assert refusal(tmp_path, data) == "pdf_form_script"


def test_xfa_form_without_scripts_passes(tmp_path):
    fields = b'<field name="nama"><ui><textEdit/></ui><caption><value><text>Description: script</text></value></caption></field>'
    assert kind(tmp_path, samples.pdf_with_xfa(XFA_HEAD + fields + XFA_TAIL)) == "pdf"


# --- PDF: passwords ------------------------------------------------------------------------


def test_pdf_that_needs_a_password_to_open(tmp_path):
    assert refusal(tmp_path, samples.encrypted_pdf("buka", "RC4-128")) == "encrypted"
    assert refusal(tmp_path, samples.encrypted_pdf("buka", "AES-256")) == "encrypted"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_restricted_only_by_an_owner_password_passes(tmp_path, algorithm):
    assert kind(tmp_path, samples.encrypted_pdf("", algorithm)) == "pdf"


# --- OOXML: macros and what is fetched from elsewhere --------------------------------------

SETTINGS_RELS = "word/_rels/settings.xml.rels"
DOCUMENT_RELS = "word/_rels/document.xml.rels"


@pytest.mark.parametrize(
    ("part", "relationship"),
    [
        pytest.param(SETTINGS_RELS, ("attachedTemplate", "https://evil.example/t.dotm", "External"),
                     id="remote template"),
        pytest.param(SETTINGS_RELS, ("attachedTemplate", "\\\\203.0.113.9\\share\\t.dotm", "External"),
                     id="template on a UNC path"),
        pytest.param(SETTINGS_RELS, ("attachedTemplate", "file://203.0.113.9/share/t.dotx", "External"),
                     id="template on file://host"),
        pytest.param(SETTINGS_RELS, ("attachedTemplate", "file:///%5C%5C203.0.113.9%5Cs%5Ct.dotx", "External"),
                     id="UNC path behind percent escapes"),
        pytest.param(SETTINGS_RELS, ("attachedTemplate", "https://evil.example/t.dotm", None),
                     id="remote template without TargetMode"),
        pytest.param("word/_rels/Settings.XML.RELS", ("attachedTemplate", "http://evil.example/t", "External"),
                     id="part name in other case"),
        pytest.param(DOCUMENT_RELS, ("oleObject", "mhtml:https://evil.example/x.html!x-usc:https://e", "External"),
                     id="linked OLE object"),
        pytest.param(DOCUMENT_RELS, ("oleObject", "file:///C:/Windows/System32/calc.exe", "External"),
                     id="linked OLE object on the local disk"),
        pytest.param("word/_rels/webSettings.xml.rels", ("frame", "https://evil.example/f.html", "External"),
                     id="frame"),
        pytest.param(DOCUMENT_RELS, ("subDocument", "https://evil.example/sub.docx", "External"),
                     id="sub-document"),
        pytest.param(DOCUMENT_RELS, ("image", "https://tracker.example/pixel.png", "External"),
                     id="remote linked picture"),
        pytest.param(SETTINGS_RELS, ("mailMergeSource", "file:///C:/data.xlsx", "External"),
                     id="mail-merge data"),
    ],
)
def test_docx_that_fetches_from_elsewhere(tmp_path, part, relationship):
    data = samples.docx({part: samples.relationships(relationship)})
    assert refusal(tmp_path, data) == "office_external"


def test_xlsx_linked_to_a_remote_workbook(tmp_path):
    rels = samples.relationships(("externalLinkPath", "https://evil.example/data.xlsx", "External"))
    data = samples.xlsx({"xl/externalLinks/_rels/externalLink1.xml.rels": rels})
    assert refusal(tmp_path, data) == "office_external"


def test_xlsx_with_data_connections(tmp_path):
    connection = b'<connections><connection id="1" name="q" type="4" refreshOnLoad="1"><webPr url="https://e.example/"/></connection></connections>'
    assert refusal(tmp_path, samples.xlsx({"xl/connections.xml": connection})) == "office_external"


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"word/vbaProject.bin": b"\xcc"}, id="macro project"),
        pytest.param({"word/VBAPROJECT.BIN": b"\xcc"}, id="macro project in capitals"),
        pytest.param({"[Content_Types].xml": samples.CONTENT_TYPES.replace(
            b"/>", b'><Override PartName="/word/document.xml" '
                   b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')},
                     id="macro-enabled content type"),
        pytest.param({DOCUMENT_RELS: samples.relationships(("vbaProject", "media/logo.bin", None)),
                      "word/media/logo.bin": b"\xcc"}, id="macro project under another name"),
    ],
)
def test_docx_with_macros(tmp_path, extra):
    assert refusal(tmp_path, samples.docx(extra)) == "office_macros"


def test_xlsx_with_macros_or_macro_sheets(tmp_path):
    assert refusal(tmp_path, samples.xlsx({"xl/vbaProject.bin": b"\xcc"})) == "office_macros"
    assert refusal(tmp_path, samples.xlsx({"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})) == "office_macros"


# benign counterparts


def test_docx_with_external_hyperlinks_and_a_local_template_passes(tmp_path):
    data = samples.docx({
        DOCUMENT_RELS: samples.relationships(
            ("hyperlink", "https://www.kemenpppa.go.id/laporan?tahun=2025&jenis=kla", "External"),
            ("hyperlink", "mailto:dp3a@example.go.id", "External"),
            ("image", "media/image1.png", None),
            ("styles", "styles.xml", None),
        ),
        SETTINGS_RELS: samples.relationships(
            ("attachedTemplate", "file:///C:\\Users\\dinas\\Templates\\Kop Surat.dotx", "External")),
    })
    assert kind(tmp_path, data) == "docx"


def test_xlsx_with_hyperlinks_and_a_link_to_a_workbook_on_the_same_disk_passes(tmp_path):
    data = samples.xlsx({
        "xl/worksheets/_rels/sheet1.xml.rels": samples.relationships(
            ("hyperlink", "https://kla.go.id/bukti/1", "External")),
        "xl/externalLinks/_rels/externalLink1.xml.rels": samples.relationships(
            ("externalLinkPath", "Rekap%20Dinas%202025.xlsx", "External")),
    })
    assert kind(tmp_path, data) == "xlsx"


# --- OpenDocument: macros, scripts, event listeners -----------------------------------------

LISTENER = (
    b"<office:event-listeners><script:event-listener script:language=\"ooo:script\" script:event-name=\"dom:load\" "
    b"xlink:href=\"vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document\"/>"
    b"</office:event-listeners>"
)


@pytest.mark.parametrize(
    ("mimetype", "extra", "text"),
    [
        pytest.param(ODT, {"Basic/Standard/Module1.xml": b"<script:module/>"}, b"", id="Basic folder"),
        pytest.param(ODS, {"Scripts/python/run.py": b"import os"}, b"", id="Scripts folder"),
        pytest.param(ODT, {"META-INF/manifest.xml": samples.odf_manifest(("Scripts/python/run.py", "application/binary"))},
                     b"", id="manifest lists a script"),
        pytest.param(ODT, {"META-INF/manifest.xml": samples.odf_manifest(("run.js", "application/x-javascript"))},
                     b"", id="manifest entry of a script type"),
        pytest.param(ODT, {}, LISTENER, id="event listener in content.xml"),
        pytest.param(ODS, {"styles.xml": ('<?xml version="1.0" encoding="UTF-16"?><office:document-styles>'
                                          '<ev:event-listener ev:event-name="dom:load" xlink:href="x"/>'
                                          "</office:document-styles>").encode("utf-16")},
                     b"", id="event listener in UTF-16 styles.xml"),
        pytest.param(ODT, {}, b'<text:p><text:a xlink:href="macro:///Tools.Misc.Run">klik</text:a></text:p>',
                     id="link to a macro"),
        pytest.param(ODT, {}, b'<text:p><text:a xlink:href = "&#118;nd.sun.star.script:X">klik</text:a></text:p>',
                     id="link to a script behind a character reference"),
    ],
)
def test_opendocument_with_macros(tmp_path, mimetype, extra, text):
    assert refusal(tmp_path, samples.opendocument(mimetype, extra, text=text)) == "office_macros"


def test_event_listener_split_across_read_pieces(tmp_path):
    """The scan reads in 1 MiB pieces; an element straddling two of them is still found."""
    before = len(samples.ODF_CONTENT.split(b"%s")[0]) + len(b"<text:p></text:p>")
    filler = random.Random(19).randbytes(1024 * 1024).hex().encode()[: 1024 * 1024 - before - 30]
    text = b"<text:p>" + filler + b"</text:p>" + LISTENER
    content = samples.ODF_CONTENT % text
    element = content.index(b"<script:event-listener")
    assert element < 1024 * 1024 < element + len(b"<script:event-listener")
    assert refusal(tmp_path, samples.opendocument(ODT, text=text)) == "office_macros"


def test_encrypted_opendocument(tmp_path):
    manifest = samples.odf_manifest(("content.xml", "text/xml"), encrypted=True)
    assert refusal(tmp_path, samples.opendocument(ODT, {"META-INF/manifest.xml": manifest})) == "encrypted"


def test_opendocument_without_macros_passes(tmp_path):
    text = (b"<text:p>Panduan: event-listener, script, macro: dan Basic/ hanyalah kata di sini.</text:p>"
            b'<text:p><text:a xlink:href="https://kla.go.id/">situs KLA</text:a></text:p>')
    manifest = samples.odf_manifest(("content.xml", "text/xml"), ("Pictures/1.png", "image/png"))
    assert kind(tmp_path, samples.opendocument(ODT, {"META-INF/manifest.xml": manifest}, text=text)) == "odt"
    assert kind(tmp_path, samples.opendocument(ODS, text=text)) == "ods"
