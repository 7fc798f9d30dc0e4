"""The review loop: DP3A checks, returns, approves; submission; the province verifies and reopens."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from sqlalchemy import event, text
from sqlmodel import select

from app.cli import main as cli
from app.models import Answer, AnswerStatus, AuditEntry, ReviewEvent, User
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring.samples import best_answer
from tests import html


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _answer_as(db, world, scorer, catalogue, username, codes, *, send=True, files=False, app=None):
    """Answer `codes` with their best option as `username`, optionally attach a PDF and submit."""
    user = _user(db, username)
    assessment = world.assessments["a"]
    for code in codes:
        best = best_answer(scorer, code)
        given = AnswerInput(option=best.option, value=best.value, note="catatan")
        save_answer(db, assessment, code, given, 0, user, scorer)
    answers = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                           Answer.question_code.in_(codes))).all()
    if files:
        for answer in answers:
            stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(answer.question_code, "bukti")))
            attach(db, assessment, answer, stored, f"{answer.question_code}.pdf", user)
        db.commit()
    if send:
        submit(db, assessment, answers, user)
    db.commit()
    return answers


def _dinkes_codes(catalogue, n):
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0][:n]


def _token(page_text: str) -> str:
    return html.attrs(html.page(page_text), "//*[@name='csrf_token']/@value")[0]


def test_dp3a_returns_agency_fixes_dp3a_approves_and_verified_score_rises(
    make_client, world, auth, db, scorer, catalogue, app
):
    codes = _dinkes_codes(catalogue, 3)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes, files=True, app=app)
    dp3a, opd = make_client(), make_client()
    dp3a_token = auth.login(dp3a, "dp3a_a")
    opd_token = auth.login(opd, "opd_a")
    base = world.base()

    queue = dp3a.get(f"{base}/verifikasi")
    assert queue.status_code == 200
    links = html.texts(html.page(queue), "//a")
    for code in codes:
        assert code in links
    assert "belum dibuka" in html.text_of(html.page(queue))  # unread

    detail = dp3a.get(f"{base}/verifikasi/{codes[0]}")
    assert detail.status_code == 200 and f"{codes[0]}.pdf" in html.text_of(html.page(detail))
    missing_reason = dp3a.post(f"{base}/verifikasi/{codes[0]}", data={"action": "returned", "note": "x",
                                                                      "csrf_token": dp3a_token})
    assert missing_reason.status_code == 422 and "minimal satu alasan" in html.text_of(html.page(missing_reason))
    returned = dp3a.post(f"{base}/verifikasi/{codes[0]}", data={
        "action": "returned", "reasons": ["belum_ditandatangani"], "note": "SK belum ditandatangani",
        "csrf_token": dp3a_token}, follow_redirects=False)
    assert returned.status_code == 303

    # The agency sees why, on its workspace and on the card.
    workspace = opd.get(f"{base}/isian")
    assert "Perlu perhatian Anda" in html.text_of(html.page(workspace)) and "SK belum ditandatangani" in html.text_of(html.page(workspace))
    # A new upload keeps it returned (the focal point may still fix the answer); the submit sends it back.
    upload = opd.post(f"{base}/isian/{codes[0]}/bukti",
                      files={"files": ("sk-ttd.pdf", io.BytesIO(sample_pdf("SK", "ditandatangani")), "application/pdf")},
                      headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert upload.status_code == 200
    answer = db.exec(select(Answer).where(Answer.question_code == codes[0])).one()
    db.refresh(answer)
    assert answer.status == AnswerStatus.RETURNED
    sent = opd.post(f"{base}/isian/{codes[0]}/kirim", headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert sent.status_code == 200, sent.text
    db.refresh(answer)
    assert answer.status == AnswerStatus.SUBMITTED
    again = dp3a.get(f"{base}/verifikasi")
    assert "berubah sejak diputuskan" in html.text_of(html.page(again))

    before = review_service.stage_scores(scorer, review_service.load_state(db, world.assessments["a"]))
    for code in codes:
        ok = dp3a.post(f"{base}/verifikasi/{code}", data={"action": "approved", "csrf_token": dp3a_token},
                       follow_redirects=False)
        assert ok.status_code == 303
    db.expire_all()
    after = review_service.stage_scores(scorer, review_service.load_state(db, world.assessments["a"]))
    assert before.by_stage["dp3a"].total == 0
    assert after.by_stage["dp3a"].total == sum(scorer.questions[c].max_cents for c in codes)
    dashboard = dp3a.get(f"{base}/dasbor")
    assert dashboard.status_code == 200 and html.page(dashboard).xpath("//svg")
    # Decisions are appended, never edited: the return is still in the history.
    actions = [e.action for e in db.exec(select(ReviewEvent).where(ReviewEvent.answer_id == answer.id)
                                         .order_by(ReviewEvent.id))]
    assert actions == ["submitted", "returned", "submitted", "approved"]


def test_batch_approval(client, world, auth, db, scorer, catalogue):
    codes = _dinkes_codes(catalogue, 4)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)
    token = auth.login(client, "dp3a_a")
    nothing = client.post(f"{world.base()}/verifikasi-massal", data={"csrf_token": token})
    assert nothing.status_code == 200 and "Centang dulu jawaban" in html.text_of(html.page(nothing))
    response = client.post(f"{world.base()}/verifikasi-massal", data={"codes": codes, "csrf_token": token})
    assert response.status_code == 200 and "4 jawaban disetujui" in html.text_of(html.page(response))
    statuses = {a.status for a in db.exec(select(Answer))}
    assert statuses == {AnswerStatus.APPROVED}


def test_submission_needs_every_question_then_locks_the_agencies(client, world, auth, db, scorer, catalogue):
    token = auth.login(client, "dp3a_a")
    page = client.get(f"{world.base()}/kirim-penilaian")
    assert "Pertanyaan belum dijawab (atau ditandai tidak berlaku): 274" in html.text_of(html.page(page))
    refused = client.post(f"{world.base()}/kirim-penilaian", data={"csrf_token": token})
    assert refused.status_code == 422
    _answer_as(db, world, scorer, catalogue, "dp3a_a", list(catalogue.questions), send=False)
    done = client.post(f"{world.base()}/kirim-penilaian", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    db.refresh(world.assessments["a"])
    assert world.assessments["a"].stage == "province"
    opd = _user(db, "opd_a")
    code = _dinkes_codes(catalogue, 1)[0]
    opd_client_token = token  # the DP3A is locked out of editing too
    locked = client.post(f"{world.base()}/isian/{code}", data={"version": "1", "note": "ubah"},
                         headers={"X-CSRF-Token": opd_client_token, "HX-Request": "true"})
    assert locked.status_code == 409
    assert opd.id


def test_province_verifies_returns_reopens_and_the_kabkota_fixes_in_time(
    make_client, world, auth, db, scorer, catalogue, app
):
    _answer_as(db, world, scorer, catalogue, "dp3a_a", list(catalogue.questions), send=False)
    assessment = world.assessments["a"]
    state = review_service.load_state(db, assessment)
    review_service.submit_assessment(db, assessment, review_service.check_submission(state, catalogue),
                                     _user(db, "dp3a_a"))
    db.commit()
    province, opd = make_client(), make_client()
    province_token = auth.login(province, "province")
    opd_token = auth.login(opd, "opd_a")
    base = world.base()
    codes = _dinkes_codes(catalogue, 3)
    for code in codes[:2]:
        assert province.post(f"{base}/verifikasi/{code}", data={"action": "approved", "csrf_token": province_token},
                             follow_redirects=False).status_code == 303
    assert province.post(f"{base}/verifikasi/{codes[2]}", data={
        "action": "returned", "reasons": ["tidak_lengkap"], "note": "Lampirkan DPA", "csrf_token": province_token,
    }, follow_redirects=False).status_code == 303
    # The return opened the window itself: a reopening on top of it is the same window.
    reopened = province.post(f"{base}/verifikasi/{codes[2]}/buka",
                             data={"hours": "48", "note": "Lampirkan DPA yang ditandatangani",
                                   "csrf_token": province_token})
    assert reopened.status_code == 200 and "sudah dibuka untuk kab/kota sampai" in html.text_of(html.page(reopened))

    # The kab/kota sees why and the deadline, and may change exactly that answer.
    workspace = opd.get(f"{base}/isian")
    assert "Dikembalikan provinsi" in html.text_of(html.page(workspace)) and "Lampirkan DPA" in html.text_of(html.page(workspace))
    answer = db.exec(select(Answer).where(Answer.question_code == codes[2])).one()
    fix = opd.post(f"{base}/isian/{codes[2]}/bukti",
                   files={"files": ("dpa.pdf", io.BytesIO(sample_pdf("DPA", "ttd")), "application/pdf")},
                   headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert fix.status_code == 200, fix.text
    other = opd.post(f"{base}/isian/{codes[0]}", data={"version": "1", "note": "x"},
                     headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert other.status_code == 409
    sent = opd.post(f"{base}/isian/{codes[2]}/kirim", headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert sent.status_code == 200, sent.text
    queue = province.get(f"{base}/verifikasi")
    shown = html.text_of(html.page(queue))
    assert codes[2] in shown and "berubah sejak diputuskan" in shown
    # Returned again (still incomplete): a new window, as the submission ended the first.
    assert province.post(f"{base}/verifikasi/{codes[2]}", data={
        "action": "returned", "reasons": ["tidak_lengkap"], "note": "DPA belum lengkap", "csrf_token": province_token,
    }, follow_redirects=False).status_code == 303
    db.expire_all()
    still_open = opd.post(f"{base}/isian/{codes[2]}",
                          data={"version": str(db.get(Answer, answer.id).version), "note": "DPA lengkap terlampir",
                                "option": answer.option or "", "value": "" if answer.value is None else str(answer.value)},
                          headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert still_open.status_code == 200, still_open.text
    assert province.post(f"{base}/verifikasi/{codes[2]}", data={
        "action": "approved", "score": "0,5", "csrf_token": province_token}, follow_redirects=False).status_code == 303
    db.expire_all()
    scores = review_service.stage_scores(scorer, review_service.load_state(db, assessment))
    expected = sum(scorer.questions[c].max_cents for c in codes[:2]) + min(50, scorer.questions[codes[2]].max_cents)
    assert scores.by_stage["province"].total == expected
    assert answer.id

    # The decision ends the window before its deadline: what was just approved stays as approved.
    workspace = opd.get(f"{base}/isian")
    tree = html.page(workspace)
    assert not html.mentions(tree, "dibuka kembali oleh verifikator") and not html.mentions(tree, "Dikembalikan provinsi")
    db.expire_all()
    version = db.get(Answer, answer.id).version
    late = opd.post(f"{base}/isian/{codes[2]}", data={"version": str(version), "note": "ubah lagi"},
                    headers={"X-CSRF-Token": opd_token, "HX-Request": "true"})
    assert late.status_code == 409
    closing = db.exec(select(AuditEntry).where(AuditEntry.action == "review.approved",
                                               AuditEntry.entity_id == str(answer.id))).all()[-1]
    assert closing.after["reopening_closed"] is True
    assert not html.mentions(html.page(province.get(f"{base}/verifikasi/{codes[2]}")), "Dibuka kembali")


def test_province_of_another_region_and_before_submission_sees_nothing(make_client, world, auth):
    province = make_client()
    auth.login(province, "province")
    assert province.get(f"{world.base()}/verifikasi").status_code == 403
    refused = province.get(f"{world.base()}/dasbor")
    assert refused.status_code == 403 and "belum mengirim penilaian mandirinya" in html.text_of(html.page(refused))


def _count_queries(engine):
    counter = {"n": 0}

    def before(*_args, **_kwargs):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", before)
    return counter, lambda: event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize("page", ["verifikasi", "dasbor"])
def test_query_count_does_not_grow_with_answers_or_files(client, world, auth, db, scorer, catalogue, app, page):
    auth.login(client, "dp3a_a")
    url = f"{world.base()}/{page}?status=all"
    client.get(url)  # the first visit records itself; the measured ones are alike
    counts = []
    for batch in (_dinkes_codes(catalogue, 5), _dinkes_codes(catalogue, 60)[5:60]):
        _answer_as(db, world, scorer, catalogue, "opd_a", batch, files=True, app=app)
        counter, stop = _count_queries(app.state.engine)
        response = client.get(url)
        stop()
        assert response.status_code == 200
        counts.append(counter["n"])
    assert counts[0] == counts[1], counts


def test_audit_verify_names_a_changed_row(world, db, scorer, catalogue, monkeypatch, migrated, tmp_path):
    _answer_as(db, world, scorer, catalogue, "opd_a", _dinkes_codes(catalogue, 3))
    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(tmp_path))
    ok = CliRunner().invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "Rantai audit utuh" in ok.output
    entries = db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    victim = entries[len(entries) // 2]
    db.execute(text("UPDATE auditentry SET action = 'answer.hapus' WHERE id = :id"), {"id": victim.id})
    db.commit()
    broken = CliRunner().invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"#{victim.id}" in broken.output and "diubah" in broken.output


def test_the_history_reads_in_the_users_words(make_client, world, auth, db, scorer, catalogue, app):
    code = _dinkes_codes(catalogue, 1)[0]
    _answer_as(db, world, scorer, catalogue, "opd_a", [code], files=True, app=app)
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    base = world.base()
    assert dp3a.post(f"{base}/verifikasi/{code}", data={
        "action": "returned", "reasons": ["belum_ditandatangani"], "note": "SK belum ditandatangani",
        "csrf_token": token}, follow_redirects=False).status_code == 303
    history = dp3a.get(f"{base}/riwayat/{code}").text
    for words in ("Jawaban disimpan", "Bukti dukung diunggah", "Dikirim untuk diverifikasi", "Dikembalikan",
                  "Alasan", "SK belum ditandatangani"):
        assert words in history, words
    reason = next(r for r in catalogue.review_reasons if r.code == "belum_ditandatangani")
    assert reason.name in history and "belum_ditandatangani" not in history
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    best = best_answer(scorer, code)
    if best.option is not None:
        label = next(o.label for o in scale.options if o.code == best.option)
        assert label in history
    assert "review.returned" not in history and "answer.save" not in history


def test_a_review_note_over_the_limit_is_refused_and_shown_back_whole(client, world, auth, db, scorer, catalogue, app):
    """The rule every note follows (app.forms.MAX_NOTE): refused with a message, never cut; the
    reviewer gets all of their text back to shorten it."""
    from app.forms import MAX_NOTE

    code = _dinkes_codes(catalogue, 1)[0]
    _answer_as(db, world, scorer, catalogue, "opd_a", [code], files=True, app=app)
    token = auth.login(client, "dp3a_a")
    long_note = "kurang lengkap " * (MAX_NOTE // 15 + 1) + "AKHIR"
    assert len(long_note) > MAX_NOTE
    refused = client.post(f"{world.base()}/verifikasi/{code}", data={
        "action": "returned", "reasons": ["belum_ditandatangani"], "note": long_note, "csrf_token": token})
    assert refused.status_code == 422
    page = html.page(refused)
    assert f"paling banyak {MAX_NOTE} karakter" in html.text_of(page)
    assert page.xpath("//textarea[@id='review-note']")[0].text == long_note  # with its end, "AKHIR"
    assert db.exec(select(ReviewEvent).where(ReviewEvent.action == "returned")).all() == []
