"""The document library of a kab/kota's cycle (Perpustakaan dokumen): the list with its search, a
document's page (its metadata, the questions it serves), and uploading, describing, linking and
unlinking documents. Same guard as the workspace (`WorkspaceDep`: the kab/kota's DP3A and focal
points); who sees which document is `app.services.library.LibraryView`'s rule (`EvidenceAccess`).

Forms are plain HTML forms answered by a redirect (they work without JavaScript); a refusal
re-renders the page with its message (422/409), never a 500 or JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep, RowId
from app.evidence import RefusedFile, StoredFile, refusal_message
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import StoredFile as StoredFileRow
from app.models import saved_id
from app.refusals import Refusal
from app.routes.evidence import EVIDENCE_SANDBOX, INLINE_KINDS, serve_evidence
from app.services import documents, library
from app.services import evidence as evidence_service
from app.services.library import Entry, LibraryView
from app.templating import render

router = APIRouter(prefix=PREFIX, tags=["library"])
MAX_SEARCH = 100


def _view(ws: Workspace) -> LibraryView:
    return LibraryView(ws.session, ws.catalogue, ws.user, ws.place)


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


def _list_context(ws: Workspace, view: LibraryView, jenis: str, tahun: str, cari: str) -> dict[str, Any]:
    kinds = {value for value, _label in documents.kind_choices()}
    kind = jenis if jenis in kinds else None
    year = _year(tahun)
    search = " ".join(cari.split())[:MAX_SEARCH]
    entries = view.entries(kind=kind, year=year, text=search)
    return {
        "place": ws.place,
        "entries": entries,
        "kinds": documents.kind_choices(),
        "years": view.years(),
        "chosen": {"kind": kind or "", "year": year, "search": search, "active": bool(kind or year or search)},
        "may_upload": view.may_upload(),
        "max_upload_mb": ws.max_upload_mb,
        "flash": ws.request.session.pop("flash", None),
        "message": None,
    }


@router.get("/dokumen", name="library")
def library_list(ws: WorkspaceDep, jenis: str = "", tahun: str = "", cari: str = "") -> Response:
    context = _list_context(ws, _view(ws), jenis[:40], tahun[:10], cari[:MAX_SEARCH * 2])
    return render(ws.request, "library/index.html", context)


def _page(ws: Workspace, view: LibraryView, entry: Entry, *, message: str | None = None, status: int = 200,
          form: documents.MetadataInput | None = None, cari: str = "", link_result: Any = None) -> Response:
    document = entry.document
    search = " ".join(cari.split())[:MAX_SEARCH].casefold()
    linked = set(entry.codes)
    groups: dict[str, dict[str, Any]] = {}
    for code in view.own_codes():
        ref = ws.catalogue.questions[code]
        if search and search not in f"{code} {ref.question.text} {ref.indicator.name}".casefold():
            continue
        group = groups.setdefault(ref.indicator.code, {"indicator": ref.indicator, "questions": []})
        group["questions"].append({"code": code, "text": ref.question.text, "linked": code in linked,
                                   "sensitive": ref.question.sensitive})
    may_change = view.may_change(entry)
    context = {
        "place": ws.place,
        "entry": entry,
        "document": document,
        "kinds": documents.kind_choices(),
        "extracted": document.extracted,
        "extracted_kind": documents.kind_label(document.extracted.get("kind", "")) if document.extracted.get("kind")
        else "",
        "form": form,
        "may_change": may_change,
        "groups": list(groups.values()) if may_change else [],
        "search": search,
        "message": message,
        "link_result": link_result,
        "flash": ws.request.session.pop("flash", None),
        "questions": ws.catalogue.questions,
    }
    return render(ws.request, "library/document.html", context, status_code=status)


@router.get("/dokumen/{document_id}", name="library_document")
def library_document(ws: WorkspaceDep, document_id: RowId, cari: str = "") -> Response:
    view = _view(ws)
    return _page(ws, view, view.entry(document_id), cari=cari[:MAX_SEARCH * 2])


def _to_page(ws: Workspace, document_id: int, flash: str) -> Response:
    ws.request.session["flash"] = flash
    url = ws.request.url_for("library_document", regency_code=ws.place.regency.code, year=ws.place.cycle.year,
                             document_id=document_id)
    return RedirectResponse(str(url), status_code=303)


@router.post("/dokumen/{document_id}/data", name="library_metadata")
def library_metadata(ws: WorkspaceDep, document_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    entry = view.entry(document_id)
    data = documents.MetadataInput(**{name: str(form.get(name, ""))[:400] for name in
                                      ("kind", "title", "number", "issued_on", "year", "issuer", "valid_until")})
    try:
        changed = documents.update_metadata(ws.session, ws.place, ws.user, entry.document, data,
                                            may_change=view.may_change(entry))
    except Refusal as refusal:
        return _page(ws, view, entry, message=refusal.message, status=refusal.status, form=data)
    ws.session.commit()
    return _to_page(ws, document_id, _("The document's data is saved.") if changed else _("Nothing changed."))


@router.post("/dokumen/{document_id}/tautkan", name="library_link")
def library_link(ws: WorkspaceDep, document_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    entry = view.entry(document_id)
    codes = [str(code).strip()[:40] for code in form.getlist("codes")][:library.MAX_CODES_PER_LINK + 1]
    try:
        result = library.link_to(ws.session, view, entry, codes)
    except Refusal as refusal:
        return _page(ws, view, entry, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if result.refused and not result.linked:
        return _page(ws, view, view.entry(document_id), message=_("Not linked."), status=422,
                     link_result=result)
    parts = []
    if result.linked:
        parts.append(_("Linked to %(codes)s.") % {"codes": ", ".join(result.linked)})
    if result.already:
        parts.append(_("Already linked to %(codes)s.") % {"codes": ", ".join(result.already)})
    if result.refused:
        return _page(ws, view, view.entry(document_id), message=" ".join(parts), status=200, link_result=result)
    return _to_page(ws, document_id, " ".join(parts))


@router.post("/dokumen/{document_id}/lepas/{evidence_id}", name="library_unlink")
def library_unlink(ws: WorkspaceDep, document_id: RowId, evidence_id: RowId) -> Response:
    view = _view(ws)
    entry = view.entry(document_id)
    try:
        code = library.unlink(ws.session, view, entry, evidence_id)
    except Refusal as refusal:
        return _page(ws, view, entry, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if code is None:
        return _to_page(ws, document_id, _("It was unlinked already."))
    return _to_page(ws, document_id, _("Unlinked from %(code)s; the file stays in that question's history.")
                    % {"code": code})


@router.get("/dokumen/{document_id}/berkas", name="library_file")
def library_file(ws: WorkspaceDep, document_id: RowId, unduh: int = 0) -> FileResponse:
    """The document's file: through one of its links the user may see (`serve_evidence`, with its
    rules and its log of sensitive openings); a document with no link yet, which only its
    uploader's agency and the DP3A see (`LibraryView`), from the store under the same headers."""
    view = _view(ws)
    entry = view.entry(document_id)
    if entry.links:
        return serve_evidence(ws.request, ws.session, ws.place, ws.user, ws.catalogue,
                              saved_id(entry.links[0].evidence.id), download=bool(unduh))
    if entry.all_links:
        raise HTTPException(404)
    stored = ws.session.get(StoredFileRow, entry.document.sha256)
    if stored is None or not ws.store.exists(stored.sha256):
        raise HTTPException(404)
    inline = not unduh and stored.kind in INLINE_KINDS
    return FileResponse(
        ws.store.path_for(stored.sha256), media_type=stored.media_type, filename=entry.document.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                 "Content-Security-Policy": EVIDENCE_SANDBOX},
    )


