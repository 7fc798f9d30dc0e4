"""Recommendations (rekomendasi) and their follow-up: made from a review note or free, given to
agencies by the DP3A, reported on with files, closed; sensitive files; the next cycle's card; the
follow-up rates of a province and of the nation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from app.models import (
    Agency,
    Answer,
    AuditEntry,
    Cycle,
    FollowUp,
    FollowUpFile,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    utcnow,
)
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.setup import open_assessment
from scoring import Stage
from tests import html
from tests.conftest import PASSWORD


def _user(world, name: str) -> User:
    return world.users[name]


def _question(catalogue, *, sensitive: bool) -> str:
    return next(c for c, ref in catalogue.questions.items()
                if ref.question.sensitive == sensitive and "DINKES" in ref.question.agencies
                and catalogue.scales[ref.question.scale].kind == "options")


def _stage(db, world, stage: Stage, which: str = "a") -> None:
    assessment = world.assessments[which]
    assessment.stage = stage
    db.add(assessment)
    db.commit()


def _english(client) -> None:
    client.get("/health?lang=en")


def _rec(db, world, catalogue, code: str | None, *, which: str = "a", text: str = "Lengkapi SK",
         status: RecommendationStatus = RecommendationStatus.OPEN, due_on: date | None = None,
         indicator: str | None = None) -> Recommendation:
    rec = Recommendation(assessment_id=world.assessments[which].id, stage=Stage.PROVINCE,
                         indicator_code=indicator or catalogue.questions[code].indicator.code, question_code=code,
                         text=text, status=status, due_on=due_on, created_by=_user(world, "province").id)
    db.add(rec)
    db.commit()
    return rec


@pytest.fixture
def noted(world, db, scorer, catalogue):
    """An answer of Dinkes in A that the ministry's reviewer returned with a note; A at the ministry."""
    code = _question(catalogue, sensitive=False)
    option = catalogue.scales[catalogue.questions[code].question.scale].options[-1].code
    save_answer(db, world.assessments["a"], code, AnswerInput(option=option), 0, _user(world, "opd_a"), scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    event = ReviewEvent(answer_id=answer.id, stage=Stage.MINISTRY, action=ReviewAction.RETURNED,
                        reasons=["tidak_lengkap"], note="SK gugus tugas belum ditandatangani", user_id=_user(world, "reviewer").id)
    db.add(event)
    db.commit()
    _stage(db, world, Stage.MINISTRY)
    return code, event


def _other_agency_user(db, world, password_hash) -> User:
    """A focal point of another agency of A (not Dinkes)."""
    agency = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code != "DINKES", Agency.role_code != "DP3A")).first()
    user = User(username="opd_lain", full_name="Opd Lain", password_hash=password_hash, role=Role.OPD,
                regency_code=world.regency_a.code, agency_id=agency.id)
    db.add(user)
    db.commit()
    return user


def _audits(db, action: str) -> int:
    return db.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)).one()


