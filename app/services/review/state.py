"""What the review pages read of one assessment: its answers, decisions, files, assignments and
reopenings (`ReviewState`, cached per revision), and the queue of answers to review at a stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

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
    ReviewAction,
    ReviewEvent,
    Seen,
    User,
    saved_id,
    utcnow,
)
from app.services.answers import answer_rows, is_answered
from app.services.document_flags import AssessmentFlags
from indicators import Catalogue
from scoring import ReviewStatus, Stage, Verdict

DECISIONS = (ReviewAction.APPROVED, ReviewAction.RETURNED)
STAGE_ORDER = list(Stage)


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
    memo: dict[tuple[Hashable, ...], Any] = field(default_factory=dict)

    def last_decision(self, answer_id: int, stage: Stage) -> Row | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.stage == stage and event.action in DECISIONS:
                return event
        return None

    def last_submission(self, answer_id: int) -> Row | None:
        for event in reversed(self.events.get(answer_id, [])):
            if event.action == ReviewAction.SUBMITTED:
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

    def later_return(self, answer_id: int, stage: Stage) -> Row | None:
        """A return at a stage after `stage` (the province's, for the DP3A) that is the answer's latest
        decision: what the kab/kota is asked to fix now."""
        for event in reversed(self.events.get(answer_id, [])):
            if event.action in DECISIONS:
                later = event.stage in STAGE_ORDER and STAGE_ORDER.index(Stage(event.stage)) > STAGE_ORDER.index(stage)
                return event if event.action == ReviewAction.RETURNED and later else None
        return None

    def verdicts(self, stage: Stage) -> dict[str, Verdict]:
        """Each answer's standing at `stage`, as the queue sees it: its latest decision there, or
        WAITING once that decision is superseded (re-submitted since a return, changed since an
        approval: `_changed_after`). A superseded decision no longer counts: a returned-and-fixed
        answer is not "decided, 0", and after a send-back the ministry's old approvals do not stand on
        answers the province or the kab/kota changed since.

        A stage that can no longer decide keeps such answers undecided: the DP3A decides only before
        the submission, so its approval of an answer later changed in a reopening window (after a
        return by the province or the ministry) stays WAITING at the DP3A, as does the province's once
        the assessment is with the ministry. Accepted: that stage never saw the answer as it is now,
        and the later stages decide on it (an undecided stage caps nothing in `question_points`).
        Worked out once per revision (`memo`); callers get their own copy."""
        key = ("verdicts", stage)
        cached: dict[str, Verdict] | None = self.memo.get(key)
        if cached is None:
            cached = {}
            for code, answer in self.answers.items():
                decision = self.last_decision(answer.id, stage)
                if decision is None:
                    continue
                if _changed_after(self, answer, self.changed_at(answer), decision):
                    cached[code] = Verdict(ReviewStatus.WAITING)
                else:
                    cached[code] = Verdict(ReviewStatus(decision.action), decision.score)
            self.memo[key] = cached
        return dict(cached)

    def standing(self, stage: Stage) -> dict[str, Row]:
        """Each answer's latest decision at `stage` that still stands (`verdicts` not WAITING), by code."""
        return {code: decision for code, verdict in self.verdicts(stage).items()
                if verdict.status != ReviewStatus.WAITING
                and (decision := self.last_decision(self.answers[code].id, stage)) is not None}

    def current_files(self, answer_id: int) -> list[Row]:
        return [e for e in self.evidence.get(answer_id, []) if e.removed_at is None]


_states = RevisionCache(size=64)


def load_state(session: Session, assessment: Assessment, user: User | None = None) -> ReviewState:
    """The assessment's answers, events, files, assignments and reopenings, and what `user` has seen."""
    key = (assessment.id, assessment.revision)
    state = _states.get(session.get_bind(), key, lambda: _read_state(session, saved_id(assessment.id)))
    now = utcnow()
    open_now = {}
    for answer_id, reopenings in state.all_reopenings.items():
        still_open = [r for r in reopenings if r.until > now and r.closed_at is None]
        if still_open:
            open_now[answer_id] = still_open[-1]
    seen: dict[int, datetime] = {}
    if user is not None:
        seen = dict(session.execute(
            sa_select(col(Seen.answer_id), col(Seen.at)).join(Answer, col(Answer.id) == col(Seen.answer_id))
            .where(col(Seen.user_id) == user.id, col(Answer.assessment_id) == assessment.id)
        ).all())
    return replace(state, reopenings=open_now, seen=seen)


def _read_state(session: Session, assessment_id: int) -> ReviewState:
    def rows(model: type[ReviewEvent] | type[Evidence] | type[Reopening]) -> Sequence[Row]:
        """Every row of `model` on this assessment's answers, oldest first."""
        return read_rows(session, sa_select(*inspect(model).columns)
                         .join(Answer, col(Answer.id) == col(model.answer_id))
                         .where(col(Answer.assessment_id) == assessment_id).order_by(col(model.id))).all()

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
    assigned = sa_select(col(Assignment.agency_id)).where(col(Assignment.assessment_id) == assessment_id)
    agencies = {row.id: row for row in read_rows(session, sa_select(*inspect(Agency).columns)
                                                 .where(col(Agency.id).in_(assigned)))}
    agencies_by_question: dict[str, list[Row]] = defaultdict(list)
    for question_code, agency_id in read_rows(session, sa_select(col(Assignment.question_code),
                                                                 col(Assignment.agency_id))
                                              .where(col(Assignment.assessment_id) == assessment_id)
                                              .order_by(col(Assignment.id))):
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
    period_flags: int = 0  # current files flagged "bukan tahun berjalan" (app.services.document_flags): a count
    # In the DP3A's queue: the cluster coordinator's decision standing on the answer as it is (issue 24).
    cluster_decision: Row | None = None


def queue(
    state: ReviewState,
    catalogue: Catalogue,
    stage: Stage,
    *,
    part: str | None = None,
    indicator: str | None = None,
    agency_id: int | None = None,
    status: str = "waiting",
    flags: AssessmentFlags | None = None,
    out_of_period: bool = False,
) -> list[QueueItem]:
    """Answers to review at `stage`, in catalogue order, filtered.

    status: waiting (no decision yet, or changed since), approved, returned, all.
    flags: the period check of the assessment's files (each item's `period_flags`); out_of_period: only
    answers with a file flagged "bukan tahun berjalan".
    """
    items = []
    coordinators = state.standing(Stage.CLUSTER) if stage == Stage.DP3A else {}
    for row in _queue_rows(state, catalogue, stage):
        code, answer, ref, agencies, decision, changed_at, files = row
        if part and ref.part.code != part or indicator and ref.indicator.code != indicator:
            continue
        if agency_id and agency_id not in {a.id for a in agencies}:
            continue
        changed = decision is not None and _changed_after(state, answer, changed_at, decision)
        kind = ReviewStatus.WAITING if decision is None or changed else decision.action
        later = state.later_return(answer.id, stage)
        if later is not None:  # the province returned it: returned here too until the kab/kota sends the fix
            if _changed_after(state, answer, changed_at, later):
                later = None
            else:
                kind = ReviewStatus.RETURNED
        if status != "all" and kind != status:
            continue
        period_flags = flags.out_of_period(answer.id) if flags is not None else 0
        if out_of_period and not period_flags:
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
            period_flags=period_flags,
            cluster_decision=coordinators.get(code),
        ))
    return items


def _changed_after(state: ReviewState, answer: Row, changed_at: datetime, decision: Row) -> bool:
    """Whether the answer is new to review since `decision`: after a return, once the kab/kota has
    re-submitted it (not while it is still fixing it); after an approval, once it changed at all
    (in a reopening window an approved answer is changed in place)."""
    if decision.action == ReviewAction.RETURNED:
        submission = state.last_submission(answer.id)
        return submission is not None and submission.at > decision.at
    return changed_at > decision.at


def _queue_rows(state: ReviewState, catalogue: Catalogue, stage: Stage) -> list[tuple[Any, ...]]:
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
            if stage in (Stage.CLUSTER, Stage.DP3A) and answer.status == AnswerStatus.DRAFT:
                continue  # the agency has not sent it yet
            rows.append((code, answer, ref, state.agencies_by_question.get(code, []),
                         state.last_decision(answer.id, stage), state.changed_at(answer),
                         len(state.current_files(answer.id))))
        state.memo[key] = rows
    return rows
