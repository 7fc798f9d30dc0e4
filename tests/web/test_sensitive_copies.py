"""Regressions of issue 19 item 1: sensitive Klaster V files reached agencies through copies.

Each test replays one hole the audit found (an agency reusing a sensitive file onto an ordinary
question and opening it; detaching a guessed id and reading the name from the message; the DP3A
attaching a sensitive file to an ordinary question; copies left behind by the hole; the same bytes
uploaded again; carry-over) and checks it stays closed. The matrix is in test_evidence_access.py.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from lxml import html
from sqlmodel import select

from app.exports.common import COL
from app.models import Answer, AuditEntry, Evidence, User
from app.services import cycles as cycle_service
from app.services import evidence as evidence_service
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from scoring.samples import best_answer

PLAIN, SENSITIVE = "13.6", "22A.2"  # both answered by Dinkes (opd_a); 22A.2 is sensitive
SECRET_NAME = "visum-anak-budi.pdf"
SECRET_BYTES = sample_pdf("Visum et repertum", "rahasia")


def _user(db, username: str) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _answer(db, world, scorer, code: str, username: str = "dp3a_a") -> Answer:
    save_answer(db, world.assessments["a"], code, AnswerInput(note="uji"), 0, _user(db, username), scorer)
    db.commit()
    return db.exec(select(Answer).where(Answer.assessment_id == world.assessments["a"].id,
                                        Answer.question_code == code)).one()


@pytest.fixture
def secret(world, db, scorer, app):
    """The DP3A's sensitive file on 22A.2."""
    stored = app.state.evidence.save_file(io.BytesIO(SECRET_BYTES))
    evidence = evidence_service.attach(db, world.assessments["a"], _answer(db, world, scorer, SENSITIVE), stored,
                                       SECRET_NAME, _user(db, "dp3a_a"))
    db.commit()
    return evidence


def _text(response) -> str:
    return html.fromstring(response.text).text_content() if response.text.strip() else ""


def _hx(token: str) -> dict:
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _on(db, world, code: str) -> list[Evidence]:
    return list(db.exec(select(Evidence).join(Answer, Answer.id == Evidence.answer_id).where(
        Answer.assessment_id == world.assessments["a"].id, Answer.question_code == code)))


def _rekap_files(client, world, code: str) -> str:
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{world.base()}/ekspor.xlsx").content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            if row[COL["Kode Pertanyaan"] - 1].value == code:
                return str(row[COL["Bukti Dukung"] - 1].value or "")
    raise AssertionError(f"{code} not in the rekap")


def test_an_agency_cannot_copy_a_sensitive_file_onto_its_ordinary_question(make_client, auth, world, db, secret):
    agency, dp3a = make_client(), make_client()
    token = auth.login(agency, "opd_a")  # Dinkes shares the sensitive 22A.2 with the DP3A
    copied = agency.post(f"{world.base()}/isian/{PLAIN}/bukti-pakai", data={"evidence_id": str(secret.id)},
                         headers=_hx(token))
    missing = agency.post(f"{world.base()}/isian/{PLAIN}/bukti-pakai", data={"evidence_id": "987654"},
                          headers=_hx(token))
    assert copied.status_code == 404 and _text(copied) == _text(missing)
    assert SECRET_NAME not in copied.text
    for row in _on(db, world, PLAIN):  # had it been copied, the agency could now download it
        assert agency.get(f"{world.base()}/bukti/{row.id}").status_code == 404
    assert _on(db, world, PLAIN) == []
    history = agency.get(f"{world.base()}/riwayat/{PLAIN}")
    assert history.status_code == 200 and SECRET_NAME not in _text(history)
    auth.login(dp3a, "dp3a_a")
    assert SECRET_NAME not in _rekap_files(dp3a, world, PLAIN)


def test_the_dp3a_is_told_a_sensitive_file_stays_off_ordinary_questions(make_client, auth, world, db, secret):
    dp3a, agency = make_client(), make_client()
    token = auth.login(dp3a, "dp3a_a")
    copied = dp3a.post(f"{world.base()}/isian/{PLAIN}/bukti-pakai", data={"evidence_id": str(secret.id)},
                       headers=_hx(token))
    assert copied.status_code == 422
    assert "tidak dapat dilampirkan pada pertanyaan yang tidak sensitif" in _text(copied)
    assert SECRET_NAME not in copied.text
    assert _on(db, world, PLAIN) == []
    auth.login(agency, "opd_a")
    card = agency.get(f"{world.base()}/isian/{PLAIN}", headers={"HX-Request": "true"})
    assert card.status_code == 200 and SECRET_NAME not in card.text
    # Onto another sensitive question it may go.
    onto = dp3a.post(f"{world.base()}/isian/22A.1/bukti-pakai", data={"evidence_id": str(secret.id)},
                     headers=_hx(token))
    assert onto.status_code == 200 and len(_on(db, world, "22A.1")) == 1


