"""Review: decisions per stage, the queue, reopening, and the scores each stage stands behind.

The DP3A reviews at stage "dp3a" while the kab/kota answers; once it submits
the assessment, the province reviews at stage "province" with its own
decisions and its own scores. Decisions are review events: appended, never
edited, so the history of every answer is the list of its events.

The answer's status is what the kab/kota sees: the latest decision at any stage
("returned" by the DP3A or by the province). A return leaves the answer editable:

- before the hand-over, while the answering window is open (the DP3A's rules);
- after it, only through a reopening: a return at a later stage (province,
  ministry) opens one itself, for REOPEN_HOURS (2x24 h), with the return's note,
  unless one is open already. When the window ends before the fix, the answer
  stays "returned" and read-only until a verifier reopens it.

The kab/kota fixes the answer, its note and its files (an upload alone never
sends it back), then submits it: that ends the window (`handed_back`) and puts
the answer back in the verifier's queue, marked as changed. An answer has at
most one open window (`reopen` refuses a second, and needs a note).
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Row, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.cache import RevisionCache
from app.db import read_rows
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
from app.services.answers import answer_rows, is_answered, lacks_reason, lock_answers, scored, scored_answers
from indicators import Catalogue
from scoring import ReviewStatus, Scorer, Verdict, from_cents

DP3A, PROVINCE, MINISTRY = "dp3a", "province", "ministry"
STAGES = (DP3A, PROVINCE, MINISTRY)
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
    """Everything the queue and the dashboard need about one assessment.

    Rows are plain, read-only database rows (not ORM objects): the part that does not
    depend on the user or the hour is cached per assessment revision and shared by
    requests in every thread of the worker.
    """

    answers: dict[str, Row]
    events: dict[int, list[Row]]  # by answer id, oldest first
    evidence: dict[int, list[Row]]  # by answer id, current and removed
    agencies_by_question: dict[str, list[Row]]
    all_reopenings: dict[int, list[Row]]  # by answer id, oldest first
    reopenings: dict[int, Row] = field(default_factory=dict)  # still open now, by answer id
    seen: dict[int, datetime] = field(default_factory=dict)
    # Results derived from the cached part, shared by every copy made for a request.
    memo: dict = field(default_factory=dict)

    def last_decision(self, answer_id: int, stage: str) -> Row | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.stage == stage and event.action in ("approved", "returned"):
                return event
        return None

    def last_submission(self, answer_id: int) -> Row | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.action == "submitted":
                return event
        return None

    def changed_at(self, answer: Row) -> datetime:
        """The latest change to the answer or its files, or its latest (re-)submission."""
        moments = [answer.updated_at]
        for evidence in self.evidence.get(answer.id, []):
            moments.append(evidence.removed_at or evidence.uploaded_at)
        submission = self.last_submission(answer.id)
        if submission is not None:
            moments.append(submission.at)
        return max(moments)

    def later_return(self, answer_id: int, stage: str) -> Row | None:
        """A return at a stage after `stage` (the province's, for the DP3A) that is the answer's latest
        decision: what the kab/kota is asked to fix now."""
        for event in reversed(self.events.get(answer_id, [])):
            if event.action in ("approved", "returned"):
                later = STAGES.index(event.stage) > STAGES.index(stage) if event.stage in STAGES else False
                return event if event.action == "returned" and later else None
        return None

    def verdicts(self, stage: str) -> dict[str, Verdict]:
        result = {}
        for code, answer in self.answers.items():
            decision = self.last_decision(answer.id, stage)
            if decision is not None:
                result[code] = Verdict(ReviewStatus(decision.action), decision.score)
        return result

    def current_files(self, answer_id: int) -> list[Row]:
        return [e for e in self.evidence.get(answer_id, []) if e.removed_at is None]


_states = RevisionCache(size=64)
AgencyRow = namedtuple("AgencyRow", [c.name for c in Agency.__table__.columns])


def load_state(session: Session, assessment: Assessment, user: User | None = None) -> ReviewState:
    """The assessment's answers, events, files, assignments and reopenings, and what `user` has seen."""
    key = (assessment.id, assessment.revision)
    state = _states.get(session.get_bind(), key, lambda: _read_state(session, assessment.id))
    now = utcnow()
    open_now = {}
    for answer_id, reopenings in state.all_reopenings.items():
        still_open = [r for r in reopenings if r.until > now and r.closed_at is None]
        if still_open:
            open_now[answer_id] = still_open[-1]
    seen = {}
    if user is not None:
        seen = dict(session.execute(
            sa_select(Seen.answer_id, Seen.at).join(Answer, Answer.id == Seen.answer_id)
            .where(Seen.user_id == user.id, Answer.assessment_id == assessment.id)
        ).all())
    return replace(state, reopenings=open_now, seen=seen)


def _read_state(session: Session, assessment_id: int) -> ReviewState:
    def rows(model):
        """Every row of `model` on this assessment's answers, oldest first."""
        return read_rows(session, sa_select(*model.__table__.columns).join(Answer, Answer.id == model.answer_id)
                         .where(Answer.assessment_id == assessment_id).order_by(model.id)).all()

    answers = answer_rows(session, assessment_id)
    events: dict[int, list[Row]] = defaultdict(list)
    for event in rows(ReviewEvent):
        events[event.answer_id].append(event)
    evidence: dict[int, list[Row]] = defaultdict(list)
    for item in rows(Evidence):
        evidence[item.answer_id].append(item)
    reopenings: dict[int, list[Row]] = defaultdict(list)
    for reopening in rows(Reopening):
        reopenings[reopening.answer_id].append(reopening)
    # Two narrow reads instead of a join: a few hundred assignments would repeat each agency's columns.
    agencies = {row[0]: AgencyRow(*row) for row in read_rows(session, sa_select(*Agency.__table__.columns).where(
        Agency.id.in_(sa_select(Assignment.agency_id).where(Assignment.assessment_id == assessment_id))))}
    agencies_by_question: dict[str, list[Row]] = defaultdict(list)
    for question_code, agency_id in read_rows(session, sa_select(Assignment.question_code, Assignment.agency_id)
                                              .where(Assignment.assessment_id == assessment_id)
                                              .order_by(Assignment.id)):
        agencies_by_question[question_code].append(agencies[agency_id])
    return ReviewState(answers, dict(events), dict(evidence), dict(agencies_by_question), dict(reopenings))


@dataclass
class QueueItem:
    code: str
    answer: Row
    agencies: list[Row]
    decision: Row | None  # this stage's latest
    files: int
    unread: bool
    changed: bool  # changed since this stage's last decision (a returned answer: re-submitted since)
    reopened_until: datetime | None
    later_return: Row | None = None  # returned at a later stage (by the province, for the DP3A), not yet fixed


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
    for row in _queue_rows(state, catalogue, stage):
        code, answer, ref, agencies, decision, changed_at, files = row
        if part and ref.part.code != part or indicator and ref.indicator.code != indicator:
            continue
        if agency_id and agency_id not in {a.id for a in agencies}:
            continue
        changed = decision is not None and _changed_after(state, answer, changed_at, decision)
        kind = "waiting" if decision is None or changed else decision.action
        later = state.later_return(answer.id, stage)
        if later is not None:  # the province returned it: returned here too until the kab/kota sends the fix
            if _changed_after(state, answer, changed_at, later):
                later = None
            else:
                kind = "returned"
        if status != "all" and kind != status:
            continue
        seen_at = state.seen.get(answer.id)
        reopening = state.reopenings.get(answer.id)
        items.append(QueueItem(
            code=code,
            answer=answer,
            agencies=agencies,
            decision=decision,
            files=files,
            unread=seen_at is None or seen_at < changed_at,
            changed=changed,
            reopened_until=reopening.until if reopening else None,
            later_return=later,
        ))
    return items


def _changed_after(state: ReviewState, answer: Row, changed_at: datetime, decision: Row) -> bool:
    """Whether the answer is new to review since `decision`: after a return, once the kab/kota has
    re-submitted it (not while it is still fixing it); after an approval, once it changed at all
    (in a reopening window an approved answer is changed in place)."""
    if decision.action == "returned":
        submission = state.last_submission(answer.id)
        return submission is not None and submission.at > decision.at
    return changed_at > decision.at


def _queue_rows(state: ReviewState, catalogue: Catalogue, stage: str) -> list[tuple]:
    """What the queue shows of each answer that can be reviewed at `stage`, before filters:
    the same for every request on this revision, so worked out once (`state.memo`)."""
    key = ("queue", stage, id(catalogue))
    rows = state.memo.get(key)
    if rows is None:
        rows = []
        for code, ref in catalogue.questions.items():
            answer = state.answers.get(code)
            if answer is None or not is_answered(answer):
                continue
            if stage == DP3A and answer.status == AnswerStatus.DRAFT:
                continue  # the agency has not sent it yet
            rows.append((code, answer, ref, state.agencies_by_question.get(code, []),
                         state.last_decision(answer.id, stage), state.changed_at(answer),
                         len(state.current_files(answer.id))))
        state.memo[key] = rows
    return rows


# -- deciding -----------------------------------------------------------------------------


class ReviewError(ValueError):
    """A decision that cannot be taken; `code` picks the message (`limit`: the highest score allowed)."""

    def __init__(self, code: str, limit: Decimal | None = None) -> None:
        self.code = code
        self.limit = limit
        super().__init__(code)


SCORE_STEP = Decimal("0.01")  # ReviewEvent.score is Numeric(8, 2)
PREVIOUS_STAGE = {PROVINCE: DP3A, MINISTRY: PROVINCE}


def last_decision(session: Session, answer_id: int, stage: str) -> ReviewEvent | None:
    """The latest approval or return of the answer at `stage`, read from the database now."""
    return session.exec(select(ReviewEvent).where(ReviewEvent.answer_id == answer_id, ReviewEvent.stage == stage,
                                                  ReviewEvent.action.in_(("approved", "returned")))
                        .order_by(ReviewEvent.id.desc()).limit(1)).first()


def score_ceiling(session: Session, scorer: Scorer, answer: Answer, stage: str) -> Decimal:
    """The most a verifier at `stage` may give the answer: its self-assessed points (never above the
    question's maximum), and no more than the stage before approved it with."""
    value = scored(answer)
    ceiling = from_cents(scorer.question_points(answer.question_code, value)) if value is not None else Decimal(0)
    previous = PREVIOUS_STAGE.get(stage)
    decision = last_decision(session, answer.id, previous) if previous else None
    if decision is not None and decision.action == "approved" and decision.score is not None:
        ceiling = min(ceiling, Decimal(decision.score))
    return ceiling


def unchanged_since_returned(session: Session, answer: Answer) -> bool:
    """A returned answer nobody has touched since its latest return (at any stage): "submit all"
    leaves it out, as sending it back as it was only fills the verifier's queue again. Submitting the
    one answer on its card stays possible (a focal point may disagree with the return)."""
    if answer.status != AnswerStatus.RETURNED:
        return False
    returned = session.exec(select(ReviewEvent.at).where(ReviewEvent.answer_id == answer.id,
                                                         ReviewEvent.action == "returned")
                            .order_by(ReviewEvent.id.desc()).limit(1)).first()
    return returned is not None and not _changed_since(session, answer, returned)


def _changed_since(session: Session, answer: Answer, moment: datetime) -> bool:
    """Whether the answer or its files changed after `moment`."""
    if answer.updated_at > moment:
        return True
    return session.exec(select(func.count(Evidence.id)).where(
        Evidence.answer_id == answer.id,
        (Evidence.uploaded_at > moment) | (Evidence.removed_at > moment))).one() > 0


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
    scorer: Scorer | None = None,
) -> ReviewEvent | None:
    """Record a decision. None: the same decision already stands on the unchanged answer (a double
    click, a batch sent twice), so nothing new is written.

    The answer's status becomes the decision at every stage: the kab/kota sees the latest word. A return
    after the hand-over (province, ministry) also opens a reopening window of REOPEN_HOURS with the
    return's note, unless one is open: the kab/kota can change nothing else by then (see the module).
    A score needs `scorer`: it is bounded by `score_ceiling`."""
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
    if score is not None and (not score.is_finite() or score < 0):
        raise ReviewError("bad_score")
    # Held until the commit: a second request about this answer waits here, then sees this decision.
    lock_answers(session, [answer])
    if action != "approved":
        score = None  # a return carries no score
    if score is not None:
        if scorer is None:
            raise TypeError("a score is checked against the answer's points: pass the scorer")
        ceiling = score_ceiling(session, scorer, answer, stage)
        if score > ceiling:
            raise ReviewError("score_too_high", limit=ceiling)
        score = score.quantize(SCORE_STEP)
    note = note.strip()
    last = last_decision(session, answer.id, stage)
    if (last is not None and last.action == action and list(last.reasons) == reasons and last.note == note
            and _same_score(last.score, score)
            and answer.status == action and not _changed_since(session, answer, last.at)):
        return None
    event = ReviewEvent(answer_id=answer.id, stage=stage, action=action, reasons=reasons, note=note,
                        score=score, user_id=user.id)
    session.add(event)
    # An approval ends any window still open on the answer: what was approved must stay as it was. A return
    # leaves it open: the kab/kota still has until the deadline to fix what was returned. A return after the
    # hand-over opens one when none is: without it, the kab/kota could not touch what it is asked to fix.
    closed = _close_reopenings(session, answer) if action == "approved" else False
    window = None
    if action == "returned" and stage != DP3A and _open_reopening(session, answer) is None:
        window = Reopening(answer_id=answer.id, stage=stage, until=utcnow() + timedelta(hours=REOPEN_HOURS),
                           note=note, opened_by=user.id)
        session.add(window)
    before = answer.status
    if answer.status != action:
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


