"""Deadlines that pass by themselves (issue 24, item 5): the runner's scan closes an answering window at
its deadline and ends a reopening at its deadline, audited as the system, once however often it runs."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.jobs import deadlines, tasks  # noqa: F401 (registers the scan)
from app.jobs.registry import JobContext
from app.jobs.runner import TickReport, run_scans, tick
from app.models import Answer, AnswerStatus, Assessment, AuditEntry, Reopening, utcnow
from app.services import answering_window
from scoring import Stage
from tests import html


def _context(settings, engine, catalogue) -> JobContext:
    return JobContext(settings, engine, catalogue, "test:1")


def _reopening(db, world, catalogue, *, until, closed_at=None) -> Reopening:
    assessment = world.assessments["a"]
    code = next(iter(catalogue.questions))
    answer = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                          Answer.question_code == code)).first()
    if answer is None:
        answer = Answer(assessment_id=assessment.id, question_code=code, status=AnswerStatus.RETURNED)
        db.add(answer)
        db.flush()
    reopening = Reopening(answer_id=answer.id, stage=Stage.PROVINCE, until=until, opened_by=world.users["province"].id,
                          opened_at=until - timedelta(hours=48), closed_at=closed_at, note="Perbaiki")
    db.add(reopening)
    db.commit()
    return reopening


def test_the_window_closes_at_its_deadline_once_audited_as_the_system(engine, db, world, settings, catalogue):
    assessment = world.assessments["a"]
    later = world.assessments["b"]
    assert answering_window.set_window(db, world.users["dp3a_a"], assessment, True, utcnow() + timedelta(hours=1))
    assert answering_window.set_window(db, world.users["dp3a_b"], later, True, utcnow() + timedelta(days=3))
    db.commit()
    context = _context(settings, engine, catalogue)
    assert tick(context).scans["deadlines"] == 0  # not yet
    report = tick(context, utcnow() + timedelta(hours=2))
    assert report.scans["deadlines"] == 1
    with Session(engine) as session:
        assert not session.get(Assessment, assessment.id).window_open
        assert session.get(Assessment, later.id).window_open  # its deadline is later
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "assessment.window",
                                                        AuditEntry.user_id.is_(None))).all()
        assert entry.entity_id == str(assessment.id) and entry.after["by"] == "deadline"
        assert entry.after["window_open"] is False
    assert tick(context, utcnow() + timedelta(hours=3)).scans["deadlines"] == 0  # idempotent


def test_the_dp3a_may_open_the_window_again_after_it_closed_by_itself(engine, db, world, settings, catalogue):
    assessment = world.assessments["a"]
    assessment.window_open, assessment.window_closes_at = True, utcnow() - timedelta(minutes=1)
    db.add(assessment)
    db.commit()
    context = _context(settings, engine, catalogue)
    assert tick(context).scans["deadlines"] == 1
    db.refresh(assessment)
    assert not assessment.window_open
    assert answering_window.set_window(db, world.users["dp3a_a"], assessment, True, None)  # no deadline now
    db.commit()
    assert tick(context, utcnow() + timedelta(days=30)).scans["deadlines"] == 0
    db.refresh(assessment)
    assert assessment.window_open


def test_a_window_without_a_deadline_stays_open(engine, db, world, settings, catalogue):
    report = TickReport()
    run_scans(_context(settings, engine, catalogue), utcnow() + timedelta(days=365), report)
    assert report.scans["deadlines"] == 0
    with Session(engine) as session:
        assert all(a.window_open for a in session.exec(select(Assessment)).all())


def test_a_reopening_ends_at_its_deadline_and_one_closed_early_keeps_its_moment(engine, db, world, settings,
                                                                                catalogue):
    now = utcnow()
    lapsed = _reopening(db, world, catalogue, until=now - timedelta(minutes=5))
    early = _reopening(db, world, catalogue, until=now - timedelta(minutes=1), closed_at=now - timedelta(hours=3))
    running = _reopening(db, world, catalogue, until=now + timedelta(hours=5))
    context = _context(settings, engine, catalogue)
    assert tick(context, now).scans["deadlines"] == 1
    assert tick(context, now).scans["deadlines"] == 0  # idempotent
    with Session(engine) as session:
        ended = session.get(Reopening, lapsed.id)
        assert ended.closed_at is not None and deadlines.ended_by_time(ended)
        kept = session.get(Reopening, early.id)
        assert not deadlines.ended_by_time(kept)
        assert answering_window.as_utc(kept.closed_at) == answering_window.as_utc(early.closed_at)
        assert session.get(Reopening, running.id).closed_at is None
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "reopening.ended")).all()
        assert entry.user_id is None and [r["reopening"] for r in entry.after["reopenings"]] == [lapsed.id]


def test_the_timeline_tells_a_reopening_ended_by_time_from_one_closed_by_an_approval(client, auth, engine, db, world,
                                                                                     settings, catalogue):
    now = utcnow()
    assessment = world.assessments["a"]
    assessment.stage = Stage.PROVINCE  # the ministry's timeline of a kab/kota in review
    db.add(assessment)
    _reopening(db, world, catalogue, until=now - timedelta(minutes=5))
    _reopening(db, world, catalogue, until=now - timedelta(minutes=1), closed_at=now - timedelta(hours=3))
    tick(_context(settings, engine, catalogue), now)
    auth.login(client, "admin")
    response = client.get(f"{world.base('a')}/linimasa")
    assert response.status_code == 200
    tree = html.page(response)
    items = [html.text_of(item) for item in tree.xpath("//ul[@id='reopenings']/li")]
    assert len(items) == 2
    assert sum("berakhir sendiri saat jatuh tempo" in item for item in items) == 1
    assert sum("ditutup" in item for item in items) == 1