@router.post("/dokumen/unggah", name="library_upload")
async def library_upload(ws: WorkspaceDep) -> Response:
    form = await ws.request.form()
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) != 1:
        return await run_in_threadpool(_list_refused, ws, _("Choose one file."))
    upload = uploads[0]
    try:
        stored = await evidence_service.store_upload(ws.store, upload)
    except RefusedFile as refused:
        limit = ws.max_upload_mb
        text = refusal_message(refused.code, current_language.get(), limit_mb=limit, size_mb=f">{limit}")
        return await run_in_threadpool(_list_refused, ws, f"{upload.filename}: {text}")
    return await run_in_threadpool(_add, ws, stored, upload.filename or "berkas")


def _add(ws: Workspace, stored: StoredFile, name: str) -> Response:
    view = _view(ws)
    try:
        document = library.upload(ws.session, view, stored, name, ws.store.path_for(stored.sha256))
    except Refusal as refusal:
        return _list_refused(ws, refusal.message, refusal.status)
    ws.session.commit()
    return _to_page(ws, saved_id(document.id), _("Uploaded. Check what was read from the file and complete it."))


def _list_refused(ws: Workspace, message: str, status: int = 422) -> Response:
    context = _list_context(ws, _view(ws), "", "", "")
    context["message"] = message
    return render(ws.request, "library/index.html", context, status_code=status)
