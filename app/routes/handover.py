"""Hand-overs between stages: the DP3A submits its self-assessment to the province, the province
hands it on to the ministry, the ministry sends it back to the province. Each is one
`season.move` (in `app.services.review`), idempotent: a second click finds the move made and says so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import access
from app.deps import CatalogueDep, CurrentUser, FormDep, Place, ReviewPlace, SessionDep, get_place
from app.forms import parse_note
from app.i18n import gettext as _
from app.models import Role, User
from app.refusals import Refusal
from app.routes.review import QueueFilters, queue_page
from app.services import document_flags
from app.services import review as review_service
from app.services.review import ReviewState, SubmissionCheck
from app.templating import render
from indicators import Catalogue
from scoring import Stage

AnyPlace = Annotated[Place, Depends(get_place)]  # the route checks who may, as the stage allows

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["review"])


def _to_queue(request: Request, place: Place, message: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(str(request.url_for("review_queue", regency_code=place.regency.code,
                                                year=place.cycle.year)), status_code=303)


@router.post("/teruskan", name="assessment_hand_on")
def assessment_hand_on(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
                       catalogue: CatalogueDep) -> Response:
    """The province passes the kab/kota on to the ministry, once it has decided every answered question."""
    if not access.may_hand_on(user, place.regency.province_code):
        raise HTTPException(403)
    state = review_service.load_state(session, place.assessment, user)
    try:
        moved = review_service.hand_on(session, place.assessment, user, state, catalogue)
    except Refusal as refusal:
        session.rollback()
        return queue_page(request, session, place, user, catalogue, QueueFilters(), status_code=refusal.status,
                          moves_form={"error": refusal.message, "waiting": refusal.code == "undecided"})
    session.commit()
    return _to_queue(request, place, _("Handed on to the ministry: the province's decisions are now locked.")
                     if moved is not None else _("The assessment is already with the ministry: nothing changed."))


@router.post("/kembalikan", name="assessment_send_back")
def assessment_send_back(request: Request, place: AnyPlace, session: SessionDep, user: CurrentUser,
                         catalogue: CatalogueDep, form: FormDep) -> Response:
    """The ministry returns the kab/kota to its province, with the reason the province reads."""
    regency = place.regency
    if not access.may_send_back(user, regency.province_code):
        raise HTTPException(403)
    if not access.may_review(user, regency.code, regency.province_code, place.assessment.stage):
        if place.assessment.stage != Stage.PROVINCE:
            raise HTTPException(403)
        # A reviewer's second click: sent back a moment ago, so no longer on their desk to return to.
        raise HTTPException(409, _("The assessment is already with the province: nothing changed."))
    try:
        moved = review_service.send_back(session, place.assessment, user, parse_note(form))
    except Refusal as refusal:
        session.rollback()
        return queue_page(request, session, place, user, catalogue, QueueFilters(), status_code=refusal.status,
                          moves_form={"error": refusal.message, "note": str(form.get("note", ""))})
    session.commit()
    return _to_queue(request, place, _("Sent back to the province: its decisions are open again.")
                     if moved is not None else _("The assessment is already with the province: nothing changed."))


def _own_submission(session: Session, place: Place, user: User,
                    catalogue: Catalogue) -> tuple[SubmissionCheck, ReviewState]:
    """Only the kab/kota's own DP3A hands its assessment over: the checks, and the state they read."""
    if user.role != Role.DP3A:
        raise HTTPException(403)
    state = review_service.load_state(session, place.assessment)
    flags = document_flags.assessment_flags(session, place.assessment, catalogue, place.cycle.year)
    return review_service.check_submission(state, catalogue, flags), state


def _submit_page(request: Request, place: Place, check: SubmissionCheck, catalogue: Catalogue,
                 message: str | None = None, status_code: int = 200, state: ReviewState | None = None) -> Response:
    # Each listed question links to where it is seen (the review page of an answer, the agency's card of
    # a question without one) and names the agencies that answer it.
    links = {}
    if state is not None:
        for code in {*check.unanswered, *check.na_without_reason, *check.without_evidence, *check.not_reviewed,
                     *check.flagged}:
            name = "review_detail" if code in state.answers else "question_card"
            links[code] = (str(request.url_for(name, regency_code=place.regency.code, year=place.cycle.year,
                                               code=code)), state.agencies_by_question.get(code, []))
    return render(request, "review/submit.html",
                  {"place": place, "check": check, "catalogue": catalogue, "message": message, "links": links},
                  status_code=status_code)


@router.get("/kirim-penilaian", name="assessment_submit_page")
def assessment_submit_page(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
) -> Response:
    check, state = _own_submission(session, place, user, catalogue)
    return _submit_page(request, place, check, catalogue, state=state)


@router.post("/kirim-penilaian", name="assessment_submit")
def assessment_submit(
    request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
) -> Response:
    check, state = _own_submission(session, place, user, catalogue)
    try:
        review_service.submit_assessment(session, place.assessment, check, user)
        request.session["flash"] = _("The assessment has been submitted to the province. Agencies can no longer "
                                     "change it.")
    except review_service.ReviewError as refusal:
        session.rollback()
        if refusal.code != "already_submitted":
            return _submit_page(request, place, check, catalogue, refusal.message, refusal.status, state=state)
        # A second click, or a colleague a moment earlier: the assessment is where it was asked to go.
        request.session["flash"] = refusal.message
    session.commit()
    return RedirectResponse(str(request.url_for("dashboard", regency_code=place.regency.code, year=place.cycle.year)),
                            status_code=303)


