"""A cluster coordinator's desk (`/r/{regency}/{year}/gugus-tugas/klaster`): the queue of the submitted
answers of their parts at stage CLUSTER, and a page per answer to approve or return it, with the review
desk's reasons, note and history (`app.services.taskforce.coordination` holds the rules; the decision is
`review.decide`). No score, no batch, no reopening, no hand-over: those are the DP3A's.

Who: an agency account of the kab/kota named coordinator of at least one part (else 403). Sensitive
questions are never listed, shown or served here, and their files never named."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.routing import APIRouter
from sqlmodel import col, select

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep, RowId
from app.forms import MAX_NOTE, parse_note
from app.i18n import gettext as _
from app.models import Answer, AnswerStatus, Evidence, ReviewAction, User
from app.models import StoredFile as StoredFileRow
from app.refusals import Refusal
from app.routes.evidence import EVIDENCE_SANDBOX, INLINE_KINDS, no_such_file
from app.routes.review import action_names, event_stages
from app.services import review as review_service
from app.services.evidence import EvidenceAccess
from app.services.season import frozen
from app.services.taskforce import coordination
from app.services.taskforce.team import coordinated_parts
from app.templating import render, render_fragment
from scoring import Stage

router = APIRouter(prefix=PREFIX, tags=["taskforce"])
STATUSES = ("waiting", "approved", "returned", "all")


def _parts(ws: Workspace) -> set[str]:
    """The parts the user coordinates here; nobody else has a desk (403)."""
    parts = coordinated_parts(ws.session, ws.place.assessment, ws.user)
    if not parts:
        raise HTTPException(403, _("Only a cluster coordinator of the Gugus Tugas has this page."))
    return parts


def _base(ws: Workspace) -> str:
    return f"/r/{ws.place.regency.code}/{ws.place.cycle.year}/gugus-tugas/klaster"


@router.get("/gugus-tugas/klaster", name="cluster_queue")
def cluster_queue(ws: WorkspaceDep, status: str = "waiting") -> Response:
    parts = _parts(ws)
    status = status if status in STATUSES else "waiting"
    state = review_service.load_state(ws.session, ws.place.assessment, ws.user)
    items = coordination.coordinator_queue(state, ws.catalogue, parts, status)
    context: dict[str, Any] = {
        "place": ws.place, "items": items, "catalogue": ws.catalogue, "action_names": action_names(),
        "decidable": False,  # no batch approval here: each answer is opened
        # Four eyes: what the coordinator saved or submitted themselves goes to the DP3A (said in its row).
        "own_work": coordination.own_work_codes(state, ws.user, [item.code for item in items]),
        "query": f"status={status}" if status != "waiting" else "", "detail_base": _base(ws),
        "status": status, "my_parts": sorted(parts), "open": coordination.cluster_open(ws.session, ws.place.assessment),
        "parts": [p for p in ws.catalogue.data.parts if p.code in parts],
        "flash": ws.request.session.pop("flash", None),
    }
    context["table_html"] = render_fragment(ws.request, "review/_queue_table.html", context)
    return render(ws.request, "taskforce/cluster_queue.html", context)


def _answer(ws: Workspace, parts: set[str], code: str) -> Answer:
    """The answer of `code` if this coordinator reviews it; a sensitive question is not here (404)."""
    if not coordination.reviews(ws.catalogue, parts, code):
        raise HTTPException(404)
    answer = ws.session.exec(select(Answer).where(Answer.assessment_id == ws.place.assessment.id,
                                                  Answer.question_code == code)).first()
    # Review i24: a draft is the agency's work in progress (the queue lists none): not here either.
    if answer is None or answer.status == AnswerStatus.DRAFT:
        raise HTTPException(404)
    return answer


def _detail(ws: Workspace, parts: set[str], code: str, *, message: str | None = None,
            form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    answer = _answer(ws, parts, code)
    ref = ws.catalogue.questions[code]
    state = review_service.load_state(ws.session, ws.place.assessment, ws.user)
    row = state.answers[code]
    review_service.mark_seen(ws.session, ws.user, row)
    ws.session.commit()
    # The files an agency may see here: none of a sensitive content (`EvidenceAccess.content_sensitive`).
    evidence_access = EvidenceAccess.of(ws.session, ws.catalogue, ws.user, ws.place)
    current = [f for f in state.current_files(row.id) if not evidence_access.content_sensitive(f.sha256)]
    events = state.events.get(row.id, [])
    user_ids = {e.user_id for e in events} | ({answer.updated_by} if answer.updated_by else set())
    users = {u.id: u for u in ws.session.exec(select(User).where(col(User.id).in_(user_ids)))}
    own_work = coordination.own_work(state, row, ws.user.id)
    context = {
        "place": ws.place, "ref": ref, "q": ref.question, "scale": ws.catalogue.scales[ref.question.scale],
        "answer": row, "files": current, "events": events, "users": users,
        "agencies": state.agencies_by_question.get(code, []), "decision": state.last_decision(row.id, Stage.CLUSTER),
        "action_names": action_names(), "event_stages": event_stages(), "reasons": ws.catalogue.review_reasons,
        "decidable": review_service.stage_open(ws.place.assessment, Stage.CLUSTER, ws.session)
        and not frozen(ws.place.cycle) and not own_work,
        "own_work": own_work,
        "message": message or ws.request.session.pop("flash", None), "form": form or {}, "max_note": MAX_NOTE,
        "base": _base(ws), "my_parts": sorted(parts),
    }
    return render(ws.request, "taskforce/cluster_detail.html", context, status_code=status_code)


@router.get("/gugus-tugas/klaster/{code}", name="cluster_detail")
def cluster_detail(ws: WorkspaceDep, code: str) -> Response:
    return _detail(ws, _parts(ws), code)


@router.post("/gugus-tugas/klaster/{code}", name="cluster_decide")
def cluster_decide(ws: WorkspaceDep, code: str, form: FormDep) -> Response:
    parts = _parts(ws)
    answer = _answer(ws, parts, code)
    action = str(form.get("action", ""))
    reasons = [str(r) for r in form.getlist("reasons")]
    values = {"action": action, "reasons": reasons, "note": str(form.get("note", ""))}
    try:
        note = parse_note(form)
        coordination.check_coordinator(ws.session, ws.catalogue, ws.place.assessment, ws.user, answer)
        review_service.decide(ws.session, ws.place.assessment, answer, Stage.CLUSTER, action, ws.user,
                              reasons=reasons, note=note, known_reasons={r.code for r in ws.catalogue.review_reasons})
    except Refusal as refusal:
        ws.session.rollback()
        return _detail(ws, parts, code, message=refusal.message, form=values, status_code=refusal.status)
    ws.session.commit()
    ws.request.session["flash"] = (_("Approved: %(code)s") if action == ReviewAction.APPROVED
                                   else _("Returned: %(code)s")) % {"code": code}
    return RedirectResponse(_base(ws), status_code=303)


@router.get("/gugus-tugas/klaster/bukti/{evidence_id}", name="cluster_evidence")
def cluster_evidence(ws: WorkspaceDep, evidence_id: RowId, unduh: int = 0) -> FileResponse:
    """A file of an answer the coordinator reviews; never one of a sensitive question or content."""
    parts = _parts(ws)
    evidence = ws.session.get(Evidence, evidence_id)
    answer = ws.session.get(Answer, evidence.answer_id) if evidence is not None else None
    evidence_access = EvidenceAccess.of(ws.session, ws.catalogue, ws.user, ws.place)
    if (evidence is None or answer is None or answer.assessment_id != ws.place.assessment.id
            or answer.status == AnswerStatus.DRAFT  # review i24: a draft's files are the agency's own
            or not coordination.reviews(ws.catalogue, parts, answer.question_code)
            or evidence_access.content_sensitive(evidence.sha256)):
        raise no_such_file()
    stored = ws.session.get(StoredFileRow, evidence.sha256)
    if stored is None or not ws.store.exists(evidence.sha256):
        raise HTTPException(404)
    inline = not unduh and stored.kind in INLINE_KINDS
    return FileResponse(
        ws.store.path_for(evidence.sha256), media_type=stored.media_type, filename=evidence.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                 "Content-Security-Policy": EVIDENCE_SANDBOX})
