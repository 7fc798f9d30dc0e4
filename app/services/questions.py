"""The rules of a question in a kab/kota's workspace: whose it is, whether its answer and files may
change now and why not, and whether it may be submitted.

Routes ask here and templates receive the answers as flags (`CardRights`, `answering_window`);
nothing else spells these rules. Refusals are raised as `app.refusals.Refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fastapi import HTTPException
from sqlalchemy import bindparam, exists
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.deps import Place, agency_in
from app.i18n import gettext as _
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assignment,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    utcnow,
)
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import progress as progress_service
from app.services import review as review_service
from app.services import season
from indicators import Catalogue
from indicators.catalogue import QuestionRef
from scoring import Stage

MAX_FILES_PER_UPLOAD = 10

# -- which questions belong to whom -------------------------------------------------


def assessment_id(place: Place) -> int:
    """The id of the assessment the guard resolved (a stored row: never None)."""
    assert place.assessment.id is not None
    return place.assessment.id


def assigned_codes(session: Session, assessment_id: int, agency_id: int | None) -> set[str]:
    query = select(Assignment.question_code).where(Assignment.assessment_id == assessment_id)
    if agency_id is not None:
        query = query.where(Assignment.agency_id == agency_id)
    return set(session.exec(query).all())


def chosen_agency(session: Session, place: Place, user: User, opd: int | None) -> Agency | None:
    """The agency whose questions are shown: the focal point's own; for the DP3A, any (or all)."""
    if user.role == Role.OPD:
        return session.get(Agency, user.agency_id)
    return agency_in(session, place, opd) if opd else None


def question_codes_for(session: Session, place: Place, catalogue: Catalogue, agency: Agency | None) -> list[str]:
    if agency is None:
        return list(catalogue.questions)  # the DP3A's "all questions" view
    codes = assigned_codes(session, assessment_id(place), agency.id)
    return [code for code in catalogue.questions if code in codes]


def check_question(session: Session, place: Place, user: User, catalogue: Catalogue, code: str) -> QuestionRef:
    """The question `code` if this user works on it: 404 for no such question, 403 for another agency's."""
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    if user.role == Role.OPD and code not in assigned_codes(session, assessment_id(place), user.agency_id):
        raise HTTPException(403)
    return ref


# -- whether an answer may change ---------------------------------------------------


def may_edit(place: Place, user: User, answer: Answer | None, reopened: bool = False) -> bool:
    """Agencies answer while the DP3A keeps the window open and before it submits the assessment
    (the DP3A itself also while the window is closed); afterwards only what a verifier reopened,
    until its deadline."""
    if reopened:
        return True
    if place.assessment.stage != Stage.SELF:
        return False
    if answer is not None and answer.status not in answer_service.EDITABLE:
        return False
    return place.assessment.window_open or user.role == Role.DP3A


def is_reopened(session: Session, answer: Answer | None) -> Reopening | None:
    """The verifier's open window on this answer (the latest deadline), if any."""
    if answer is None:
        return None
    return session.exec(
        select(Reopening).where(Reopening.answer_id == answer.id, Reopening.open_at(utcnow()))
        .order_by(col(Reopening.until).desc())
    ).first()


class Window(StrEnum):
    """The answering window as the workspace's list tells this user about it."""

    OPEN = "open"
    CLOSED = "closed"  # closed, and this user's answers are read-only
    CLOSED_TO_AGENCIES = "closed_to_agencies"  # closed to the agencies; the DP3A still answers
    FROZEN = "frozen"  # the award list of the year is published: every answer is final


def answering_window(place: Place, user: User) -> Window:
    """What the list says about the window: `may_edit`'s own answer for a question nobody answered."""
    if season.frozen(place.cycle):
        return Window.FROZEN
    if place.assessment.window_open:
        return Window.OPEN
    return Window.CLOSED_TO_AGENCIES if may_edit(place, user, None) else Window.CLOSED


@dataclass(frozen=True)
class CardRights:
    """What a question's card may do now, and why not (the note under a read-only answer)."""

    editable: bool
    may_submit: bool
    fix_closed: bool  # returned after the hand-over, but its window has ended
    read_only_because: str | None = None


