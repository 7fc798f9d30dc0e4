"""Kelana/Dekela: the kab/kota's kecamatan and desa/kelurahan, what each meets of the part's criteria,
and "apply", which writes the part's percentages as answers (`app.services.areas`).

The pages are open to whoever may see the kab/kota's answers (its agencies and DP3A; the province and
the ministry once submitted, read-only); recording needs the answering rights of the question; apply
is the DP3A's. Plain forms (they work without JavaScript); each posts back to the page it came from.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.context import PREFIX
from app.deps import (
    AdminPlace,
    CatalogueDep,
    CurrentUser,
    HistoryPlace,
    Place,
    ScorerDep,
    SessionDep,
    WorkPlace,
)
from app.evidence import EvidenceStore, RefusedFile, StoredFile, refusal_message, safe_filename
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import Area, AreaLevel, Document, Role, User
from app.refusals import Refusal
from app.services import areas as area_service
from app.services import evidence as evidence_service
from app.services.questions import assessment_id
from app.templating import render
from indicators import Catalogue
from scoring.areas import VillageKind, village_kind

router = APIRouter(prefix=PREFIX, tags=["kelana"])
MAX_AREA_NOTE = 1000  # AreaRecord.note


def _page_url(place: Place, kecamatan: str | None = None) -> str:
    base = f"/r/{place.regency.code}/{place.cycle.year}/kelana"
    return f"{base}/{kecamatan}" if kecamatan else base


def _context(session: Session, place: Place, user: User, catalogue: Catalogue, level: AreaLevel,
             areas: list[Area], criterion: str) -> dict[str, Any]:
    """What both pages show: the part's results, this level's criteria and each area's records."""
    level_questions = area_service.area_questions(catalogue, level)
    shown = [q for q in level_questions if q.code == criterion] or level_questions
    records: dict[str, dict[str, Any]] = {}
    for row in area_service.records_of(session, assessment_id(place), [a.code for a in areas]):
        records.setdefault(row.area_code, {})[row.question_code] = row
    editable = area_service.editable_codes(session, place, user, catalogue)
    document_ids = {r.document_id for by_code in records.values() for r in by_code.values() if r.document_id}
    return {
        "place": place,
        "results": area_service.results(session, place, catalogue),
        "part_questions": area_service.area_questions(catalogue),
        "level": level.value,
        "criteria": shown,
        "all_criteria": level_questions,
        "criterion": criterion if len(shown) == 1 and len(level_questions) > 1 else "",
        "areas": areas,
        "records": records,
        "documents": {d: session.get(Document, d) for d in document_ids},
        "kinds": {a.code: village_kind(a.code) for a in areas} if level == AreaLevel.DESA else {},
        "VillageKind": VillageKind,
        "editable": editable,
        # Apply writes answers: the DP3A's, while some of the part's answers may still change.
        "may_apply": user.role == Role.DP3A and user.regency_code == place.regency.code and bool(editable),
        "max_note": MAX_AREA_NOTE,
        # Questions about a problem (gizi buruk ...): a tick means "has it", and fewer is better.
        "lower": {q.code for q in area_service.area_questions(catalogue)
                  if getattr(catalogue.scales[q.scale], "lower_is_better", False)},
    }


@router.get("/kelana", name="kelana")
def kelana(request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
           kriteria: str = "") -> Response:
    scope = area_service.area_scope(session, user)  # a kecamatan's own office sees its kecamatan only
    areas = [a for a in area_service.areas_of(session, place.regency.code, AreaLevel.KECAMATAN)
             if area_service.in_scope(a, scope)]
    context = _context(session, place, user, catalogue, AreaLevel.KECAMATAN, areas, kriteria[:40])
    desa = [a for a in area_service.areas_of(session, place.regency.code, AreaLevel.DESA)
            if area_service.in_scope(a, scope)]
    counts: dict[str, int] = {}
    for village in desa:
        counts[village.parent_code or ""] = counts.get(village.parent_code or "", 0) + 1
    context.update({"kecamatan": None, "desa_counts": counts})
    session.commit()  # the areas loaded on first use
    return render(request, "areas/kelana.html", context)


