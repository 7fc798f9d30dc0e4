"""Evidence files on a question: upload, attach a file already uploaded, remove, and open or download
one (from the workspace and from the reviewer's desk alike, through one function).

Who may see which file is `EvidenceAccess`'s rule; whether a question's files may change now is
`app.services.questions`'. Included in the workspace's router (app.routes.workspace).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import (
    MAX_ID,
    CatalogueDep,
    CurrentUser,
    FormDep,
    Place,
    ReviewPlace,
    RowId,
    SessionDep,
    WorkPlace,
    on_team,
)
from app.evidence import RefusedFile, StoredFile
from app.forms import parse_id
from app.i18n import gettext as _
from app.models import Answer, Document, Evidence, User, saved_id
from app.models import StoredFile as StoredFileRow
from app.refusals import Refusal
from app.routes.cards import card_context
from app.services import answers as answer_service
from app.services import documents, questions
from app.services import evidence as evidence_service
from app.services import uploads as upload_service
from app.services.evidence import EvidenceAccess, sensitive_refusal
from app.services.questions import assessment_id
from app.templating import templates
from indicators import Catalogue

router = APIRouter(prefix=PREFIX, tags=["workspace"])

# Evidence a browser shows itself (PDF viewer, images), and the policy it is shown under, on the review
# page and in the workspace alike: no scripts, no forms, no plugins, whatever the file holds.
INLINE_KINDS = frozenset({"pdf", "png", "jpeg", "gif", "webp"})
EVIDENCE_SANDBOX = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"


def no_such_file() -> HTTPException:
    """A file that does not exist and one this user may not see answer alike: a guessed id learns nothing."""
    return HTTPException(404, _("There is no such evidence file here."))


def visible_evidence(session: Session, place: Place, evidence_access: EvidenceAccess, evidence_id: int,
                     code: str | None = None) -> tuple[Evidence, Answer]:
    """The evidence row `evidence_id` of this assessment (attached to question `code` when given),
    if this user may see it (`EvidenceAccess.may_see`); otherwise `no_such_file`."""
    evidence = session.get(Evidence, evidence_id) if 0 < evidence_id <= MAX_ID else None
    answer = session.get(Answer, evidence.answer_id) if evidence else None
    if (evidence is None or answer is None or answer.assessment_id != assessment_id(place)
            or (code is not None and answer.question_code != code)
            or not evidence_access.may_see(evidence, answer.question_code)):
        raise no_such_file()
    return evidence, answer


def serve_evidence(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
                   evidence_id: int, *, download: bool) -> FileResponse:
    """The file of an evidence row this user may see: a PDF or an image opens in the browser (a phone
    shows it at once) under the sandbox, unless `download` (and every other kind) downloads it. The
    opening of a sensitive one is logged, and committed, first."""
    # The field team opens the sensitive files too (`on_team` asks the database for verifiers only).
    evidence_access = EvidenceAccess.of(session, catalogue, user, place, on_team(session, place.assessment, user))
    evidence, answer = visible_evidence(session, place, evidence_access, evidence_id)
    store = request.app.state.evidence
    stored = session.get(StoredFileRow, evidence.sha256)
    if stored is None or not store.exists(evidence.sha256):
        raise HTTPException(404)
    evidence_access.record_opening(evidence, answer.question_code)
    session.commit()
    inline = not download and stored.kind in INLINE_KINDS
    return FileResponse(
        store.path_for(evidence.sha256), media_type=stored.media_type, filename=evidence.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                 "Content-Security-Policy": EVIDENCE_SANDBOX},
    )


@router.get("/bukti/{evidence_id}", name="evidence_download")
def evidence_download(request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
                      catalogue: CatalogueDep, evidence_id: RowId, unduh: int = 0) -> FileResponse:
    """From the workspace; `?unduh=1` downloads."""
    return serve_evidence(request, session, place, user, catalogue, evidence_id, download=bool(unduh))


@router.get("/verifikasi-bukti/{evidence_id}", name="review_evidence")
def review_evidence(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
                    catalogue: CatalogueDep, evidence_id: RowId, unduh: int = 0) -> FileResponse:
    """From the reviewer's desk (its guard: the verifiers of a submitted assessment, the DP3A)."""
    return serve_evidence(request, session, place, user, catalogue, evidence_id, download=bool(unduh))


# -- changing a question's files ---------------------------------------------------------


