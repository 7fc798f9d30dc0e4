"""Field verification (verifikasi lapangan): a verifier's and the ministry's list of assignments,
one kab/kota's field page, and its changes (schedule, team, start and close; activities, findings
with their files and score adjustments), and a finding's file. Who sees and does what is
`app.services.field.rights`; the rules are in `app.services.field`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app import access
from app.deps import (
    CatalogueDep,
    CurrentUser,
    FormDep,
    Place,
    RowId,
    ScorerDep,
    SessionDep,
    StoreDep,
    get_place,
    read_form,
    team_of,
)
from app.evidence import RefusedFile, StoredFile, refusal_message
from app.forms import parse_id, parse_note
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import ActivityKind, FieldMode, Province, Role, User
from app.models import StoredFile as StoredFileRow
from app.refusals import Refusal
from app.routes.evidence import EVIDENCE_SANDBOX
from app.services import audit
from app.services import evidence as evidence_service
from app.services import field as field_service
from app.services.field import FieldRights
from app.services.field.records import FindingInput
from app.templating import render
from indicators import Catalogue
from scoring import Scorer, Stage
from scoring.answers import to_decimal

router = APIRouter(tags=["field"])
P = "/r/{regency_code}/{year}/lapangan"
MAX_PLACE = 200


@dataclass
class FieldPlace:
    """A kab/kota's field page, for a user who may see it (`rights.see`), with what they may do."""

    place: Place
    user: User
    rights: FieldRights


async def get_field_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser,
                          session: SessionDep) -> FieldPlace:
    rights = field_service.rights(user, place.regency, place.cycle, place.assessment,
                                  await team_of(session, place, user))
    if not rights.see:
        raise HTTPException(403)
    return FieldPlace(place, user, rights)


FieldPlaceDep = Annotated[FieldPlace, Depends(get_field_place)]


def _planner(fp: FieldPlace) -> None:
    if not access.may_run_season(fp.user):
        raise HTTPException(403)


def _recorder(fp: FieldPlace, on_team: bool) -> None:
    if not access.may_record_findings(fp.user, on_team):
        raise HTTPException(403)


# -- pages ----------------------------------------------------------------------------------------


@router.get("/lapangan", name="field_assignments")
def field_assignments(request: Request, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
                      provinsi: str | None = None, tahun: int | None = None) -> Response:
    if user.role not in (Role.VERIFIER, Role.ADMIN):
        raise HTTPException(403)
    year = tahun if tahun is not None and 2000 <= tahun <= 2100 else catalogue.year
    province = provinsi if provinsi and len(provinsi) == 2 and provinsi.isascii() and provinsi.isdigit() else None
    rows = field_service.assignments(session, user, year=year, province=province)
    provinces = list(session.exec(select(Province).order_by(Province.code))) if user.role == Role.ADMIN else []
    return render(request, "field/assignments.html", {
        "rows": rows, "year": year, "province": province, "provinces": provinces,
        "verifier": user.role == Role.VERIFIER})


@router.get(P, name="field_verification")
def field_verification(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                       scorer: ScorerDep, indikator: str | None = None) -> Response:
    return _page(request, session, fp, catalogue, scorer, indicator=indikator)


def _page(request: Request, session: Session, fp: FieldPlace, catalogue: Catalogue, scorer: Scorer, *,
          message: str | None = None, status_code: int = 200, indicator: str | None = None,
          form: dict[str, Any] | None = None) -> Response:
    page = field_service.field_page(session, fp.place.assessment, catalogue, scorer, fp.rights)
    chosen = catalogue.indicators.get(indicator or "") if fp.rights.record else None
    # The chosen indicator's answered questions, for the finding form's score adjustments.
    adjustable = []
    if chosen is not None and page.scores is not None:
        sheets = page.scores.sheets
        adjustable = [(q, page.scores.self_assessed.questions[q.code], sheets[Stage.MINISTRY].questions.get(q.code),
                       sheets[Stage.FIELD].questions.get(q.code))
                      for q in chosen.questions if q.code in page.scores.self_assessed.questions]
    return render(request, "field/verification.html", {
        "place": fp.place, "page": page, "rights": fp.rights, "catalogue": catalogue, "message": message,
        "modes": list(FieldMode), "kinds": list(ActivityKind), "chosen": chosen, "adjustable": adjustable,
        "form": form or {}, "today": date.today().isoformat(), "max_place": MAX_PLACE,
    }, status_code=status_code)