@router.get("/kelana/{kecamatan_code}", name="kelana_kecamatan")
def kelana_kecamatan(request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser,
                     catalogue: CatalogueDep, kecamatan_code: str, kriteria: str = "") -> Response:
    kecamatan = area_service.scoped_area(session, place.regency.code, user, kecamatan_code)
    if kecamatan is None or kecamatan.level != AreaLevel.KECAMATAN:
        raise HTTPException(404)
    areas = area_service.areas_of(session, place.regency.code, AreaLevel.DESA, parent=kecamatan.code)
    context = _context(session, place, user, catalogue, AreaLevel.DESA, areas, kriteria[:40])
    context.update({"kecamatan": kecamatan, "desa_counts": {}})
    session.commit()
    return render(request, "areas/kelana.html", context)


@router.post("/kelana/catat/{area_code}", name="kelana_record")
async def kelana_record(request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
                        catalogue: CatalogueDep, area_code: str) -> Response:
    form = await request.form()
    upload = form.get("file")
    stored: StoredFile | None = None
    message = None
    if isinstance(upload, UploadFile) and upload.filename:
        store: EvidenceStore = request.app.state.evidence
        try:
            stored = await evidence_service.store_upload(store, upload)
        except RefusedFile as refused:
            limit = request.app.state.settings.max_upload_mb
            message = f"{upload.filename}: " + refusal_message(refused.code, current_language.get(), limit_mb=limit,
                                                               size_mb=f">{limit}")
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    return await run_in_threadpool(_record, request, place, session, user, catalogue, area_code, form, stored, name,
                                   message)


def _record(request: Request, place: Place, session: Session, user: User, catalogue: Catalogue, area_code: str,
            form: FormData, stored: StoredFile | None, filename: str, message: str | None) -> Response:
    area = area_service.scoped_area(session, place.regency.code, user, area_code)
    if area is None:  # none, another kab/kota's, or outside a kecamatan office's own areas
        raise HTTPException(404)
    back = _page_url(place, area.parent_code if area.level == AreaLevel.DESA else None)
    criterion = str(form.get("kriteria", ""))[:40]
    if criterion in {q.code for q in area_service.area_questions(catalogue, area.level)}:
        back += f"?kriteria={criterion}"  # a code of the catalogue's: nothing else goes into the address
    back += f"#area-{area.code.replace('.', '-')}"
    if message is None:
        shown = {str(code) for code in form.getlist("shown")}
        checked = {str(code) for code in form.getlist("meets")}
        note = str(form.get("note", "")).replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        try:
            if len(note) > MAX_AREA_NOTE:
                raise Refusal(_("The note is too long (at most %(n)s characters).") % {"n": MAX_AREA_NOTE})
            document_id = None
            if stored is not None:
                evidence_service.register(session, stored)
                document_id = area_service.evidence_document(
                    session, place, user, catalogue, shown, stored.sha256, safe_filename(filename, stored.extension)).id
            changed = area_service.record(session, place, user, catalogue, area,
                                          {code: code in checked for code in sorted(shown)}, note, document_id)
            session.commit()
            message = (_("Saved: %(area)s.") % {"area": area.name} if changed
                       else _("Nothing changed for %(area)s.") % {"area": area.name})
        except Refusal as refusal:
            session.rollback()
            message = refusal.message
    request.session["flash"] = message
    return RedirectResponse(back, status_code=303)


@router.post("/kelana/terapkan", name="kelana_apply")
def kelana_apply(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
                 scorer: ScorerDep) -> Response:
    try:
        done = area_service.apply(session, place, user, catalogue, scorer, request.app.state.evidence)
        session.commit()
        parts = [_("%(n)s answers computed from the records.") % {"n": len(done.written) + len(done.unchanged)}]
        if done.lists:
            parts.append(_("%(n)s lists of qualifying areas attached as evidence.") % {"n": done.lists})
        parts += [f"{code}: {why}" for code, why in done.skipped.items()]
        message = " ".join(parts)
    except Refusal as refusal:
        session.rollback()
        message = refusal.message
    request.session["flash"] = message
    return RedirectResponse(_page_url(place), status_code=303)
