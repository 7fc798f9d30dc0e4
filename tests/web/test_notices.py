"""E-mail through a real SMTP server (aiosmtpd, started here): which messages go to whom, in which
language, with no sensitive content; a refusal is tried again; nothing is sent twice, also with two
runners at once; the user's choices hold; nothing is planned while e-mail is off."""

from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.clock import WIB, local_time
from app.jobs import queue
from app.jobs.registry import JobContext
from app.jobs.runner import TickReport, run_due_jobs, tick
from app.models import (
    Answer,
    AnswerStatus,
    Assignment,
    FollowUp,
    Job,
    JobState,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    Reopening,
    ReviewAction,
    ReviewEvent,
    utcnow,
)
from app.notices.smtp import SmtpSettingError, TlsRefused, build_message, parse_url, send
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring import Stage
from tests.smtp_sink import SmtpServer

PLAIN = "1.2l"  # a DINKES question
SENSITIVE = "22A.1"  # a sensitive one, DINKES among its agencies
PUBLIC_URL = "https://kla.example.org"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.model_copy(update={"smtp_url": smtp.url, "public_url": PUBLIC_URL,
                                       "smtp_sender": "KLA <noreply@example.org>"})


@pytest.fixture
def context(mail_settings, engine, catalogue):
    from app.jobs import tasks  # noqa: F401 (registers the e-mail handler and scans)

    return JobContext(mail_settings, engine, catalogue, "w1")


@pytest.fixture
def people(world, db):
    """Addresses on the accounts: opd_a reads Indonesian, opd_a2 English; B's have addresses too. The
    DP3A's daily digest is off but in its own test (it comes from 07:00 WIB: the clock would decide)."""
    for username, language in (("opd_a", "id"), ("opd_a2", "en"), ("dp3a_a", "id"), ("opd_b", "id"),
                               ("dp3a_b", "id"), ("admin", "id")):
        user = world.users[username]
        user.email, user.language = f"{username}@example.org", language
        user.email_off = ["digest"] if user.role == "dp3a" else []
        db.add(user)
    db.commit()
    return world.users


def _answer(db, world, code: str, status: AnswerStatus = AnswerStatus.RETURNED, which: str = "a") -> Answer:
    assessment = world.assessments[which]
    if db.exec(select(Assignment).where(Assignment.assessment_id == assessment.id, Assignment.question_code == code,
                                        Assignment.agency_id == world.agencies[f"dinkes_{which}"].id)).first() is None:
        db.add(Assignment(assessment_id=assessment.id, question_code=code, agency_id=world.agencies[f"dinkes_{which}"].id))
    answer = Answer(assessment_id=assessment.id, question_code=code, option="a", status=status,
                    updated_by=world.users[f"opd_{which}"].id)
    db.add(answer)
    db.flush()
    return answer


def _return(db, world, code: str, note: str, *, stage: Stage = Stage.DP3A, which: str = "a",
            at: datetime | None = None) -> ReviewEvent:
    answer = _answer(db, world, code, which=which)
    event = ReviewEvent(answer_id=answer.id, stage=stage, action=ReviewAction.RETURNED,
                        reasons=["bukan_tahun_berjalan"], note=note, user_id=world.users[f"dp3a_{which}"].id,
                        at=at or utcnow() - timedelta(hours=1))
    db.add(event)
    db.commit()
    return event


def _jobs(engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).order_by(Job.id)).all())


