"""The action plan (RAD KLA) of a kab/kota, under its Gugus Tugas: the plan with its progress per
cluster, an activity's page with its reports, the printable monitoring report and its workbook.

Who (`access.may_see_rad`): the kab/kota's agencies and DP3A read everything; its province, the
ministry and the ministry's reviewers of the province read it once the DP3A has submitted (the plan
is evidence of the institutional part), never write. The DP3A plans (add, edit, remove); an agency
reports on its own activities, the DP3A on any (`app.services.taskforce.rad`).

Plain forms answered by a redirect (they work without JavaScript); a refusal re-renders the page
with its message and what was typed (422), never a 500 or JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app import access
from app.clock import WIB
from app.context import PREFIX
from app.deps import (
    AdminPlace,
    CatalogueDep,
    CurrentUser,
    FormDep,
    Place,
    RowId,
    SessionDep,
    WorkPlace,
    get_place,
)
from app.evidence import EvidenceStore, RefusedFile, StoredFile, refusal_message
from app.exports.rad import build_rad_workbook
from app.forms import parse_id
from app.i18n import current_language, pgettext
from app.i18n import gettext as _
from app.models import Agency, RadActivity, RadReport, RadStatus, Role, User, saved_id
from app.refusals import Refusal
from app.services import evidence as evidence_service
from app.services import library
from app.services.library import LibraryView
from app.services.taskforce import rad
from app.templating import render
from indicators import Catalogue
from scoring.rad import summarise

router = APIRouter(prefix=PREFIX + "/gugus-tugas/rad", tags=["rad"])
FIELDS = ("indicator", "title", "target", "agency", "year", "budget")
REPORT_FIELDS = ("status", "progress", "realised", "note")


async def get_rad_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser) -> Place:
    regency = place.regency
    if not access.may_see_rad(user, regency.code, regency.province_code, place.assessment.stage):
        raise HTTPException(403)
    return place


RadPlace = Annotated[Place, Depends(get_rad_place)]


def status_labels() -> dict[str, str]:
    return {RadStatus.PLANNED: pgettext("rad", "Planned"), RadStatus.ONGOING: pgettext("rad", "Ongoing"),
            RadStatus.DONE: pgettext("rad", "Done"), RadStatus.DELAYED: pgettext("rad", "Delayed"),
            RadStatus.CANCELLED: pgettext("rad", "Cancelled")}


def _base(place: Place) -> str:
    return f"/r/{place.regency.code}/{place.cycle.year}/gugus-tugas/rad"


def _common(session: Session, place: Place, user: User, catalogue: Catalogue) -> dict[str, Any]:
    """What every RAD page shows: the plan, its latest reports, its progress per part."""
    plan = rad.activities(session, place, catalogue)
    latest = rad.latest_reports(session, [saved_id(a.id) for a in plan])
    by_part, total = summarise(rad.lines(catalogue, plan, latest), catalogue.parts)
    parts = rad.part_of(catalogue)
    groups = [{"part": part, "progress": by_part[part.code],
               "activities": [a for a in plan if parts.get(a.indicator_code) == part.code]}
              for part in catalogue.parts.values()]
    return {
        "place": place, "base": _base(place), "plan": plan, "latest": latest, "groups": groups, "total": total,
        "agencies": {a.id: a for a in rad.agencies_of(session, place)} | _named_agencies(session, plan),
        "indicators": catalogue.indicators, "labels": status_labels(), "rupiah": rad.rupiah,
        "may_plan": rad.may_plan(user, place), "read_only": user.role not in (Role.OPD, Role.DP3A),
        "Role": Role,
    }


def _named_agencies(session: Session, plan: list[RadActivity]) -> dict[int | None, Agency]:
    """The agencies the plan names, inactive ones too (their name stays on the activity)."""
    return {a.agency_id: agency for a in plan if (agency := session.get(Agency, a.agency_id)) is not None}


def _plan_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, *,
               message: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    context = _common(session, place, user, catalogue)
    context.update({"message": message, "form": form or {"year": str(place.cycle.year)},
                    "choices": rad.agencies_of(session, place), "parts": list(catalogue.parts.values())})
    return render(request, "rad/index.html", context, status_code=status)


@router.get("", name="rad")
def rad_plan(request: Request, place: RadPlace, session: SessionDep, user: CurrentUser,
             catalogue: CatalogueDep) -> Response:
    return _plan_page(request, session, place, user, catalogue)


def _raw(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, ""))[:5000] for name in names}


def _flash_to(request: Request, url: str, message: str) -> Response:
    request.session["flash"] = message
    return RedirectResponse(url, status_code=303)


@router.post("/tambah", name="rad_add")
def rad_add(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
            form: FormDep) -> Response:
    raw = _raw(form, FIELDS)
    try:
        data = rad.check_activity(session, place, catalogue, raw)
        activity, new = rad.add(session, place, user, data)
    except Refusal as refusal:
        return _plan_page(request, session, place, user, catalogue, message=refusal.message, form=raw,
                          status=refusal.status)
    session.commit()
    return _flash_to(request, f"{_base(place)}#kegiatan-{activity.id}",
                     _("Activity added to the RAD KLA.") if new else _("This activity is in the plan already."))


# -- one activity ----------------------------------------------------------------------------------


def _activity_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
                   activity: RadActivity, *, message: str | None = None, form: dict[str, str] | None = None,
                   report_form: dict[str, str] | None = None, status: int = 200) -> Response:
    reports = rad.reports_of(session, saved_id(activity.id))
    may_report = rad.may_report(user, place, activity)
    view = LibraryView(session, catalogue, user, place) if user.role in (Role.OPD, Role.DP3A) else None
    visible = _visible_documents(view, [r.document_id for r in reports if r.document_id is not None])
    agency = session.get(Agency, activity.agency_id)
    context = {
        "place": place, "base": _base(place), "activity": activity, "agency": agency,
        "indicator": catalogue.indicators.get(activity.indicator_code), "reports": reports,
        "reporters": {r.reported_by: session.get(User, r.reported_by) for r in reports},
        "documents": visible, "labels": status_labels(), "rupiah": rad.rupiah, "message": message,
        "may_plan": rad.may_plan(user, place), "may_report": may_report,
        "form": form or _activity_form(activity), "report_form": report_form or _report_form(activity, reports),
        "choices": rad.agencies_of(session, place), "parts": list(catalogue.parts.values()),
        # Evidence chosen from the library: what this user sees there (never a sensitive one for an OPD).
        "library": view.entries() if view is not None and may_report else [],
        "may_upload": view.may_upload() if view is not None and may_report else False,
    }
    return render(request, "rad/activity.html", context, status_code=status)


def _visible_documents(view: LibraryView | None, ids: list[int]) -> dict[int, Any]:
    """The reports' documents this user sees in the library (others are neither named nor linked)."""
    found: dict[int, Any] = {}
    if view is None:
        return found
    for document_id in set(ids):
        try:
            found[document_id] = view.entry(document_id).document
        except HTTPException:
            continue
    return found


