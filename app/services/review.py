"""Review: decisions per stage, the queue, reopening, and the scores each stage stands behind.

The DP3A reviews at stage "dp3a" while the kab/kota answers; once it submits
the assessment, the province reviews at stage "province" with its own
decisions and its own scores. Decisions are review events: appended, never
edited, so the history of every answer is the list of its events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assessment,
    Assignment,
    Evidence,
    Reopening,
    ReviewEvent,
    Role,
    Seen,
    User,
    utcnow,
)
from app.services import audit
from app.services.answers import is_answered, scored_answers
from indicators import Catalogue
from scoring import ReviewStatus, Scorer, Verdict

DP3A, PROVINCE, MINISTRY = "dp3a", "province", "ministry"
REOPEN_HOURS = 48


def stage_of(user: User) -> str | None:
    """The review stage a user decides at."""
    return {Role.DP3A: DP3A, Role.PROVINCE: PROVINCE, Role.ADMIN: MINISTRY}.get(user.role)


def stage_open(assessment: Assessment, stage: str) -> bool:
    """The DP3A reviews until it submits; the province once it has; the ministry after the province."""
    order = ["self", PROVINCE, MINISTRY]
    if stage == DP3A:
        return assessment.stage == "self"
    return assessment.stage in order and order.index(assessment.stage) >= order.index(stage)


# -- reading ---------------------------------------------------------------------------


@dataclass
class ReviewState:
    """Everything the queue and the dashboard need about one assessment, in a fixed number of queries."""

    answers: dict[str, Answer]
    events: dict[int, list[ReviewEvent]]  # by answer id, oldest first
    evidence: dict[int, list[Evidence]]  # by answer id, current and removed
    agencies_by_question: dict[str, list[Agency]]
    reopenings: dict[int, Reopening]  # open ones, by answer id
    seen: dict[int, datetime] = field(default_factory=dict)

    def last_decision(self, answer_id: int, stage: str) -> ReviewEvent | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.stage == stage and event.action in ("approved", "returned"):
                return event
        return None

    def last_submission(self, answer_id: int) -> ReviewEvent | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.action == "submitted":
                return event
        return None

    def changed_at(self, answer: Answer) -> datetime:
        """The latest change to the answer or its files."""
        moments = [answer.updated_at]
        for evidence in self.evidence.get(answer.id, []):
            moments.append(evidence.removed_at or evidence.uploaded_at)
        return max(moments)

    def verdicts(self, stage: str) -> dict[str, Verdict]:
        result = {}
        for code, answer in self.answers.items():
            decision = self.last_decision(answer.id, stage)
            if decision is not None:
                result[code] = Verdict(ReviewStatus(decision.action), decision.score)
        return result

    def current_files(self, answer_id: int) -> list[Evidence]:
        return [e for e in self.evidence.get(answer_id, []) if e.removed_at is None]


def load_state(session: Session, assessment: Assessment, user: User | None = None) -> ReviewState:
    answers = {a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    ids = [a.id for a in answers.values()]
    events: dict[int, list[ReviewEvent]] = defaultdict(list)
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    if ids:
        for event in session.exec(
            select(ReviewEvent).join(Answer, Answer.id == ReviewEvent.answer_id)
            .where(Answer.assessment_id == assessment.id).order_by(ReviewEvent.id)
        ):
            events[event.answer_id].append(event)
        for item in session.exec(
            select(Evidence).join(Answer, Answer.id == Evidence.answer_id)
            .where(Answer.assessment_id == assessment.id).order_by(Evidence.id)
        ):
            evidence[item.answer_id].append(item)
    agencies_by_question: dict[str, list[Agency]] = defaultdict(list)
    for question_code, agency in session.exec(
        select(Assignment.question_code, Agency)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Assignment.assessment_id == assessment.id)
    ):
        agencies_by_question[question_code].append(agency)
    now = utcnow()
    reopenings = {
        r.answer_id: r
        for r in session.exec(
            select(Reopening).join(Answer, Answer.id == Reopening.answer_id)
            .where(Answer.assessment_id == assessment.id).order_by(Reopening.id)
        )
        if r.until > now
    }
    seen = {}
    if user is not None:
        seen = dict(session.exec(
            select(Seen.answer_id, Seen.at).join(Answer, Answer.id == Seen.answer_id)
            .where(Seen.user_id == user.id, Answer.assessment_id == assessment.id)
        ).all())
    return ReviewState(answers, dict(events), dict(evidence), dict(agencies_by_question), reopenings, seen)


@dataclass
class QueueItem:
    code: str
    answer: Answer
    agencies: list[Agency]
    decision: ReviewEvent | None  # this stage's latest
    files: int
    unread: bool
    changed: bool  # changed since this stage's last decision
    reopened_until: datetime | None


def queue(
    state: ReviewState,
    catalogue: Catalogue,
    stage: str,
    *,
    part: str | None = None,
    indicator: str | None = None,
    agency_id: int | None = None,
    status: str = "waiting",
) -> list[QueueItem]:
    """Answers to review at `stage`, in catalogue order, filtered.

    status: waiting (no decision yet, or changed since), approved, returned, all.
    """
    items = []
    for code in catalogue.questions:
        answer = state.answers.get(code)
        if answer is None or not is_answered(answer):
            continue
        if stage == DP3A and answer.status == AnswerStatus.DRAFT:
            continue  # the agency has not sent it yet
        ref = catalogue.questions[code]
        if part and ref.part.code != part or indicator and ref.indicator.code != indicator:
            continue
        agencies = state.agencies_by_question.get(code, [])
        if agency_id and agency_id not in {a.id for a in agencies}:
            continue
        decision = state.last_decision(answer.id, stage)
        changed = decision is not None and state.changed_at(answer) > decision.at
        kind = "waiting" if decision is None or changed else decision.action
        if status != "all" and kind != status:
            continue
        seen_at = state.seen.get(answer.id)
        reopening = state.reopenings.get(answer.id)
        items.append(QueueItem(
            code=code,
            answer=answer,
            agencies=agencies,
            decision=decision,
            files=len(state.current_files(answer.id)),
            unread=seen_at is None or seen_at < state.changed_at(answer),
            changed=changed,
            reopened_until=reopening.until if reopening else None,
        ))
    return items


# -- deciding -----------------------------------------------------------------------------


class ReviewError(ValueError):
    """A decision that cannot be taken; `code` picks the message."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def decide(
    session: Session,
    assessment: Assessment,
    answer: Answer,
    stage: str,
    action: str,
    user: User,
    *,
    reasons: list[str] | None = None,
    note: str = "",
    score: Decimal | None = None,
    known_reasons: set[str] | None = None,
) -> ReviewEvent:
    if action not in ("approved", "returned"):
        raise ReviewError("unknown_action")
    if not stage_open(assessment, stage):
        raise ReviewError("stage_closed")
    if not is_answered(answer) or (stage == DP3A and answer.status == AnswerStatus.DRAFT):
        raise ReviewError("not_submitted")
    reasons = [r for r in (reasons or []) if r]
    if action == "returned":
        if not reasons:
            raise ReviewError("reason_required")
        if known_reasons is not None and not set(reasons) <= known_reasons:
            raise ReviewError("unknown_reason")
        if not note.strip():
            raise ReviewError("note_required")
    if score is not None and score < 0:
        raise ReviewError("bad_score")
    event = ReviewEvent(answer_id=answer.id, stage=stage, action=action, reasons=reasons, note=note.strip(),
                        score=score if action == "approved" else None, user_id=user.id)
    session.add(event)
    before = answer.status
    if stage == DP3A:
        answer.status = AnswerStatus(action)
        answer.version += 1
        session.add(answer)
    audit.record(session, user, f"review.{action}", "answer", answer.id, regency_code=assessment.regency_code,
                 before={"status": before, "stage": stage},
                 after={"status": action, "stage": stage, "reasons": reasons, "note": note.strip(),
                        "score": str(score) if score is not None else None})
    return event