def test_detaching_a_guessed_sensitive_id_is_no_such_file_and_names_nothing(make_client, auth, world, db, secret):
    agency = make_client()
    token = auth.login(agency, "opd_a")
    detached = agency.post(f"{world.base()}/isian/{SENSITIVE}/bukti/{secret.id}/hapus", headers=_hx(token))
    missing = agency.post(f"{world.base()}/isian/{SENSITIVE}/bukti/987654/hapus", headers=_hx(token))
    assert detached.status_code == missing.status_code == 404
    assert _text(detached) == _text(missing) and SECRET_NAME not in detached.text
    assert "Berkas bukti tidak ditemukan" in _text(detached)
    db.refresh(secret)
    assert secret.removed_at is None
    assert not db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.remove")).all()


def test_a_copy_the_hole_left_on_an_ordinary_question_stays_closed(make_client, auth, world, db, scorer, secret):
    """Copies made before the fix: the content decides, not only the question it now sits on."""
    copy = evidence_service.reuse(db, world.assessments["a"], _answer(db, world, scorer, PLAIN), secret,
                                  _user(db, "opd_a"))
    db.commit()
    agency, dp3a = make_client(), make_client()
    token = auth.login(agency, "opd_a")
    card = agency.get(f"{world.base()}/isian/{PLAIN}", headers={"HX-Request": "true"})
    page = html.fromstring(card.text)
    assert SECRET_NAME not in card.text
    assert "1 berkas di sini hanya dapat dibuka oleh DP3A dan verifikator" in page.text_content()
    assert agency.get(f"{world.base()}/bukti/{copy.id}").status_code == 404
    history = agency.get(f"{world.base()}/riwayat/{PLAIN}")
    assert SECRET_NAME not in _text(history) and "(disembunyikan: sensitif)" in _text(history)
    other = agency.get(f"{world.base()}/isian/1.2l", headers={"HX-Request": "true"})
    assert SECRET_NAME not in other.text  # never offered for reuse
    again = agency.post(f"{world.base()}/isian/1.2l/bukti-pakai", data={"evidence_id": str(copy.id)},
                        headers=_hx(token))
    assert again.status_code == 404 and _on(db, world, "1.2l") == []
    # The DP3A opens it, and the opening is logged as for the original.
    auth.login(dp3a, "dp3a_a")
    for url in (f"{world.base()}/bukti/{copy.id}", f"{world.base()}/verifikasi-bukti/{copy.id}"):
        assert dp3a.get(url).content == SECRET_BYTES
    opened = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.download",
                                              AuditEntry.entity_id == str(copy.id))).all()
    assert len(opened) == 2 and {e.user_id for e in opened} == {_user(db, "dp3a_a").id}
    review = html.fromstring(dp3a.get(f"{world.base()}/verifikasi/{PLAIN}").text)
    assert review.xpath('//p[contains(@class, "sensitive-note")]')  # the reviewer is told it is logged


def test_the_same_bytes_cannot_be_uploaded_onto_an_ordinary_question(make_client, auth, world, db, secret):
    agency = make_client()
    token = auth.login(agency, "opd_a")
    uploaded = agency.post(f"{world.base()}/isian/{PLAIN}/bukti", headers=_hx(token),
                           files={"files": ("laporan.pdf", io.BytesIO(SECRET_BYTES), "application/pdf")})
    assert uploaded.status_code == 422
    assert "laporan.pdf: Berkas dari pertanyaan sensitif" in _text(uploaded)
    assert SECRET_NAME not in uploaded.text and _on(db, world, PLAIN) == []


def test_an_ordinary_file_stays_open_when_it_is_also_attached_to_a_sensitive_question(
    make_client, auth, world, db, scorer, app
):
    """Not a hole, the other side of the rule: content that entered on an ordinary question is not
    hidden from its agencies because it was attached to a sensitive question as well."""
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("SK Gugus Tugas", "2024")))
    plain = evidence_service.attach(db, world.assessments["a"], _answer(db, world, scorer, PLAIN, "opd_a"), stored,
                                    "sk-gugus-tugas.pdf", _user(db, "opd_a"))
    db.commit()
    agency = make_client()
    token = auth.login(agency, "opd_a")
    onto = agency.post(f"{world.base()}/isian/{SENSITIVE}/bukti-pakai", data={"evidence_id": str(plain.id)},
                       headers=_hx(token))
    assert onto.status_code == 200 and len(_on(db, world, SENSITIVE)) == 1
    assert agency.get(f"{world.base()}/bukti/{plain.id}").status_code == 200
    sensitive_copy = _on(db, world, SENSITIVE)[0]
    assert agency.get(f"{world.base()}/bukti/{sensitive_copy.id}").status_code == 404