def _report_form(activity: RadActivity, reports: list[RadReport]) -> dict[str, str]:
    """A new report starts from where the activity stands (realised money is cumulative)."""
    realised = reports[0].realised if reports else None
    return {"status": RadStatus(activity.status).value, "progress": str(activity.progress),
            "realised": rad.rupiah_input(realised)}


def _activity_form(activity: RadActivity) -> dict[str, str]:
    return {"indicator": activity.indicator_code, "title": activity.title, "target": activity.target,
            "agency": str(activity.agency_id), "year": str(activity.year),
            "budget": rad.rupiah_input(activity.budget)}


@router.get("/{activity_id}", name="rad_activity")
def rad_activity(request: Request, place: RadPlace, session: SessionDep, user: CurrentUser,
                 catalogue: CatalogueDep, activity_id: RowId) -> Response:
    activity = rad.activity_of(session, place, activity_id)
    return _activity_page(request, session, place, user, catalogue, activity)


@router.post("/{activity_id}/ubah", name="rad_edit")
def rad_edit(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
             form: FormDep, activity_id: RowId) -> Response:
    activity = rad.activity_of(session, place, activity_id)
    raw = _raw(form, FIELDS)
    try:
        changed = rad.edit(session, place, user, activity, rad.check_activity(session, place, catalogue, raw))
    except Refusal as refusal:
        return _activity_page(request, session, place, user, catalogue, activity, message=refusal.message,
                              form=raw, status=refusal.status)
    session.commit()
    return _flash_to(request, f"{_base(place)}/{activity_id}",
                     _("The activity is saved.") if changed else _("Nothing changed."))


