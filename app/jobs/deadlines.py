"""Deadlines that pass by themselves (issue 24, item 5): the runner's scan closes an answering window at
its deadline and ends a reopening at its deadline.

Both already stop counting at their deadline wherever they are read (`questions.may_edit` reads
`window_open`, and a reopening is open only while `until > now`), but only the stored state is what
every page, export and e-mail agrees on: a window the DP3A left "open" past its deadline still let
agencies answer. The scan writes that state, audited as the system (`audit.record` with no user).

A reopening that ended by time gets `closed_at = until` (its deadline), one ended early by an
approval keeps the moment of the approval (before `until`): `ended_by_time` tells them apart.

Idempotent: a second scan at the same moment finds nothing open past its deadline. It runs under the
runner's advisory lock (one runner scans at a time); the UPDATEs are conditional besides, so two
scans racing on SQLite change each row once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.jobs.registry import JobContext, scan
from app.models import Answer, Assessment, Reopening
from app.services import audit
from app.services.answering_window import as_utc


def ended_by_time(reopening: Any) -> bool:  # noqa: ANN401 (a Reopening or a row with its columns)
    """A reopening the scan ended at its deadline (not one a verifier's approval closed early)."""
    closed, until = as_utc(reopening.closed_at), as_utc(reopening.until)
    return closed is not None and until is not None and closed >= until


def close_windows(session: Session, now: datetime) -> int:
    """Close every answering window whose deadline has passed. Says how many it closed."""
    due = session.execute(
        sa_select(col(Assessment.id), col(Assessment.regency_code), col(Assessment.window_closes_at))
        .where(col(Assessment.window_open).is_(True), col(Assessment.window_closes_at).is_not(None),
               col(Assessment.window_closes_at) <= now)
        .order_by(col(Assessment.id))).all()
    closed = 0
    for assessment_id, regency_code, closes_at in due:
        changed = session.execute(
            update(Assessment).where(col(Assessment.id) == assessment_id, col(Assessment.window_open).is_(True),
                                     col(Assessment.window_closes_at) <= now)
            .values(window_open=False).execution_options(synchronize_session=False))
        if cast(CursorResult[Any], changed).rowcount != 1:
            continue  # the DP3A changed it meanwhile: theirs stands
        closed += 1
        audit.record(session, None, "assessment.window", "assessment", assessment_id, regency_code=regency_code,
                     before={"window_open": True, "window_closes_at": as_utc(closes_at)},
                     after={"window_open": False, "window_closes_at": as_utc(closes_at), "by": "deadline"})
    return closed


def end_reopenings(session: Session, now: datetime) -> int:
    """End every reopening whose deadline has passed (`closed_at = until`), one audit entry per
    assessment listing them. Says how many it ended."""
    due = session.execute(
        sa_select(col(Reopening.id), col(Reopening.answer_id), col(Reopening.until), col(Assessment.id),
                  col(Assessment.regency_code))
        .join(Answer, col(Answer.id) == col(Reopening.answer_id))
        .join(Assessment, col(Assessment.id) == col(Answer.assessment_id))
        .where(col(Reopening.closed_at).is_(None), col(Reopening.until) <= now)
        .order_by(col(Assessment.id), col(Reopening.id))).all()
    ended: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for reopening_id, answer_id, until, assessment_id, regency_code in due:
        changed = session.execute(
            update(Reopening).where(col(Reopening.id) == reopening_id, col(Reopening.closed_at).is_(None))
            .values(closed_at=until).execution_options(synchronize_session=False))
        if cast(CursorResult[Any], changed).rowcount == 1:
            ended[(assessment_id, regency_code)].append(
                {"reopening": reopening_id, "answer": answer_id, "until": as_utc(until)})
    for (assessment_id, regency_code), items in ended.items():
        audit.record(session, None, "reopening.ended", "assessment", assessment_id, regency_code=regency_code,
                     after={"by": "deadline", "reopenings": items})
    return sum(len(items) for items in ended.values())


@scan("deadlines")
def deadlines(session: Session, context: JobContext, now: datetime) -> int:
    """The runner's scan: windows and reopenings past their deadline, closed. The count of both."""
    return close_windows(session, now) + end_reopenings(session, now)
