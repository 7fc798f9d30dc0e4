"""The history of one question: every change, upload, decision and reopening, from the audit log."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import and_, or_
from sqlmodel import select

from app import access
from app.deps import CatalogueDep, CurrentUser, HistoryPlace, SessionDep
from app.models import Answer, AuditEntry, Evidence, Role, User
from app.routes.workspace import assigned_codes
from app.templating import render

router = APIRouter(prefix="/r/{regency_code}/{year}", tags=["history"])


@router.get("/riwayat/{code}", name="question_history")
def question_history(
    request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, code: str,
):
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    if user.role == Role.OPD and code not in assigned_codes(session, place.assessment.id, user.agency_id):
        raise HTTPException(403)
    answer = session.exec(select(Answer).where(Answer.assessment_id == place.assessment.id,
                                               Answer.question_code == code)).first()
    entries: list[AuditEntry] = []
    if answer is not None:
        evidence_ids = [str(i) for i in session.exec(select(Evidence.id).where(Evidence.answer_id == answer.id))]
        entries = list(session.exec(
            select(AuditEntry).where(or_(
                and_(AuditEntry.entity == "answer", AuditEntry.entity_id == str(answer.id)),
                and_(AuditEntry.entity == "evidence", AuditEntry.entity_id.in_(evidence_ids)),
            )).order_by(AuditEntry.id)
        ))
    user_ids = {e.user_id for e in entries if e.user_id}
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    regency = place.regency
    # File names of sensitive questions can name child victims: hidden from whoever may not open them.
    mask_files = ref.question.sensitive and not access.may_open_sensitive(
        user, regency.code, regency.province_code, place.assessment.stage)
    return render(request, "history/question.html",
                  {"place": place, "ref": ref, "q": ref.question, "answer": answer, "entries": entries, "users": users,
                   "mask_files": mask_files})
