"""Saving and submitting answers, with optimistic locking and an audit entry for each change."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Row, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.db import read_rows
from app.models import Answer, AnswerStatus, Assessment, Evidence, ReviewEvent, User, utcnow
from app.services import audit
from scoring import Answer as ScoredAnswer
from scoring import AnswerError, AnswerProblem, Scorer

EDITABLE = (AnswerStatus.DRAFT, AnswerStatus.RETURNED)

_answers = Answer.__table__
# An agency's save, the busiest statement of a cycle: built once, on the table (the ORM's bulk
# update would also look for the row among the session's objects).
_SAVE = (update(_answers)
         .where(_answers.c.id == bindparam("answer_id"), _answers.c.version == bindparam("expected"))
         .values({name: bindparam("new_" + name) for name in ("option", "value", "note", "not_applicable",
                                                              "version", "updated_by", "updated_at")}))


@dataclass(frozen=True)
class AnswerInput:
    """What the form sent, already parsed (see app.forms)."""

    option: str | None = None
    value: Decimal | None = None
    note: str = ""
    not_applicable: bool = False


@dataclass
class SaveOutcome:
    answer: Answer | None
    saved: bool = False
    conflict: Answer | None = None  # the newer version someone else saved
    locked: bool = False  # submitted or approved: read-only until returned
    problem: AnswerProblem | None = None
    points: int = 0
    written: bool = True  # False: the same as stored, nothing written (no new version)


def scored(answer: Answer) -> ScoredAnswer | None:
    """The scoring engine's view of a stored answer (None while it says nothing)."""
    if answer.not_applicable:
        return ScoredAnswer(not_applicable=True)
    if answer.option is not None:
        return ScoredAnswer(option=answer.option)
    if answer.value is not None:
        return ScoredAnswer(value=Decimal(answer.value))
    return None


def is_answered(answer: Answer | None) -> bool:
    return answer is not None and (answer.not_applicable or answer.option is not None or answer.value is not None)


def lacks_reason(answer: Answer) -> bool:
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
        query = query.where(Answer.question_code.in_(codes))
    return {a.question_code: a for a in session.exec(query)}


def answer_rows(session: Session, assessment_id: int, codes: list[str] | None = None) -> dict[str, Row]:
    """`answers_of` as read-only rows (same attribute names) for pages that only show answers.

    A page of 274 answers spends most of its time building ORM objects (and feeding the cyclic
    garbage collector); plain rows cost a fraction. They read what is committed or flushed.
    """
    query = sa_select(*Answer.__table__.columns).where(Answer.assessment_id == assessment_id)
    if codes is not None:
        query = query.where(Answer.question_code.in_(codes))
    return {row.question_code: row for row in read_rows(session, query)}


