"""Meetings and activities of the Gugus Tugas (Rapat & kegiatan) of a kab/kota's cycle: the list, the
form to record one, a meeting's page with its documents (uploaded into the library or picked from it)
and the questions it serves, linked in one step. Same guard as the library (`WorkspaceDep`: the
kab/kota's DP3A and agencies); who sees and changes which meeting is
`app.services.taskforce.meetings.MeetingView`'s rule.

Plain HTML forms answered by a redirect; a refusal re-renders the page with its message and what
was typed (422/409), never a 500 or JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep, RowId
from app.evidence import RefusedFile, StoredFile, refusal_message
from app.forms import parse_id
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import MeetingDocumentRole, saved_id
from app.refusals import Refusal
from app.services import evidence as evidence_service
from app.services import library
from app.services.taskforce import meeting_links, meetings
from app.services.taskforce.meeting_links import Outcome
from app.services.taskforce.meetings import MeetingInput, MeetingView, Record
from app.templating import render

router = APIRouter(prefix=PREFIX + "/gugus-tugas/rapat", tags=["meetings"])
MAX_SEARCH = 100


def _view(ws: Workspace) -> MeetingView:
    return MeetingView(ws.session, ws.catalogue, ws.user, ws.place)


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


@router.get("", name="meetings")
def meeting_list(ws: WorkspaceDep, jenis: str = "", tahun: str = "") -> Response:
    view = _view(ws)
    kinds = {value for value, _label in meetings.kind_choices()}
    kind = jenis[:40] if jenis[:40] in kinds else None
    year = _year(tahun[:10])
    context = {
        "place": ws.place, "records": view.meetings(kind=kind, year=year), "kinds": meetings.kind_choices(),
        "years": view.years(), "chosen": {"kind": kind or "", "year": year, "active": bool(kind or year)},
        "may_record": view.may_record(), "flash": ws.request.session.pop("flash", None),
    }
    return render(ws.request, "meetings/index.html", context)


def _form_page(ws: Workspace, view: MeetingView, data: MeetingInput, message: str | None = None,
               status: int = 200) -> Response:
    context = {
        "place": ws.place, "data": data, "kinds": meetings.kind_choices(), "agencies": view.agencies(),
        "suggestions": meetings.outside_suggestions(view), "message": message,
        "latest": meetings.latest_date(), "may_record": view.may_record(),
    }
    return render(ws.request, "meetings/new.html", context, status_code=status)


@router.get("/baru", name="meeting_new")
def meeting_new(ws: WorkspaceDep) -> Response:
    return _form_page(ws, _view(ws), MeetingInput())


@router.post("", name="meeting_create")
def meeting_create(ws: WorkspaceDep, form: FormDep) -> Response:
    view = _view(ws)
    data = MeetingInput(**{name: str(form.get(name, ""))[:5000] for name in
                           ("title", "kind", "held_on", "place", "agenda", "summary", "outside")},
                        agency_ids=[str(v)[:12] for v in form.getlist("agencies")][:500])
    try:
        meeting = meetings.create(ws.session, view, data)
    except Refusal as refusal:
        return _form_page(ws, view, data, refusal.message, refusal.status)
    ws.session.commit()
    return _to_page(ws, saved_id(meeting.id), _("The meeting is recorded. Add its minutes and attendance list, "
                                                "then link it to the questions it serves."))


def _to_page(ws: Workspace, meeting_id: int, flash: str, query: dict[str, str] | None = None) -> Response:
    """Back to the meeting's page (with the question filter the form came from)."""
    ws.request.session["flash"] = flash
    url = ws.request.url_for("meeting_page", regency_code=ws.place.regency.code, year=ws.place.cycle.year,
                             meeting_id=meeting_id)
    kept = {k: v for k, v in (query or {}).items() if v}
    return RedirectResponse(f"{url}?{urlencode(kept)}" if kept else str(url), status_code=303)


SHOWN_UNFILTERED = 60  # an agency's questions fit one list; the DP3A's 274 are chosen by part or text first


