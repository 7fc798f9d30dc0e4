"""What the job runner has done and what needs a look, for the ministry's admin (every job) and for a
DP3A (the failed e-mails of its kab/kota's accounts): counts by kind and state, and the jobs that
failed or wait for another attempt, with the recipient, the attempts, the last error and the next try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Job, JobState, User
from app.notices.smtp import EMAIL_JOB

MAX_ROWS = 200


@dataclass(frozen=True)
class Count:
    kind: str
    state: JobState
    n: int


@dataclass(frozen=True)
class Trouble:
    """A failed job, or one waiting for its next attempt after a failed one."""

    id: int
    kind: str
    notice: str  # the kind of e-mail ("returned"...), "" for another job
    recipient: str  # username and address of an e-mail's recipient
    state: JobState
    attempts: int
    max_attempts: int
    last_error: str
    next_try: datetime | None  # None once failed: only "try again" runs it
    regency_code: str | None


def counts(session: Session) -> list[Count]:
    rows = session.exec(select(Job.kind, Job.state, func.count()).group_by(col(Job.kind), col(Job.state))
                        .order_by(col(Job.kind), col(Job.state))).all()
    return [Count(kind, JobState(state), int(n)) for kind, state, n in rows]


def totals(rows: list[Count]) -> dict[JobState, int]:
    found = {state: 0 for state in JobState}
    for row in rows:
        found[row.state] += row.n
    return found


def troubles(session: Session, *, regency_code: str | None = None) -> list[Trouble]:
    """Failed jobs and retrying ones, newest trouble first; `regency_code`: only that kab/kota's e-mails."""
    query = select(Job, User).join(User, col(User.id) == Job.user_id, isouter=True).where(
        (col(Job.state) == JobState.FAILED) | ((col(Job.state) == JobState.PENDING) & (col(Job.attempts) > 0)))
    if regency_code is not None:
        query = query.where(Job.kind == EMAIL_JOB, Job.regency_code == regency_code)
    rows = session.exec(query.order_by(col(Job.id).desc()).limit(MAX_ROWS)).all()
    return [Trouble(id=job.id or 0, kind=job.kind, notice=str(job.payload.get("kind", "")) if job.kind == EMAIL_JOB else "",
                    recipient=_recipient(job, user), state=job.state, attempts=job.attempts,
                    max_attempts=job.max_attempts, last_error=job.last_error,
                    next_try=job.run_at if job.state == JobState.PENDING else None, regency_code=job.regency_code)
            for job, user in rows]


def _recipient(job: Job, user: User | None) -> str:
    if job.kind != EMAIL_JOB:
        return user.username if user else ""
    address = str(job.payload.get("to", ""))
    return f"{user.username} <{address}>" if user else address