def resubmit_after_change(session: Session, assessment: Assessment, answer: Answer, user: User) -> None:
    """A new upload on a returned answer sends it back to the DP3A's queue."""
    if answer.status == AnswerStatus.RETURNED:
        answer.status = AnswerStatus.SUBMITTED
        answer.submitted_at = utcnow()
        answer.version += 1
        session.add(answer)
        session.add(ReviewEvent(answer_id=answer.id, stage="self", action="submitted", user_id=user.id,
                                note="unggahan baru"))
        audit.record(session, user, "answer.resubmit", "answer", answer.id, regency_code=assessment.regency_code,
                     before={"status": AnswerStatus.RETURNED}, after={"status": AnswerStatus.SUBMITTED})


def reopen(session: Session, assessment: Assessment, answer: Answer, stage: str, user: User, *,
           hours: int = REOPEN_HOURS, note: str = "") -> Reopening:
    if stage == DP3A or not stage_open(assessment, stage):
        raise ReviewError("stage_closed")
    reopening = Reopening(answer_id=answer.id, stage=stage, until=utcnow() + timedelta(hours=hours),
                          note=note.strip(), opened_by=user.id)
    session.add(reopening)
    audit.record(session, user, "review.reopen", "answer", answer.id, regency_code=assessment.regency_code,
                 after={"stage": stage, "until": reopening.until.isoformat(), "note": note.strip()})
    return reopening