def _same_score(stored, given: Decimal | None) -> bool:
    return (stored is None) == (given is None) and (stored is None or Decimal(stored) == given)


def _close_reopenings(session: Session, answer: Answer) -> bool:
    """End the open windows on `answer` (the verifier approved the fix). Says whether there was one."""
    now = utcnow()
    closed = session.execute(update(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(now))
                             .values(closed_at=now).execution_options(synchronize_session=False))
    return closed.rowcount > 0


def _open_reopening(session: Session, answer: Answer) -> Reopening | None:
    """The answer's open window, whoever opened it (there is at most one)."""
    return session.exec(select(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(utcnow()))
                        .order_by(Reopening.until.desc())).first()


def handed_back(session: Session, assessment: Assessment, answer: Answer, user: User) -> bool:
    """The kab/kota submitted a returned answer after the hand-over: its fix is done, so the window
    that let it change the answer ends (the answer is back in the verifier's queue, read-only until
    it is returned again). Says whether a window was open. Call it after `answers.submit`."""
    if assessment.stage == "self":
        return False
    lock_answers(session, [answer])  # the lock order of decisions: the answer, its windows, the audit chain
    closed = _close_reopenings(session, answer)
    if closed:
        audit.record(session, user, "answer.handed_back", "answer", answer.id, regency_code=assessment.regency_code,
                     after={"status": answer.status, "reopening_closed": True})
    return closed


