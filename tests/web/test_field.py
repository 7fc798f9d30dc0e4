"""Issue 22, field verification: the ministry schedules it, names the team and starts it once its
review has decided every answered question; the team records activities and findings (files,
score adjustments that lower the field's figure, never above the ministry's); sensitive findings
stay with the team and the ministry; the same request twice records nothing new; a published year
changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select

from app.i18n import gettext, using_language
from app.models import (
    Answer,
    AuditEntry,
    Cycle,
    FieldActivity,
    FieldSchedule,
    FieldTeamMember,
    Finding,
    FindingFile,
    ReviewEvent,
)
from app.services import review as review_service
from app.services.answers import scored_answers
from app.services.demo import sample_pdf
from scoring import REVIEW_STAGES, Stage, season_scores
from tests import html
from tests.conftest import season_team
from tests.web.test_review import _answer_as, _user


def _say(message: str, **values: object) -> str:
    """A message as the (Indonesian) page says it, whether or not it is translated yet."""
    with using_language("id"):
        text = gettext(message)
    return text % values if values else text


def _codes(catalogue, n: int = 2) -> list[str]:
    """`n` questions of one indicator, all answered by the health office (DINKES) and worth points."""
    for indicator in catalogue.indicators.values():
        codes = [q.code for q in indicator.questions if "DINKES" in q.agencies and q.max > 0]
        if len(codes) >= n:
            return codes[:n]
    raise AssertionError("no indicator with enough DINKES questions")


def _indicator(catalogue, code: str) -> str:
    return catalogue.questions[code].indicator.code


@pytest.fixture
def season(world, db, scorer, catalogue):
    """Kab/kota A at the ministry's review, two answers given and submitted; the ministry has decided
    the first only."""
    codes = _codes(catalogue)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)
    assessment = world.assessments["a"]
    assessment.stage = Stage.MINISTRY
    db.add(assessment)
    db.commit()
    answer = db.exec(select(Answer).where(Answer.assessment_id == assessment.id, Answer.question_code == codes[0])).one()
    review_service.decide(db, assessment, answer, Stage.MINISTRY, "approved", _user(db, "admin"), scorer=scorer)
    db.commit()
    return codes


def _decide_rest(db, world, scorer, codes) -> None:
    assessment = world.assessments["a"]
    db.refresh(assessment)
    for answer in db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                               Answer.question_code.in_(codes[1:]))):
        review_service.decide(db, assessment, answer, Stage.MINISTRY, "approved", _user(db, "admin"), scorer=scorer)
    db.commit()


def _schedule(client, world, token, starts="2025-08-04", ends="2025-08-06", mode="hybrid", note="Puskesmas"):
    return client.post(f"{world.base()}/lapangan/jadwal", data={
        "starts_on": starts, "ends_on": ends, "mode": mode, "note": note, "csrf_token": token},
        follow_redirects=False)


def _alert(response) -> str:
    return html.text_of(html.page(response), "//*[@role='alert']")


def _count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.exec(query).one()


def _stage(db, world) -> str:
    assessment = world.assessments["a"]
    db.refresh(assessment)
    return assessment.stage


def _field_started(db, world, scorer, codes) -> None:
    """Straight to FIELD, with verifier on A's team (the planning is tested through the pages)."""
    _decide_rest(db, world, scorer, codes)
    season_team(world, db, "a", "verifier", lead=True)
    assessment = world.assessments["a"]
    db.refresh(assessment)
    assessment.stage = Stage.FIELD
    db.add(assessment)
    db.commit()


def _finding(client, world, token, indicator, text, *, files=(), **fields):
    data = {"indicator": indicator, "text": text, "csrf_token": token, **fields}
    return client.post(f"{world.base()}/lapangan/temuan", data=data,
                       files=[("files", f) for f in files] or None, follow_redirects=False)


# -- planning and starting ------------------------------------------------------------------------