def scored_answers(answers: dict[str, Answer]) -> dict[str, ScoredAnswer]:
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
    """
    candidate = _candidate(given)
    points = 0
    if candidate is not None:
        try:
            points = scorer.question_points(code, candidate)
        except AnswerError as exc:
            return SaveOutcome(None, problem=exc.problem)
    if current is False:
        current = answer_at(session, assessment.id, code)
    if current is None:
        return _insert(session, assessment, code, given, expected_version, user, points)
    if current.status not in EDITABLE and not reopened:
        return SaveOutcome(current, locked=True)
    if current.version != expected_version:
        return SaveOutcome(current, conflict=current)
    if _unchanged(current, given):
        # Nothing to write: a new version would only make a colleague's open form stale for nothing.
        return SaveOutcome(current, saved=True, points=points, written=False)
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
    if result.rowcount != 1:  # someone saved between our read and our write
        session.rollback()
        fresh = session.get(Answer, current.id)
        session.refresh(fresh)
        return SaveOutcome(fresh, conflict=fresh)
    after = {**before, **{k: changes[k] for k in ("option", "value", "note", "not_applicable", "version")}}
    audit.record(session, user, "answer.save", "answer", current.id, regency_code=assessment.regency_code,
                 before=before, after=after)
    session.commit()
    # The row now holds exactly these values: set them instead of reading the row back.
    for name, value in changes.items():
        set_committed_value(current, name, value)
    return SaveOutcome(current, saved=True, points=points)


def _unchanged(current: Answer, given: AnswerInput) -> bool:
    value = None if current.value is None else Decimal(current.value)
    return (current.option, value, current.note, bool(current.not_applicable)) == \
        (given.option, given.value, given.note, given.not_applicable)


def _insert(session, assessment, code, given, expected_version, user, points) -> SaveOutcome:
    if expected_version != 0:
        return SaveOutcome(None, conflict=None, problem=AnswerProblem(code, "wrong_kind", "version"))
    answer = Answer(
        assessment_id=assessment.id,
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
        session.rollback()
        existing = answer_at(session, assessment.id, code)
        return SaveOutcome(existing, conflict=existing)
    audit.record(session, user, "answer.save", "answer", answer.id, regency_code=assessment.regency_code,
                 before=None, after=_snapshot(answer))
    session.commit()  # every column has its value from Python: nothing to read back
    return SaveOutcome(answer, saved=True, points=points)


def submit(session: Session, assessment: Assessment, answers: list[Answer], user: User) -> int:
    """Send answers for review; they become read-only until returned. Returns how many."""
    count = 0
    for answer in answers:
        if answer.status not in EDITABLE or not is_answered(answer):
            continue
        before = answer.status
        answer.status = AnswerStatus.SUBMITTED
        answer.submitted_at = utcnow()
        answer.version += 1
        session.add(answer)
        session.add(ReviewEvent(answer_id=answer.id, stage="self", action="submitted", user_id=user.id))
        audit.record(session, user, "answer.submit", "answer", answer.id, regency_code=assessment.regency_code,
                     before={"status": before}, after={"status": AnswerStatus.SUBMITTED})
        count += 1
    session.commit()
    return count


@dataclass
class Progress:
    total: int = 0
    answered: int = 0
    evidenced: int = 0
    approved: int = 0
    submitted: int = 0
    codes_with_evidence: set[str] = field(default_factory=set)

    def share(self, part: int) -> int:
        return round(100 * part / self.total) if self.total else 0


def evidence_counts(session: Session, answer_ids: list[int]) -> dict[int, int]:
    if not answer_ids:
        return {}
    rows = session.exec(
        select(Evidence.answer_id, func.count(Evidence.id))
        .where(Evidence.answer_id.in_(answer_ids), Evidence.removed_at.is_(None))
        .group_by(Evidence.answer_id)
    ).all()
    return dict(rows)


def progress(codes: list[str], answers: dict[str, Answer], evidence: dict[int, int]) -> Progress:
    result = Progress(total=len(codes))
    for code in codes:
        answer = answers.get(code)
        if not is_answered(answer):
            continue
        result.answered += 1
        if evidence.get(answer.id, 0):
            result.evidenced += 1
            result.codes_with_evidence.add(code)
        if answer.status == AnswerStatus.APPROVED:
            result.approved += 1
        if answer.status in (AnswerStatus.SUBMITTED, AnswerStatus.APPROVED):
            result.submitted += 1
    return result


def _candidate(given: AnswerInput) -> ScoredAnswer | None:
    if given.not_applicable:
        return ScoredAnswer(not_applicable=True)
    if given.option is not None:
        return ScoredAnswer(option=given.option)
    if given.value is not None:
        return ScoredAnswer(value=given.value)
    return None


def _snapshot(answer: Answer) -> dict:
    return {
        "question": answer.question_code,
        "option": answer.option,
        "value": str(answer.value) if answer.value is not None else None,
        "note": answer.note,
        "not_applicable": answer.not_applicable,
        "status": answer.status,
        "version": answer.version,
    }
