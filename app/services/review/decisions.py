"""Deciding at a stage: approvals and returns, reopening an answer for the kab/kota, and what
the kab/kota's hand-back of a fix ends. Every refusal is a `ReviewError` with its message.

Nothing here commits: the route that calls it commits its one unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Row, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app import access
from app.i18n import format_cents
from app.i18n import gettext as _
from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    Evidence,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    Seen,
    User,
    saved_id,
    utcnow,
)
from app.refusals import Refusal
from app.services import answers as answer_service
from app.services import audit
from app.services.answers import is_answered, lock_answers, scored
from scoring import (
    REVIEW_STAGES,
    ReviewStatus,
    Scorer,
    Stage,
    Verdict,
    deciding_stage,
    from_cents,
    question_points,
    reached,
    to_cents,
)

REOPEN_HOURS = 48
DECISIONS = (ReviewAction.APPROVED, ReviewAction.RETURNED)
# The checks inside the self-assessment (the coordinator's, the DP3A's): they see only submitted answers,
# and a return needs no reopening window (the answering window is open).
_KAB_KOTA_STAGES = (Stage.CLUSTER, Stage.DP3A)


class ReviewError(Refusal):
    """A decision, reopening or hand-over a review rule refuses; `code` names the rule."""


# The stages a role decides at, in order, for the desk of a user who decides nothing now: it shows
# the latest of them the assessment has reached (read-only). Who decides *now* is `access.decides_at`.
_DESK_STAGES: dict[Role, tuple[Stage, ...]] = {
    Role.DP3A: (Stage.DP3A,), Role.PROVINCE: (Stage.PROVINCE,), Role.REVIEWER: (Stage.MINISTRY,),
    Role.VERIFIER: (Stage.FIELD,), Role.ADMIN: (Stage.MINISTRY, Stage.FIELD, Stage.FINAL)}


def desk_stage(user: User, assessment_stage: Stage) -> Stage | None:
    """The stage whose decisions the review desk shows `user`: where they decide now
    (`access.decides_at`), else the latest of their stages the assessment has reached, else their
    first (the desk is read-only then). None: the user has no review stage at all."""
    now = access.decides_at(user, Stage(assessment_stage))
    if now is not None:
        return now
    mine = _DESK_STAGES.get(Role(user.role), ())
    reached_ = [s for s in mine if reached(Stage(assessment_stage), s)]
    return reached_[-1] if reached_ else next(iter(mine), None)


def stage_open(assessment: Assessment, stage: Stage, session: Session | None = None) -> bool:
    """A stage decides only while the assessment stands where that stage decides: its decisions lock
    when the next stage starts (a send-back to the province reopens the province's). The cluster
    coordinators' check (CLUSTER) is open while the kab/kota answers and its task force's switch is
    on (`app.services.taskforce.coordination.cluster_open`; read through `session`, or the
    assessment's own)."""
    if stage == Stage.CLUSTER:
        # Imported here: the task force's rules read the review state, which imports this package.
        from app.services.taskforce.coordination import cluster_open
        reader = session or cast("Session | None", Session.object_session(assessment))
        return reader is not None and cluster_open(reader, assessment)
    return deciding_stage(Stage(assessment.stage)) == stage


def submitted_for(answer: Answer | Row, stage: Stage) -> bool:
    """Whether `answer` is before `stage` for a decision: answered, and at the kab/kota's own stages
    (coordinator, DP3A) sent by the agency, not a draft."""
    if stage in _KAB_KOTA_STAGES and answer.status == AnswerStatus.DRAFT:
        return False
    return is_answered(answer)


def check_not_frozen(session: Session, assessment: Assessment) -> None:
    """Refuse any change to the scores of a year whose award list is published."""
    cycle = session.get(Cycle, assessment.cycle_id)
    if cycle is not None:
        answer_service.check_not_frozen(cycle)


SCORE_STEP = Decimal("0.01")  # ReviewEvent.score is Numeric(8, 2)


def last_decision(session: Session, answer_id: int, stage: Stage) -> ReviewEvent | None:
    """The latest approval or return of the answer at `stage`, read from the database now."""
    return session.exec(select(ReviewEvent).where(ReviewEvent.answer_id == answer_id, ReviewEvent.stage == stage,
                                                  col(ReviewEvent.action).in_(DECISIONS))
                        .order_by(col(ReviewEvent.id).desc()).limit(1)).first()


def score_ceiling(session: Session, scorer: Scorer, answer: Answer | Row, stage: Stage) -> Decimal:
    """The most a verifier at `stage` may give the answer (stored, or a row of its columns): its
    self-assessed points (never above the question's maximum), lowered by the latest earlier stage
    that approved it (with its figure). `scoring.season.question_points` says it: the ceiling is what
    an approval without a figure would count at `stage` after the earlier stages' latest decisions."""
    value = scored(answer)
    self_cents = scorer.question_points(answer.question_code, value) if value is not None else 0
    earlier = REVIEW_STAGES[:REVIEW_STAGES.index(stage)] if stage in REVIEW_STAGES else ()
    verdicts: dict[Stage, Verdict] = {}
    for earlier_stage in earlier:
        decision = last_decision(session, saved_id(answer.id), earlier_stage)
        if decision is not None and not _approval_superseded(session, answer, decision):
            verdicts[earlier_stage] = Verdict(ReviewStatus(decision.action), decision.score)
    verdicts[stage] = Verdict(ReviewStatus.APPROVED, None)
    return from_cents(question_points(self_cents, verdicts)[stage] or 0)


def _approval_superseded(session: Session, answer: Answer | Row, decision: ReviewEvent) -> bool:
    """An approval the answer changed or was re-submitted after: it no longer caps anything, as
    `ReviewState.verdicts` gives it WAITING (the queue's rule; only approvals move the ceiling)."""
    if decision.action != ReviewAction.APPROVED:
        return False
    if answer.submitted_at is not None and answer.submitted_at > decision.at:
        return True
    return _changed_since(session, answer, decision.at)


def unchanged_since_returned(session: Session, answer: Answer) -> bool:
    """A returned answer nobody has touched since its latest return (at any stage): "submit all"
    leaves it out, as sending it back as it was only fills the verifier's queue again. Submitting the
    one answer on its card stays possible (a focal point may disagree with the return)."""
    if answer.status != AnswerStatus.RETURNED:
        return False
    returned = session.exec(select(ReviewEvent.at).where(ReviewEvent.answer_id == answer.id,
                                                         ReviewEvent.action == ReviewAction.RETURNED)
                            .order_by(col(ReviewEvent.id).desc()).limit(1)).first()
    return returned is not None and not _changed_since(session, answer, returned)


def _changed_since(session: Session, answer: Answer | Row, moment: datetime) -> bool:
    """Whether the answer or its files changed after `moment`."""
    if answer.updated_at > moment:
        return True
    return session.exec(select(func.count(col(Evidence.id))).where(
        Evidence.answer_id == answer.id,
        (col(Evidence.uploaded_at) > moment) | (col(Evidence.removed_at) > moment))).one() > 0


def decide(
    session: Session,
    assessment: Assessment,
    answer: Answer,
    stage: Stage,
    action: str,
    user: User,
    *,
    reasons: list[str] | None = None,
    note: str = "",
    score: Decimal | None = None,
    known_reasons: set[str] | None = None,
    scorer: Scorer | None = None,
) -> ReviewEvent | None:
    """Record a decision. None: the same decision already stands on the unchanged answer (a double
    click, a batch sent twice), so nothing new is written.

    The answer's status becomes the decision at every stage: the kab/kota sees the latest word. A return
    after the hand-over (province, ministry) also opens a reopening window of REOPEN_HOURS with the
    return's note, unless one is open: the kab/kota can change nothing else by then (see the module).
    A score needs `scorer`: it is bounded by `score_ceiling`."""
    if action not in DECISIONS:
        raise ReviewError(_("Choose approve or return."), code="unknown_action")
    action = ReviewAction(action)
    check_not_frozen(session, assessment)
    if not stage_open(assessment, stage, session):
        raise ReviewError(_("Decisions at this stage are closed for this assessment."), code="stage_closed")
    if stage == Stage.CLUSTER and score is not None:
        raise ReviewError(_("A cluster coordinator approves or returns, without a score."), code="bad_score")
    if not submitted_for(answer, stage):
        raise ReviewError(_("This answer has not been submitted for review."), code="not_submitted")
    reasons = [r for r in (reasons or []) if r]
    if action == ReviewAction.RETURNED:
        if not reasons:
            raise ReviewError(_("Choose at least one reason for returning the answer."), code="reason_required")
        if known_reasons is not None and not set(reasons) <= known_reasons:
            raise ReviewError(_("Unknown reason."), code="unknown_reason")
        if not note.strip():
            raise ReviewError(_("Write a note saying what to fix: the agency reads it."), code="note_required")
    if score is not None and (not score.is_finite() or score < 0):
        raise ReviewError(_("The score must be a number of 0 or more."), code="bad_score")
    # Held until the commit: a second request about this answer waits here, then sees this decision.
    lock_answers(session, [answer])
    if action != ReviewAction.APPROVED:
        score = None  # a return carries no score
    if score is not None:
        if scorer is None:
            raise TypeError("a score is checked against the answer's points: pass the scorer")
        ceiling = score_ceiling(session, scorer, answer, stage)
        if score > ceiling:
            raise ReviewError(_("The score can be at most %(max)s: the self-assessed points of this answer, or the "
                                "score the previous stage approved it with.")
                              % {"max": format_cents(to_cents(ceiling))}, code="score_too_high")
        score = score.quantize(SCORE_STEP)
    note = note.strip()
    answer_id, user_id = saved_id(answer.id), saved_id(user.id)
    last = last_decision(session, answer_id, stage)
    if (last is not None and last.action == action and list(last.reasons) == reasons and last.note == note
            and _same_score(last.score, score)
            and answer.status == AnswerStatus(action) and not _changed_since(session, answer, last.at)):
        return None
    event = ReviewEvent(answer_id=answer_id, stage=stage, action=action, reasons=reasons, note=note,
                        score=score, user_id=user_id)
    session.add(event)
    # An approval ends any window still open on the answer: what was approved must stay as it was. A return
    # leaves it open: the kab/kota still has until the deadline to fix what was returned. A return after the
    # hand-over opens one when none is: without it, the kab/kota could not touch what it is asked to fix.
    closed = _close_reopenings(session, answer) if action == ReviewAction.APPROVED else False
    window = None
    if action == ReviewAction.RETURNED and stage not in _KAB_KOTA_STAGES and _open_reopening(session, answer) is None:
        window = Reopening(answer_id=answer_id, stage=stage, until=utcnow() + timedelta(hours=REOPEN_HOURS),
                           note=note, opened_by=user_id)
        session.add(window)
    before = answer.status
    if answer.status != AnswerStatus(action):
        answer.status = AnswerStatus(action)
        answer.version += 1
        session.add(answer)
    audit.record(session, user, f"review.{action}", "answer", answer.id, regency_code=assessment.regency_code,
                 before={"status": before, "stage": stage},
                 after={"status": action, "stage": stage, "reasons": reasons, "note": note,
                        "score": str(score) if score is not None else None,
                        **({"reopening_closed": True} if closed else {}),
                        **({"reopened_until": window.until.isoformat()} if window is not None else {})})
    return event


def _same_score(stored: Decimal | None, given: Decimal | None) -> bool:
    return (stored is None) == (given is None) and (stored is None or Decimal(stored) == given)


def _close_reopenings(session: Session, answer: Answer) -> bool:
    """End the open windows on `answer` (the verifier approved the fix). Says whether there was one."""
    now = utcnow()
    closed = session.execute(update(Reopening).where(col(Reopening.answer_id) == answer.id, Reopening.open_at(now))
                             .values(closed_at=now).execution_options(synchronize_session=False))
    # An UPDATE's result is a CursorResult (its rowcount), which session.execute's type does not say.
    return cast(CursorResult[Any], closed).rowcount > 0


def _open_reopening(session: Session, answer: Answer) -> Reopening | None:
    """The answer's open window, whoever opened it (there is at most one)."""
    return session.exec(select(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(utcnow()))
                        .order_by(col(Reopening.until).desc())).first()


def handed_back(session: Session, assessment: Assessment, answer: Answer, user: User) -> bool:
    """The kab/kota submitted a returned answer after the hand-over: its fix is done, so the window
    that let it change the answer ends (the answer is back in the verifier's queue, read-only until
    it is returned again). Says whether a window was open. Call it after `answers.submit`."""
    if assessment.stage == Stage.SELF:
        return False
    lock_answers(session, [answer])  # the lock order of decisions: the answer, its windows, the audit chain
    closed = _close_reopenings(session, answer)
    if closed:
        audit.record(session, user, "answer.handed_back", "answer", answer.id, regency_code=assessment.regency_code,
                     after={"status": answer.status, "reopening_closed": True})
    return closed


def reopen(session: Session, assessment: Assessment, answer: Answer, stage: Stage, user: User, *,
           hours: int = REOPEN_HOURS, note: str = "") -> tuple[Reopening, bool]:
    """Open the answer to the kab/kota for `hours`, saying what is missing in `note` (required:
    a `ReviewError`); says whether a new window was opened. An answer has one
    open window at most: while one is open (opened by a reopening, or by a later stage's return),
    it is returned as it is, whatever the note (a double click or a second verifier open one, with
    one audit entry)."""
    check_not_frozen(session, assessment)
    if stage in _KAB_KOTA_STAGES or not stage_open(assessment, stage):
        raise ReviewError(_("Decisions at this stage are closed for this assessment."), code="stage_closed")
    lock_answers(session, [answer])
    already = _open_reopening(session, answer)
    if already is not None:
        return already, False
    if not note.strip():
        raise ReviewError(_("Write what is missing before reopening: the kab/kota reads it next to the deadline."),
                          code="reopen_note_required")
    reopening = Reopening(answer_id=saved_id(answer.id), stage=stage, until=utcnow() + timedelta(hours=hours),
                          note=note.strip(), opened_by=saved_id(user.id))
    session.add(reopening)
    audit.record(session, user, "review.reopen", "answer", answer.id, regency_code=assessment.regency_code,
                 after={"stage": stage, "until": reopening.until.isoformat(), "note": note.strip()})
    return reopening, True


def mark_seen(session: Session, user: User, answer: Answer | Row) -> None:
    """One row per user and answer, written in one statement: the same page opened twice at once
    (two tabs, a double click) must not both insert and break the unique constraint."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = dialect.insert(Seen).values(user_id=user.id, answer_id=answer.id, at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id", "answer_id"], set_={"at": now}))