def test_a_return_reaches_the_agencys_accounts_in_their_language(context, smtp, people, world, db):
    _return(db, world, PLAIN, "Lampirkan SK tahun 2024.")
    report = tick(context)
    assert report.done == {"email": 2}
    assert sorted(r.to[0] for r in smtp.sink.received) == ["opd_a2@example.org", "opd_a@example.org"]
    indonesian, english = smtp.sink.to("opd_a@example.org")[0], smtp.sink.to("opd_a2@example.org")[0]
    assert PLAIN in indonesian.subject and PLAIN in english.subject
    assert "Bukan tahun berjalan" in indonesian.body and "Not from the current year" in english.body
    assert "Reasons:" in english.body and "Reasons:" not in indonesian.body
    assert "Lampirkan SK tahun 2024." in indonesian.body
    link = f"{PUBLIC_URL}/r/{world.regency_a.code}/{world.year}/isian/{PLAIN}"
    assert link in indonesian.body and link in english.body
    assert f"{PUBLIC_URL}/akun/surel" in indonesian.body  # how to turn it off
    assert indonesian.message["From"] == "KLA <noreply@example.org>"
    assert indonesian.message.get_content_charset() == "utf-8"
    # Planned once: the next ticks send nothing more.
    assert tick(context).jobs == 0
    assert tick(context, utcnow() + timedelta(hours=2)).jobs == 0
    assert len(smtp.sink.received) == 2


def test_a_sensitive_questions_return_names_no_file_and_no_note(context, smtp, people, world, db, app):
    event = _return(db, world, SENSITIVE, "Korban: Melati, 9 tahun, lihat visum.")
    answer = db.get(Answer, event.answer_id)
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("Visum", "uji")))
    attach(db, world.assessments["a"], answer, stored, "visum-melati.pdf", people["opd_a"])
    db.commit()
    tick(context)
    assert len(smtp.sink.received) == 2
    for received in smtp.sink.received:
        text = received.subject + received.body + received.message.as_string()
        assert "Melati" not in text and "visum" not in text.lower()
    assert "buka aplikasi" in smtp.sink.to("opd_a@example.org")[0].body
    assert "open the application" in smtp.sink.to("opd_a2@example.org")[0].body


def test_another_agency_and_another_kabkota_hear_nothing(context, smtp, people, world, db):
    _return(db, world, PLAIN, "Perbaiki.", which="b")
    tick(context)
    assert [r.to for r in smtp.sink.received] == [["opd_b@example.org"]]


def test_a_refusal_is_tried_again_later(context, smtp, people, world, db):
    people["opd_a2"].email = ""
    db.add(people["opd_a2"])
    db.commit()
    _return(db, world, PLAIN, "Perbaiki.")
    smtp.sink.refuse = 1
    now = utcnow()
    report = tick(context, now)
    assert report.failed == {"email": 1} and smtp.sink.received == []
    [job] = _jobs(context.engine)
    assert job.state == JobState.PENDING and job.attempts == 1 and "451" in job.last_error
    run_due_jobs(context, now + timedelta(seconds=30), TickReport())
    assert smtp.sink.received == []  # the backoff holds it
    report = TickReport()
    run_due_jobs(context, now + timedelta(minutes=2), report)
    assert report.done == {"email": 1}
    assert [r.to for r in smtp.sink.received] == [["opd_a@example.org"]]


def test_after_the_last_attempt_the_job_fails_and_the_admin_can_try_again(context, smtp, people, world, db):
    people["opd_a2"].email = ""
    db.add(people["opd_a2"])
    db.commit()
    _return(db, world, PLAIN, "Perbaiki.")
    smtp.sink.refuse = 99
    now = utcnow()
    tick(context, now)
    for minutes in (2, 10, 30, 120):
        run_due_jobs(context, now + timedelta(minutes=minutes), TickReport())
    [job] = _jobs(context.engine)
    assert job.state == JobState.FAILED and job.attempts == 5
    smtp.sink.refuse = 0
    with Session(context.engine) as session:
        assert queue.retry(session, session.get(Job, job.id))
        session.commit()
    run_due_jobs(context, None, TickReport())
    assert len(smtp.sink.received) == 1


