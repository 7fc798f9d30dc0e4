"""The document library (Perpustakaan dokumen): upload with metadata read from the file, editing it,
linking one document to several questions, unlinking, searching, and who sees which document."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from app.models import Agency, Answer, AuditEntry, Cycle, Document, Evidence, Role, User, utcnow
from app.services import evidence as evidence_service
from app.services.answers import AnswerInput, save_answer
from tests.app.test_document_metadata import PERDA, SK, pdf_of
from tests.html import attrs, page, text_of, texts

OWN_A, OWN_B = "13.6", "13.5"  # DINKES, ordinary
SENSITIVE = "22A.2"  # DINKES among others, sensitive
DISDIK_CODE = "1.2h"


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


def _upload(client, world, token, content: bytes, name: str = "perda.pdf"):
    return client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                       files={"file": (name, content, "application/pdf")}, follow_redirects=False)


def _document(db, **where) -> Document:
    db.expire_all()
    query = select(Document)
    for key, value in where.items():
        query = query.where(getattr(Document, key) == value)
    return db.exec(query).one()


@pytest.fixture
def opd(make_client, auth, world):
    return _client(make_client, auth, "opd_a")


@pytest.fixture
def uploaded(opd, world, db):
    client, token = opd
    response = _upload(client, world, token, pdf_of(PERDA))
    assert response.status_code == 303, response.text
    document = _document(db, filename="perda.pdf")
    return client, token, document


def _data(**fields):
    base = {"kind": "perda", "title": "Penyelenggaraan Kabupaten Layak Anak", "number": "Nomor 5 Tahun 2021",
            "issued_on": "", "year": "2021", "issuer": "Bupati Kapuas", "valid_until": ""}
    base.update(fields)
    return base


def test_upload_reads_the_metadata_from_the_file(uploaded, world, db):
    client, _token, document = uploaded
    assert document.kind == "perda"
    assert document.number == "Nomor 5 Tahun 2021"
    assert document.year == 2021
    assert document.issuer == "Bupati Kapuas"
    assert document.title == "Penyelenggaraan Kabupaten Layak Anak"
    assert document.extracted["kind"] == "perda"
    assert document.agency_id == world.agencies["dinkes_a"].id
    tree = page(client.get(f"{world.base()}/dokumen/{document.id}"))
    assert text_of(tree, "//h1") == "Penyelenggaraan Kabupaten Layak Anak"
    assert "Nomor 5 Tahun 2021" in text_of(tree, "//*[contains(@class,'read-from-file')]")
    assert attrs(tree, "//input[@name='number']/@value") == ["Nomor 5 Tahun 2021"]
    listing = page(client.get(f"{world.base()}/dokumen"))
    assert texts(listing, "//tr[@class='document']/td[@class='name']/a") == ["Penyelenggaraan Kabupaten Layak Anak"]


def test_the_same_file_uploaded_again_is_the_same_document_and_audited_once(uploaded, world, db):
    client, token, document = uploaded
    again = _upload(client, world, token, pdf_of(PERDA), name="perda-lagi.pdf")
    assert again.status_code == 303 and again.headers["location"].endswith(f"/dokumen/{document.id}")
    db.expire_all()
    assert len(db.exec(select(Document).where(Document.sha256 == document.sha256)).all()) == 1
    uploads = db.exec(select(AuditEntry).where(AuditEntry.action == "document.upload",
                                               AuditEntry.entity_id == str(document.id))).all()
    assert len(uploads) == 1


def test_edit_metadata_is_validated_audited_and_idempotent(uploaded, world, db):
    client, token, document = uploaded
    url = f"{world.base()}/dokumen/{document.id}/data"
    for fields, words in ((dict(year="20x4"), "four digits"), (dict(year="1800"), "between"),
                          (dict(issued_on="31-02-2021"), "not a date"),
                          (dict(issued_on="12-01-2021", valid_until="01-01-2020"), "must come after"),
                          (dict(issued_on="12-01-2021", year="2020"), "disagree"), (dict(kind="novel"), "kind")):
        response = client.post(url, data={**_data(**fields), "csrf_token": token})
        assert response.status_code == 422, fields
        assert words in text_of(page(response), "//*[@role='alert']"), fields
    for _ in range(2):  # the same form twice: one change, one audit entry
        response = client.post(url, data={**_data(issued_on="12-01-2021", year="", title="Perda KLA"),
                                          "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
    db.expire_all()
    document = db.get(Document, document.id)
    assert document.title == "Perda KLA" and document.year == 2021 and str(document.issued_on) == "2021-01-12"
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "document.update")).all()) == 1
    assert "Nothing changed" in text_of(page(client.get(f"{world.base()}/dokumen/{document.id}")),
                                        "//*[@role='status']")


def test_link_to_two_questions_at_once_then_unlink(uploaded, world, db):
    client, token, document = uploaded
    url = f"{world.base()}/dokumen/{document.id}/tautkan"
    for _ in range(2):  # a double post links once
        response = client.post(url, data={"codes": [OWN_A, OWN_B], "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
    db.expire_all()
    links = db.exec(select(Evidence).where(Evidence.document_id == document.id)).all()
    assert len(links) == 2 and all(e.removed_at is None for e in links)
    tree = page(client.get(f"{world.base()}/dokumen/{document.id}"))
    assert texts(tree, "//ul[@class='document-links']/li/a") == [OWN_B, OWN_A]  # catalogue order
    listing = page(client.get(f"{world.base()}/dokumen"))
    assert text_of(listing, "//td[contains(@class,'links')]/span[@class='count']") == "2"
    # The card names the document by its title, with a link to its page.
    card = page(client.get(f"{world.base()}/isian/{OWN_A}"))
    assert "Penyelenggaraan Kabupaten Layak Anak" in text_of(card, "//ul[@class='files']")
    assert attrs(card, "//a[contains(@class,'document-data')]/@href") == [f"{world.base()}/dokumen/{document.id}"]
    # Unlink one: removed as on the card (the row stays), twice changes nothing.
    first = next(e for e in links if db.get(Answer, e.answer_id).question_code == OWN_A)
    for _ in range(2):
        response = client.post(f"{world.base()}/dokumen/{document.id}/lepas/{first.id}",
                               data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
    db.expire_all()
    assert db.get(Evidence, first.id).removed_at is not None
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.remove")).all()) == 1
    # A question of another agency is no question of this user's.
    response = client.post(url, data={"codes": [DISDIK_CODE], "csrf_token": token})
    assert response.status_code == 404


def test_search_by_kind_year_and_text(opd, world, db):
    client, token = opd
    assert _upload(client, world, token, pdf_of(PERDA), "perda.pdf").status_code == 303
    assert _upload(client, world, token, pdf_of(SK), "sk.pdf").status_code == 303
    base = f"{world.base()}/dokumen"

    def found(**params):
        return texts(page(client.get(base, params=params)), "//tr[@class='document']//span[contains(@class,'file')]")

    assert sorted(found()) == ["perda.pdf", "sk.pdf"]
    assert found(jenis="sk") == ["sk.pdf"]
    assert found(tahun="2021") == ["perda.pdf"]
    assert found(cari="puspaga") == ["sk.pdf"]
    assert found(cari="188.45") == ["sk.pdf"]
    assert found(cari="tidak ada") == []
    assert sorted(found(jenis="<script>", tahun="x" * 50)) == ["perda.pdf", "sk.pdf"]  # odd filters: none
    assert found(cari="%" * 300) == []


def test_who_sees_which_document(uploaded, world, db, app, make_client, auth, password_hash, scorer):
    client, token, document = uploaded
    disdik = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code == "DISDIK")).one()
    db.add(User(username="opd_disdik", full_name="Disdik", password_hash=password_hash, role=Role.OPD,
                regency_code=world.regency_a.code, agency_id=disdik.id))
    # A sensitive file of the DP3A on 22A.2.
    dp3a = db.exec(select(User).where(User.username == "dp3a_a")).one()
    save_answer(db, world.assessments["a"], SENSITIVE, AnswerInput(note="uji"), 0, dp3a, scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == SENSITIVE)).one()
    stored = app.state.evidence.save_file(io.BytesIO(pdf_of(SK + ["visum anak"])))
    evidence_service.attach(db, world.assessments["a"], answer, stored, "visum-anak.pdf", dp3a)
    db.commit()
    secret = _document(db, filename="visum-anak.pdf")
    doc_url, secret_url = f"{world.base()}/dokumen/{document.id}", f"{world.base()}/dokumen/{secret.id}"

    # The focal point of Dinkes: its own unlinked upload, never the sensitive one.
    names = texts(page(client.get(f"{world.base()}/dokumen")), "//tr[@class='document']//span[contains(@class,'file')]")
    assert names == ["perda.pdf"]
    for url in (secret_url, f"{secret_url}/berkas"):
        assert client.get(url).status_code == 404
    assert client.post(f"{secret_url}/data", data={**_data(), "csrf_token": token}).status_code == 404
    assert client.get(f"{doc_url}/berkas").status_code == 200
    # Another agency's focal point sees neither.
    other, other_token = _client(make_client, auth, "opd_disdik")
    assert texts(page(other.get(f"{world.base()}/dokumen")), "//tr[@class='document']") == []
    assert other.get(doc_url).status_code == 404
    assert other.post(f"{doc_url}/tautkan", data={"codes": [DISDIK_CODE], "csrf_token": other_token}).status_code == 404
    # The DP3A sees both; the sensitive one cannot go onto an ordinary question.
    boss, boss_token = _client(make_client, auth, "dp3a_a")
    assert sorted(texts(page(boss.get(f"{world.base()}/dokumen")), "//tr[@class='document']//span[contains(@class,'file')]")) \
        == ["perda.pdf", "visum-anak.pdf"]
    response = boss.post(f"{secret_url}/tautkan", data={"codes": [OWN_A], "csrf_token": boss_token})
    assert response.status_code == 422
    assert db.exec(select(Evidence).where(Evidence.document_id == secret.id)).all().__len__() == 1
    # Unlinking names an evidence id: a sensitive link, or a link of another document, is no link here.
    secret_link = db.exec(select(Evidence).where(Evidence.document_id == secret.id)).one()
    for url in (f"{secret_url}/lepas/{secret_link.id}", f"{doc_url}/lepas/{secret_link.id}"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert boss.post(f"{doc_url}/lepas/{secret_link.id}", data={"csrf_token": boss_token}).status_code == 404
    db.expire_all()
    assert db.get(Evidence, secret_link.id).removed_at is None
    # Another kab/kota: its DP3A is refused here, and A's document is no document of B's.
    outsider, _t = _client(make_client, auth, "dp3a_b")
    assert outsider.get(f"{world.base()}/dokumen").status_code == 403
    assert outsider.get(f"{world.base('b')}/dokumen/{document.id}").status_code == 404


def test_a_published_year_is_frozen(uploaded, world, db):
    client, token, document = uploaded
    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle.published_at = utcnow()
    cycle.published_by = db.exec(select(User).where(User.username == "admin")).one().id
    db.add(cycle)
    db.commit()
    url = f"{world.base()}/dokumen/{document.id}"
    assert client.post(f"{url}/data", data={**_data(title="Baru"), "csrf_token": token}).status_code == 409
    assert client.post(f"{url}/tautkan", data={"codes": [OWN_A], "csrf_token": token}).status_code == 409
    assert _upload(client, world, token, pdf_of(SK), "sk.pdf").status_code == 409
    tree = page(client.get(url))
    assert not tree.xpath("//form[contains(@class,'document-data')]")
    db.expire_all()
    assert db.get(Document, document.id).title != "Baru"


def test_reuse_on_the_card_names_documents_by_title(uploaded, world, db):
    client, token, document = uploaded
    client.post(f"{world.base()}/dokumen/{document.id}/tautkan", data={"codes": [OWN_A], "csrf_token": token})
    card = page(client.get(f"{world.base()}/isian/{OWN_B}"))
    assert "Penyelenggaraan Kabupaten Layak Anak" in texts(card, "//form[contains(@class,'reuse')]//option")[1]
    evidence_id = attrs(card, "//form[contains(@class,'reuse')]//option[@value!='']/@value")[0]
    response = client.post(f"{world.base()}/isian/{OWN_B}/bukti-pakai", data={"evidence_id": evidence_id},
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 200
    db.expire_all()
    assert len(db.exec(select(Evidence).where(Evidence.document_id == document.id)).all()) == 2


def test_upload_on_the_card_shows_what_was_read(opd, world, db):
    client, token = opd
    response = client.post(f"{world.base()}/isian/{OWN_A}/bukti", files=[("files", ("sk.pdf", pdf_of(SK), "application/pdf"))],
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 200, response.text
    document = _document(db, filename="sk.pdf")
    assert document.number == "188.45/123/DP3A/2024"
    tree = page(response)
    assert "188.45/123/DP3A/2024" in text_of(tree, "//*[contains(@class,'read-from-file')]")
    assert attrs(tree, "//*[contains(@class,'read-from-file')]//a/@href") == [f"{world.base()}/dokumen/{document.id}"]