def test_a_note_becomes_a_recommendation_followed_up_and_closed(make_client, auth, world, db, catalogue, noted,
                                                                 password_hash):
    code, event = noted
    base = world.base()
    # The review page offers the latest decision's note as a recommendation (seen by the national team:
    # the reviewers' own desk comes with the ministry's part of the season).
    admin = make_client()
    auth.login(admin, "admin")
    page = html.page(admin.get(f"{base}/verifikasi/{code}"))
    form = html.one(page, "//section[contains(@class, 'rec-from-note')]//form")
    assert html.text_of(form, ".//textarea") == "SK gugus tugas belum ditandatangani"
    assert form.xpath(".//input[@name='source_event']/@value") == [str(event.id)]
    reviewer = make_client()
    token = auth.login(reviewer, "reviewer")
    data = {"csrf_token": token, "text": "Tanda tangani SK gugus tugas", "indicator": "", "question": code,
            "source_event": str(event.id)}
    made = reviewer.post(f"{base}/rekomendasi", data=data, follow_redirects=False)
    assert made.status_code == 303
    again = reviewer.post(f"{base}/rekomendasi", data=data, follow_redirects=False)
    assert again.headers["location"] == made.headers["location"]
    rec = db.exec(select(Recommendation)).one()
    assert (rec.stage, rec.question_code, rec.source_event_id, rec.status) == (
        Stage.MINISTRY, code, event.id, RecommendationStatus.OPEN)
    assert rec.indicator_code == catalogue.questions[code].indicator.code
    assert _audits(db, "recommendation.create") == 1
    detail = f"{base}/rekomendasi/{rec.id}"
    # The DP3A gives it to Dinkes with a due date (as <input type=date> sends it).
    dp3a = make_client()
    token_dp3a = auth.login(dp3a, "dp3a_a")
    _english(dp3a)
    dinkes = world.agencies["dinkes_a"].id
    bad = dp3a.post(f"{detail}/tugaskan", data={"csrf_token": token_dp3a, "agency": str(dinkes), "due_on": "31-02-2030"})
    assert bad.status_code == 422 and "is not a date" in html.text_of(html.page(bad), "//*[@role='alert']")
    assign = {"csrf_token": token_dp3a, "agency": str(dinkes), "due_on": "2030-01-31"}
    assert dp3a.post(f"{detail}/tugaskan", data=assign, follow_redirects=False).status_code == 303
    assert dp3a.post(f"{detail}/tugaskan", data=assign, follow_redirects=False).status_code == 303
    db.refresh(rec)
    assert rec.status == RecommendationStatus.ASSIGNED and rec.due_on == date(2030, 1, 31)
    assert _audits(db, "recommendation.assign") == 1
    # A focal point of another agency neither sees nor reports on it; the DP3A does not report for Dinkes.
    _other_agency_user(db, world, password_hash)
    other = make_client()
    token_other = auth.login(other, "opd_lain", PASSWORD)
    assert other.get(detail).status_code == 404
    assert other.post(f"{detail}/tindak-lanjut", data={"csrf_token": token_other, "note": "x"}).status_code == 404
    assert not html.page(other.get(f"{base}/rekomendasi")).xpath("//tr[@class='rec']")
    assert dp3a.post(f"{detail}/tindak-lanjut", data={"csrf_token": token_dp3a, "note": "x"}).status_code == 403
    # Dinkes reports with a file; the same report twice is one.
    opd = make_client()
    token_opd = auth.login(opd, "opd_a")
    _english(opd)
    listing = html.page(opd.get(f"{base}/rekomendasi"))
    assert html.texts(listing, "//tr[@class='rec']/td[1]") == ["Tanda tangani SK gugus tugas"]
    pdf = sample_pdf("SK Gugus Tugas", "ditandatangani")
    report = {"csrf_token": token_opd, "note": "SK sudah ditandatangani bupati"}
    for _ in range(2):
        sent = opd.post(f"{detail}/tindak-lanjut", data=report, files=[("files", ("sk.pdf", pdf, "application/pdf"))],
                        follow_redirects=False)
        assert sent.status_code == 303
    assert db.exec(select(func.count()).select_from(FollowUp)).one() == 1
    db.refresh(rec)
    assert rec.status == RecommendationStatus.REPORTED
    page = html.page(opd.get(detail))
    link = html.attrs(page, "//article[@class='follow-up']//ul[@class='files']/li/a[1]/@href")
    assert len(link) == 1 and opd.get(link[0]).content == pdf
    # A refused file brings the form back with the reason; nothing is reported.
    refused = opd.post(f"{detail}/tindak-lanjut", data={**report, "note": "lagi"},
                       files=[("files", ("virus.exe", b"MZ\x90\x00" * 50, "application/octet-stream"))])
    assert refused.status_code == 422 and "virus.exe" in html.text_of(html.page(refused), "//*[@role='alert']")
    assert db.exec(select(func.count()).select_from(FollowUp)).one() == 1
    # The award is published: follow-up goes on; the DP3A closes it, with a note.
    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    assert dp3a.post(f"{detail}/tutup", data={"csrf_token": token_dp3a, "note": ""}).status_code == 422
    close = {"csrf_token": token_dp3a, "note": "SK diterima"}
    assert dp3a.post(f"{detail}/tutup", data=close, follow_redirects=False).status_code == 303
    assert dp3a.post(f"{detail}/tutup", data=close, follow_redirects=False).status_code == 303
    db.refresh(rec)
    assert rec.status == RecommendationStatus.CLOSED and rec.close_note == "SK diterima"
    assert _audits(db, "recommendation.close") == 1
    closed = html.page(dp3a.get(detail))
    assert html.text_of(closed, "//dd[@class='rec-state']") == "closed"
    assert not closed.xpath("//form[contains(@action, '/tutup') or contains(@action, '/tugaskan')]")
    assert opd.post(f"{detail}/tindak-lanjut", data=report).status_code == 409


