"""The scans that plan e-mails: each enqueues one "email" job per message and person, under a key naming
both (`email:returned:{event}:{user}`...), so a message is planned once whichever runner scans and
however often. Scans look back a bounded time only (LOOKBACK): the first run on a database with a
history mails what is recent, not the whole past. Nothing is planned while e-mail is off.

Who gets what (the user must be active, have an address and not have turned the kind off):
- a return (any stage, the cluster coordinator's too): the OPD accounts of the agencies the question
  is assigned to, and only those (an OPD never hears of another agency's question);
- a reopening: those OPD accounts and the kab/kota's DP3A (who hands the fix back); a reopening that
  came with a return (the province's, the ministry's: after the hand-over) is said to the OPD accounts
  in the return's message (its deadline), not twice, and to the DP3A in the reopening's message: the
  DP3A gets no return messages, and it coordinates the 2x24-hour fix (a kab/kota whose agencies have no
  accounts fixes it through its DP3A alone). Never to the one who opened it;
- the answering window closing in 3 days, then in 1 day: the OPD accounts that still have questions
  to submit, and the DP3A;
- a recommendation due within 3 days (or overdue since at most LOOKBACK): the accounts of the agencies
  it was given to, and the DP3A;
- the DP3A's daily digest: `app.notices.digest`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import Session, col, select

from app.clock import WIB, as_aware
from app.i18n import using_language
from app.jobs import queue
from app.jobs.registry import JobContext, scan
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assessment,
    Assignment,
    Cycle,
    Job,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    Regency,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
)
from app.notices import NoticeKind, kinds_for, messages
from app.notices.smtp import EMAIL_JOB, enabled
from app.services.recommendations import sensitive as recommendation_sensitive
from indicators import Catalogue
from scoring import Stage

LOOKBACK = timedelta(days=3)
WINDOW_WARNINGS = (("1d", timedelta(days=1)), ("3d", timedelta(days=3)))  # nearest first
RECOMMENDATION_AHEAD_DAYS = 3
SAME_MOMENT = timedelta(minutes=2)  # a return and the window it opened are written together


@dataclass
class Planned:
    """One message to one person, rendered only if its key is new."""

    key: str
    user: User
    kind: NoticeKind
    regency_code: str
    render: Callable[[], messages.Message]
    extra: dict[str, str] = field(default_factory=dict)  # more for the payload (the digest's period)


def wants(user: User, kind: NoticeKind) -> bool:
    return (user.active and bool(user.email) and kind in kinds_for(user.role)
            and kind.value not in (user.email_off or []))


def question_sensitive(catalogue: Catalogue, code: str) -> bool:
    """A code the instrument no longer knows counts as sensitive, as evidence does."""
    ref = catalogue.questions.get(code)
    return ref is None or ref.question.sensitive


def enqueue_new(session: Session, planned: Sequence[Planned], now: datetime) -> int:
    """Enqueue the planned messages whose key is not yet a job; render only those. Says how many.
    Due at the scan's `now` (the runner runs them in the same tick)."""
    keys = [p.key for p in planned]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        existing |= set(session.exec(select(Job.key).where(col(Job.key).in_(keys[start:start + 500]))).all())
    added = 0
    for item in planned:
        if item.key in existing:
            continue
        existing.add(item.key)
        with using_language(item.user.language):
            message = item.render()
        payload = {"to": item.user.email, "user_id": item.user.id, "language": item.user.language,
                   "kind": item.kind.value, "subject": message.subject, "body": message.body, **item.extra}
        if queue.enqueue(session, EMAIL_JOB, item.key, payload, run_at=now, regency_code=item.regency_code,
                         user_id=item.user.id):
            added += 1
    return added


class Audience:
    """What a scan needs about places and people, read once per scan and kab/kota (a scan may see
    thousands of events: not a query per event): the Place of each assessment, who answers which
    question, the active agencies' OPD accounts and the DP3A accounts of a kab/kota."""

    def __init__(self, session: Session, public_url: str) -> None:
        self.session, self.public_url = session, public_url
        self._places: dict[int, messages.Place] = {}
        self._assigned: dict[int, dict[str, set[int]]] = {}
        self._opd: dict[str, dict[int, list[User]]] = {}
        self._dp3a: dict[str, list[User]] = {}

    def place(self, assessment: Assessment) -> messages.Place:
        key = saved_id(assessment.id)
        if key not in self._places:
            regency = self.session.get(Regency, assessment.regency_code)
            cycle = self.session.get(Cycle, assessment.cycle_id)
            self._places[key] = messages.Place(assessment.regency_code,
                                               regency.name if regency else assessment.regency_code,
                                               cycle.year if cycle else 0, self.public_url)
        return self._places[key]

    def agency_accounts(self, regency_code: str, agency_ids: Iterable[int]) -> list[User]:
        """The OPD accounts of these agencies (active agencies only: an inactive one's accounts cannot
        log in to act on a reminder)."""
        if regency_code not in self._opd:
            found: dict[int, list[User]] = {}
            for user in self.session.exec(select(User).join(Agency, col(Agency.id) == User.agency_id)
                                          .where(User.role == Role.OPD, User.regency_code == regency_code,
                                                 col(Agency.active)).order_by(col(User.id))).all():
                found.setdefault(user.agency_id or 0, []).append(user)
            self._opd[regency_code] = found
        by_agency = self._opd[regency_code]
        return [user for agency_id in sorted(set(agency_ids)) for user in by_agency.get(agency_id, [])]

    def assigned_accounts(self, assessment: Assessment, code: str) -> list[User]:
        key = saved_id(assessment.id)
        if key not in self._assigned:
            found: dict[str, set[int]] = {}
            for question, agency_id in self.session.exec(select(Assignment.question_code, Assignment.agency_id)
                                                         .where(Assignment.assessment_id == key)).all():
                found.setdefault(question, set()).add(agency_id)
            self._assigned[key] = found
        return self.agency_accounts(assessment.regency_code, self._assigned[key].get(code, set()))

    def dp3a_accounts(self, regency_code: str) -> list[User]:
        if regency_code not in self._dp3a:
            self._dp3a[regency_code] = list(self.session.exec(
                select(User).where(User.role == Role.DP3A, User.regency_code == regency_code)
                .order_by(col(User.id))).all())
        return self._dp3a[regency_code]


