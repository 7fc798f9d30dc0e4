"""Issue 20, broken workflows: a province return reaches the kab/kota (item 1), an upload on a
returned answer keeps it editable until the focal point submits it (item 2), and an answer has one
open reopening at most, opened with a note (item 3). Pages are read with lxml."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from lxml import html as lxml_html
from sqlmodel import select

from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    AuditEntry,
    Evidence,
    Reopening,
    ReviewEvent,
    User,
    utcnow,
)
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from app.services.demo import sample_pdf
from app.services.evidence import attach
from app.templating import dom_id
from scoring.samples import best_answer
from tests import html

NOTE = "Lampirkan SK yang ditandatangani bupati"


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _codes(catalogue, n):
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0][:n]


def _answered(db, app, world, scorer, codes, *, stage="self") -> list[Answer]:
    """A's Dinkes answers `codes` (best answer, a PDF each) and submits them; the assessment is then
    put at `stage` (as if its DP3A had handed it over)."""
    opd, assessment = _user(db, "opd_a"), world.assessments["a"]
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value, note="catatan"), 0, opd,
                    scorer)
    answers = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                           Answer.question_code.in_(codes))).all()
    for answer in answers:
        attach(db, assessment, answer, app.state.evidence.save_file(io.BytesIO(sample_pdf(answer.question_code, "x"))),
               f"{answer.question_code}.pdf", opd)
    db.commit()
    submit(db, assessment, answers, opd)
    db.commit()
    if stage != "self":
        row = db.get(Assessment, assessment.id)
        row.stage = stage
        db.add(row)
        db.commit()
    return answers


def _page(response):
    return lxml_html.fromstring(response.text)


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _queue_row(page, code):
    rows = page.xpath(f"//table[contains(@class,'queue')]//tr[.//a[normalize-space()='{code}']]")
    return rows[0] if rows else None


def _return(client, token, base, code, note=NOTE, reasons=("tidak_lengkap",)):
    return client.post(f"{base}/verifikasi/{code}", data={"action": "returned", "reasons": list(reasons),
                                                          "note": note, "csrf_token": token}, follow_redirects=False)


def _hx(token):
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _windows(db, answer) -> list[Reopening]:
    db.expire_all()
    return db.exec(select(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(utcnow()))).all()


# -- item 1: a province return reaches the kab/kota ----------------------------------------------------


def test_a_province_return_marks_the_answer_returned_and_opens_one_window(db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    province, assessment = _user(db, "province"), world.assessments["a"]
    for _ in range(2):  # a double click writes one decision and opens one window
        review_service.decide(db, assessment, answer, "province", "returned", province, reasons=["tidak_lengkap"],
                              note=NOTE)
        db.commit()
    assert answer.status == AnswerStatus.RETURNED
    [window] = _windows(db, answer)
    assert window.note == NOTE and window.stage == "province"
    assert timedelta(hours=47) < window.until - utcnow() <= timedelta(hours=review_service.REOPEN_HOURS)
    assert len(db.exec(select(ReviewEvent).where(ReviewEvent.action == "returned")).all()) == 1


def test_a_dp3a_return_opens_no_window(db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1))
    review_service.decide(db, world.assessments["a"], answer, "dp3a", "returned", _user(db, "dp3a_a"),
                          reasons=["tidak_lengkap"], note=NOTE)
    db.commit()
    assert answer.status == AnswerStatus.RETURNED and _windows(db, answer) == []


def test_the_kabkota_sees_a_province_return_fixes_it_and_sends_it_back(make_client, auth, db, app, world, scorer, catalogue):
    codes = _codes(catalogue, 2)
    answers = {a.question_code: a for a in _answered(db, app, world, scorer, codes, stage="province")}
    code, other = codes
    province, opd, dp3a = make_client(), make_client(), make_client()
    province_token, opd_token = auth.login(province, "province"), auth.login(opd, "opd_a")
    auth.login(dp3a, "dp3a_a")
    base = world.base()
    assert _return(province, province_token, base, code).status_code == 303
    reason = next(r for r in catalogue.review_reasons if r.code == "tidak_lengkap")

    # "Perlu perhatian Anda": once, returned by the province, with the reason, the note and the deadline.
    notices = _page(opd.get(f"{base}/isian")).xpath("//section[@class='notices']//li")
    assert len(notices) == 1 and notices[0].get("id") == f"notice-{dom_id(code)}"
    text = _text(notices[0])
    assert "Dikembalikan provinsi" in text and reason.name in text and NOTE in text and "kirim sebelum" in text
    # The card: returned, why, editable and with its submit button; the row's badge says returned.
    card = _page(opd.get(f"{base}/isian/{code}", headers={"HX-Request": "true"}))
    assert "Dikembalikan provinsi" in _text(card.xpath("//*[contains(@class,'returned-note')]")[0])
    assert card.xpath("//form[contains(@class,'answer')]") and card.xpath("//form[@class='submit-one']")
    assert opd.post(f"{base}/isian/{other}", data={"version": "2", "note": "x"},
                    headers=_hx(opd_token)).status_code == 409  # only what was returned opens
    # The DP3A's queue shows it returned by the province, with the reason and the note.
    row = _queue_row(_page(dp3a.get(f"{base}/verifikasi?status=returned")), code)
    assert row is not None and "Dikembalikan provinsi" in _text(row) and NOTE in _text(row)
    # The province does not see it as changed while the kab/kota is still fixing it.
    assert _queue_row(_page(province.get(f"{base}/verifikasi")), code) is None

    answer = answers[code]
    db.refresh(answer)
    saved = opd.post(f"{base}/isian/{code}", data={"version": str(answer.version), "note": "SK terlampir",
                                                   "option": answer.option or "",
                                                   "value": "" if answer.value is None else str(answer.value)},
                     headers=_hx(opd_token))
    assert saved.status_code == 200, saved.text
    sent = opd.post(f"{base}/isian/{code}/kirim", headers=_hx(opd_token))
    assert sent.status_code == 200, sent.text
    db.refresh(answer)
    assert answer.status == AnswerStatus.SUBMITTED and _windows(db, answer) == []  # the fix ends the window
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "answer.handed_back")).all()
    # Back in the province's queue, as changed; no longer returned in the DP3A's; nothing left to do for the OPD.
    row = _queue_row(_page(province.get(f"{base}/verifikasi")), code)
    assert row is not None and "berubah sejak diputuskan" in _text(row)
    row = _queue_row(_page(dp3a.get(f"{base}/verifikasi?status=all")), code)
    assert "Dikembalikan provinsi" not in _text(row)
    assert not _page(opd.get(f"{base}/isian")).xpath("//section[@class='notices']")
    # The history names the hand-back and the window's deadline in words and WIB, no raw keys.
    history = _text(_page(dp3a.get(f"{base}/riwayat/{code}")))
    assert "Perbaikan diserahkan kembali ke verifikator" in history and "Terbuka untuk kab/kota sampai" in history
    assert "answer.handed_back" not in history and "reopened_until" not in history and "+00:00" not in history


def test_after_its_window_ends_a_returned_answer_is_read_only_until_reopened(make_client, auth, db, app, world, scorer,
                                                                             catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    code, base = answer.question_code, world.base()
    province, opd = make_client(), make_client()
    province_token, opd_token = auth.login(province, "province"), auth.login(opd, "opd_a")
    assert _return(province, province_token, base, code).status_code == 303
    [window] = _windows(db, answer)
    window.until = utcnow() - timedelta(minutes=1)
    db.add(window)
    db.commit()
    card = _page(opd.get(f"{base}/isian/{code}", headers={"HX-Request": "true"}))
    assert not card.xpath("//form[contains(@class,'answer')]") and not card.xpath("//form[@class='submit-one']")
    assert "Waktu perbaikan sudah berakhir" in _text(card.xpath("//*[contains(@class,'returned-note')]")[0])
    # The province reopens it (the form is back once no window is open): editable again.
    assert _page(province.get(f"{base}/verifikasi/{code}")).xpath("//form[contains(@action,'/buka')]")
    assert province.post(f"{base}/verifikasi/{code}/buka", data={"hours": "24", "note": NOTE,
                                                                 "csrf_token": province_token},
                         follow_redirects=False).status_code == 303
    card = _page(opd.get(f"{base}/isian/{code}", headers={"HX-Request": "true"}))
    assert card.xpath("//form[contains(@class,'answer')]") and card.xpath("//form[@class='submit-one']")
    assert opd.post(f"{base}/isian/{code}/kirim", headers=_hx(opd_token)).status_code == 200


# -- item 2: files on a returned answer keep it returned ------------------------------------------------


def test_upload_reuse_and_removal_keep_a_returned_answer_editable_until_submitted(make_client, auth, db, app, world,
                                                                                   scorer, catalogue):
    codes = _codes(catalogue, 2)
    answers = {a.question_code: a for a in _answered(db, app, world, scorer, codes)}
    code, source_code = codes
    dp3a, opd = make_client(), make_client()
    dp3a_token, opd_token = auth.login(dp3a, "dp3a_a"), auth.login(opd, "opd_a")
    base = world.base()
    assert _return(dp3a, dp3a_token, base, code).status_code == 303
    answer = answers[code]

    upload = opd.post(f"{base}/isian/{code}/bukti", headers=_hx(opd_token),
                      files={"files": ("sk-baru.pdf", io.BytesIO(sample_pdf("SK", "baru")), "application/pdf")})
    assert upload.status_code == 200 and "HX-Retarget" not in upload.headers
    source = db.exec(select(Answer).where(Answer.question_code == source_code)).one()
    source_file = db.exec(select(Evidence).where(Evidence.answer_id == source.id)).first()
    reuse = opd.post(f"{base}/isian/{code}/bukti-pakai", data={"evidence_id": str(source_file.id)},
                     headers=_hx(opd_token))
    assert reuse.status_code == 200 and "HX-Retarget" not in reuse.headers
    first = db.exec(select(Evidence).where(Evidence.answer_id == answer.id).order_by(Evidence.id)).first()
    removed = opd.post(f"{base}/isian/{code}/bukti/{first.id}/hapus", headers=_hx(opd_token))
    assert removed.status_code == 200
    db.refresh(answer)
    assert answer.status == AnswerStatus.RETURNED
    assert [e.action for e in db.exec(select(ReviewEvent).where(ReviewEvent.answer_id == answer.id)
                                      .order_by(ReviewEvent.id))] == ["submitted", "returned"]
    # The answer and the note can still be fixed, and the DP3A does not see it as sent back yet.
    card = _page(opd.get(f"{base}/isian/{code}", headers={"HX-Request": "true"}))
    assert card.xpath("//form[contains(@class,'answer')]//textarea[@name='note']")
    assert card.xpath("//form[@class='submit-one']")
    saved = opd.post(f"{base}/isian/{code}", headers=_hx(opd_token), data={
        "version": str(answer.version), "note": "SK sudah ditandatangani", "option": answer.option or "",
        "value": "" if answer.value is None else str(answer.value)})
    assert saved.status_code == 200, saved.text
    row = _queue_row(_page(dp3a.get(f"{base}/verifikasi?status=all")), code)
    assert "berubah sejak diputuskan" not in _text(row)
    # The explicit submit sends it back.
    assert opd.post(f"{base}/isian/{code}/kirim", headers=_hx(opd_token)).status_code == 200
    db.refresh(answer)
    assert answer.status == AnswerStatus.SUBMITTED
    row = _queue_row(_page(dp3a.get(f"{base}/verifikasi")), code)
    assert row is not None and "berubah sejak diputuskan" in _text(row)


# -- item 3: one open reopening per answer, with a note -----------------------------------------------


def test_reopen_needs_a_note_and_opens_one_window_per_answer(db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="ministry")
    assessment = world.assessments["a"]
    province, admin = _user(db, "province"), db.exec(select(User).where(User.role == "admin")).first()
    # Handed on: the province's decisions (reopenings too) are locked; the ministry reopens now.
    with pytest.raises(review_service.ReviewError) as refused:
        review_service.reopen(db, assessment, answer, "province", province, note=NOTE)
    assert refused.value.code == "stage_closed"
    db.rollback()
    with pytest.raises(review_service.ReviewError) as refused:
        review_service.reopen(db, assessment, answer, "ministry", admin, note="  ")
    assert refused.value.code == "reopen_note_required"
    db.rollback()
    first, opened = review_service.reopen(db, assessment, answer, "ministry", admin, note=NOTE)
    db.commit()
    assert opened
    # The same stage again (even without a note): the window already open, nothing new.
    for note in ("lagi", ""):
        again, opened = review_service.reopen(db, assessment, answer, "ministry", admin, note=note)
        assert not opened and again.id == first.id
    db.commit()
    assert len(_windows(db, answer)) == 1
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "review.reopen")).all()) == 1


def test_the_reopen_form_refuses_an_empty_note_and_closes_once_open(make_client, auth, db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    code, base = answer.question_code, world.base()
    province = make_client()
    token = auth.login(province, "province")
    url = f"{base}/verifikasi/{code}/buka"
    refused = province.post(url, data={"hours": "12", "note": " ", "csrf_token": token})
    assert refused.status_code == 422
    page = _page(refused)
    assert "Tuliskan apa yang kurang" in _text(page.xpath("//*[@id='reopen-error']")[0])
    assert page.xpath("//input[@id='reopen-hours']/@value") == ["12"]  # what was typed stays
    assert _windows(db, answer) == []

    done = province.post(url, data={"hours": "48", "note": NOTE, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    page = _page(province.get(f"{base}/verifikasi/{code}"))
    assert not page.xpath("//form[contains(@action,'/buka')]")  # the form closed
    shown = _text(page.xpath("//*[@id='reopen-open']")[0])
    assert "Dibuka untuk kab/kota sampai" in shown and NOTE in shown
    # A stale form pressed again (no note): the same window, no second one, no second audit entry.
    again = province.post(url, data={"hours": "48", "note": "", "csrf_token": token})
    assert again.status_code == 200 and "sudah dibuka untuk kab/kota sampai" in html.text_of(html.page(again))
    assert len(_windows(db, answer)) == 1
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "review.reopen")).all()) == 1
    # The kab/kota sees the question once, with one deadline.
    opd = make_client()
    auth.login(opd, "opd_a")
    notices = _page(opd.get(f"{base}/isian")).xpath("//section[@class='notices']//li")
    assert [n.get("id") for n in notices] == [f"notice-{dom_id(code)}"]



def test_submit_all_leaves_out_returned_answers_nobody_fixed(make_client, auth, db, app, world, scorer, catalogue):
    """The walk-through: "Kirim semua" sent the five answers the DP3A had returned back as they were, and
    the DP3A's queue called them changed. Unfixed ones stay, named; a fixed one goes; one on its own card
    may still be sent back deliberately."""
    unfixed, fixed, deliberate = _codes(catalogue, 3)
    answers = {a.question_code: a for a in _answered(db, app, world, scorer, [unfixed, fixed, deliberate])}
    dp3a, opd = make_client(), make_client()
    dp3a_token, opd_token = auth.login(dp3a, "dp3a_a"), auth.login(opd, "opd_a")
    base = world.base()
    for code in answers:
        assert _return(dp3a, dp3a_token, base, code).status_code == 303
    answer = answers[fixed]
    db.refresh(answer)
    assert opd.post(f"{base}/isian/{fixed}", data={"version": str(answer.version), "note": "SK terlampir",
                                                   "option": answer.option or "",
                                                   "value": "" if answer.value is None else str(answer.value)},
                    headers=_hx(opd_token)).status_code == 200
    sent = opd.post(f"{base}/kirim-semua", headers=_hx(opd_token))
    assert sent.status_code == 200
    said = _text(lxml_html.fragment_fromstring(sent.text))
    assert "1 jawaban dikirim" in said and "2 jawaban yang dikembalikan tidak dikirim" in said
    db.expire_all()
    status = {code: db.get(Answer, a.id).status for code, a in answers.items()}
    assert status == {unfixed: AnswerStatus.RETURNED, fixed: AnswerStatus.SUBMITTED,
                      deliberate: AnswerStatus.RETURNED}
    # The page after the refresh names and links the two it left.
    page = _page(opd.get(f"{base}/isian"))
    linked = {a.text_content().strip() for a in page.xpath("//div[contains(@class,'flash-message')]//a")}
    assert {unfixed, deliberate} <= linked
    assert opd.post(f"{base}/isian/{deliberate}/kirim", headers=_hx(opd_token)).status_code == 200
    db.expire_all()
    assert db.get(Answer, answers[deliberate].id).status == AnswerStatus.SUBMITTED
