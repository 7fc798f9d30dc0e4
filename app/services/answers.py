"""Saving and submitting answers, with optimistic locking and an audit entry for each change.

Concurrent requests about the same answers (a double click, a second tab, several workers) each
change an answer only if it is still in the state they found it in: a save names the version it
started from, a submission the statuses it may leave (compare-and-set in the UPDATE's WHERE), and
a decision holds the answer's row (`lock_answers`) while it looks at what was decided before.
Locks are taken in one order everywhere: answers (by id), then the assessment (the revision bump
in `audit.record`), then the audit chain; so two transactions never wait for each other in a ring.

Nothing here commits: the caller's unit of work (a request, an import) commits once.
A save that cannot go raises a `Refusal`: `AnswerConflict` (someone saved first), `NotAllowed`
(read-only) or a plain `Refusal` (the answer does not fit the question's scale)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeGuard, TypeVar

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import sqlite_writer
from app.db import read_rows
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import (
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    ReviewAction,
    ReviewEvent,
    User,
    saved_id,
    utcnow,
)
from app.refusals import Conflict, NotAllowed, Refusal
from app.services import audit, season
from scoring import Answer as ScoredAnswer
from scoring import AnswerError, AnswerProblem, Scorer, Stage

EDITABLE = (AnswerStatus.DRAFT, AnswerStatus.RETURNED)


def frozen_reason() -> str:
    return _("The award list of this year has been published: its scores are final.")


def check_not_frozen(cycle: Cycle) -> None:
    """Refuse a change to answers, files or decisions of a year whose award list is published
    (`season.frozen`): every save, submission, upload and decision checks here first."""
    if season.frozen(cycle):
        raise NotAllowed(frozen_reason(), code="frozen")

_answers = Answer.__table__  # type: ignore[attr-defined]  # SQLModel's table, untyped
# An agency's save, the busiest statement of a cycle: built once, on the table (the ORM's bulk
# update would also look for the row among the session's objects).
_SAVE = (update(_answers)
         .where(_answers.c.id == bindparam("answer_id"), _answers.c.version == bindparam("expected"))
         .values({name: bindparam("new_" + name) for name in ("option", "value", "note", "not_applicable",
                                                              "version", "updated_by", "updated_at")}))
# A submission changes the answer only if it is still editable: of two at once, one goes through.
_SUBMIT = (update(_answers)
           .where(_answers.c.id == bindparam("answer_id"), _answers.c.status.in_([s.value for s in EDITABLE]))
           .values(status=AnswerStatus.SUBMITTED.value, submitted_at=bindparam("now"),
                   version=_answers.c.version + 1)
           .returning(_answers.c.version))

# Number answers (Answer.value is Numeric(14, 4)). The number scales count institutions, services,
# staff and cases in one kab/kota: a million is already far past any of them, so a larger figure
# is a typo (or "1e400") and is refused with a message, never sent to the database to overflow.
MAX_NUMBER = Decimal(1_000_000)
VALUE_STEP = Decimal("0.0001")  # what the column keeps


def value_problem(value: Decimal, kind: str) -> str | None:
    """Why `value` cannot answer a question on a scale of `kind` ("percent" or "number"; anything else
    checks only what every value needs), or None: "not_a_number", "negative", "over_100", "too_large"
    or "not_whole" (every number scale counts something: institutions, kinds of service, people, cases)."""
    value = Decimal(value)
    if not value.is_finite():
        return "not_a_number"
    if value < 0:
        return "negative"
    if kind == "percent" and value > 100:
        return "over_100"
    if value > MAX_NUMBER:
        return "too_large"
    if kind == "number" and value != value.to_integral_value():
        return "not_whole"
    return None


@dataclass(frozen=True)
class AnswerInput:
    """What the form sent, already parsed (see app.forms)."""

    option: str | None = None
    value: Decimal | None = None
    note: str = ""
    not_applicable: bool = False


@dataclass
class SaveOutcome:
    answer: Answer
    points: int = 0
    written: bool = True  # False: the same as stored, nothing written (no new version)


class AnswerConflict(Conflict):
    """Someone saved the answer since the version the change started from (`current`: the answer
    as it is now; None when the change names a version of an answer nobody has started)."""

    def __init__(self, current: Answer | None, *, rolled_back: bool = False) -> None:
        super().__init__(_("Someone else changed this answer a moment ago; your version was not saved."),
                         code="stale_version")
        self.current = current
        # The unit of work was rolled back (a first save that lost the race to insert): whatever the
        # caller changed before this save is gone too.
        self.rolled_back = rolled_back


def problem_refusal(problem: AnswerProblem) -> Refusal:
    """An answer that does not fit its question's scale, as a refusal in the request's language."""
    return Refusal(problem.message(current_language.get()), code=problem.code)


class AnswerLike(Protocol):
    """What an answer says, stored (an `Answer`, a row of its columns) or as a form sent it (`AnswerInput`)."""

    @property
    def not_applicable(self) -> bool: ...
    @property
    def option(self) -> str | None: ...
    @property
    def value(self) -> Decimal | None: ...


class NotedAnswer(AnswerLike, Protocol):
    """A stored answer with its note (an `Answer` or a row of its columns)."""

    @property
    def note(self) -> str: ...


StoredAnswer = TypeVar("StoredAnswer", bound=AnswerLike)


def scored(answer: AnswerLike) -> ScoredAnswer | None:
    """The scoring engine's view of an answer (None while it says nothing): the one translation of
    a stored or given answer into the engine's."""
    if answer.not_applicable:
        return ScoredAnswer(not_applicable=True)
    if answer.option is not None:
        return ScoredAnswer(option=answer.option)
    if answer.value is not None:
        return ScoredAnswer(value=Decimal(answer.value))
    return None