@router.post("/isian/{code}/bukti", name="evidence_upload")
async def evidence_upload(ws: WorkspaceDep, code: str) -> Response:
    # Async only to stream the files into the store; every database query and the rendering run in
    # the thread pool, as in the plain handlers: on the event loop they would stall the whole worker.
    question = await run_in_threadpool(questions.open_question, ws.session, ws.place, ws.user, ws.catalogue, code)
    form = await ws.request.form()
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    try:
        questions.check_upload(ws.place, ws.user, question, len(uploads))
    except Refusal as refusal:
        return await run_in_threadpool(evidence_response, ws, code, [refusal.message], status=refusal.status)
    messages, accepted = [], []
    for upload in uploads:
        name = upload.filename or "berkas"
        try:
            accepted.append((await evidence_service.store_upload(ws.store, upload), name))
        except RefusedFile as refused:
            messages.append(f"{name}: {upload_service.refused_text(refused, ws.max_upload_mb)}")
    return await run_in_threadpool(_attach_uploads, ws, code, question.answer, accepted, messages)


def _attach_uploads(ws: Workspace, code: str, known: Answer | None, accepted: list[tuple[StoredFile, str]],
                    messages: list[str]) -> Response:
    attached = upload_service.attach_uploads(ws.session, ws.store, ws.catalogue, ws.place, ws.user, code, known,
                                             accepted, messages)
    if attached.accepted:
        ws.session.commit()
    return evidence_response(ws, code, attached.messages, status=attached.status, ok=attached.ok, read=attached.read)


@router.post("/isian/{code}/bukti-pakai", name="evidence_reuse")
def evidence_reuse(ws: WorkspaceDep, code: str, form: FormDep) -> Response:
    target = questions.open_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    chosen = str(form.get("evidence_id", "")).strip()
    if not chosen:
        return evidence_response(ws, code, [_("Choose a file to attach first.")], status=422)
    source_id = parse_id(chosen)
    if source_id is None:
        raise no_such_file()
    evidence_access = EvidenceAccess.of(ws.session, ws.catalogue, ws.user, ws.place)
    # The source must be a file this user may see (for an agency: on one of its questions, not
    # sensitive); any other id, existing or not, gets the same answer.
    source, _source_answer = visible_evidence(ws.session, ws.place, evidence_access, source_id)
    if not evidence_access.may_attach(source.sha256, code):
        return evidence_response(ws, code, [sensitive_refusal()], status=422)
    try:
        questions.check_files_editable(ws.place, ws.user, target.answer, target.reopened)
    except Refusal as refusal:
        return evidence_response(ws, code, [refusal.message], status=refusal.status)
    answer = upload_service.answer_for_evidence(ws.session, ws.place, ws.user, code, target.answer)
    if evidence_service.already_attached(ws.session, saved_id(answer.id), source.sha256):  # a double click
        return evidence_response(ws, code, [_("%(name)s is already attached to this question.")
                                             % {"name": source.filename}], ok=True)
    evidence_service.reuse(ws.session, ws.place.assessment, answer, source, ws.user)  # a returned answer stays returned
    ws.session.commit()
    return evidence_response(ws, code, [_("The file %(name)s is attached here too.") % {"name": source.filename}],
                              ok=True)


@router.post("/isian/{code}/bukti/{evidence_id}/hapus", name="evidence_remove")
def evidence_remove(ws: WorkspaceDep, code: str, evidence_id: RowId) -> Response:
    questions.check_question(ws.session, ws.place, ws.user, ws.catalogue, code)
    # Only a file this user may see: a guessed id of a sensitive one is "no such file", without its name.
    evidence, answer = visible_evidence(ws.session, ws.place,
                                        EvidenceAccess.of(ws.session, ws.catalogue, ws.user, ws.place),
                                        evidence_id, code)
    answer_service.lock_answers(ws.session, [answer])  # before the audit entry's lock, as decisions do
    try:
        questions.check_files_editable(ws.place, ws.user, answer, questions.is_reopened(ws.session, answer) is not None,
                                       removing=True)
    except Refusal as refusal:
        return evidence_response(ws, code, [refusal.message], status=refusal.status)
    if evidence.removed_at is None:
        evidence_service.remove(ws.session, ws.place.assessment, evidence, ws.user)
        ws.session.commit()
    return evidence_response(ws, code, [_("The file %(name)s was removed; it stays in the history.")
                                         % {"name": evidence.filename}], ok=True)


def evidence_response(ws: Workspace, code: str, messages: list[str], status: int = 200,
                       ok: bool = False, read: list[Document] | None = None) -> Response:
    context: dict[str, Any] = card_context(ws, code, oob=True)
    context.update({"upload_messages": messages, "upload_ok": ok,
                    "read_documents": documents.summaries(ws.session, [d.id for d in read or []]).values()})
    response = templates.TemplateResponse(ws.request, "workspace/_evidence_result.html", context, status_code=status)
    if ok:  # the progress card recounts in its own debounced request, as after a save
        response.headers["HX-Trigger"] = "progress-changed"
    return response
