"""Adversarial review of issue 23's merged work (the document library, period flags, Kelana/Dekela and
the hand-off): what another role, region or cycle can reach, and what odd or hostile input does."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import col, select

from app.models import Answer, AreaRecord, Document, Evidence
from app.services.demo import sample_pdf
from tests import html
from tests.app.test_document_metadata import PERDA, pdf_of

OWN_A = "13.6"  # DINKES (opd_a), ordinary
SENSITIVE = "22A.2"  # DINKES among others, sensitive


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


def _upload(client, world, token, content: bytes, name: str = "perda.pdf"):
    return client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                       files={"file": (name, content, "application/pdf")}, follow_redirects=False)


def _links(db, document_id: int) -> dict[str, Evidence]:
    db.expire_all()
    rows = db.exec(select(Evidence, Answer.question_code).join(Answer, col(Answer.id) == col(Evidence.answer_id))
                   .where(Evidence.document_id == document_id, col(Evidence.removed_at).is_(None))).all()
    return {code: evidence for evidence, code in rows}


def test_one_post_linking_a_sensitive_then_an_ordinary_question_refuses_the_ordinary(make_client, auth, world, db):
    """The content enters on the sensitive question first (it is then sensitive): the ordinary question
    of the same post is refused, as it would be in a second post. A stale cache of sensitive contents
    let an agency link it to both."""
    client, token = _client(make_client, auth, "opd_a")
    assert _upload(client, world, token, pdf_of(PERDA)).status_code == 303
    document = db.exec(select(Document).where(Document.filename == "perda.pdf")).one()
    response = client.post(f"{world.base()}/dokumen/{document.id}/tautkan",
                           data={"codes": [SENSITIVE, OWN_A], "csrf_token": token}, follow_redirects=False)
    assert response.status_code in (200, 303, 404, 422)
    assert OWN_A not in _links(db, document.id)


def _sensitive_document(make_client, auth, world, db, content: bytes) -> Document:
    """The DP3A uploads `content` onto the sensitive question and titles its document."""
    client, token = _client(make_client, auth, "dp3a_a")
    response = client.post(f"{world.base()}/isian/{SENSITIVE}/bukti", data={"csrf_token": token},
                           files={"files": ("kasus.pdf", content, "application/pdf")})
    assert response.status_code == 200, response.text
    db.expire_all()
    document = db.exec(select(Document).where(Document.filename == "kasus.pdf")).one()
    response = client.post(f"{world.base()}/dokumen/{document.id}/data", follow_redirects=False, data={
        "csrf_token": token, "kind": "report", "title": "Korban Budi 7 tahun", "number": "", "issued_on": "",
        "year": "2024", "issuer": "", "valid_until": ""})
    assert response.status_code == 303, response.text
    return document


def test_area_evidence_never_takes_a_sensitive_document(make_client, auth, world, db):
    """An area record's file goes to the library as any evidence: the bytes of a sensitive question's file
    are refused there (the Kelana page would name its document to every agency and verifier)."""
    content = sample_pdf("Laporan kasus", "rahasia")
    document = _sensitive_document(make_client, auth, world, db, content)
    opd, token = _client(make_client, auth, "opd_a")  # Dinkes answers 25.7a
    opd.get(f"{world.base()}/kelana")
    response = opd.post(f"{world.base()}/kelana/catat/62.71.01", headers={"X-CSRF-Token": token},
                        data={"shown": ["25.7a"], "meets": ["25.7a"], "note": ""},
                        files={"file": ("x.pdf", content, "application/pdf")}, follow_redirects=False)
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(AreaRecord).where(AreaRecord.document_id == document.id)).first() is None
    page = html.page(opd.get(f"{world.base()}/kelana"))
    assert "Korban" not in html.text_of(page, "//main")


def test_kelana_odd_input_is_never_a_500(make_client, auth, world, db):
    client, token = _client(make_client, auth, "dp3a_a")
    for url in ("/kelana?kriteria=%00", "/kelana?kriteria=" + "x" * 5000, "/kelana/%00", "/kelana/62.71.01%00",
                "/kelana/" + "9" * 13, "/kelana/%E2%80%AE"):
        assert client.get(world.base() + url).status_code in (200, 404), url
    response = client.post(f"{world.base()}/kelana/catat/62.71.01", headers={"X-CSRF-Token": token},
                           data={"shown": ["25.2"], "meets": ["25.2"], "note": "a\x00b"}, follow_redirects=False)
    assert response.status_code == 303
    assert client.post(f"{world.base()}/kelana/catat/%00", headers={"X-CSRF-Token": token},
                       data={"shown": ["25.2"]}, follow_redirects=False).status_code == 404
    response = client.post(f"{world.base()}/kelana/catat/62.71.01", headers={"X-CSRF-Token": token},
                           data={"shown": ["25.2"], "meets": [], "kriteria": "25.2&x=1\r\nSet-Cookie: a=b"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{world.base()}/kelana#area-62-71-01"  # an unknown criterion: none


def test_library_and_review_odd_queries_are_never_a_500(make_client, auth, world, db):
    client, token = _client(make_client, auth, "dp3a_a")
    base = world.base()
    for url in ("/dokumen?jenis=%00&tahun=abc&cari=%00", "/dokumen?tahun=99999&cari=" + "a" * 10000,
                "/dokumen?tahun=%C2%B2%C2%B2%C2%B2%C2%B2", "/dokumen/0", "/dokumen/99999999999999", "/dokumen/abc",
                "/dokumen/1/berkas?unduh=x", "/dokumen/1?cari=%00", f"/verifikasi/{OWN_A}?dari=%C2%B2",
                f"/verifikasi/{OWN_A}?dari=-1", f"/verifikasi/{OWN_A}?dari=99999999999999999999", "/verifikasi?periode=%00",
                "/verifikasi?periode=" + "1" * 5000, "/serah-terima?x=1"):
        assert client.get(base + url).status_code in (200, 404, 422), url


def test_metadata_hostile_text_is_kept_as_text(make_client, auth, world, db):
    client, token = _client(make_client, auth, "opd_a")
    assert _upload(client, world, token, pdf_of(PERDA)).status_code == 303
    document = db.exec(select(Document).where(Document.filename == "perda.pdf")).one()
    url = f"{world.base()}/dokumen/{document.id}/data"
    for day in ("0000-00-00", "9999-12-31", "31-12-0001", "2024-13-01", "1" * 300):
        response = client.post(url, data={"csrf_token": token, "kind": "perda", "title": "t", "issued_on": day})
        assert response.status_code == 422, day
    for year in ("1", "99999", "0000", "２０２４", "-202"):
        response = client.post(url, data={"csrf_token": token, "kind": "perda", "title": "t", "year": year})
        assert response.status_code == 422, year
    title = "<script>alert(1)</script>\x01\x1b=HYPERLINK(\"http://x\")"
    response = client.post(url, data={"csrf_token": token, "kind": "perda", "title": title, "year": "2024"},
                           follow_redirects=False)
    assert response.status_code in (303, 422)
    tree = html.page(client.get(f"{world.base()}/dokumen/{document.id}"))
    assert not tree.xpath("//script[contains(., 'alert(1)')]")


def test_handoff_names_and_workbook_cells_from_hostile_titles(make_client, auth, world, db):
    client, token = _client(make_client, auth, "dp3a_a")
    response = client.post(f"{world.base()}/isian/{OWN_A}/bukti", data={"csrf_token": token},
                           files={"files": ("../../etc/CON.pdf", pdf_of(PERDA), "application/pdf")})
    assert response.status_code == 200
    db.expire_all()
    document = db.exec(select(Document)).one()
    client.post(f"{world.base()}/dokumen/{document.id}/data", follow_redirects=False, data={
        "csrf_token": token, "kind": "perda", "title": "=cmd|' /C calc'!A0 ../../..\\x NUL", "year": "2021"})
    client.post(f"{world.base()}/isian/{OWN_A}", data={"csrf_token": token, "option": "a", "version": "0"})
    response = client.get(f"{world.base()}/serah-terima/paket.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name in archive.namelist():
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name, name
    workbook = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(archive.read(workbook)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("who", ["opd_a", "dp3a_a"])
def test_upload_of_content_another_agency_holds_is_not_lost(make_client, auth, world, db, who):
    """Uploading bytes the library holds already as another agency's document is that document: the
    user is told, and not sent to a page that does not exist for it."""
    other, other_token = _client(make_client, auth, "dp3a_a")
    content = pdf_of(PERDA)
    assert _upload(other, world, other_token, content).status_code == 303  # a DP3A document, linked to nothing
    client, token = _client(make_client, auth, who)
    response = _upload(client, world, token, content, name="copy.pdf")
    assert response.status_code in (303, 409, 422)
    if response.status_code == 303:
        assert client.get(response.headers["location"]).status_code == 200


def _raw_pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_metadata_of_a_small_pdf_with_megabytes_of_text_operators_is_not_read():
    """14 KB that inflate to 4 MB of text operators on the first page: pypdf needed ~17 s of one worker
    to extract them. The content budget leaves such a page unread (nothing pre-filled)."""
    import time
    import zlib

    from app.evidence.metadata import MAX_CONTENT_BYTES, extract_pdf

    ops = b"BT /F1 12 Tf 10 10 Td (PERATURAN DAERAH NOMOR 5 TAHUN 2021) Tj ET\n" * (4_000_000 // 66)
    data = zlib.compress(ops, 9)
    pdf = _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])
    assert MAX_CONTENT_BYTES <= 1024 * 1024
    started = time.monotonic()
    found = extract_pdf(pdf)
    assert time.monotonic() - started < 5
    assert found.kind is None


def test_published_year_refuses_every_library_write(make_client, auth, world, db):
    from app.models import AuditEntry, Cycle, utcnow

    client, token = _client(make_client, auth, "dp3a_a")
    assert _upload(client, world, token, pdf_of(PERDA)).status_code == 303
    document = db.exec(select(Document)).one()
    url = f"{world.base()}/dokumen/{document.id}"
    assert client.post(f"{url}/tautkan", data={"codes": [OWN_A], "csrf_token": token},
                       follow_redirects=False).status_code == 303
    link = _links(db, document.id)[OWN_A]
    cycle = db.exec(select(Cycle)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    before = len(db.exec(select(AuditEntry)).all())
    responses = [
        _upload(client, world, token, sample_pdf("Lain", "lain"), name="lain.pdf"),
        client.post(f"{url}/data", data={"csrf_token": token, "kind": "sk", "title": "Baru", "year": "2024"}),
        client.post(f"{url}/tautkan", data={"codes": ["13.5"], "csrf_token": token}),
        client.post(f"{url}/lepas/{link.id}", data={"csrf_token": token}),
    ]
    assert [r.status_code for r in responses] == [409, 409, 409, 409]
    db.expire_all()
    assert len(db.exec(select(AuditEntry)).all()) == before
    assert len(db.exec(select(Document)).all()) == 1 and db.get(Document, document.id).title != "Baru"
    assert set(_links(db, document.id)) == {OWN_A}


def test_other_regions_documents_and_links_are_not_found(make_client, auth, world, db):
    owner, token = _client(make_client, auth, "dp3a_a")
    assert _upload(owner, world, token, pdf_of(PERDA)).status_code == 303
    document = db.exec(select(Document)).one()
    owner.post(f"{world.base()}/dokumen/{document.id}/tautkan", data={"codes": [OWN_A], "csrf_token": token})
    link = _links(db, document.id)[OWN_A]
    other, other_token = _client(make_client, auth, "dp3a_b")
    for url in (f"/dokumen/{document.id}", f"/dokumen/{document.id}/berkas"):
        assert other.get(world.base("b") + url).status_code == 404
        assert other.get(world.base() + url).status_code == 403
    assert other.post(f"{world.base('b')}/dokumen/{document.id}/lepas/{link.id}",
                      data={"csrf_token": other_token}).status_code == 404
    assert other.post(f"{world.base('b')}/dokumen/{document.id}/data",
                      data={"csrf_token": other_token, "title": "x"}).status_code == 404
    assert other.get(f"{world.base()}/serah-terima/paket.zip").status_code == 403
    opd, opd_token = _client(make_client, auth, "opd_a")
    assert opd.get(f"{world.base()}/serah-terima/paket.zip").status_code == 403
    assert set(_links(db, document.id)) == {OWN_A}