def _in_chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _open_windows(session: Session, answer_ids: Sequence[int], now: datetime) -> dict[int, list[Reopening]]:
    found: dict[int, list[Reopening]] = {}
    for chunk in _in_chunks(answer_ids):
        for window in session.exec(select(Reopening).where(col(Reopening.answer_id).in_(chunk),
                                                           Reopening.open_at(now))).all():
            found.setdefault(window.answer_id, []).append(window)
    return found


def _window_of(windows: list[Reopening], stage: Stage, at: datetime) -> datetime | None:
    """The deadline of the window a return opened (written with it), while it is still open."""
    for window in windows:
        if window.stage == stage and abs(as_aware(window.opened_at) - at) <= SAME_MOMENT:
            return as_aware(window.until)
    return None


@scan("email.returned")
def plan_returned(session: Session, context: JobContext, now: datetime) -> int:
    if not enabled(context.settings):
        return 0
    audience, catalogue = Audience(session, context.settings.public_url), context.catalogue
    rows = session.exec(select(ReviewEvent, Answer, Assessment)
                        .join(Answer, col(Answer.id) == ReviewEvent.answer_id)
                        .join(Assessment, col(Assessment.id) == Answer.assessment_id)
                        .where(ReviewEvent.action == ReviewAction.RETURNED, col(ReviewEvent.at) >= now - LOOKBACK,
                               col(ReviewEvent.at) <= now).order_by(col(ReviewEvent.id))).all()
    planned: list[Planned] = []
    windows = _open_windows(session, sorted({saved_id(answer.id) for _, answer, _ in rows}), now)
    for event, answer, assessment in rows:
        place = audience.place(assessment)
        hidden = question_sensitive(catalogue, answer.question_code)
        until = _window_of(windows.get(saved_id(answer.id), []), event.stage, as_aware(event.at))
        for user in audience.assigned_accounts(assessment, answer.question_code):
            if not wants(user, NoticeKind.RETURNED) or user.id == event.user_id:
                continue
            planned.append(Planned(
                f"email:returned:{event.id}:{user.id}", user, NoticeKind.RETURNED, assessment.regency_code,
                partial(messages.returned, catalogue, place, answer.question_code, event.stage, list(event.reasons),
                        event.note, sensitive=hidden, until=until)))
    return enqueue_new(session, planned, now)


def _returns_of(session: Session, answer_ids: Sequence[int]) -> dict[int, list[ReviewEvent]]:
    found: dict[int, list[ReviewEvent]] = {}
    for chunk in _in_chunks(answer_ids):
        for event in session.exec(select(ReviewEvent).where(col(ReviewEvent.answer_id).in_(chunk),
                                                            ReviewEvent.action == ReviewAction.RETURNED)).all():
            found.setdefault(event.answer_id, []).append(event)
    return found


def _came_with_a_return(window: Reopening, returns: list[ReviewEvent]) -> bool:
    opened = as_aware(window.opened_at)
    return any(event.stage == window.stage and abs(as_aware(event.at) - opened) <= SAME_MOMENT for event in returns)