def is_answered(answer: StoredAnswer | None) -> TypeGuard[StoredAnswer]:
    """Says something (an option, a value, or "not applicable"); an `Answer` or a row of its columns."""
    return answer is not None and (answer.not_applicable or answer.option is not None or answer.value is not None)


def lacks_reason(answer: NotedAnswer) -> bool:
    """Marked not applicable without saying why in the note: not ready to be submitted."""
    return answer.not_applicable and not answer.note.strip()


def lacks_required_evidence(answer: Answer, evidence_required: bool, files: int) -> bool:
    """A question that asks for a file, answered (not as "not applicable") without one."""
    return evidence_required and not answer.not_applicable and not files


def answer_at(session: Session, assessment_id: int, code: str) -> Answer | None:
    return session.exec(
        select(Answer).where(Answer.assessment_id == assessment_id, Answer.question_code == code)
    ).first()


def answers_of(session: Session, assessment_id: int, codes: list[str] | None = None) -> dict[str, Answer]:
    query = select(Answer).where(Answer.assessment_id == assessment_id)
    if codes is not None:
        query = query.where(col(Answer.question_code).in_(codes))
    return {a.question_code: a for a in session.exec(query)}


# The columns `scored` reads, with the row's id and code: what a nation's scores need of 140,000 answers.
SCORED_COLUMNS = ("id", "question_code", "option", "value", "not_applicable")