def test_start_is_refused_until_decided_scheduled_and_staffed(client, world, auth, db, scorer, catalogue, season):
    token = auth.login(client, "admin")
    base = world.base()
    refused = client.post(f"{base}/lapangan/mulai", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 409
    message = _alert(refused)
    assert _say("Answered questions the ministry's review has not decided yet: %(n)s.", n=1) in message
    assert _say("There is no schedule yet.") in message and _say("The team has no member yet.") in message
    assert _stage(db, world) == Stage.MINISTRY

    # The dates must make sense: the form comes back with the message, nothing saved.
    reversed_dates = _schedule(client, world, token, starts="2025-08-06", ends="2025-08-04")
    assert reversed_dates.status_code == 422
    assert _alert(reversed_dates) == _say("The last day cannot be before the first day.")
    assert html.one(html.page(reversed_dates), "//input[@name='starts_on']").get("value") == "2025-08-06"
    not_a_date = _schedule(client, world, token, starts="besok")
    assert not_a_date.status_code == 422 and _count(db, FieldSchedule) == 0

    assert _schedule(client, world, token).status_code == 303
    assert _schedule(client, world, token).status_code == 303  # the same again: nothing new
    assert _count(db, FieldSchedule) == 1
    assert _count(db, AuditEntry, action="field.schedule") == 1

    verifier = _user(db, "verifier")
    for _twice in range(2):
        assert client.post(f"{base}/lapangan/tim", data={"user_id": verifier.id, "action": "add", "lead": "1",
                                                          "csrf_token": token}, follow_redirects=False).status_code == 303
    assert _count(db, FieldTeamMember) == 1 and _count(db, AuditEntry, action="field.team_add") == 1
    not_verifier = client.post(f"{base}/lapangan/tim", data={"user_id": _user(db, "dp3a_a").id, "action": "add",
                                                              "csrf_token": token}, follow_redirects=False)
    assert not_verifier.status_code == 422 and _count(db, FieldTeamMember) == 1

    page = html.page(client.get(f"{base}/lapangan"))
    assert "Kemenkes" in html.text_of(page, "//li[@class='team-member']")
    assert html.texts(page, "//*[@class='schedule-dates']") == ["04-08-2025 – 06-08-2025"]
    assert len(page.xpath("//ul[contains(@class, 'start-problems')]/li")) == 1  # only the undecided answer

    still = client.post(f"{base}/lapangan/mulai", data={"csrf_token": token}, follow_redirects=False)
    assert still.status_code == 409 and _stage(db, world) == Stage.MINISTRY
    _decide_rest(db, world, scorer, season)
    assert client.post(f"{base}/lapangan/mulai", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert _stage(db, world) == Stage.FIELD
    # A second click: already started, nothing moves twice.
    assert client.post(f"{base}/lapangan/mulai", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert _count(db, AuditEntry, action="assessment.to_field") == 1

    assert client.post(f"{base}/lapangan/selesai", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert _stage(db, world) == Stage.FINAL
    # Planning is over at FINAL.
    assert _schedule(client, world, token, note="lagi").status_code == 409


def test_a_resubmitted_answer_after_a_ministry_return_is_undecided(client, world, auth, db, scorer, catalogue,
                                                                    season):
    from app.services.answers import submit

    _decide_rest(db, world, scorer, season)
    assessment = world.assessments["a"]
    answer = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                          Answer.question_code == season[0])).one()
    review_service.decide(db, assessment, answer, Stage.MINISTRY, "returned", _user(db, "admin"),
                          reasons=[catalogue.review_reasons[0].code], note="perbaiki")
    db.commit()
    db.refresh(answer)
    submit(db, assessment, [answer], _user(db, "opd_a"))
    db.commit()
    from app.services import field as field_service

    db.refresh(assessment)
    problems = field_service.start_problems(db, assessment, catalogue)
    assert problems == [_say("Answered questions the ministry's review has not decided yet: %(n)s.", n=1),
                        _say("There is no schedule yet."), _say("The team has no member yet.")]


def test_only_the_ministry_plans(make_client, world, auth, db, scorer, catalogue, season):
    season_team(world, db, "a", "verifier")
    for username in ("verifier", "reviewer", "dp3a_a", "province"):
        client = make_client()
        token = auth.login(client, username)
        assert _schedule(client, world, token).status_code == 403
        assert client.post(f"{world.base()}/lapangan/mulai", data={"csrf_token": token}).status_code == 403
    assert _count(db, FieldSchedule) == 0


# -- findings and their scores --------------------------------------------------------------------


def _field_totals(db, world, scorer):
    assessment = world.assessments["a"]
    db.refresh(assessment)
    state = review_service.load_state(db, assessment)
    verdicts = {stage: state.verdicts(stage) for stage in REVIEW_STAGES}
    return season_scores(scorer, scored_answers(state.answers), verdicts).totals


def test_a_finding_lowers_the_field_score_never_above_the_ceiling(client, world, auth, db, scorer, catalogue,
                                                                  season):
    _field_started(db, world, scorer, season)
    code = season[0]
    indicator = _indicator(catalogue, code)
    token = auth.login(client, "verifier")
    before = _field_totals(db, world, scorer)
    assert before[Stage.FIELD].points == before[Stage.MINISTRY].points

    form = html.page(client.get(f"{world.base()}/lapangan?indikator={indicator}"))
    assert form.xpath(f"//input[@name='score_{code}']")

    self_points = Decimal(scorer.question_points(code, scored_answers(
        review_service.load_state(db, world.assessments["a"]).answers)[code])) / 100
    too_high = _finding(client, world, token, indicator, "Dokumen asli tidak ada",
                        **{f"score_{code}": str(self_points + 1)})
    assert too_high.status_code == 422
    assert _alert(too_high).startswith(f"{code}: ")
    assert _count(db, Finding) == 0 and _count(db, ReviewEvent, stage=Stage.FIELD) == 0
    assert html.one(html.page(too_high), "//textarea[@name='text']").text == "Dokumen asli tidak ada"

    not_number = _finding(client, world, token, indicator, "x", **{f"score_{code}": "banyak"})
    assert not_number.status_code == 422 and _count(db, Finding) == 0

    lower = self_points / 2
    done = _finding(client, world, token, indicator, "SK Gugus Tugas belum diperbarui",
                    **{f"score_{code}": str(lower)})
    assert done.status_code == 303
    after = _field_totals(db, world, scorer)
    assert after[Stage.FIELD].points < after[Stage.MINISTRY].points == before[Stage.MINISTRY].points
    assert after[Stage.MINISTRY].points - after[Stage.FIELD].points == int((self_points - lower) * 100)

    page = html.page(client.get(f"{world.base()}/lapangan"))
    finding = html.one(page, f"//article[@id='indikator-{indicator}']//li[contains(@class, 'finding')]")
    assert "SK Gugus Tugas belum diperbarui" in html.text_of(finding)
    assert code in html.text_of(finding, ".//ul[@class='adjustments']")

    # The same finding sent again: nothing new.
    again = _finding(client, world, token, indicator, "SK Gugus Tugas belum diperbarui",
                     **{f"score_{code}": str(lower)})
    assert again.status_code == 303
    assert _count(db, Finding) == 1 and _count(db, ReviewEvent, stage=Stage.FIELD) == 1
    assert _count(db, AuditEntry, action="field.finding") == 1


def test_findings_only_during_field_verification(client, world, auth, db, scorer, catalogue, season):
    season_team(world, db, "a", "verifier")
    token = auth.login(client, "verifier")
    indicator = _indicator(catalogue, season[0])
    early = _finding(client, world, token, indicator, "terlalu awal")
    assert early.status_code == 409 and _count(db, Finding) == 0
    activity = client.post(f"{world.base()}/lapangan/kegiatan", data={
        "on": "2025-08-04", "kind": "site_visit", "place": "Puskesmas", "csrf_token": token})
    assert activity.status_code == 409 and _count(db, FieldActivity) == 0


def _record_two(db, world, auth, make_client, catalogue, scorer, codes, app):
    """As the team: a visit with an ordinary finding and a file, an interview with a sensitive one."""
    _field_started(db, world, scorer, codes)
    client = make_client()
    token = auth.login(client, "verifier")
    base = world.base()
    for kind, place in (("site_visit", "Puskesmas Pahandut"), ("child_interview", "Forum Anak Kota")):
        for _twice in range(2):
            assert client.post(f"{base}/lapangan/kegiatan", data={
                "on": "2025-08-04", "kind": kind, "place": place, "note": "", "csrf_token": token},
                follow_redirects=False).status_code == 303
    assert _count(db, FieldActivity) == 2  # each sent twice, recorded once
    visit, interview = db.exec(select(FieldActivity).order_by(FieldActivity.id)).all()
    indicator = _indicator(catalogue, codes[0])
    pdf = sample_pdf("Berita acara", "kunjungan")
    assert _finding(client, world, token, indicator, "Ruang laktasi tersedia", activity_id=str(visit.id),
                    files=[("ba.pdf", pdf, "application/pdf")]).status_code == 303
    # Not ticked as sensitive: an interview with children makes it so.
    assert _finding(client, world, token, indicator, "Anak X bercerita tentang kekerasan",
                    activity_id=str(interview.id),
                    files=[("catatan.pdf", sample_pdf("Catatan", "wawancara"), "application/pdf")]).status_code == 303
    ordinary, sensitive = db.exec(select(Finding).order_by(Finding.id)).all()
    assert not ordinary.sensitive and sensitive.sensitive
    files = {f.finding_id: f for f in db.exec(select(FindingFile))}
    return client, ordinary, sensitive, files


def _file_url(world, finding, row) -> str:
    return f"{world.base()}/lapangan/temuan/{finding.id}/berkas/{row.id}"


def test_sensitive_findings_stay_with_the_team_and_the_ministry(make_client, world, auth, db, scorer, catalogue,
                                                                season, app):
    team, ordinary, sensitive, files = _record_two(db, world, auth, make_client, catalogue, scorer, season, app)
    base = world.base()

    def seen(username):
        client = make_client()
        auth.login(client, username)
        response = client.get(f"{base}/lapangan")
        if response.status_code != 200:
            return response.status_code
        return html.texts(html.page(response), "//span[@class='finding-text']")

    for username in ("admin", "reviewer", "verifier"):
        assert seen(username) == ["Ruang laktasi tersedia", "Anak X bercerita tentang kekerasan"], username
    # During field verification the kab/kota and its province see the schedule and activities, no findings.
    for username in ("dp3a_a", "province"):
        assert seen(username) == []
    for username in ("verifier_other", "reviewer_other", "province_other", "dp3a_b", "opd_a"):
        assert seen(username) == 403, username

    download = team.get(_file_url(world, sensitive, files[sensitive.id]))
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content.startswith(b"%PDF")

    close_client = make_client()
    close_token = auth.login(close_client, "admin")
    assert close_client.post(f"{base}/lapangan/selesai", data={"csrf_token": close_token},
                             follow_redirects=False).status_code == 303
    # Closed: the kab/kota and its province see the ordinary finding and its file, never the sensitive one.
    for username in ("dp3a_a", "province"):
        assert seen(username) == ["Ruang laktasi tersedia"]
        client = make_client()
        auth.login(client, username)
        assert client.get(_file_url(world, ordinary, files[ordinary.id])).status_code == 200
        assert client.get(_file_url(world, sensitive, files[sensitive.id])).status_code == 404
        assert not html.mentions(html.page(client.get(f"{base}/lapangan")), "catatan.pdf")
    # A file named under another finding is no file.
    assert team.get(_file_url(world, ordinary, files[sensitive.id])).status_code == 404


def test_a_published_year_changes_nothing(make_client, world, auth, db, scorer, catalogue, season, app):
    team, _ordinary, _sensitive, _files = _record_two(db, world, auth, make_client, catalogue, scorer, season, app)
    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    from app.models import utcnow

    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    token = html.attrs(html.page(team.get(f"{world.base()}/lapangan")), "//*[@name='csrf_token']/@value")[0]
    refused = _finding(team, world, token, _indicator(catalogue, season[0]), "terlambat")
    assert refused.status_code == 409
    assert _alert(refused) == _say("The award list of this year is published: field verification can no longer "
                                   "change.")
    admin = make_client()
    admin_token = auth.login(admin, "admin")
    assert _schedule(admin, world, admin_token).status_code == 409
    assert admin.post(f"{world.base()}/lapangan/selesai", data={"csrf_token": admin_token}).status_code == 409
    assert _count(db, Finding) == 2 and _count(db, FieldSchedule) == 0
    assert _stage(db, world) == Stage.FIELD


def test_a_refused_file_refuses_the_finding(client, world, auth, db, scorer, catalogue, season):
    _field_started(db, world, scorer, season)
    token = auth.login(client, "verifier")
    response = _finding(client, world, token, _indicator(catalogue, season[0]), "foto",
                        files=[("foto.exe", b"MZ\x90\x00 not a picture", "application/octet-stream")])
    assert response.status_code == 422 and "foto.exe" in _alert(response)
    assert _count(db, Finding) == 0


# -- who reaches the pages --------------------------------------------------------------------------


def test_who_opens_the_field_page_during_field_verification(make_client, world, auth, db, scorer, catalogue, season):
    _field_started(db, world, scorer, season)
    allowed = {"admin", "reviewer", "verifier", "dp3a_a", "province"}
    for username in ("admin", "reviewer", "reviewer_other", "verifier", "verifier_other", "province",
                     "province_other", "dp3a_a", "opd_a", "dp3a_b"):
        client = make_client()
        token = auth.login(client, username)
        status = client.get(f"{world.base()}/lapangan").status_code
        assert status == (200 if username in allowed else 403), username
        # Activities and findings: the team and the ministry's national team only.
        post = client.post(f"{world.base()}/lapangan/kegiatan", data={
            "on": "2025-08-04", "kind": "document_check", "place": "Bappeda", "csrf_token": token},
            follow_redirects=False).status_code
        assert post == (303 if username in ("admin", "verifier") else 403), username


def test_assignments(make_client, world, auth, db, scorer, catalogue, season):
    season_team(world, db, "a", "verifier", lead=True)
    verifier = make_client()
    auth.login(verifier, "verifier")
    assert verifier.get("/", follow_redirects=False).headers["location"] == "/lapangan"
    rows = html.page(verifier.get("/lapangan")).xpath("//table[contains(@class, 'assignments')]/tbody/tr")
    assert [html.text_of(r, "./td[1]") for r in rows] == ["Kota Palangka Raya"]
    other = make_client()
    auth.login(other, "verifier_other")
    assert html.texts(html.page(other.get("/lapangan")), "//table/tbody/tr/td[@class='name']") == []

    admin = make_client()
    auth.login(admin, "admin")
    names = html.texts(html.page(admin.get("/lapangan")), "//table/tbody/tr/td[@class='name']")
    assert names == ["Kota Palangka Raya"]  # B and C are still with their kab/kota
    assert html.texts(html.page(admin.get("/lapangan?provinsi=63")), "//table/tbody/tr/td[@class='name']") == []
    for username in ("dp3a_a", "province", "reviewer", "opd_a"):
        client = make_client()
        auth.login(client, username)
        assert client.get("/lapangan").status_code == 403, username


# -- the review desk after field verification -----------------------------------------------------


def test_an_adjustment_shows_in_the_answers_history(make_client, world, auth, db, scorer, catalogue, season):
    _field_started(db, world, scorer, season)
    team = make_client()
    token = auth.login(team, "verifier")
    code = season[0]
    assert _finding(team, world, token, _indicator(catalogue, code), "Tidak ada bukti fisik",
                    **{f"score_{code}": "0"}).status_code == 303
    dp3a = make_client()
    auth.login(dp3a, "dp3a_a")
    history = html.texts(html.page(dp3a.get(f"{world.base()}/verifikasi/{code}")), "//li")
    line = next(t for t in history if "Tidak ada bukti fisik" in t)
    with using_language("id"):
        assert f"({gettext('field verification')})" in line


def test_a_verifier_on_the_team_opens_the_review_desk(make_client, world, auth, db, scorer, catalogue, season):
    if not hasattr(review_service, "desk_stage"):
        pytest.skip("the desk's stage for a verifier comes with the ministry helper's review.desk_stage")
    _field_started(db, world, scorer, season)
    client = make_client()
    auth.login(client, "verifier")
    assert client.get(f"{world.base()}/verifikasi?status=all").status_code == 200
    assert client.get(f"{world.base()}/verifikasi/{season[0]}").status_code == 200
    other = make_client()
    auth.login(other, "verifier_other")
    assert other.get(f"{world.base()}/verifikasi").status_code == 403
