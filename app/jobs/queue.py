"""The job table as a queue: enqueue under a key, take a due job, finish or fail it.

Correct with several runners on several machines: a runner takes a job with one conditional UPDATE
(pending and due, or running with a lapsed lease) and checks that it changed a row; on PostgreSQL the
candidate is first chosen `FOR UPDATE SKIP LOCKED`, so runners do not queue behind each other's rows.
Finishing checks the lease is still the runner's: a runner that lost its lease (it hung past it and
another took the job) writes nothing. Each call here commits its own short transaction: taking a job
must be visible to other runners before the work starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.models import Job, JobState, utcnow

# Waits before the 2nd, 3rd, ... attempt of a failed job; the last repeats.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
ERROR_CHARS = 2000
LAPSED_ERROR = "Its runner stopped or hung past its lease on every attempt."


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any] | None = None, *,
            run_at: datetime | None = None, regency_code: str | None = None, user_id: int | None = None,
            max_attempts: int = 5) -> bool:
    """Add a job unless one with `key` exists (whatever its state): says whether it was added. One
    statement (INSERT ... ON CONFLICT DO NOTHING), so two runners planning the same job at once add one.
    Does not commit: the job is part of the caller's unit of work."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Job).values(
        kind=kind, key=key, payload=payload or {}, state=JobState.PENDING, run_at=run_at or utcnow(),
        attempts=0, max_attempts=max_attempts, last_error="", progress=0, result={},
        regency_code=regency_code, user_id=user_id, created_at=utcnow())
    added = session.execute(statement.on_conflict_do_nothing(index_elements=["key"]).returning(col(Job.id)))
    return added.first() is not None


def _due(now: datetime) -> Any:
    return or_((col(Job.state) == JobState.PENDING) & (col(Job.run_at) <= now),
               (col(Job.state) == JobState.RUNNING) & (col(Job.locked_until) < now))


def take(engine: Engine, worker: str, now: datetime | None = None, *, kinds: tuple[str, ...] | None = None,
         lease: dict[str, int] | None = None, default_lease: int = 300) -> Job | None:
    """Take the oldest due job for `worker` (state RUNNING, leased), committed; None when nothing is due."""
    now = now or utcnow()
    lease = lease or {}
    for _ in range(20):  # another runner may take the candidate first: look again
        with Session(engine) as session:
            query = sa_select(col(Job.id), col(Job.kind), col(Job.state), col(Job.attempts),
                              col(Job.max_attempts)).where(_due(now)).order_by(col(Job.run_at), col(Job.id)).limit(1)
            if kinds is not None:
                query = query.where(col(Job.kind).in_(kinds))
            if engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            found = session.execute(query).first()
            if found is None:
                return None
            job_id, kind, state, attempts, max_attempts = found
            if state == JobState.RUNNING and attempts >= max_attempts:
                # Its runner died or hung past the lease on every attempt: taking it again would only
                # kill the next runner too. Give up on it, visibly (the admin may try again).
                session.execute(
                    update(Job).where(col(Job.id) == job_id, _due(now))
                    .values(state=JobState.FAILED, locked_until=None, finished_at=now,
                            last_error=LAPSED_ERROR).execution_options(synchronize_session=False))
                session.commit()
                continue
            taken = session.execute(
                update(Job).where(col(Job.id) == job_id, _due(now))
                .values(state=JobState.RUNNING, locked_by=worker,
                        locked_until=now + timedelta(seconds=lease.get(kind, default_lease)),
                        attempts=col(Job.attempts) + 1, started_at=now)
                .execution_options(synchronize_session=False))
            session.commit()
            if cast(CursorResult[Any], taken).rowcount == 1:
                job = session.get(Job, job_id)
                if job is not None:
                    session.expunge(job)
                return job
    return None


def _mine(job: Job, worker: str) -> Any:
    return (col(Job.id) == job.id) & (col(Job.state) == JobState.RUNNING) & (col(Job.locked_by) == worker)


def finish(engine: Engine, job: Job, worker: str, result: dict[str, Any] | None = None,
           now: datetime | None = None) -> bool:
    """Mark the job done with its result; False when the runner no longer held it."""
    with Session(engine) as session:
        done = session.execute(update(Job).where(_mine(job, worker)).values(
            state=JobState.DONE, result=result or {}, progress=100, finished_at=now or utcnow(), locked_until=None,
            last_error="").execution_options(synchronize_session=False))
        session.commit()
        return cast(CursorResult[Any], done).rowcount == 1


def fail(engine: Engine, job: Job, worker: str, error: str, now: datetime | None = None) -> JobState | None:
    """Record a failed attempt: pending again after the backoff, or FAILED after `max_attempts`.
    Says the new state (None when the runner no longer held the job)."""
    now = now or utcnow()
    attempts = job.attempts  # as taken: counts this attempt
    state = JobState.FAILED if attempts >= job.max_attempts else JobState.PENDING
    wait = BACKOFF[min(max(attempts - 1, 0), len(BACKOFF) - 1)]
    with Session(engine) as session:
        changed = session.execute(update(Job).where(_mine(job, worker)).values(
            state=state, last_error=error[:ERROR_CHARS], run_at=now + wait if state == JobState.PENDING else job.run_at,
            locked_until=None, finished_at=now if state == JobState.FAILED else None)
            .execution_options(synchronize_session=False))
        session.commit()
        return state if cast(CursorResult[Any], changed).rowcount == 1 else None


def report_progress(engine: Engine, job: Job, worker: str, percent: int, note: str = "",
                    lease_seconds: int = 300) -> None:
    """A long job's progress (0..100, with a note such as "312/514 kab/kota"), which also extends its lease."""
    with Session(engine) as session:
        job_result = dict(job.result or {})
        if note:
            job_result["note"] = note
        session.execute(update(Job).where(_mine(job, worker)).values(
            progress=max(0, min(100, percent)), result=job_result,
            locked_until=utcnow() + timedelta(seconds=lease_seconds)).execution_options(synchronize_session=False))
        session.commit()


def retry(session: Session, job: Job, now: datetime | None = None) -> bool:
    """The admin's "try again" on a failed job: pending now, with a fresh count of attempts.
    Does not commit."""
    if job.state != JobState.FAILED:
        return False
    job.state, job.run_at, job.attempts, job.finished_at = JobState.PENDING, now or utcnow(), 0, None
    session.add(job)
    return True