def _done(request: Request, fp: FieldPlace, message: str, anchor: str = "") -> RedirectResponse:
    request.session["flash"] = message
    url = request.url_for("field_verification", regency_code=fp.place.regency.code, year=fp.place.cycle.year)
    return RedirectResponse(f"{url}{anchor}", status_code=303)


def _refused(request: Request, session: Session, fp: FieldPlace, catalogue: Catalogue, scorer: Scorer,
             refusal: Refusal, form: FormData | None = None, indicator: str | None = None) -> Response:
    session.rollback()
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)} if form is not None else {}
    return _page(request, session, fp, catalogue, scorer, message=refusal.message, status_code=refusal.status,
                 indicator=indicator, form=values)


# -- the ministry's planning ----------------------------------------------------------------------


def parse_date(form: FormData, name: str, label: str) -> date:
    raw = str(form.get(name, "")).strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refusal(_("%(field)s: choose a date (day-month-year).") % {"field": label},
                      code="bad_date") from None


@router.post(f"{P}/jadwal", name="field_schedule")
def field_schedule(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                   scorer: ScorerDep, form: FormDep) -> Response:
    _planner(fp)
    try:
        starts_on = parse_date(form, "starts_on", _("First day"))
        ends_on = parse_date(form, "ends_on", _("Last day"))
        mode = str(form.get("mode", ""))
        if mode not in set(FieldMode):
            raise Refusal(_("Choose how the verification is held."), code="bad_mode")
        changed = field_service.set_schedule(session, fp.place.cycle, fp.place.assessment, fp.user,
                                             starts_on=starts_on, ends_on=ends_on, mode=FieldMode(mode),
                                             note=parse_note(form))
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal, form)
    session.commit()
    return _done(request, fp, _("The schedule is saved.") if changed else _("The schedule was already so."),
                 "#jadwal")


@router.post(f"{P}/tim", name="field_team")
def field_team(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
               scorer: ScorerDep, form: FormDep) -> Response:
    _planner(fp)
    action = str(form.get("action", "add"))
    member_id = parse_id(form.get("user_id"))
    place = fp.place
    try:
        if member_id is None or action not in ("add", "remove", "lead"):
            raise Refusal(_("Choose a field verifier's account from the list."), code="not_a_verifier")
        if action == "add":
            changed = field_service.add_member(session, place.cycle, place.assessment, fp.user, member_id,
                                               lead=form.get("lead") in ("1", "on"))
        elif action == "remove":
            changed = field_service.remove_member(session, place.cycle, place.assessment, fp.user, member_id)
        else:
            changed = field_service.set_lead(session, place.cycle, place.assessment, fp.user, member_id)
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal, form)
    session.commit()
    return _done(request, fp, _("The team is saved.") if changed else _("The team was already so."), "#tim")


@router.post(f"{P}/mulai", name="field_start")
def field_start(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                scorer: ScorerDep) -> Response:
    _planner(fp)
    try:
        moved = field_service.start(session, fp.place.cycle, fp.place.assessment, fp.user, catalogue)
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal)
    session.commit()
    return _done(request, fp, _("Field verification has started.") if moved else
                 _("Field verification had already started."))


@router.post(f"{P}/selesai", name="field_close")
def field_close(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                scorer: ScorerDep) -> Response:
    _planner(fp)
    try:
        moved = field_service.close(session, fp.place.cycle, fp.place.assessment, fp.user)
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal)
    session.commit()
    return _done(request, fp, _("Field verification is closed: final verification follows.") if moved else
                 _("Field verification was already closed."))


# -- the team's records ---------------------------------------------------------------------------


@router.post(f"{P}/kegiatan", name="field_activity_add")
async def field_activity_add(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                             scorer: ScorerDep, form: FormDep) -> Response:
    _recorder(fp, await team_of(session, fp.place, fp.user))
    return await run_in_threadpool(_add_activity, request, session, fp, catalogue, scorer, form)


def _add_activity(request: Request, session: Session, fp: FieldPlace, catalogue: Catalogue, scorer: Scorer,
                  form: FormData) -> Response:
    try:
        on = parse_date(form, "on", _("Date"))
        kind = str(form.get("kind", ""))
        if kind not in set(ActivityKind):
            raise Refusal(_("Choose the kind of activity."), code="bad_kind")
        where = str(form.get("place", "")).strip()
        if len(where) > MAX_PLACE:
            raise Refusal(_("The place is too long (at most %(n)s characters).") % {"n": MAX_PLACE},
                          code="place_too_long")
        _activity, new = field_service.add_activity(session, fp.place.cycle, fp.place.assessment, fp.user, on=on,
                                                    kind=ActivityKind(kind), place=where, note=parse_note(form))
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal, form)
    session.commit()
    return _done(request, fp, _("The activity is recorded.") if new else _("This activity was already recorded."),
                 "#kegiatan")


