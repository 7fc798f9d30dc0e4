"""Issue 22, the ministry's review: the province hands a kab/kota on once it has decided every answered
question, the ministry reviews it on the same desk (its reviewers only in their provinces), sends it
back with a reason, and each stage decides only while the assessment stands where it decides.
Pages are read as parsed HTML, in English (the pending translations are not compiled here)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from app.models import Answer, Assessment, AuditEntry, Reopening, ReviewEvent, StageChange, User, utcnow
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, scored, submit
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring import ReviewStatus, Stage, Verdict, question_points, to_cents
from scoring.samples import best_answer
from tests import html


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _codes(catalogue, n):
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0][:n]


def _answered(db, app, world, scorer, codes, *, stage="province") -> list[Answer]:
    """A's Dinkes answers `codes` (best answer, a PDF each) and submits them; A then stands at `stage`."""
    opd, assessment = _user(db, "opd_a"), world.assessments["a"]
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value, note="catatan"), 0, opd,
                    scorer)
    answers = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                           Answer.question_code.in_(codes)).order_by(Answer.id)).all()
    for answer in answers:
        attach(db, assessment, answer, app.state.evidence.save_file(io.BytesIO(sample_pdf(answer.question_code, "x"))),
               f"{answer.question_code}.pdf", opd)
    submit(db, assessment, answers, opd)
    row = db.get(Assessment, assessment.id)
    row.stage = stage
    db.add(row)
    db.commit()
    return list(answers)


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


def _stage(db, world) -> str:
    db.expire_all()
    return db.get(Assessment, world.assessments["a"].id).stage


def _decide(client, token, base, code, action, **extra):
    data = {"action": action, "csrf_token": token, **extra}
    if action == "returned":
        data.update(reasons=extra.get("reasons", "incomplete"), note=extra.get("note", "Lengkapi SK"))
    return client.post(f"{base}/verifikasi/{code}", data=data, follow_redirects=False)


def _reason(catalogue) -> str:
    return catalogue.review_reasons[0].code


