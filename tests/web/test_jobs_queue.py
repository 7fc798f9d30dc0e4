"""The job queue (app/jobs): a key is one job however often it is planned; a due job is taken by one
runner even when several look at once; a failed attempt waits and is retried, then gives up."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session, select

from app.jobs import queue
from app.jobs.registry import JobContext
from app.jobs.runner import TickReport, run_due_jobs
from app.models import Job, JobState, utcnow


def test_the_same_key_is_one_job(db):
    assert queue.enqueue(db, "test.kind", "k:1", {"n": 1})
    assert not queue.enqueue(db, "test.kind", "k:1", {"n": 2})
    db.commit()
    jobs = db.exec(select(Job)).all()
    assert [(j.key, j.payload, j.state) for j in jobs] == [("k:1", {"n": 1}, JobState.PENDING)]


def test_a_job_not_yet_due_is_not_taken(engine, db):
    queue.enqueue(db, "test.kind", "later", run_at=utcnow() + timedelta(minutes=5))
    db.commit()
    assert queue.take(engine, "w1") is None
    assert queue.take(engine, "w1", utcnow() + timedelta(minutes=6)) is not None


def test_many_runners_at_once_take_each_job_once(engine, db):
    for n in range(40):
        queue.enqueue(db, "test.kind", f"k:{n}")
    db.commit()
    taken: dict[str, list[int]] = {f"w{i}": [] for i in range(4)}
    start = threading.Barrier(4)

    def runner(name: str) -> None:
        start.wait()
        while (job := queue.take(engine, name)) is not None:
            taken[name].append(job.id)
            assert queue.finish(engine, job, name, {"by": name})

    threads = [threading.Thread(target=runner, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [i for got in taken.values() for i in got]
    assert len(ids) == 40 and len(set(ids)) == 40
    with Session(engine) as session:
        assert {j.state for j in session.exec(select(Job)).all()} == {JobState.DONE}


def test_a_failed_attempt_waits_then_gives_up(engine, db, settings, catalogue):
    from app.jobs.registry import HANDLERS, LEASE_SECONDS

    calls: list[int] = []

    def flaky(context, job):
        calls.append(job.attempts)
        raise ConnectionError("refused")

    HANDLERS["test.flaky"] = flaky
    LEASE_SECONDS["test.flaky"] = 60
    try:
        queue.enqueue(db, "test.flaky", "f:1", max_attempts=2)
        db.commit()
        context = JobContext(settings, engine, catalogue, "w1")
        now = utcnow()
        report = TickReport()
        run_due_jobs(context, now, report, kinds=("test.flaky",))
        with Session(engine) as session:
            job = session.exec(select(Job)).one()
            assert job.state == JobState.PENDING and job.attempts == 1
            assert job.last_error == "ConnectionError: refused"
            assert job.run_at > now + timedelta(seconds=50)
        run_due_jobs(context, now, report, kinds=("test.flaky",))
        assert calls == [1]  # not due yet
        run_due_jobs(context, now + timedelta(minutes=2), report, kinds=("test.flaky",))
        with Session(engine) as session:
            job = session.exec(select(Job)).one()
            assert job.state == JobState.FAILED and job.attempts == 2
            assert queue.retry(session, job)
            session.commit()
            assert session.exec(select(Job)).one().state == JobState.PENDING
        assert calls == [1, 2]
    finally:
        HANDLERS.pop("test.flaky")
        LEASE_SECONDS.pop("test.flaky")


def test_a_lapsed_lease_lets_another_runner_take_the_job_and_the_first_writes_nothing(engine, db):
    queue.enqueue(db, "test.kind", "slow")
    db.commit()
    first = queue.take(engine, "w1", lease={"test.kind": 10})
    assert first is not None
    assert queue.take(engine, "w2") is None  # held
    second = queue.take(engine, "w2", utcnow() + timedelta(seconds=11))
    assert second is not None and second.id == first.id
    assert not queue.finish(engine, first, "w1")
    assert queue.finish(engine, second, "w2")