def answer_rows(session: Session, assessment_id: int, codes: list[str] | None = None, *,
                columns: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`answers_of` as read-only rows (same attribute names) for pages that only show answers;
    `columns` reads only those (notes and times cost more than the rest together).

    A page of 274 answers spends most of its time building ORM objects (and feeding the cyclic
    garbage collector); plain rows cost a fraction. They read what is committed or flushed.
    """
    chosen = _answers.columns if columns is None else [_answers.c[name] for name in columns]
    query = sa_select(*chosen).where(_answers.c.assessment_id == assessment_id)
    if codes is not None:
        query = query.where(col(Answer.question_code).in_(codes))
    return {row.question_code: row for row in read_rows(session, query)}


def scored_answers(answers: Mapping[str, AnswerLike]) -> dict[str, ScoredAnswer]:
    result = {}
    for code, answer in answers.items():
        value = scored(answer)
        if value is not None:
            result[code] = value
    return result


def save_answer(
    session: Session,
    assessment: Assessment,
    code: str,
    given: AnswerInput,
    expected_version: int,
    user: User,
    scorer: Scorer,
    *,
    reopened: bool = False,
    current: Answer | None | bool = False,
) -> SaveOutcome:
    """Save one answer if nobody saved it since `expected_version` (0: not yet saved).

    A submitted or approved answer is read-only unless a verifier reopened it.
    `current` is the stored answer when the caller has already read it (None: none yet).
    Raises `AnswerConflict`, `NotAllowed` (read-only) or `Refusal` (the answer does not fit).
    """
    if given.value is not None and value_problem(given.value, "any") is not None:
        raise problem_refusal(AnswerProblem(code, "out_of_range", str(given.value)[:40]))
    candidate = scored(given)
    points = 0
    if candidate is not None:
        try:
            points = scorer.question_points(code, candidate)
        except AnswerError as exc:
            raise problem_refusal(exc.problem) from None
    if current is False:
        current = answer_at(session, saved_id(assessment.id), code)
    if not isinstance(current, Answer):
        return _insert(session, assessment, code, given, expected_version, user, points)
    if current.status not in EDITABLE and not reopened:
        raise NotAllowed(_("This answer has been submitted and is read-only until it is returned."), code="read_only")
    if current.version != expected_version:
        raise AnswerConflict(current)
    if _unchanged(current, given):
        # Nothing to write: a new version would only make a colleague's open form stale for nothing.
        return SaveOutcome(current, points=points, written=False)
    before = _snapshot(current)
    changes = {
        "option": given.option,
        "value": given.value,
        "note": given.note,
        "not_applicable": given.not_applicable,
        "version": current.version + 1,
        "updated_by": user.id,
        "updated_at": utcnow(),
    }
    result = session.execute(_SAVE, {"answer_id": current.id, "expected": expected_version,
                                     **{"new_" + name: value for name, value in changes.items()}})
    # Someone saved between our read and our write (nothing was written). An UPDATE's result is a
    # CursorResult, which session.execute's type does not say.
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(current)
        raise AnswerConflict(current)
    after = {**before, **{k: changes[k] for k in ("option", "value", "note", "not_applicable", "version")}}
    audit.record(session, user, "answer.save", "answer", current.id, regency_code=assessment.regency_code,
                 before=before, after=after)
    # The row now holds exactly these values: set them instead of reading the row back.
    for name, value in changes.items():
        set_committed_value(current, name, value)
    return SaveOutcome(current, points=points)


def _unchanged(current: Answer, given: AnswerInput) -> bool:
    value = None if current.value is None else Decimal(current.value)
    return (current.option, value, current.note, bool(current.not_applicable)) == \
        (given.option, given.value, given.note, given.not_applicable)


def _insert(session: Session, assessment: Assessment, code: str, given: AnswerInput, expected_version: int,
            user: User, points: int) -> SaveOutcome:
    if expected_version != 0:  # a version of an answer that is not stored (any more): someone else's work
        raise AnswerConflict(None)
    answer = Answer(
        assessment_id=saved_id(assessment.id),
        question_code=code,
        option=given.option,
        value=given.value,
        note=given.note,
        not_applicable=given.not_applicable,
        updated_by=user.id,
    )
    session.add(answer)
    try:
        session.flush()
    except IntegrityError:  # created by someone else a moment ago
        # The failed INSERT ends the transaction (PostgreSQL refuses anything after it): this unit
        # of work is over, whatever it held; the caller learns of the conflict.
        session.rollback()
        raise AnswerConflict(answer_at(session, saved_id(assessment.id), code), rolled_back=True) from None
    audit.record(session, user, "answer.save", "answer", answer.id, regency_code=assessment.regency_code,
                 before=None, after=_snapshot(answer))
    return SaveOutcome(answer, points=points)  # every column has its value from Python: nothing to read back


def submit(session: Session, assessment: Assessment, answers: list[Answer], user: User) -> int:
    """Send answers for review; they become read-only until returned. Returns how many went.

    Each answer goes only if it is still editable when the UPDATE runs: of parallel submissions of
    one answer (a double click, two colleagues), one writes its event and bumps the version; the
    others find it submitted and count nothing."""
    sent = []
    now = utcnow()
    for answer in sorted(answers, key=lambda a: a.id or 0):  # the lock order (see the module's docstring)
        if answer.status not in EDITABLE or not is_answered(answer):
            continue
        before = answer.status
        version = session.execute(_SUBMIT, {"answer_id": answer.id, "now": now}).scalar()
        if version is None:  # submitted meanwhile by another request
            session.expire(answer)
            continue
        for name, value in (("status", AnswerStatus.SUBMITTED), ("submitted_at", now), ("version", version)):
            set_committed_value(answer, name, value)
        sent.append((answer, before))
    for answer, before in sent:  # the events and audit entries once every answer row is held
        session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.SELF, action=ReviewAction.SUBMITTED,
                                user_id=saved_id(user.id)))
        audit.record(session, user, "answer.submit", "answer", answer.id, regency_code=assessment.regency_code,
                     before={"status": before}, after={"status": AnswerStatus.SUBMITTED})
    session.flush()
    return len(sent)


def lock_answers(session: Session, answers: list[Answer]) -> None:
    """Hold these answers' rows until the transaction ends, and read them as they are now.

    PostgreSQL: SELECT ... FOR UPDATE, in id order. SQLite: this worker's write lock (one writer at a
    time per process; the SQLite set-up runs one worker), then a fresh read."""
    if not answers:
        return
    ids = sorted(a.id for a in answers if a.id is not None)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(Answer).where(col(Answer.id).in_(ids)).order_by(col(Answer.id)).with_for_update()
                        .execution_options(populate_existing=True)).all()
        return
    sqlite_writer.reserve(session.connection().connection.dbapi_connection)
    session.execute(sa_select(Answer).where(col(Answer.id).in_(ids))
                    .execution_options(populate_existing=True)).all()


def _snapshot(answer: Answer) -> dict[str, object]:
    return {
        "question": answer.question_code,
        "option": answer.option,
        "value": str(answer.value) if answer.value is not None else None,
        "note": answer.note,
        "not_applicable": answer.not_applicable,
        "status": answer.status,
        "version": answer.version,
    }