def _groups(ws: Workspace, view: MeetingView, record: Record, part: str, search: str) -> list[dict[str, Any]] | None:
    """The questions offered for linking, by indicator, filtered by part and text; None when there
    are too many to list before a part or a text is chosen."""
    linked = set(record.codes)
    groups: dict[str, dict[str, Any]] = {}
    needle = search.casefold()
    codes = view.linkable_codes()
    if not (part or needle) and len(codes) > SHOWN_UNFILTERED:
        return None
    listed = [code for code in codes
              if (not part or ws.catalogue.questions[code].part.code == part)
              and (not needle or needle in f"{code} {ws.catalogue.questions[code].question.text} "
                                           f"{ws.catalogue.questions[code].indicator.name}".casefold())]
    read_only = meeting_links.read_only_codes(ws.session, view, [code for code in listed if code not in linked])
    for code in listed:
        ref = ws.catalogue.questions[code]
        group = groups.setdefault(ref.indicator.code, {"indicator": ref.indicator, "questions": []})
        group["questions"].append({"code": code, "text": ref.question.text, "linked": code in linked,
                                   "sensitive": ref.question.sensitive, "read_only": code in read_only})
    return list(groups.values())


def _page(ws: Workspace, view: MeetingView, meeting_id: int, *, message: str | None = None, status: int = 200,
          outcome: Outcome | None = None, bagian: str = "", cari: str = "") -> Response:
    try:
        record = view.record(meeting_id)
    except HTTPException:
        # Review s31: a change refused because the meeting was removed meanwhile (another tab) says so,
        # on the list, to whoever could see it; anyone else gets the 404. (Nothing is committed: the
        # request's unit of work ends unsaved.)
        if message is None or view.removed(meeting_id) is None:
            raise
        ws.request.session["flash"] = message
        url = ws.request.url_for("meetings", regency_code=ws.place.regency.code, year=ws.place.cycle.year)
        return RedirectResponse(str(url), status_code=303)
    may_change = view.may_change(record.meeting)
    parts = [(p.code, p.name) for p in ws.catalogue.parts.values()]
    part = bagian if bagian in {code for code, _name in parts} else ""
    search = " ".join(cari.split())[:MAX_SEARCH]
    linkable = set(view.linkable_codes())
    context = {
        "place": ws.place, "record": record, "meeting": record.meeting, "may_change": may_change,
        "linkable": linkable, "questions": ws.catalogue.questions, "roles": meeting_links.role_choices(),
        "role_label": meeting_links.role_label, "parts": parts,
        "chosen": {"part": part, "search": search},
        "groups": _groups(ws, view, record, part, search) if may_change else [],
        "library": [e for e in view.library.entries() if saved_id(e.document.id) not in
                    {saved_id(d.document.id) for d, _r in record.documents}] if may_change else [],
        "may_upload": may_change and view.library.may_upload(), "max_upload_mb": ws.max_upload_mb,
        "message": message, "outcome": outcome, "flash": ws.request.session.pop("flash", None),
    }
    return render(ws.request, "meetings/meeting.html", context, status_code=status)


@router.get("/{meeting_id}", name="meeting_page")
def meeting_page(ws: WorkspaceDep, meeting_id: RowId, bagian: str = "", cari: str = "") -> Response:
    return _page(ws, _view(ws), meeting_id, bagian=bagian[:20], cari=cari[:MAX_SEARCH * 2])


def _outcome_flash(outcome: Outcome) -> str:
    parts = []
    if outcome.linked:
        parts.append(_("Linked to %(codes)s (%(n)s evidence links made).") % {
            "codes": ", ".join(outcome.linked), "n": outcome.files})
    if outcome.already:
        parts.append(_("Already linked to %(codes)s.") % {"codes": ", ".join(outcome.already)})
    return " ".join(parts) or _("Nothing changed.")