@scan("email.reopened")
def plan_reopened(session: Session, context: JobContext, now: datetime) -> int:
    if not enabled(context.settings):
        return 0
    audience, catalogue = Audience(session, context.settings.public_url), context.catalogue
    rows = session.exec(select(Reopening, Answer, Assessment)
                        .join(Answer, col(Answer.id) == Reopening.answer_id)
                        .join(Assessment, col(Assessment.id) == Answer.assessment_id)
                        .where(col(Reopening.opened_at) >= now - LOOKBACK, col(Reopening.opened_at) <= now,
                               Reopening.open_at(now)).order_by(col(Reopening.id))).all()
    planned: list[Planned] = []
    returns = _returns_of(session, sorted({window.answer_id for window, _, _ in rows}))
    for window, answer, assessment in rows:
        place = audience.place(assessment)
        hidden = question_sensitive(catalogue, answer.question_code)
        people = audience.dp3a_accounts(assessment.regency_code)
        if not _came_with_a_return(window, returns.get(window.answer_id, [])):  # else they had the return's
            people = audience.assigned_accounts(assessment, answer.question_code) + people
        for user in people:
            if not wants(user, NoticeKind.REOPENED) or user.id == window.opened_by:
                continue
            planned.append(Planned(
                f"email:reopened:{window.id}:{user.id}", user, NoticeKind.REOPENED, assessment.regency_code,
                partial(messages.reopened, catalogue, place, answer.question_code, window.note,
                        as_aware(window.until), sensitive=hidden)))
    return enqueue_new(session, planned, now)


def to_submit(session: Session, assessment_id: int) -> dict[int, set[str]]:
    """Per agency, its assigned questions not yet submitted (no answer, a draft, or returned)."""
    done = {code for code, status in session.exec(select(Answer.question_code, Answer.status)
                                                  .where(Answer.assessment_id == assessment_id)).all()
            if status in (AnswerStatus.SUBMITTED, AnswerStatus.APPROVED)}
    waiting: dict[int, set[str]] = {}
    for code, agency_id in session.exec(select(Assignment.question_code, Assignment.agency_id)
                                        .where(Assignment.assessment_id == assessment_id)).all():
        if code not in done:
            waiting.setdefault(agency_id, set()).add(code)
    return waiting


@scan("email.window")
def plan_window(session: Session, context: JobContext, now: datetime) -> int:
    if not enabled(context.settings):
        return 0
    audience = Audience(session, context.settings.public_url)
    closing = session.exec(select(Assessment).join(Cycle, col(Cycle.id) == Assessment.cycle_id)
                           .where(col(Assessment.window_open), Assessment.stage == Stage.SELF,
                                  col(Cycle.published_at).is_(None), col(Assessment.window_closes_at) > now,
                                  col(Assessment.window_closes_at) <= now + WINDOW_WARNINGS[-1][1])
                           .order_by(col(Assessment.id))).all()
    planned: list[Planned] = []
    for assessment in closing:
        closes_at = as_aware(assessment.window_closes_at) if assessment.window_closes_at else now
        label = next(name for name, ahead in WINDOW_WARNINGS if closes_at - now <= ahead)
        waiting = to_submit(session, saved_id(assessment.id))
        everything = set().union(*waiting.values()) if waiting else set()
        if not everything:
            continue
        place = audience.place(assessment)
        stem = f"email:window:{assessment.id}:{closes_at:%Y%m%d%H%M}:{label}"
        for user in (audience.agency_accounts(assessment.regency_code, waiting)
                     + audience.dp3a_accounts(assessment.regency_code)):
            if not wants(user, NoticeKind.WINDOW):
                continue
            whole = user.role == Role.DP3A
            count = len(everything) if whole else len(waiting.get(user.agency_id or 0, ()))
            planned.append(Planned(f"{stem}:{user.id}", user, NoticeKind.WINDOW, assessment.regency_code,
                                   partial(messages.window, place, closes_at, count, whole_regency=whole)))
    return enqueue_new(session, planned, now)


@scan("email.recommendation")
def plan_recommendations(session: Session, context: JobContext, now: datetime) -> int:
    if not enabled(context.settings):
        return 0
    audience, catalogue = Audience(session, context.settings.public_url), context.catalogue
    today = now.astimezone(WIB).date()
    rows = session.exec(select(Recommendation, Assessment)
                        .join(Assessment, col(Assessment.id) == Recommendation.assessment_id)
                        .where(Recommendation.status == RecommendationStatus.ASSIGNED,
                               col(Recommendation.due_on) <= today + timedelta(days=RECOMMENDATION_AHEAD_DAYS),
                               col(Recommendation.due_on) >= today - LOOKBACK)
                        .order_by(col(Recommendation.id))).all()
    planned: list[Planned] = []
    for rec, assessment in rows:
        if rec.due_on is None:
            continue
        place = audience.place(assessment)
        hidden = recommendation_sensitive(catalogue, rec)
        agencies = session.exec(select(RecommendationAgency.agency_id)
                                .where(RecommendationAgency.recommendation_id == rec.id)).all()
        for user in (audience.agency_accounts(assessment.regency_code, agencies)
                     + audience.dp3a_accounts(assessment.regency_code)):
            if not wants(user, NoticeKind.RECOMMENDATION):
                continue
            planned.append(Planned(
                f"email:recommendation:{rec.id}:{rec.due_on.isoformat()}:{user.id}", user, NoticeKind.RECOMMENDATION,
                assessment.regency_code,
                partial(messages.recommendation, place, saved_id(rec.id), rec.text, rec.due_on, today,
                        sensitive=hidden)))
    return enqueue_new(session, planned, now)
