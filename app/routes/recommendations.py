"""Recommendations (rekomendasi) of a kab/kota and their follow-up; the follow-up rates of a province
and of the nation. The rules: `app.services.recommendations` (one recommendation) and
`app.services.recommendation_overview` (across cycles and places)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile

from app import access
from app.context import PREFIX
from app.deps import (
    AdminPlace,
    CatalogueDep,
    CurrentUser,
    FormDep,
    HistoryPlace,
    Place,
    ProvinceCode,
    ReviewPlace,
    RowId,
    SessionDep,
    StoreDep,
    WorkPlace,
    on_team,
)
from app.evidence import RefusedFile, StoredFile, refusal_message
from app.forms import parse_id, parse_note
from app.i18n import current_language
from app.i18n import gettext as _
from app.labels import stage_label
from app.models import Agency, Province, Recommendation, User, saved_id
from app.models import StoredFile as StoredFileRow
from app.refusals import Refusal
from app.routes.evidence import EVIDENCE_SANDBOX, INLINE_KINDS
from app.services import evidence as evidence_service
from app.services import recommendation_overview as overview
from app.services import recommendations as recs
from app.services.recommendations import Status
from app.templating import render
from indicators import Catalogue

router = APIRouter(tags=["recommendations"])
Year = Annotated[int, Path(ge=2000, le=2100)]

_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"),
               re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"))


def parse_due(raw: object) -> date | None:
    """A due date as <input type=date> sends it (2025-08-31), or as people write it (31-08-2025,
    31/08/2025); None when empty; a `Refusal` for anything else."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None
    for number, pattern in enumerate(_DATE_FORMS):
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if number != 1 else parts[::-1]
            try:
                if 2000 <= year <= 2100:
                    return date(year, month, day)
            except ValueError:
                break
    raise Refusal(_("'%(value)s' is not a date. Choose one in the calendar, e.g. 2025-08-31.") % {"value": text[:20]},
                  code="bad_date")


def _base(place: Place) -> dict[str, Any]:
    return {"place": place, "status_names": recs.status_names(), "stage_label": stage_label, "today": recs.today(),
            "overdue": recs.overdue, "Status": Status}


def _agencies(session: Session, regency_code: str) -> dict[int, Agency]:
    return {saved_id(a.id): a for a in session.exec(select(Agency).where(Agency.regency_code == regency_code)
                                                    .order_by(Agency.short_name))}


# -- the list and a new one ----------------------------------------------------------------------


def _list_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, *,
               status: str | None = None, indicator: str | None = None, message: str | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    every = recs.visible(session, [saved_id(place.assessment.id)], user)
    counts = {s: 0 for s in Status}
    for rec in every:
        counts[rec.status] += 1
    chosen_status = status if status in set(Status) else None
    chosen_indicator = indicator if indicator in catalogue.indicators else None
    shown = [r for r in every if (chosen_status is None or r.status == chosen_status)
             and (chosen_indicator is None or r.indicator_code == chosen_indicator)]
    context = {**_base(place), "recs": shown, "counts": counts, "total": len(every),
               "given": recs.agency_ids(session, [saved_id(r.id) for r in shown]),
               "agencies": _agencies(session, place.regency.code), "catalogue": catalogue,
               "chosen_status": chosen_status, "chosen_indicator": chosen_indicator,
               "earlier": overview.still_open_earlier(session, place.assessment, place.cycle.year, user),
               "may_create": recs.may_create(user) and access.may_review(
                   user, place.regency.code, place.regency.province_code, place.assessment.stage,
                   on_team(session, place.assessment, user)),
               "show_menu": recs.sees_all(user), "message": message, "form": form or {}}
    return render(request, "recommendations/list.html", context, status_code=status_code)


@router.get(PREFIX + "/rekomendasi", name="recommendations")
def recommendations(request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser,
                    catalogue: CatalogueDep, status: str | None = None, indikator: str | None = None) -> Response:
    return _list_page(request, session, place, user, catalogue, status=status, indicator=indikator)


@router.post(PREFIX + "/rekomendasi", name="recommendation_create")
def recommendation_create(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
                          catalogue: CatalogueDep, form: FormDep) -> Response:
    typed = {key: str(form.get(key, ""))[:4000] for key in ("text", "indicator", "question", "source_event")}
    try:
        source = None
        if typed["source_event"].strip():
            source = parse_id(typed["source_event"])
            if source is None:
                raise Refusal(_("That review note is not one of this assessment."), code="no_such_note")
        given = recs.NewRecommendation(text=parse_note(form, "text"), indicator_code=typed["indicator"].strip(),
                                       question_code=typed["question"].strip() or None, source_event_id=source)
        rec, new = recs.create(session, place.assessment, catalogue, user, given)
    except Refusal as refusal:
        return _list_page(request, session, place, user, catalogue, message=refusal.message, form=typed,
                          status_code=refusal.status)
    session.commit()
    request.session["flash"] = (_("The recommendation is saved.") if new
                                else _("This recommendation was made already; nothing new was saved."))
    return _to_detail(place, saved_id(rec.id))


