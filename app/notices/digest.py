"""The DP3A's daily digest (ringkasan harian): what arrived in its kab/kota since the previous digest
(answers submitted, submitted again after a return, returned by the province or the ministry, follow-ups
of recommendations). Once per day and DP3A (the key holds the WIB date), from 07:00 WIB; nothing
when nothing arrived. The first digest looks back one day, never more than LOOKBACK."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

from sqlmodel import Session, col, select

from app.clock import WIB, as_aware
from app.jobs.registry import JobContext, scan
from app.models import (
    Answer,
    Assessment,
    Cycle,
    FollowUp,
    Job,
    Recommendation,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
)
from app.notices import NoticeKind, messages
from app.notices.plan import LOOKBACK, Audience, Planned, enqueue_new, wants
from app.notices.smtp import EMAIL_JOB, enabled
from scoring import Stage

SENT_FROM = time(7, 0)  # WIB: the DP3A finds it when the working day starts
ABOVE = (Stage.PROVINCE, Stage.MINISTRY, Stage.FIELD, Stage.FINAL)


def digest_key(user_id: int, day: date) -> str:
    return f"email:digest:{user_id}:{day.isoformat()}"


def _since(session: Session, user: User, now: datetime) -> datetime:
    """The end of the period the previous digest of `user` covered (else a day ago), never before
    now - LOOKBACK."""
    previous = session.exec(select(Job.payload).where(Job.kind == EMAIL_JOB, Job.user_id == user.id,
                                                      col(Job.key).startswith(f"email:digest:{user.id}:"))
                            .order_by(col(Job.id).desc())).first()
    since = now - timedelta(days=1)
    if previous is not None and previous.get("until"):
        since = as_aware(datetime.fromisoformat(previous["until"]))
    return max(since, now - LOOKBACK)


def arrivals(session: Session, regency_code: str, since: datetime, now: datetime) -> tuple[messages.Arrivals, Assessment | None]:
    """What arrived in the kab/kota in (since, now], and the latest assessment it concerns (for links)."""
    rows = session.exec(select(ReviewEvent, Answer, Assessment)
                        .join(Answer, col(Answer.id) == ReviewEvent.answer_id)
                        .join(Assessment, col(Assessment.id) == Answer.assessment_id)
                        .where(Assessment.regency_code == regency_code, col(ReviewEvent.at) > since,
                               col(ReviewEvent.at) <= now).order_by(col(ReviewEvent.at))).all()
    answer_ids = {saved_id(answer.id) for _, answer, _ in rows}
    returns: dict[int, list[datetime]] = {}
    for answer_id, at in session.exec(select(ReviewEvent.answer_id, ReviewEvent.at)
                                      .where(col(ReviewEvent.answer_id).in_(answer_ids),
                                             ReviewEvent.action == ReviewAction.RETURNED)).all():
        returns.setdefault(answer_id, []).append(as_aware(at))
    found = messages.Arrivals()
    latest: Assessment | None = None
    for event, answer, assessment in rows:
        if event.action == ReviewAction.SUBMITTED and event.stage == Stage.SELF:
            earlier = any(at < as_aware(event.at) for at in returns.get(saved_id(answer.id), []))
            (found.resubmitted if earlier else found.submitted).append(answer.question_code)
        elif event.action == ReviewAction.RETURNED and event.stage in ABOVE:
            found.returned_above.append(answer.question_code)
        else:
            continue
        latest = _later(session, latest, assessment)
    for follow_up, assessment in session.exec(
            select(FollowUp, Assessment).join(Recommendation, col(Recommendation.id) == FollowUp.recommendation_id)
            .join(Assessment, col(Assessment.id) == Recommendation.assessment_id)
            .where(Assessment.regency_code == regency_code, col(FollowUp.at) > since, col(FollowUp.at) <= now)).all():
        found.follow_ups.append(follow_up.recommendation_id)
        latest = _later(session, latest, assessment)
    for codes in (found.submitted, found.resubmitted, found.returned_above):
        codes[:] = sorted(set(codes))
    return found, latest


def _later(session: Session, held: Assessment | None, other: Assessment) -> Assessment:
    if held is None:
        return other
    years = {c.id: c.year for c in session.exec(select(Cycle).where(col(Cycle.id).in_([held.cycle_id, other.cycle_id])))}
    return other if years.get(other.cycle_id, 0) > years.get(held.cycle_id, 0) else held


@scan("email.digest")
def plan_digests(session: Session, context: JobContext, now: datetime) -> int:
    if not enabled(context.settings):
        return 0
    local = now.astimezone(WIB)
    if local.time() < SENT_FROM:
        return 0
    today = local.date()
    audience = Audience(session, context.settings.public_url)
    planned: list[Planned] = []
    for user in session.exec(select(User).where(User.role == Role.DP3A, col(User.regency_code).is_not(None))
                             .order_by(col(User.id))).all():
        if not wants(user, NoticeKind.DIGEST) or user.regency_code is None:
            continue
        key = digest_key(saved_id(user.id), today)
        if session.exec(select(Job.id).where(Job.key == key)).first() is not None:
            continue
        found, assessment = arrivals(session, user.regency_code, _since(session, user, now), now)
        if not found or assessment is None:
            continue
        place = audience.place(assessment)
        planned.append(Planned(key, user, NoticeKind.DIGEST, user.regency_code,
                               partial(messages.digest, place, today, found),
                               extra={"until": now.isoformat()}))
    return enqueue_new(session, planned, now)
