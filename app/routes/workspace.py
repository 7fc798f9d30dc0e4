"""The OPD workspace: an agency's questions, a question's card, its progress.

Every route sits under /r/{regency}/{year}: the guard resolves the assessment and refuses anyone who
does not work in that kab/kota; each question is then checked against the agency's assignments (the
DP3A may answer any question). Saving and submitting answers: app.routes.answers; evidence files:
app.routes.evidence (both under the same prefix). The rules: app.services.questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.context import PREFIX, WorkspaceDep
from app.deps import Place, agency_filter
from app.models import Answer, AnswerStatus, Reopening, ReviewAction, ReviewEvent, Role, utcnow
from app.routes.cards import card_context, counters
from app.routes.question_list import ListState, question_list
from app.routes.question_list import warm_question_rows as warm_question_rows
from app.services import answers as answer_service
from app.services import progress as progress_service
from app.services import question_filter, questions
from app.services.administration import agencies_of
from app.services.questions import assessment_id
from app.services.questions import assigned_codes as assigned_codes  # app.routes.history imports it from here
from app.services.taskforce import coordination
from app.templating import render, templates

router = APIRouter(prefix=PREFIX, tags=["workspace"])


@router.get("/isian", name="workspace")
def workspace(ws: WorkspaceDep, opd: str | None = None, tampil: str | None = None, cari: str = "") -> Response:
    request, session, place, user, catalogue, scorer = ws.request, ws.session, ws.place, ws.user, ws.catalogue, ws.scorer
    agency = questions.chosen_agency(session, place, user, agency_filter(opd))
    codes = questions.question_codes_for(session, place, catalogue, agency)
    answers = answer_service.answer_rows(session, assessment_id(place), None if agency is None else codes)
    evidence = progress_service.evidence_counts(session, [a.id for a in answers.values()])
    progress = progress_service.progress(codes, answers, evidence)
    sheet = scorer.score(answer_service.scored_answers({c: answers[c] for c in codes if c in answers}))
    choice, search = question_filter.parse_filter(tampil), cari.strip()[:100]
    shown = question_filter.shown_codes(codes, answers, evidence, catalogue, choice, search)
    context = {
        "flash_kind": request.session.pop("flash_kind", "ok"),
        "flash_skipped": request.session.pop("flash_skipped", []),
        "filter": {"choice": choice, "search": search, "shown": len(shown), "total": len(codes),
                   "choices": list(question_filter.QuestionFilter), "active": choice is not None or bool(search)},
        "window": questions.answering_window(place, user),
        "notices": _notices(session, place, codes, answers),
        "desk": coordination.desk(session, catalogue, place.assessment, user),
        "reasons": {r.code: r for r in catalogue.review_reasons},
        "place": place,
        "agency": agency,
        "agencies": agencies_of(session, place.regency.code) if user.role == Role.DP3A else [],
        "answers": answers,
        "evidence": evidence,
        "progress": progress,
        "sheet": sheet,
        "max_points": scorer.max_of(codes),
        "catalogue": catalogue,
        # The list costs more than the rest of the page; it changes only with the assessment (its
        # revision), and a save changes one of its rows.
        "questions_html": question_list(request, catalogue, place.assessment, shown,
                                        ListState(answers, evidence, sheet.questions,
                                                  coordination.coordinator_marks(session, place.assessment))),
    }
    page: Response = render(request, "workspace/index.html", context)
    return page


@dataclass
class Notice:
    """One question that needs the kab/kota: returned (by whom, why) and/or open until a deadline."""

    code: str
    returned: ReviewEvent | None  # the latest return, while the answer is returned
    reopening: Reopening | None  # its open window, if any


def _notices(session: Session, place: Place, codes: list[str], answers: dict[str, Any]) -> list[Notice]:
    """What was returned to these questions and why (by the DP3A or by the province), and what a
    verifier reopened with its deadline: one entry per question, in the list's order."""
    wanted = set(codes)
    returned = {a.id: a for c, a in answers.items() if c in wanted and a.status == AnswerStatus.RETURNED}
    last_return: dict[int, ReviewEvent] = {}
    if returned:
        for event in session.exec(select(ReviewEvent).where(col(ReviewEvent.answer_id).in_(list(returned)),
                                                            ReviewEvent.action == ReviewAction.RETURNED)
                                  .order_by(col(ReviewEvent.id))):
            last_return[event.answer_id] = event
    windows: dict[str, Reopening] = {}
    for reopening, code in session.exec(
        select(Reopening, Answer.question_code).join(Answer, col(Answer.id) == Reopening.answer_id)
        .where(Answer.assessment_id == assessment_id(place), Reopening.open_at(utcnow()))
        .order_by(col(Reopening.until))
    ):
        if code in wanted:
            windows[code] = reopening  # the latest deadline, should old data hold two
    by_code = {a.question_code: a for a in returned.values()}
    return [Notice(code, last_return.get(by_code[code].id) if code in by_code else None, windows.get(code))
            for code in codes if code in by_code or code in windows]


@router.get("/isian/{code}", name="question_card")
def question_card(ws: WorkspaceDep, code: str) -> Response:
    questions.check_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    page: Response = render(ws.request, "workspace/question.html", card_context(ws, code), block="card")
    return page


@router.get("/kemajuan", name="workspace_progress")
def workspace_progress(ws: WorkspaceDep, opd: str | None = None) -> Response:
    """The progress card alone, for the agency shown (the focal point's own; any for the DP3A)."""
    context = {"place": ws.place, "user": ws.user,  # the user: the card asks again with the DP3A's filter
               **counters(ws, agency_filter(opd)), "oob": False}
    return templates.TemplateResponse(ws.request, "workspace/_progress.html", context)