def test_the_stage_is_the_deciding_one_and_agencies_make_none(make_client, auth, world, db, catalogue):
    code = _question(catalogue, sensitive=False)
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    sent = dp3a.post(f"{world.base()}/rekomendasi", data={"csrf_token": token, "text": "Perbarui data",
                                                         "indicator": "", "question": code}, follow_redirects=False)
    assert sent.status_code == 303
    assert db.exec(select(Recommendation)).one().stage == Stage.DP3A
    opd = make_client()
    token_opd = auth.login(opd, "opd_a")
    assert opd.post(f"{world.base()}/rekomendasi", data={"csrf_token": token_opd, "text": "x",
                                                        "question": code}).status_code == 403


def test_bad_input_brings_the_form_back(make_client, auth, world, db, catalogue):
    client = make_client()
    token = auth.login(client, "dp3a_a")
    _english(client)
    url = f"{world.base()}/rekomendasi"
    indicator = next(iter(catalogue.indicators))
    cases = [({"text": "", "indicator": indicator}, "Write the recommendation."),
             ({"text": "x", "indicator": ""}, "Choose the indicator"),
             ({"text": "x", "question": "99.99z"}, "There is no question 99.99z"),
             ({"text": "x", "source_event": "abc"}, "not one of this assessment"),
             ({"text": "x" * 5000, "indicator": indicator}, "too long")]
    for data, expected in cases:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        tree = html.page(response)
        assert expected in html.text_of(tree, "//*[@role='alert']"), data
        assert tree.xpath("//textarea[@name='text']")
    assert db.exec(select(func.count()).select_from(Recommendation)).one() == 0


def test_files_of_a_sensitive_question_stay_with_the_dp3a_and_the_reviewers(make_client, auth, world, db, catalogue):
    code = _question(catalogue, sensitive=True)
    rec = _rec(db, world, catalogue, code, status=RecommendationStatus.ASSIGNED, due_on=date(2030, 1, 1))
    db.add(RecommendationAgency(recommendation_id=rec.id, agency_id=world.agencies["dinkes_a"].id))
    db.commit()
    _stage(db, world, Stage.PROVINCE)
    detail = f"{world.base()}/rekomendasi/{rec.id}"
    opd = make_client()
    token = auth.login(opd, "opd_a")
    _english(opd)
    pdf = sample_pdf("Laporan kasus", "rahasia")
    assert opd.post(f"{detail}/tindak-lanjut", data={"csrf_token": token, "note": "ditangani"},
                    files=[("files", ("kasus-anak.pdf", pdf, "application/pdf"))], follow_redirects=False).status_code == 303
    page = html.page(opd.get(detail))
    assert not html.mentions(page, "kasus-anak") and page.xpath("//p[contains(@class, 'hidden-files')]")
    file_id = db.exec(select(FollowUpFile)).one().id
    assert opd.get(f"{detail}/berkas/{file_id}").status_code == 404
    before = _audits(db, "evidence.download")
    for name in ("dp3a_a", "province"):
        client = make_client()
        auth.login(client, name)
        assert client.get(f"{detail}/berkas/{file_id}").content == pdf
    assert _audits(db, "evidence.download") == before + 2