@router.post("/{meeting_id}/tautkan", name="meeting_link")
def meeting_link(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    record = view.record(meeting_id)
    codes = [str(code).strip()[:40] for code in form.getlist("codes")][:library.MAX_CODES_PER_LINK + 1]
    kept = {"bagian": str(form.get("bagian", ""))[:20], "cari": str(form.get("cari", ""))[:MAX_SEARCH]}
    try:
        outcome = meeting_links.link(ws.session, view, record.meeting, codes)
    except Refusal as refusal:
        return _page(ws, view, meeting_id, message=refusal.message, status=refusal.status, bagian=kept["bagian"],
                     cari=kept["cari"])
    ws.session.commit()
    if outcome.refused:  # said on the page, with each reason, instead of a flash that drops them
        status = 200 if outcome.linked or outcome.already else 422
        return _page(ws, _view(ws), meeting_id, message=_outcome_flash(outcome) if status == 200 else
                     _("Not linked."), status=status, outcome=outcome, bagian=kept["bagian"], cari=kept["cari"])
    return _to_page(ws, meeting_id, _outcome_flash(outcome), kept)


@router.post("/{meeting_id}/lepas", name="meeting_unlink")
def meeting_unlink(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    record = view.record(meeting_id)
    code = str(form.get("code", "")).strip()[:40]
    try:
        done = meeting_links.unlink(ws.session, view, record.meeting, code)
    except Refusal as refusal:
        return _page(ws, view, meeting_id, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if not done:
        return _to_page(ws, meeting_id, _("It was unlinked already."))
    return _to_page(ws, meeting_id, _("The meeting is unlinked from %(code)s; its files there are removed from that "
                                      "question (they stay in its history).") % {"code": code})


def _added(ws: Workspace, view: MeetingView, meeting_id: int, document_id: int, raw_role: str) -> Response:
    try:
        record = view.record(meeting_id)
    except HTTPException:  # removed since the upload began: said on the list (`_page`), nothing saved
        return _page(ws, view, meeting_id, message=_("This meeting has been removed: nothing is changed."))
    try:
        role = meeting_links.parse_role(raw_role)
        outcome = meeting_links.add_document(ws.session, view, record.meeting, document_id, role)
    except Refusal as refusal:
        return _page(ws, view, meeting_id, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if outcome.refused:
        return _page(ws, _view(ws), meeting_id, message=_("The document is added to the meeting."), outcome=outcome)
    if not outcome.added:
        return _to_page(ws, meeting_id, _("This document is the meeting's already."))
    text = _("The document is added to the meeting.")
    if outcome.files:
        text += " " + _("It is linked to the questions the meeting serves (%(n)s evidence links).") % {"n": outcome.files}
    return _to_page(ws, meeting_id, text)


@router.post("/{meeting_id}/dokumen", name="meeting_add_document")
def meeting_add_document(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    document_id = parse_id(form.get("document_id"))
    if document_id is None:
        return _page(ws, view, meeting_id, message=_("Choose a document of the library."), status=422)
    return _added(ws, view, meeting_id, document_id, str(form.get("role", ""))[:40])


@router.post("/{meeting_id}/dokumen/unggah", name="meeting_upload")
async def meeting_upload(ws: WorkspaceDep, meeting_id: RowId) -> Response:
    form = await ws.request.form()
    role = str(form.get("role", ""))[:40]
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) != 1:
        return await run_in_threadpool(_refused, ws, meeting_id, _("Choose one file."))
    upload = uploads[0]
    try:
        stored = await evidence_service.store_upload(ws.store, upload)
    except RefusedFile as refused:
        limit = ws.max_upload_mb
        text = refusal_message(refused.code, current_language.get(), limit_mb=limit, size_mb=f">{limit}")
        return await run_in_threadpool(_refused, ws, meeting_id, f"{upload.filename}: {text}")
    return await run_in_threadpool(_upload, ws, meeting_id, stored, upload.filename or "berkas", role)


def _refused(ws: Workspace, meeting_id: int, message: str, status: int = 422) -> Response:
    return _page(ws, _view(ws), meeting_id, message=message, status=status)


def _upload(ws: Workspace, meeting_id: int, stored: StoredFile, name: str, raw_role: str) -> Response:
    """Into the library first (its rules: the window, a sensitive content for an agency), then the meeting's."""
    view = _view(ws)
    record = view.record(meeting_id)
    try:
        role = meeting_links.parse_role(raw_role or MeetingDocumentRole.OTHER)
        view.check_change(record.meeting)
        document = library.upload(ws.session, view.library, stored, name, ws.store.path_for(stored.sha256))
    except Refusal as refusal:
        return _page(ws, view, meeting_id, message=refusal.message, status=refusal.status)
    return _added(ws, view, meeting_id, saved_id(document.id), role)