def _to_detail(place: Place, rec_id: int) -> RedirectResponse:
    return RedirectResponse(f"/r/{place.regency.code}/{place.cycle.year}/rekomendasi/{rec_id}", status_code=303)


# -- one recommendation ----------------------------------------------------------------------------


def _find(session: Session, place: Place, user: User, rec_id: int, *, lock: bool = False) -> Recommendation:
    rec = recs.find(session, place.assessment, user, rec_id, lock=lock)
    if rec is None:
        raise HTTPException(404, _("There is no such recommendation here."))
    return rec


def _detail_page(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue,
                 rec: Recommendation, *, message: str | None = None, form: dict[str, Any] | None = None,
                 status_code: int = 200) -> Response:
    rec_id = saved_id(rec.id)
    given = recs.agency_ids(session, [rec_id])[rec_id]
    rights = recs.rights(session, catalogue, user, rec, regency_code=place.regency.code,
                         province_code=place.regency.province_code, stage=place.assessment.stage,
                         on_team=on_team(session, place.assessment, user), given_to=given)
    reports = recs.reports(session, rec_id)
    user_ids = {rec.created_by, rec.closed_by, *(r.follow_up.user_id for r in reports)} - {None}
    context = {**_base(place), "rec": rec, "given": given, "agencies": _agencies(session, place.regency.code),
               "rights": rights, "reports": reports, "sensitive": recs.sensitive(catalogue, rec),
               "users": {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))},
               "indicator": catalogue.indicators.get(rec.indicator_code),
               "question": catalogue.questions[rec.question_code].question
               if rec.question_code in catalogue.questions else None,
               "message": message, "form": form or {}, "max_upload_mb": request.app.state.settings.max_upload_mb}
    return render(request, "recommendations/detail.html", context, status_code=status_code)


@router.get(PREFIX + "/rekomendasi/{rec_id}", name="recommendation_detail")
def recommendation_detail(request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser,
                          catalogue: CatalogueDep, rec_id: RowId) -> Response:
    return _detail_page(request, session, place, user, catalogue, _find(session, place, user, rec_id))


@router.post(PREFIX + "/rekomendasi/{rec_id}/tugaskan", name="recommendation_assign")
def recommendation_assign(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                          catalogue: CatalogueDep, form: FormDep, rec_id: RowId) -> Response:
    rec = _find(session, place, user, rec_id, lock=True)
    raw_agencies = [str(v) for v in form.getlist("agency")]
    typed = {"agencies": raw_agencies, "due_on": str(form.get("due_on", ""))[:20]}
    try:
        chosen = [parse_id(v) for v in raw_agencies]
        if None in chosen:
            raise Refusal(_("Choose agencies of this kab/kota."), code="foreign_agency")
        changed = recs.assign(session, place.assessment, rec, user, [c for c in chosen if c is not None],
                              parse_due(form.get("due_on")))
    except Refusal as refusal:
        return _detail_page(request, session, place, user, catalogue, rec, message=refusal.message,
                            form={"assign": typed}, status_code=refusal.status)
    session.commit()
    request.session["flash"] = _("The recommendation is given to the agencies.") if changed else _("Nothing changed.")
    return _to_detail(place, rec_id)


@router.post(PREFIX + "/rekomendasi/{rec_id}/tindak-lanjut", name="recommendation_follow_up")
async def recommendation_follow_up(request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
                                   catalogue: CatalogueDep, store: StoreDep, rec_id: RowId) -> Response:
    # Async only to stream the files into the store (as evidence uploads do); the database work runs
    # in the thread pool.
    form = await request.form()
    await run_in_threadpool(_may_follow_up, session, place, user, rec_id)  # before storing anything
    accepted: list[tuple[StoredFile, str]] = []
    problems: list[str] = []
    for upload in form.getlist("files"):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        try:
            accepted.append((await evidence_service.store_upload(store, upload), upload.filename))
        except RefusedFile as refused:
            limit = request.app.state.settings.max_upload_mb
            problems.append(f"{upload.filename}: " + refusal_message(refused.code, current_language.get(),
                                                                      limit_mb=limit, size_mb=f">{limit}"))
    return await run_in_threadpool(_follow_up, request, session, place, user, catalogue, rec_id, form, accepted,
                                   problems)