def test_the_next_cycle_shows_what_is_still_open(make_client, auth, world, db, catalogue):
    code = _question(catalogue, sensitive=False)
    indicator = catalogue.questions[code].indicator.code
    _rec(db, world, catalogue, code, text="Perbarui data anak", status=RecommendationStatus.ASSIGNED,
         due_on=date.today() - timedelta(days=3))
    _rec(db, world, catalogue, None, indicator=indicator, text="Libatkan Forum Anak")
    _rec(db, world, catalogue, code, text="Sudah selesai", status=RecommendationStatus.CLOSED)
    for rec in db.exec(select(Recommendation)).all():
        db.add(RecommendationAgency(recommendation_id=rec.id, agency_id=world.agencies["dinkes_a"].id))
    nxt = Cycle(year=world.year + 1, instrument_code="x", instrument_version="1")
    db.add(nxt)
    db.flush()
    open_assessment(db, world.regency_a, nxt, catalogue)
    db.commit()
    opd = make_client()
    auth.login(opd, "opd_a")
    card = html.page(opd.get(f"/r/{world.regency_a.code}/{world.year + 1}/isian/{code}"))
    items = html.texts(card, "//section[@class='rec-earlier-card']//li")
    assert len(items) == 2
    assert any("Perbarui data anak" in i for i in items) and any("Libatkan Forum Anak" in i for i in items)
    assert not any("Sudah selesai" in i for i in items)
    listing = html.page(opd.get(f"/r/{world.regency_a.code}/{world.year + 1}/rekomendasi"))
    assert len(listing.xpath("//section[contains(@class, 'rec-earlier')]//li")) == 2
    # The earlier cycle's own list marks the overdue one.
    old = html.page(opd.get(f"{world.base()}/rekomendasi"))
    assert len(old.xpath("//tr[@class='rec']//span[contains(@class, 'rec-overdue')]")) == 1


def test_follow_up_rates_of_the_province_and_the_nation(make_client, auth, world, db, catalogue):
    code = _question(catalogue, sensitive=False)
    late = date.today() - timedelta(days=1)
    _rec(db, world, catalogue, code, which="a", status=RecommendationStatus.ASSIGNED, due_on=late)
    _rec(db, world, catalogue, code, which="a", text="b", status=RecommendationStatus.REPORTED, due_on=late)
    _rec(db, world, catalogue, code, which="b", text="c", status=RecommendationStatus.CLOSED)
    _rec(db, world, catalogue, code, which="c", text="d")
    client = make_client()
    auth.login(client, "province")
    _english(client)
    url = f"/provinsi/62/{world.year}/rekomendasi"
    page = html.page(client.get(url))
    rows = {r.get("data-code"): r for r in page.xpath("//tr[@class='rate-row']")}
    assert set(rows) == {world.regency_a.code, world.regency_b.code}
    a = rows[world.regency_a.code]
    assert html.text_of(a, ".//td[contains(@class, 'overdue')]") == "1"
    assert html.text_of(a, ".//td[contains(@class, 'rate')]") == "50%"
    assert html.text_of(rows[world.regency_b.code], ".//td[contains(@class, 'rate')]") == "100%"
    by_rate = html.page(client.get(url + "?urut=rate"))
    assert [r.get("data-code") for r in by_rate.xpath("//tr[@class='rate-row']")] == [
        world.regency_a.code, world.regency_b.code]
    other = make_client()
    auth.login(other, "province_other")
    assert other.get(url).status_code == 403
    reviewer = make_client()
    auth.login(reviewer, "reviewer")
    assert reviewer.get(url).status_code == 200
    assert client.get(f"/nasional/{world.year}/rekomendasi").status_code == 403
    admin = make_client()
    auth.login(admin, "admin")
    national = html.page(admin.get(f"/nasional/{world.year}/rekomendasi"))
    rows = {r.get("data-code"): r for r in national.xpath("//tr[@class='rate-row']")}
    assert html.text_of(rows["62"], ".//td[contains(@class, 'rate')]") == "67%"
    assert html.text_of(rows["63"], ".//td[contains(@class, 'rate')]") == "0%"
    assert html.attrs(rows["62"], ".//a/@href") == [url]