@router.post("/{activity_id}/hapus", name="rad_remove")
def rad_remove(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
               activity_id: RowId) -> Response:
    removed = rad.remove(session, place, user, activity_id)
    session.commit()
    return _flash_to(request, _base(place), _("The activity is taken out of the plan; its reports are kept.")
                     if removed is not None else _("It was taken out of the plan already."))


@router.post("/{activity_id}/laporan", name="rad_report")
async def rad_report(request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
                     catalogue: CatalogueDep, activity_id: RowId) -> Response:
    form = await request.form()
    upload = next((f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename), None)
    stored, refused = None, None
    if upload is not None:
        try:
            stored = await evidence_service.store_upload(request.app.state.evidence, upload)
        except RefusedFile as error:
            limit = request.app.state.settings.max_upload_mb
            refused = f"{upload.filename}: " + refusal_message(error.code, current_language.get(), limit_mb=limit,
                                                               size_mb=f">{limit}")
    name = upload.filename or "" if upload is not None else ""
    return await run_in_threadpool(_report, request, place, session, user, catalogue, activity_id, form, stored,
                                   name, refused)


def _report(request: Request, place: Place, session: Session, user: User, catalogue: Catalogue, activity_id: int,
            form: FormData, stored: StoredFile | None, filename: str, refused: str | None) -> Response:
    activity = rad.activity_of(session, place, activity_id)
    if not rad.may_report(user, place, activity):
        raise HTTPException(403, _("Only the OPD responsible for this activity (or the DP3A) reports on it."))
    raw = _raw(form, REPORT_FIELDS)
    raw["document"] = str(form.get("document", ""))[:12]
    try:
        if refused is not None:
            raise Refusal(refused)
        data = rad.check_report(raw)
        document_id = _evidence(session, place, user, catalogue, raw["document"], stored, filename,
                                request.app.state.evidence)
        row = rad.report(session, place, user, activity, data, document_id)
    except Refusal as refusal:
        session.rollback()
        return _activity_page(request, session, place, user, catalogue, activity, message=refusal.message,
                              report_form=raw, status=refusal.status)
    session.commit()
    return _flash_to(request, f"{_base(place)}/{activity_id}",
                     _("Progress reported.") if row is not None else _("This report was sent already."))


def _evidence(session: Session, place: Place, user: User, catalogue: Catalogue, picked: str,
              stored: StoredFile | None, filename: str, store: EvidenceStore) -> int | None:
    """The report's evidence: a file uploaded into the library (its checks apply), or a library
    document this user sees; none is fine."""
    view = LibraryView(session, catalogue, user, place)
    if stored is not None:
        return saved_id(library.upload(session, view, stored, filename or "bukti", store.path_for(stored.sha256)).id)
    document_id = parse_id(picked)
    if picked.strip() and document_id is None:
        raise Refusal(_("Choose a document of the library."))
    if document_id is None:
        return None
    try:
        return saved_id(view.entry(document_id).document.id)
    except HTTPException:
        raise Refusal(_("Choose a document of the library.")) from None


# -- the monitoring report -------------------------------------------------------------------------


@router.get("/laporan/cetak", name="rad_monitoring")
def rad_monitoring(request: Request, place: RadPlace, session: SessionDep, user: CurrentUser,
                   catalogue: CatalogueDep) -> Response:
    context = _common(session, place, user, catalogue)
    context["today"] = datetime.now(WIB).date()  # the date the people who print it live in
    return render(request, "rad/monitoring.html", context)


@router.get("/laporan/rad-kla.xlsx", name="rad_export")
def rad_export(place: RadPlace, session: SessionDep, catalogue: CatalogueDep) -> Response:
    plan = rad.activities(session, place, catalogue)
    latest = rad.latest_reports(session, [saved_id(a.id) for a in plan])
    agencies = _named_agencies(session, plan)
    content = build_rad_workbook(catalogue, place.regency.name, place.cycle.year, plan, latest, agencies)
    filename = f"rad-kla-{place.regency.code}-{place.cycle.year}.xlsx"
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
