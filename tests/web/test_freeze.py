"""Issue 22: once the award list of a year is published (`Cycle.published_at`), its scores are final:
answers, files, decisions, reopenings and hand-overs are refused with one clear message, and the
question cards are read-only saying why. Pages read as parsed HTML, in English."""

from __future__ import annotations

import io

from sqlmodel import select

from app.models import Answer, Assessment, Cycle, Evidence, Reopening, ReviewEvent, User, utcnow
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring.samples import best_answer
from tests import html

FROZEN = "The award list of this year has been published: its scores are final."


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _setup(db, app, world, scorer, catalogue, *, stage: str, submitted: bool):
    """One answer of A's Dinkes, with a file; A at `stage`; then the year's award list published."""
    code = next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and r.question.max > 0)
    opd, assessment = _user(db, "opd_a"), world.assessments["a"]
    best = best_answer(scorer, code)
    save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value), 0, opd, scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    attach(db, assessment, answer, app.state.evidence.save_file(io.BytesIO(sample_pdf(code, "x"))), "sk.pdf", opd)
    if submitted:
        answer.status = "submitted"
        db.add(answer)
    row = db.get(Assessment, assessment.id)
    row.stage = stage
    db.add(row)
    cycle = db.get(Cycle, row.cycle_id)
    cycle.published_at = utcnow()
    cycle.published_by = _user(db, "admin").id
    db.add(cycle)
    db.commit()
    return code, answer


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


def _hx(token):
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def test_answers_and_files_are_final_once_published(make_client, auth, db, app, world, scorer, catalogue):
    code, answer = _setup(db, app, world, scorer, catalogue, stage="self", submitted=False)
    base = world.base()
    opd, token = _client(make_client, auth, "opd_a")
    best = best_answer(scorer, code)
    saved = opd.post(f"{base}/isian/{code}", headers=_hx(token), data={
        "version": str(answer.version), "note": "baru", "option": best.option or "",
        "value": "" if best.value is None else str(best.value)})
    assert saved.status_code == 409
    assert FROZEN in html.text_of(html.page(saved))
    submitted = opd.post(f"{base}/isian/{code}/kirim", headers=_hx(token))
    assert submitted.status_code == 422 and FROZEN in html.text_of(html.page(submitted))
    upload = opd.post(f"{base}/isian/{code}/bukti", headers=_hx(token),
                      files={"files": ("baru.pdf", io.BytesIO(sample_pdf("SK", "baru")), "application/pdf")})
    assert upload.status_code == 409 and FROZEN in html.text_of(html.page(upload))
    evidence = db.exec(select(Evidence).where(Evidence.answer_id == answer.id)).one()
    removed = opd.post(f"{base}/isian/{code}/bukti/{evidence.id}/hapus", headers=_hx(token))
    assert removed.status_code == 409 and FROZEN in html.text_of(html.page(removed))
    db.expire_all()
    assert db.get(Answer, answer.id).note != "baru"
    assert db.get(Evidence, evidence.id).removed_at is None
    assert len(db.exec(select(Evidence)).all()) == 1
    card = html.page(opd.get(f"{base}/isian/{code}", headers={"HX-Request": "true"}))
    assert not card.xpath("//form[contains(@class,'answer')]")
    assert FROZEN in html.text_of(card, "//p[@class='note']")
    # The list says it once at the top, instead of leaving each card to say it when opened.
    workspace = html.page(opd.get(f"{base}/isian"))
    assert FROZEN in html.text_of(workspace, "//p[@role='status']")


def test_decisions_and_reopenings_are_final_once_published(make_client, auth, db, app, world, scorer, catalogue):
    code, answer = _setup(db, app, world, scorer, catalogue, stage="ministry", submitted=True)
    base = world.base()
    admin, token = _client(make_client, auth, "admin")
    queue = html.page(admin.get(f"{base}/verifikasi?status=all"))
    assert FROZEN in html.text_of(queue, "//header//*[contains(@class,'frozen')]")
    assert not queue.xpath("//button[normalize-space()='Approve the selected answers']")
    detail = html.page(admin.get(f"{base}/verifikasi/{code}"))
    assert not detail.xpath("//section[@id='decision']//form")
    assert FROZEN in html.text_of(detail, "//section[@id='decision']")
    decided = admin.post(f"{base}/verifikasi/{code}", data={"action": "approved", "csrf_token": token},
                         follow_redirects=False)
    assert decided.status_code == 409
    assert FROZEN in html.text_of(html.page(decided), "//section[@id='decision']//*[@role='alert']")
    batch = admin.post(f"{base}/verifikasi-massal", data={"codes": [code], "csrf_token": token}, follow_redirects=False)
    assert batch.status_code == 303
    assert FROZEN in html.text_of(html.page(admin.get(batch.headers["location"])), "//*[@role='status']")
    reopened = admin.post(f"{base}/verifikasi/{code}/buka", data={"hours": "48", "note": "x", "csrf_token": token},
                          follow_redirects=False)
    assert reopened.status_code == 409
    sent = admin.post(f"{base}/kembalikan", data={"note": "alasan", "csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 409 and FROZEN in html.text_of(html.page(sent), "//*[@role='alert']")
    assert not db.exec(select(ReviewEvent).where(ReviewEvent.action == "approved")).all()
    assert not db.exec(select(Reopening)).all()
    db.expire_all()
    assert db.get(Assessment, world.assessments["a"].id).stage == "ministry"