def test_two_runners_at_once_send_each_message_once(context, smtp, people, world, db):
    codes = [r.question.code for r in context.catalogue.iter_questions()
             if "DINKES" in r.question.agencies and not r.question.sensitive][:8]
    for code in codes:
        _return(db, world, code, "Perbaiki.")
    start = threading.Barrier(2)
    reports: list[TickReport] = []

    def runner(name: str) -> None:
        start.wait()
        reports.append(tick(JobContext(context.settings, context.engine, context.catalogue, name)))

    threads = [threading.Thread(target=runner, args=(name,)) for name in ("host-a:1", "host-b:2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp.sink.received) == 2 * len(codes)  # opd_a and opd_a2, each once per return
    seen = [(r.to[0], r.subject) for r in smtp.sink.received]
    assert len(set(seen)) == len(seen)
    assert sum(r.done.get("email", 0) for r in reports) == 2 * len(codes)


def test_the_users_choices_hold(context, smtp, people, world, db):
    people["opd_a2"].email_off = ["returned"]
    db.add(people["opd_a2"])
    db.commit()
    _return(db, world, PLAIN, "Perbaiki.")
    tick(context)
    assert [r.to for r in smtp.sink.received] == [["opd_a@example.org"]]


def test_a_person_who_turns_it_off_after_planning_gets_nothing(context, smtp, people, world, db):
    _return(db, world, PLAIN, "Perbaiki.")
    now = utcnow()
    from app.jobs.runner import run_scans

    run_scans(context, now, TickReport())
    people["opd_a"].active = False
    people["opd_a2"].email_off = ["returned"]
    db.add_all([people["opd_a"], people["opd_a2"]])
    db.commit()
    run_due_jobs(context, now, TickReport())
    assert smtp.sink.received == []
    assert {j.result.get("skipped") for j in _jobs(context.engine)} == {"inactive", "turned off"}


def test_nothing_is_planned_while_email_is_off(settings, engine, catalogue, people, world, db):
    from app.jobs import tasks  # noqa: F401

    _return(db, world, PLAIN, "Perbaiki.")
    report = tick(JobContext(settings, engine, catalogue, "w1"))
    assert settings.smtp_url == "" and report.jobs == 0 and _jobs(engine) == []


def test_old_events_are_not_mailed_on_a_first_deployment(context, smtp, people, world, db):
    _return(db, world, PLAIN, "Perbaiki.", at=utcnow() - timedelta(days=10))
    assert tick(context).jobs == 0


def test_a_reopening_says_its_deadline_in_wib(context, smtp, people, world, db):
    answer = _answer(db, world, PLAIN)
    until = utcnow() + timedelta(hours=48)
    db.add(Reopening(answer_id=answer.id, stage=Stage.PROVINCE, until=until, note="Tambahkan daftar hadir.",
                     opened_by=people["admin"].id))
    db.commit()
    tick(context)
    assert sorted(r.to[0] for r in smtp.sink.received) == ["dp3a_a@example.org", "opd_a2@example.org",
                                                            "opd_a@example.org"]
    received = smtp.sink.to("opd_a@example.org")[0]
    assert local_time(until) in received.subject and local_time(until).endswith("WIB")
    assert "Tambahkan daftar hadir." in received.body


def test_a_province_return_with_its_window_is_one_message_with_the_deadline(context, smtp, people, world, db):
    """The agency's accounts read the deadline in the return's message (not a second one); the DP3A, who
    gets no return messages and coordinates the fix after the hand-over, gets the reopening's."""
    event = _return(db, world, PLAIN, "Perbaiki.", stage=Stage.PROVINCE)
    until = event.at + timedelta(hours=48)
    db.add(Reopening(answer_id=event.answer_id, stage=Stage.PROVINCE, until=until, note="Perbaiki.",
                     opened_by=people["admin"].id, opened_at=event.at))
    db.commit()
    tick(context)
    assert sorted(r.to[0] for r in smtp.sink.received) == ["dp3a_a@example.org", "opd_a2@example.org",
                                                            "opd_a@example.org"]
    assert local_time(until) in smtp.sink.to("opd_a@example.org")[0].body
    assert "dikembalikan" in smtp.sink.to("opd_a@example.org")[0].subject
    to_dp3a = smtp.sink.to("dp3a_a@example.org")[0]
    assert "dibuka kembali" in to_dp3a.subject and local_time(until) in to_dp3a.subject
    assert "Perbaiki." in to_dp3a.body
    assert tick(context).jobs == 0 and len(smtp.sink.received) == 3


def test_a_province_return_reaches_the_dp3a_of_a_kab_kota_without_agency_accounts(context, smtp, people, world,
                                                                                   db):
    """Opened by the DP3A's own account (the opener): nobody is told; by the province: the DP3A is, the
    only account of a kab/kota whose agencies have none."""
    for username in ("opd_a", "opd_a2"):
        people[username].active = False
        db.add(people[username])
    event = _return(db, world, PLAIN, "Lampirkan notulen.", stage=Stage.PROVINCE)
    db.add(Reopening(answer_id=event.answer_id, stage=Stage.PROVINCE, until=event.at + timedelta(hours=48),
                     note="Lampirkan notulen.", opened_by=people["dp3a_a"].id, opened_at=event.at))
    db.commit()
    tick(context)
    assert smtp.sink.received == []
    other = _return(db, world, SENSITIVE, "Korban: Melati.", stage=Stage.PROVINCE)
    db.add(Reopening(answer_id=other.answer_id, stage=Stage.PROVINCE, until=other.at + timedelta(hours=48),
                     note="Korban: Melati.", opened_by=people["admin"].id, opened_at=other.at))
    db.commit()
    tick(context)
    assert [r.to[0] for r in smtp.sink.received] == ["dp3a_a@example.org"]
    received = smtp.sink.received[0]
    assert SENSITIVE in received.subject and "Melati" not in received.subject + received.body


def test_the_window_warns_three_days_then_one_day_before(context, smtp, people, world, db):
    assessment = world.assessments["a"]
    closes = utcnow() + timedelta(days=2)
    assessment.window_closes_at = closes
    db.add(assessment)
    _answer(db, world, PLAIN, AnswerStatus.SUBMITTED)
    db.commit()
    tick(context)
    assert sorted(r.to[0] for r in smtp.sink.received) == ["dp3a_a@example.org", "opd_a2@example.org",
                                                            "opd_a@example.org"]
    assert local_time(closes) in smtp.sink.received[0].subject
    assert tick(context, utcnow() + timedelta(hours=12)).jobs == 0  # still the 3-day warning: sent
    tick(context, utcnow() + timedelta(days=1, hours=12))
    assert len(smtp.sink.received) == 6


def test_a_recommendation_due_soon_reaches_its_agencies_and_the_dp3a(context, smtp, people, world, db, catalogue):
    today = utcnow().astimezone(WIB).date()
    ref = catalogue.questions[SENSITIVE]
    recs = []
    for code, text in ((PLAIN, "Susun SK Gugus Tugas."), (SENSITIVE, "Rujuk korban Melati ke UPTD PPA.")):
        rec = Recommendation(assessment_id=world.assessments["a"].id, stage=Stage.PROVINCE,
                             indicator_code=ref.indicator.code, question_code=code, text=text,
                             status=RecommendationStatus.ASSIGNED, due_on=today + timedelta(days=2),
                             created_by=people["admin"].id)
        db.add(rec)
        db.flush()
        db.add(RecommendationAgency(recommendation_id=rec.id, agency_id=world.agencies["dinkes_a"].id))
        recs.append(rec)
    far = Recommendation(assessment_id=world.assessments["a"].id, stage=Stage.PROVINCE, indicator_code="x",
                         text="Nanti.", status=RecommendationStatus.ASSIGNED, due_on=today + timedelta(days=20),
                         created_by=people["admin"].id)
    db.add(far)
    db.commit()
    tick(context)
    assert len(smtp.sink.to("opd_a@example.org")) == 2 and len(smtp.sink.to("dp3a_a@example.org")) == 2
    assert smtp.sink.to("opd_b@example.org") == []
    bodies = " ".join(r.body for r in smtp.sink.received)
    assert "Susun SK Gugus Tugas." in bodies and "Melati" not in bodies
    assert f"/rekomendasi/{recs[0].id}" in bodies


def test_the_daily_digest_comes_once_a_day_after_seven(context, smtp, people, world, db):
    for name in ("dp3a_a", "dp3a_b"):
        people[name].email_off = []
        db.add(people[name])
    today = utcnow().astimezone(WIB).date()
    six, eight = (datetime.combine(today, datetime.min.time(), WIB).replace(hour=h) for h in (6, 8))
    answer = _answer(db, world, PLAIN, AnswerStatus.SUBMITTED)
    db.add(ReviewEvent(answer_id=answer.id, stage=Stage.SELF, action=ReviewAction.SUBMITTED,
                       user_id=people["opd_a"].id, at=six - timedelta(hours=3)))
    again = _answer(db, world, "1.2m", AnswerStatus.SUBMITTED)
    db.add_all([ReviewEvent(answer_id=again.id, stage=Stage.DP3A, action=ReviewAction.RETURNED, reasons=["x"],
                            user_id=people["dp3a_a"].id, at=six - timedelta(days=2)),
                ReviewEvent(answer_id=again.id, stage=Stage.SELF, action=ReviewAction.SUBMITTED,
                            user_id=people["opd_a"].id, at=six - timedelta(hours=2))])
    rec = Recommendation(assessment_id=world.assessments["a"].id, stage=Stage.PROVINCE, indicator_code="x",
                         text="t", status=RecommendationStatus.REPORTED, created_by=people["admin"].id)
    db.add(rec)
    db.flush()
    db.add(FollowUp(recommendation_id=rec.id, note="selesai", user_id=people["opd_a"].id, at=six - timedelta(hours=1)))
    db.commit()
    tick(context, six)  # before 07:00 WIB: no digest yet (the return of 1.2m is mailed to its agency)
    assert smtp.sink.to("dp3a_a@example.org") == []
    tick(context, eight)
    [digest] = smtp.sink.to("dp3a_a@example.org")
    assert "1.2l" in digest.body and "1.2m" in digest.body
    assert f"/r/{world.regency_a.code}/{world.year}/verifikasi" in digest.body
    assert smtp.sink.to("dp3a_b@example.org") == []  # nothing arrived in B
    assert tick(context, eight + timedelta(hours=3)).jobs == 0
    # The next day: only what arrived since.
    tick(context, eight + timedelta(days=1))
    assert len(smtp.sink.to("dp3a_a@example.org")) == 1


def test_the_smtp_url(smtp, settings):
    target = parse_url("smtp://me%40x:s%2Fcret@mail.example.org:587?tls=required")
    assert (target.host, target.port, target.username, target.password, target.tls_required, target.implicit_tls) == \
        ("mail.example.org", 587, "me@x", "s/cret", True, False)
    assert parse_url("smtps://mail.example.org").port == 465 and parse_url("smtps://mail.example.org").implicit_tls
    assert parse_url("smtp://mail.example.org").port == 25
    with pytest.raises(SmtpSettingError):
        parse_url("http://mail.example.org")
    # The test server offers no STARTTLS: a URL that requires TLS refuses to send in clear.
    strict = settings.model_copy(update={"smtp_url": smtp.url + "?tls=required"})
    with pytest.raises(TlsRefused):
        send(strict, build_message(strict, "x@example.org", "s", "b"))
    assert smtp.sink.received == []


def test_the_accounts_of_an_inactive_agency_hear_nothing(context, smtp, people, world, db):
    agency = world.agencies["dinkes_a"]
    agency.active = False
    db.add(agency)
    db.commit()
    _return(db, world, PLAIN, "Perbaiki.")
    assert tick(context).jobs == 0 and smtp.sink.received == []


def test_a_cluster_coordinators_return_says_it_is_theirs(context, smtp, people, world, db, catalogue):
    """Issue 24: the e-mail of a coordinator's return names the coordinator and the cluster, not the DP3A."""
    people["opd_a"].language = "en"
    db.add(people["opd_a"])
    db.commit()
    _return(db, world, PLAIN, "Perbaiki.", stage=Stage.CLUSTER)
    tick(context)
    part = catalogue.questions[PLAIN].part.short_name
    body = smtp.sink.to("opd_a@example.org")[0].body
    assert f"Returned by the cluster coordinator ({part})" in body and "Returned by the DP3A" not in body