def reopen(session: Session, assessment: Assessment, answer: Answer, stage: str, user: User, *,
           hours: int = REOPEN_HOURS, note: str = "") -> tuple[Reopening, bool]:
    """Open the answer to the kab/kota for `hours`, saying what is missing in `note` (required:
    ReviewError "reopen_note_required"); says whether a new window was opened. An answer has one
    open window at most: while one is open (opened by a reopening, or by a later stage's return),
    it is returned as it is, whatever the note (a double click or a second verifier open one, with
    one audit entry)."""
    if stage == DP3A or not stage_open(assessment, stage):
        raise ReviewError("stage_closed")
    lock_answers(session, [answer])
    already = _open_reopening(session, answer)
    if already is not None:
        return already, False
    if not note.strip():
        raise ReviewError("reopen_note_required")
    reopening = Reopening(answer_id=answer.id, stage=stage, until=utcnow() + timedelta(hours=hours),
                          note=note.strip(), opened_by=user.id)
    session.add(reopening)
    audit.record(session, user, "review.reopen", "answer", answer.id, regency_code=assessment.regency_code,
                 after={"stage": stage, "until": reopening.until.isoformat(), "note": note.strip()})
    return reopening, True


def mark_seen(session: Session, user: User, answer: Answer) -> None:
    """One row per user and answer, written in one statement: the same page opened twice at once
    (two tabs, a double click) must not both insert and break the unique constraint."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = dialect.insert(Seen).values(user_id=user.id, answer_id=answer.id, at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id", "answer_id"], set_={"at": now}))


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
        if lacks_reason(answer):
            na_without_reason.append(code)
        if not answer.not_applicable and not state.current_files(answer.id):
            without_evidence.append(code)
        if answer.status == AnswerStatus.SUBMITTED:
            not_reviewed.append(code)
    return SubmissionCheck(unanswered, na_without_reason, without_evidence, not_reviewed)


_assessments = Assessment.__table__
# The hand-over happens once: of parallel submissions (a double click, two tabs), the first UPDATE
# changes the stage and the others find it changed (PostgreSQL re-reads the row once the first commits).
_HAND_OVER = (update(_assessments).where(_assessments.c.id == bindparam("assessment_id"), _assessments.c.stage == "self")
              .values(stage=PROVINCE, submitted_at=bindparam("now"), submitted_by=bindparam("user_id")))


def submit_assessment(session: Session, assessment: Assessment, check: SubmissionCheck, user: User) -> None:
    """Hand the assessment to the province; ReviewError "already_submitted" if it has been already."""
    if assessment.stage != "self":
        raise ReviewError("already_submitted")
    if not check.ready:
        raise ReviewError("not_ready")
    now = utcnow()
    if session.execute(_HAND_OVER, {"assessment_id": assessment.id, "now": now, "user_id": user.id}).rowcount != 1:
        raise ReviewError("already_submitted")  # by a request a moment earlier
    for name, value in (("stage", PROVINCE), ("submitted_at", now), ("submitted_by", user.id)):
        set_committed_value(assessment, name, value)
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