def test_hand_on_is_refused_until_the_province_has_decided_everything_then_happens_once(
        make_client, auth, db, app, world, scorer, catalogue):
    first, second = _answered(db, app, world, scorer, _codes(catalogue, 2))
    base = world.base()
    province, token = _client(make_client, auth, "province")
    panel = html.page(province.get(f"{base}/verifikasi"))
    assert html.one(panel, "//section[contains(@class,'season-moves')]//form[contains(@action,'/teruskan')]") is not None
    assert "still waiting for your decision: 2." in html.text_of(panel, "//section[contains(@class,'season-moves')]")

    refused = province.post(f"{base}/teruskan", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422
    alert = html.one(html.page(refused), "//section[contains(@class,'season-moves')]//*[@role='alert']")
    assert "still waiting for the province's decision: 2." in html.text_of(alert)
    assert html.attrs(alert, ".//a/@href") == [f"{base}/verifikasi?status=waiting"]
    assert _stage(db, world) == Stage.PROVINCE

    reason = _reason(catalogue)
    assert _decide(province, token, base, first.question_code, "approved").status_code == 303
    assert _decide(province, token, base, second.question_code, "returned", reasons=reason).status_code == 303
    # The kab/kota sends its fix: undecided again for the province.
    db.expire_all()
    answer = db.get(Answer, second.id)
    submit(db, world.assessments["a"], [answer], _user(db, "opd_a"))
    db.commit()
    refused = province.post(f"{base}/teruskan", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422
    assert "decision: 1." in html.text_of(html.page(refused), "//*[@role='alert']")

    assert _decide(province, token, base, second.question_code, "approved").status_code == 303
    done = province.post(f"{base}/teruskan", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert _stage(db, world) == Stage.MINISTRY
    again = province.post(f"{base}/teruskan", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    flash = html.page(province.get(again.headers["location"]))
    assert "already with the ministry" in html.text_of(flash, "//*[@role='status']")
    changes = db.exec(select(StageChange).where(StageChange.move == "hand_on")).all()
    assert len(changes) == 1 and changes[0].user_id == _user(db, "province").id
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "assessment.hand_on")).all()) == 1


def test_the_province_cannot_decide_after_the_hand_on(make_client, auth, db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="ministry")
    base = world.base()
    province, token = _client(make_client, auth, "province")
    refused = _decide(province, token, base, answer.question_code, "approved")
    assert refused.status_code == 422
    assert "closed" in html.text_of(html.page(refused), "//section[@id='decision']//*[@role='alert']")
    assert not db.exec(select(ReviewEvent).where(ReviewEvent.action == "approved")).all()
    queue = html.page(province.get(f"{base}/verifikasi?status=all"))
    assert "you can look, not decide" in html.text_of(queue, "//header")
    assert not queue.xpath("//button[normalize-space()='Approve the selected answers']")
    assert not queue.xpath("//form[contains(@action,'/teruskan')]")  # handed on: no button any more
    detail = html.page(province.get(f"{base}/verifikasi/{answer.question_code}"))
    assert not detail.xpath("//section[@id='decision']//form")


def test_reviewers_see_only_their_provinces_after_the_hand_on(make_client, auth, db, app, world, scorer, catalogue):
    _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    base = world.base()
    reviewer, _token = _client(make_client, auth, "reviewer")
    early = reviewer.get(f"{base}/verifikasi")
    assert early.status_code == 403
    assert "still with its province" in html.text_of(html.page(early), "//*[@role='alert']")
    db.expire_all()
    row = db.get(Assessment, world.assessments["a"].id)
    row.stage = Stage.MINISTRY
    db.add(row)
    db.commit()
    assert reviewer.get(f"{base}/verifikasi").status_code == 200
    other, _token = _client(make_client, auth, "reviewer_other")
    assert other.get(f"{base}/verifikasi").status_code == 403
    assert other.post(f"{base}/kembalikan", data={"csrf_token": _token, "note": "x"}).status_code == 403


def test_the_ministry_decides_with_its_own_score_never_above_the_province(
        make_client, auth, db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    code, base = answer.question_code, world.base()
    self_cents = scorer.question_points(code, scored(answer))
    province, p_token = _client(make_client, auth, "province")
    province_score = (Decimal(self_cents) / 200).quantize(Decimal("0.01"))  # half the self-assessed points
    assert _decide(province, p_token, base, code, "approved", score=str(province_score)).status_code == 303
    assert province.post(f"{base}/teruskan", data={"csrf_token": p_token}, follow_redirects=False).status_code == 303

    reviewer, token = _client(make_client, auth, "reviewer")
    db.expire_all()
    stored = db.get(Answer, answer.id)
    ceiling = review_service.score_ceiling(db, scorer, stored, Stage.MINISTRY)
    expected = question_points(self_cents,
                               {Stage.PROVINCE: Verdict(ReviewStatus.APPROVED, province_score),
                                Stage.MINISTRY: Verdict(ReviewStatus.APPROVED, None)})[Stage.MINISTRY]
    assert to_cents(ceiling) == expected == to_cents(province_score)
    detail = html.page(reviewer.get(f"{base}/verifikasi/{code}"))
    assert html.one(detail, "//input[@id='review-score']") is not None
    too_high = _decide(reviewer, token, base, code, "approved", score=str(province_score + 1))
    assert too_high.status_code == 422
    assert "at most" in html.text_of(html.page(too_high), "//section[@id='decision']//*[@role='alert']")
    assert _decide(reviewer, token, base, code, "approved", score=str(province_score)).status_code == 303
    event = db.exec(select(ReviewEvent).where(ReviewEvent.stage == "ministry")).one()
    assert event.action == "approved" and Decimal(event.score) == province_score


def test_a_ministry_return_and_reopening_open_the_answer_for_two_days(
        make_client, auth, db, app, world, scorer, catalogue):
    first, second = _answered(db, app, world, scorer, _codes(catalogue, 2), stage="ministry")
    base = world.base()
    reviewer, token = _client(make_client, auth, "reviewer")
    returned = _decide(reviewer, token, base, first.question_code, "returned", reasons=_reason(catalogue),
                       note="Lampirkan SK")
    assert returned.status_code == 303
    window = db.exec(select(Reopening).where(Reopening.answer_id == first.id)).one()
    assert window.stage == "ministry" and window.note == "Lampirkan SK"
    assert abs(window.until - (utcnow() + timedelta(hours=48))) < timedelta(minutes=1)
    # An approved answer reopened by the ministry, with what is missing.
    assert _decide(reviewer, token, base, second.question_code, "approved").status_code == 303
    opened = reviewer.post(f"{base}/verifikasi/{second.question_code}/buka",
                           data={"csrf_token": token, "hours": "48", "note": "Foto kegiatan"}, follow_redirects=False)
    assert opened.status_code == 303
    window = db.exec(select(Reopening).where(Reopening.answer_id == second.id)).one()
    assert window.stage == "ministry" and abs(window.until - (utcnow() + timedelta(hours=48))) < timedelta(minutes=1)
    # Batch approval at the ministry: the returned answer, fixed, goes with it.
    batch = reviewer.post(f"{base}/verifikasi-massal", data={"csrf_token": token, "codes": [first.question_code]},
                          follow_redirects=False)
    assert batch.status_code == 303


def test_send_back_needs_a_reason_reopens_the_province_and_happens_once(
        make_client, auth, db, app, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="ministry")
    base = world.base()
    reviewer, token = _client(make_client, auth, "reviewer")
    panel = html.page(reviewer.get(f"{base}/verifikasi"))
    assert html.one(panel, "//form[contains(@action,'/kembalikan')]//textarea[@name='note']") is not None
    refused = reviewer.post(f"{base}/kembalikan", data={"csrf_token": token, "note": "  "}, follow_redirects=False)
    assert refused.status_code == 422
    assert "Write why" in html.text_of(html.page(refused), "//section[contains(@class,'season-moves')]//*[@role='alert']")
    assert _stage(db, world) == Stage.MINISTRY

    note = "Bukti indikator 1.2 belum diperiksa provinsi"
    sent = reviewer.post(f"{base}/kembalikan", data={"csrf_token": token, "note": note}, follow_redirects=False)
    assert sent.status_code == 303 and _stage(db, world) == Stage.PROVINCE
    again = reviewer.post(f"{base}/kembalikan", data={"csrf_token": token, "note": note}, follow_redirects=False)
    assert again.status_code == 409  # no longer on the reviewer's desk: the answer says why
    assert "already with the province" in html.text_of(html.page(again), "//*[@role='alert']")
    change = db.exec(select(StageChange).where(StageChange.move == "send_back")).one()
    assert change.note == note and change.user_id == _user(db, "reviewer").id

    province, p_token = _client(make_client, auth, "province")
    desk = html.page(province.get(f"{base}/verifikasi"))
    assert html.text_of(desk, "//*[contains(@class,'sent-back-note')]") == f"“{note}”"
    assert _decide(province, p_token, base, answer.question_code, "approved").status_code == 303
    # The reviewer, now before the (new) hand-on, is refused again.
    assert reviewer.get(f"{base}/verifikasi").status_code == 403


def test_the_dp3a_submission_lands_on_the_timeline(make_client, auth, db, app, world, scorer, catalogue):
    dp3a, token = _client(make_client, auth, "dp3a_a")
    # Every question needs an answer to submit: check the refusal keeps the stage, the timeline empty.
    refused = dp3a.post(f"{world.base()}/kirim-penilaian", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422
    assert not db.exec(select(StageChange)).all()
    assessment = db.get(Assessment, world.assessments["a"].id)
    check = review_service.SubmissionCheck([], [], [], [])
    review_service.submit_assessment(db, assessment, check, _user(db, "dp3a_a"))
    db.commit()
    change = db.exec(select(StageChange)).one()
    assert (change.move, change.from_stage, change.to_stage) == ("submit", "self", "province")
    assert assessment.submitted_at is not None


def test_home_takes_ministry_people_to_their_work(make_client, auth, world):
    reviewer, _token = _client(make_client, auth, "reviewer")
    assert reviewer.get("/", follow_redirects=False).headers["location"] == f"/provinsi/62/{world.year}"
    assert reviewer.get(f"/provinsi/62/{world.year}").status_code == 200
    assert reviewer.get(f"/provinsi/63/{world.year}").status_code == 403
    verifier, _token = _client(make_client, auth, "verifier")
    assert verifier.get("/", follow_redirects=False).headers["location"] == "/lapangan"