def mark_seen(session: Session, user: User, answer: Answer) -> None:
    seen = session.exec(select(Seen).where(Seen.user_id == user.id, Seen.answer_id == answer.id)).first()
    if seen is None:
        session.add(Seen(user_id=user.id, answer_id=answer.id))
    else:
        seen.at = utcnow()
        session.add(seen)


# -- submitting the assessment -------------------------------------------------------------


@dataclass
class SubmissionCheck:
    unanswered: list[str]
    na_without_reason: list[str]
    without_evidence: list[str]  # a warning only
    not_reviewed: list[str]  # submitted but not yet decided by the DP3A: a warning only

    @property
    def ready(self) -> bool:
        return not self.unanswered and not self.na_without_reason


def check_submission(state: ReviewState, catalogue: Catalogue) -> SubmissionCheck:
    unanswered, na_without_reason, without_evidence, not_reviewed = [], [], [], []
    for code in catalogue.questions:
        answer = state.answers.get(code)
        if not is_answered(answer):
            unanswered.append(code)
            continue
        if answer.not_applicable and not answer.note.strip():
            na_without_reason.append(code)
        if not answer.not_applicable and not state.current_files(answer.id):
            without_evidence.append(code)
        if answer.status == AnswerStatus.SUBMITTED:
            not_reviewed.append(code)
    return SubmissionCheck(unanswered, na_without_reason, without_evidence, not_reviewed)


def submit_assessment(session: Session, assessment: Assessment, check: SubmissionCheck, user: User) -> None:
    if not check.ready:
        raise ReviewError("not_ready")
    if assessment.stage != "self":
        raise ReviewError("stage_closed")
    assessment.stage = PROVINCE
    assessment.submitted_at = utcnow()
    assessment.submitted_by = user.id
    session.add(assessment)
    audit.record(session, user, "assessment.submit", "assessment", assessment.id,
                 regency_code=assessment.regency_code, before={"stage": "self"}, after={"stage": PROVINCE})


# -- scores per stage -------------------------------------------------------------------------


@dataclass
class StageScores:
    self_assessed: object  # ScoreSheet
    by_stage: dict[str, object]  # stage -> ScoreSheet


def stage_scores(scorer: Scorer, state: ReviewState) -> StageScores:
    answers = scored_answers(state.answers)
    return StageScores(
        self_assessed=scorer.score(answers),
        by_stage={stage: scorer.verified(answers, state.verdicts(stage)) for stage in (DP3A, PROVINCE)},
    )


def new_submissions_since(session: Session, assessment: Assessment, since: datetime | None) -> int:
    query = (
        select(func.count(ReviewEvent.id))
        .join(Answer, Answer.id == ReviewEvent.answer_id)
        .where(Answer.assessment_id == assessment.id, ReviewEvent.action == "submitted")
    )
    if since is not None:
        query = query.where(ReviewEvent.at > since)
    return session.exec(query).one()