def _may_follow_up(session: Session, place: Place, user: User, rec_id: int) -> None:
    _find(session, place, user, rec_id)  # one the user may not see: 404 before a byte is stored


def _follow_up(request: Request, session: Session, place: Place, user: User, catalogue: Catalogue, rec_id: int,
               form: FormData, accepted: list[tuple[StoredFile, str]], problems: list[str]) -> Response:
    rec = _find(session, place, user, rec_id, lock=True)
    typed = {"note": str(form.get("note", ""))[:4000]}
    try:
        if problems:  # refused files: nothing is reported until every file is right
            raise Refusal(" ".join(problems), code="file_refused")
        report = recs.follow_up(session, place.assessment, rec, user, parse_note(form), accepted)
    except Refusal as refusal:
        return _detail_page(request, session, place, user, catalogue, rec, message=refusal.message,
                            form={"follow_up": typed}, status_code=refusal.status)
    session.commit()
    request.session["flash"] = (_("Your follow-up is reported.") if report is not None
                                else _("This follow-up was reported already; nothing new was saved."))
    return _to_detail(place, rec_id)


@router.post(PREFIX + "/rekomendasi/{rec_id}/tutup", name="recommendation_close")
def recommendation_close(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                         catalogue: CatalogueDep, form: FormDep, rec_id: RowId) -> Response:
    rec = _find(session, place, user, rec_id, lock=True)
    try:
        changed = recs.close(session, place.assessment, rec, user, parse_note(form))
    except Refusal as refusal:
        return _detail_page(request, session, place, user, catalogue, rec, message=refusal.message,
                            form={"close": {"note": str(form.get("note", ""))[:4000]}}, status_code=refusal.status)
    session.commit()
    request.session["flash"] = _("The recommendation is closed.") if changed else _("It was closed already.")
    return _to_detail(place, rec_id)


@router.get(PREFIX + "/rekomendasi/{rec_id}/berkas/{file_id}", name="recommendation_file")
def recommendation_file(request: Request, place: HistoryPlace, session: SessionDep, user: CurrentUser,
                        catalogue: CatalogueDep, rec_id: RowId, file_id: RowId, unduh: int = 0) -> FileResponse:
    """A follow-up file: whoever sees the recommendation; of a sensitive question's, the DP3A and the
    reviewers only (an opening is logged). A file one may not open is no file (404)."""
    rec = _find(session, place, user, rec_id)
    file = recs.file_of(session, rec, file_id)
    allowed = recs.sensitive(catalogue, rec) is False or access.may_open_sensitive(
        user, place.regency.code, place.regency.province_code, place.assessment.stage,
        on_team(session, place.assessment, user))
    store = request.app.state.evidence
    stored = session.get(StoredFileRow, file.sha256) if file is not None else None
    if file is None or not allowed or stored is None or not store.exists(file.sha256):
        raise HTTPException(404, _("There is no such evidence file here."))
    recs.record_opening(session, catalogue, user, rec, file, place.regency.code)
    session.commit()
    inline = not unduh and stored.kind in INLINE_KINDS
    return FileResponse(store.path_for(file.sha256), media_type=stored.media_type, filename=file.filename,
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": EVIDENCE_SANDBOX})


# -- the rates -----------------------------------------------------------------------------------


def _sort(raw: str | None) -> str:
    return raw if raw in overview.SORTS else "name"


@router.get("/provinsi/{province_code}/{year}/rekomendasi", name="province_recommendations")
def province_recommendations(request: Request, session: SessionDep, user: CurrentUser, province_code: ProvinceCode,
                             year: Year, urut: str | None = None) -> Response:
    if not access.may_see_province(user, province_code):
        raise HTTPException(403)
    province = session.get(Province, province_code)
    if province is None:
        raise HTTPException(404)
    sort = _sort(urut)
    return render(request, "recommendations/rates.html", {
        "province": province, "year": year, "sort": sort, "Status": Status, "status_names": recs.status_names(),
        "rows": overview.province_rows(session, province_code, year, sort)})


@router.get("/nasional/{year}/rekomendasi", name="national_recommendations")
def national_recommendations(request: Request, session: SessionDep, user: CurrentUser, year: Year,
                             urut: str | None = None) -> Response:
    if not access.may_see_nation(user):
        raise HTTPException(403)
    sort = _sort(urut)
    return render(request, "recommendations/rates.html", {
        "province": None, "year": year, "sort": sort, "Status": Status, "status_names": recs.status_names(),
        "rows": overview.national_rows(session, year, sort)})