@router.post(f"{P}/temuan", name="field_finding_add")
async def field_finding_add(request: Request, fp: FieldPlaceDep, session: SessionDep, catalogue: CatalogueDep,
                            scorer: ScorerDep, store: StoreDep) -> Response:
    # Async only to stream the files into the store (as evidence uploads do); the database work and
    # the rendering run in the thread pool.
    _recorder(fp, await team_of(session, fp.place, fp.user))
    form = await read_form(request)
    indicator = str(form.get("indicator", ""))
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    stored: list[tuple[StoredFile, str]] = []
    refused: list[str] = []
    limit = request.app.state.settings.max_upload_mb
    for upload in uploads:
        name = upload.filename or "berkas"
        try:
            stored.append((await evidence_service.store_upload(store, upload), name))
        except RefusedFile as refusal:
            text = refusal_message(refusal.code, current_language.get(), limit_mb=limit, size_mb=f">{limit}")
            refused.append(f"{name}: {text}")
    if refused:  # the finding waits for files that pass: nothing is recorded without them
        return await run_in_threadpool(_refused, request, session, fp, catalogue, scorer,
                                       Refusal(" ".join(refused), code="file_refused"), form, indicator)
    return await run_in_threadpool(_add_finding, request, session, fp, catalogue, scorer, form, stored)


def _adjustments(form: FormData, catalogue: Catalogue, indicator: str) -> tuple[tuple[str, Decimal], ...]:
    """The figures typed for the indicator's questions (an empty field adjusts nothing)."""
    chosen = catalogue.indicators.get(indicator)
    found = []
    for question in chosen.questions if chosen is not None else ():
        raw = str(form.get(f"score_{question.code}", "")).strip()
        if not raw:
            continue
        figure = to_decimal(raw)
        if figure is None or not figure.is_finite() or figure < 0:
            raise Refusal(_("%(code)s: the score must be a number of 0 or more.") % {"code": question.code},
                          code="bad_score")
        found.append((question.code, figure))
    return tuple(found)


def _add_finding(request: Request, session: Session, fp: FieldPlace, catalogue: Catalogue, scorer: Scorer,
                 form: FormData, stored: list[tuple[StoredFile, str]]) -> Response:
    indicator = str(form.get("indicator", ""))
    raw_activity = str(form.get("activity_id", "")).strip()
    try:
        activity_id = parse_id(raw_activity) if raw_activity else None
        if raw_activity and activity_id is None:
            raise Refusal(_("Choose an activity of this kab/kota from the list."), code="unknown_activity")
        given = FindingInput(indicator_code=indicator, text=parse_note(form, "text"), activity_id=activity_id,
                             sensitive=form.get("sensitive") in ("1", "on"), files=tuple(stored),
                             adjustments=_adjustments(form, catalogue, indicator))
        _finding, new = field_service.add_finding(session, fp.place.cycle, fp.place.assessment, fp.user, catalogue,
                                                  scorer, given)
    except Refusal as refusal:
        return _refused(request, session, fp, catalogue, scorer, refusal, form, indicator)
    session.commit()
    return _done(request, fp, _("The finding is recorded.") if new else _("This finding was already recorded."),
                 f"#indikator-{indicator}")


@router.get(P + "/temuan/{finding_id}/berkas/{file_id}", name="field_finding_file")
def field_finding_file(request: Request, fp: FieldPlaceDep, session: SessionDep, store: StoreDep,
                       finding_id: RowId, file_id: RowId) -> FileResponse:
    found = field_service.finding_file(session, fp.place.assessment, finding_id, file_id)
    # A file this user may not see and one that does not exist answer alike: a guessed id learns nothing.
    if found is None or not fp.rights.findings or (found[0].sensitive and not fp.rights.sensitive):
        raise HTTPException(404, _("There is no such file here."))
    finding, row = found
    stored = session.get(StoredFileRow, row.sha256)
    if stored is None or not store.exists(row.sha256):
        raise HTTPException(404)
    if finding.sensitive:  # who opened what a child said is kept, as for sensitive evidence
        audit.record(session, fp.user, "evidence.download", "findingfile", row.id,
                     regency_code=fp.place.regency.code, after={"finding": finding.id, "file": row.filename})
        session.commit()
    return FileResponse(store.path_for(row.sha256), media_type=stored.media_type, filename=row.filename,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": EVIDENCE_SANDBOX})