def test_carry_over_leaves_sensitive_files_off_ordinary_questions(client, auth, world, db, scorer, catalogue, app):
    """An instrument change may map a sensitive question onto an ordinary one: the answer goes, the file stays."""
    old = _answer(db, world, scorer, SENSITIVE)
    best = best_answer(scorer, SENSITIVE)
    save_answer(db, world.assessments["a"], SENSITIVE, AnswerInput(option=best.option, value=best.value, note="lama"),
                old.version, _user(db, "dp3a_a"), scorer)
    stored = app.state.evidence.save_file(io.BytesIO(SECRET_BYTES))
    evidence_service.attach(db, world.assessments["a"], old, stored, SECRET_NAME, _user(db, "dp3a_a"))
    db.commit()
    target = "13.5"  # ordinary, Dinkes, the same answer scale as 22A.2
    assert catalogue.questions[target].question.scale == catalogue.questions[SENSITIVE].question.scale
    cycle_service.open_cycle(db, catalogue, world.year + 1, from_year=world.year, mapping={SENSITIVE: target})
    db.commit()
    token = auth.login(client, "dp3a_a")
    url = f"/r/{world.regency_a.code}/{world.year + 1}/bawa"
    response = client.post(url, data={"decision": "accept_all", "csrf_token": token})
    assert response.status_code == 200
    assert "1 berkas dari pertanyaan sensitif tidak disalin" in _text(response)
    new = db.exec(select(Answer).where(Answer.question_code == target, Answer.note == "lama")).one()
    assert db.exec(select(Evidence).where(Evidence.answer_id == new.id)).all() == []


def test_a_file_put_on_a_sensitive_question_by_mistake_is_released_by_removing_it(make_client, auth, world, db):
    """An agency's Perda uploaded to 22A.2 first made those bytes sensitive for good: nobody could
    attach the Perda to an ordinary question again. Removing it from the sensitive question
    releases it; while it is there, it stays off ordinary questions."""
    perda = sample_pdf("Perda Kota Layak Anak", "umum")
    agency, dp3a = make_client(), make_client()
    agency_token, dp3a_token = auth.login(agency, "opd_a"), auth.login(dp3a, "dp3a_a")
    upload = {"files": ("perda.pdf", perda, "application/pdf")}
    assert agency.post(f"{world.base()}/isian/{SENSITIVE}/bukti", files=upload,
                       headers=_hx(agency_token)).status_code == 200
    refused = dp3a.post(f"{world.base()}/isian/{PLAIN}/bukti", files=upload, headers=_hx(dp3a_token))
    assert refused.status_code == 422 and _on(db, world, PLAIN) == []
    mistake = _on(db, world, SENSITIVE)[0]
    assert dp3a.post(f"{world.base()}/isian/{SENSITIVE}/bukti/{mistake.id}/hapus",
                     headers=_hx(dp3a_token)).status_code == 200
    accepted = dp3a.post(f"{world.base()}/isian/{PLAIN}/bukti", files=upload, headers=_hx(dp3a_token))
    assert accepted.status_code == 200
    assert [e.filename for e in _on(db, world, PLAIN)] == ["perda.pdf"]


def test_files_of_a_question_the_instrument_no_longer_knows_stay_closed_to_agencies(
        make_client, auth, world, db, app):
    """A retired question's files (an older instrument's code) may hold anything: agencies do not
    open them, the DP3A does (and its opening is logged like a sensitive file's)."""
    from app.models import Assignment

    assessment = world.assessments["a"]
    db.add(Assignment(assessment_id=assessment.id, question_code="22X.9", agency_id=_user(db, "opd_a").agency_id))
    answer = Answer(assessment_id=assessment.id, question_code="22X.9", updated_by=_user(db, "dp3a_a").id)
    db.add(answer)
    db.flush()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("Visum", "lama")))
    old = evidence_service.attach(db, assessment, answer, stored, "visum-lama.pdf", _user(db, "dp3a_a"))
    db.commit()
    agency, dp3a = make_client(), make_client()
    auth.login(agency, "opd_a")
    auth.login(dp3a, "dp3a_a")
    assert agency.get(f"{world.base()}/bukti/{old.id}").status_code == 404
    assert dp3a.get(f"{world.base()}/bukti/{old.id}").status_code == 200
    opened = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.download",
                                              AuditEntry.entity_id == str(old.id))).all()
    assert len(opened) == 1


def test_an_agency_is_told_whom_to_ask_about_a_sensitive_file_added_by_mistake(make_client, auth, world):
    agency, dp3a = make_client(), make_client()
    auth.login(agency, "opd_a")
    auth.login(dp3a, "dp3a_a")

    def note(client) -> str:
        page = html.fromstring(client.get(f"{world.base()}/isian/{SENSITIVE}").text)
        return page.xpath('string(//p[contains(@class, "sensitive-note")])')

    assert "hubungi DP3A Anda" in note(agency)
    assert "hubungi DP3A Anda" not in note(dp3a)  # the DP3A removes files itself