def card_rights(place: Place, user: User, answer: Answer | None, reopening: Reopening | None,
                returned: bool) -> CardRights:
    """`returned`: the answer is returned and the card shows who returned it and why."""
    if season.frozen(place.cycle):  # the award list is out: nothing changes, whatever was open
        return CardRights(False, False, False, answer_service.frozen_reason())
    editable = may_edit(place, user, answer, reopening is not None)
    # Returned after the hand-over, but its window has ended: nothing can be changed until reopened.
    fix_closed = returned and not editable and place.assessment.stage != Stage.SELF
    may_submit = editable and (answer is None or answer.status in answer_service.EDITABLE)
    if editable:
        return CardRights(True, may_submit, fix_closed)
    if answer is not None and answer.status == AnswerStatus.APPROVED:
        why = _("Approved by the verifier: read-only unless it is reopened.")
    elif answer is not None and answer.status == AnswerStatus.SUBMITTED:
        why = _("Submitted for review: read-only until it is returned.")
    elif fix_closed:
        why = _("Returned: read-only until the verifier reopens it.")
    else:
        why = _("The answering window is closed.")
    return CardRights(False, may_submit, fix_closed, why)


@dataclass
class QuestionAt:
    """A question of this assessment as a change to it needs it."""

    ref: QuestionRef
    answer: Answer | None
    reopened: bool  # a verifier reopened it and the deadline has not passed

    def may_edit(self, place: Place, user: User) -> bool:
        return may_edit(place, user, self.answer, self.reopened)


# Every save starts with this read: built once (see open_question).
_QUESTION_AT = sa_select(
    Answer,
    exists().where(col(Reopening.answer_id) == col(Answer.id),
                   Reopening.open_at(bindparam("now"))),  # type: ignore[arg-type]  # a bound "now"
    exists().where(col(Assignment.assessment_id) == bindparam("assessment_id"),
                   col(Assignment.question_code) == bindparam("code"),
                   col(Assignment.agency_id) == bindparam("agency_id")),
).where(col(Answer.assessment_id) == bindparam("assessment_id"), col(Answer.question_code) == bindparam("code"))


def open_question(session: Session, place: Place, user: User, catalogue: Catalogue, code: str) -> QuestionAt:
    """`check_question`, the stored answer and whether it is reopened, in one query (an agency's
    first answer to a question needs a second): every save starts here."""
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    row = session.execute(_QUESTION_AT, {"now": utcnow(), "assessment_id": assessment_id(place), "code": code,
                                         "agency_id": user.agency_id}).first()
    answer, is_reopened_now, is_assigned = row if row is not None else (None, False, None)
    if user.role == Role.OPD:
        if is_assigned is None:
            is_assigned = code in assigned_codes(session, assessment_id(place), user.agency_id)
        if not is_assigned:
            raise HTTPException(403)
    return QuestionAt(ref, answer, bool(is_reopened_now))


# -- refusals -------------------------------------------------------------------------


def check_answer_editable(place: Place, user: User, question: QuestionAt) -> None:
    """Refuse a save of a read-only answer, saying why."""
    answer_service.check_not_frozen(place.cycle)
    if question.may_edit(place, user):
        return
    if question.answer is not None and question.answer.status not in answer_service.EDITABLE:
        raise NotAllowed(_("This answer has been submitted and is read-only until it is returned."))
    raise NotAllowed(_("The answering window is closed. Ask your DP3A to reopen it."))


def check_files_editable(place: Place, user: User, answer: Answer | None, reopened: bool, *,
                         removing: bool = False) -> None:
    answer_service.check_not_frozen(place.cycle)
    if not may_edit(place, user, answer, reopened):
        raise NotAllowed(_("This answer is read-only: files cannot be removed now.") if removing
                         else _("This answer is read-only: files cannot be added now."))


def check_upload(place: Place, user: User, question: QuestionAt, count: int) -> None:
    """Refuse an upload of which nothing can be taken."""
    check_files_editable(place, user, question.answer, question.reopened)
    if not count:
        raise Refusal(_("Choose at least one file."))
    if count > MAX_FILES_PER_UPLOAD:
        raise Refusal(_("At most %(n)s files at once.") % {"n": MAX_FILES_PER_UPLOAD})


# -- submission -----------------------------------------------------------------------


def submit_one(session: Session, place: Place, user: User, question: QuestionAt) -> None:
    """Send one answer for review (its card's button), or refuse (422) saying what is missing."""
    answer_service.check_not_frozen(place.cycle)
    answer = question.answer
    if answer is None or not answer_service.is_answered(answer):
        raise Refusal(_("Answer the question before submitting it."))
    if answer.status not in answer_service.EDITABLE:
        raise Refusal(_("This answer has already been submitted."))
    if answer_service.lacks_reason(answer):
        raise Refusal(_("Explain in the note why this question does not apply to your region before submitting it."))
    files = progress_service.evidence_counts(session, [answer.id]).get(answer.id, 0)
    if answer_service.lacks_required_evidence(answer, question.ref.question.evidence.required, files):
        raise Refusal(_("This question requires evidence: upload at least one file before submitting."))
    if not question.may_edit(place, user):
        raise Refusal(_("The answering window is closed. Ask your DP3A to reopen it."))
    if not answer_service.submit(session, place.assessment, [answer], user):
        # By a request a moment earlier (a double click).
        raise Refusal(_("This answer has already been submitted."))
    # After the hand-over: the fix of a returned answer is done, its window ends.
    review_service.handed_back(session, place.assessment, answer, user)


@dataclass
class Submission:
    """What "submit all" did: how many went, and the codes it left out, by reason."""

    sent: int = 0
    closed: str | None = None  # why nothing could go
    missing_evidence: list[str] = field(default_factory=list)
    missing_reason: list[str] = field(default_factory=list)
    unfixed: list[str] = field(default_factory=list)  # returned, unchanged since

    def skipped(self, order: list[str]) -> list[str]:
        if self.closed:
            return []
        return sorted(self.missing_evidence + self.missing_reason + self.unfixed, key=order.index)


def submit_all(session: Session, place: Place, user: User, catalogue: Catalogue,
               codes: list[str]) -> Submission:
    """Send every ready answer of `codes`, by the rules of one answer's submission and of the DP3A's
    check of the whole region: a "not applicable" needs its reason in the note, any other answer the
    evidence it requires; a returned answer nobody changed stays back."""
    answers = answer_service.answers_of(session, assessment_id(place), codes)
    evidence = progress_service.evidence_counts(session, [a.id for a in answers.values()])
    result, ready = Submission(), []
    for code, answer in answers.items():
        if answer.status not in answer_service.EDITABLE or not answer_service.is_answered(answer):
            continue
        if review_service.unchanged_since_returned(session, answer):
            result.unfixed.append(code)
        elif answer_service.lacks_reason(answer):
            result.missing_reason.append(code)
        elif answer_service.lacks_required_evidence(answer, catalogue.questions[code].question.evidence.required,
                                                    evidence.get(answer.id, 0)):
            result.missing_evidence.append(code)
        else:
            ready.append(answer)
    if season.frozen(place.cycle):
        result.closed = answer_service.frozen_reason()
    elif place.assessment.stage != Stage.SELF:
        result.closed = _("The self-assessment has been submitted to the province: answers can no longer be "
                          "submitted here.")
    elif not place.assessment.window_open and user.role != Role.DP3A:
        result.closed = _("The answering window is closed. Ask your DP3A to reopen it.")
    result.sent = answer_service.submit(session, place.assessment, [] if result.closed else ready, user)
    return result


def latest_return(session: Session, answer: Answer | None) -> ReviewEvent | None:
    """The latest "returned" event of a returned answer (who returned it, why), or None."""
    if answer is None or answer.status != AnswerStatus.RETURNED:
        return None
    return session.exec(select(ReviewEvent).where(
        ReviewEvent.answer_id == answer.id, ReviewEvent.action == ReviewAction.RETURNED)
        .order_by(col(ReviewEvent.id).desc())).first()
