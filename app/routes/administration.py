"""DP3A administration: agencies and their accounts, who answers what, the answering window.

Everything here belongs to one kab/kota and only its DP3A may use it (`AdminPlace`).
Forms are parsed here and re-rendered with messages; the rules and the writes (each one
audited) live in `app.services.administration`, which refuses with a `Refusal`. Each request that
writes commits once, here, after its last service call.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.clock import local_input_value, parse_local_input
from app.deps import AdminPlace, CatalogueDep, CurrentUser, FormDep, Place, RowId, SessionDep, agency_in
from app.forms import parse_id
from app.i18n import gettext as _
from app.models import Agency, Role, User, saved_id
from app.notices import preferences as notice_preferences  # issue 24, surel
from app.refusals import Refusal
from app.services import administration as admin
from app.services import answering_window
from app.services.accounts import locked_minutes, may_log_in
from app.templating import render, templates
from indicators import Catalogue

router = APIRouter(prefix="/r/{regency_code}/{year}/kelola", tags=["administration"])

NO_STORE = {"Cache-Control": "no-store"}


def _text(form: FormData, name: str, limit: int = 400) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _url(request: Request, name: str, place: Place, **params: Any) -> str:
    return str(request.url_for(name, regency_code=place.regency.code, year=place.cycle.year, **params))


def _back(request: Request, name: str, place: Place, message: str, query: str = "") -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(_url(request, name, place) + query, status_code=303)


# -- overview and the answering window ----------------------------------------------------


@router.get("", name="administration")
def administration(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep) -> Response:
    return _overview(request, session, place, catalogue)


def _overview(request: Request, session: Session, place: Place, catalogue: Catalogue, *,
              values: dict[str, str] | None = None, error: str | None = None, status_code: int = 200) -> Response:
    assessment = place.assessment
    values = values or {"open": "1" if assessment.window_open else "0",
                        "closes_at": local_input_value(assessment.window_closes_at)}
    return render(request, "administration/index.html", {
        "place": place,
        "tab": "overview",
        "counts": admin.overview(session, place.regency.code, saved_id(assessment.id), catalogue),
        "catalogue": catalogue,
        "deadline_passed": answering_window.deadline_passed(assessment),
        "handed_on": answering_window.handed_on(assessment),
        "values": values,
        "error": error,
    }, status_code=status_code)


@router.post("/jendela", name="admin_window")
def admin_window(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                 catalogue: CatalogueDep, form: FormDep) -> Response:
    values = {"open": _text(form, "open"), "closes_at": _text(form, "closes_at", 40)}
    if values["open"] not in ("1", "0"):
        return _overview(request, session, place, catalogue, values=values, status_code=422,
                         error=_("Choose whether the answering window is open or closed."))
    closes_at = None
    if values["closes_at"]:
        try:
            closes_at = parse_local_input(values["closes_at"])
            if not 2000 <= closes_at.year <= 2100:
                raise ValueError("not a deadline of this application's time")
        except (ValueError, OverflowError):  # OverflowError: 0001-01-01 in WIB is before year 1 in UTC
            return _overview(request, session, place, catalogue, values=values, status_code=422,
                             error=_("The deadline is not a valid date and time."))
    opened = values["open"] == "1"
    try:
        changed = answering_window.set_window(session, user, place.assessment, opened, closes_at)
    except Refusal as refusal:
        return _overview(request, session, place, catalogue, values=values, status_code=refusal.status,
                         error=refusal.message)
    session.commit()
    if not changed:
        message = _("Nothing changed.")
    elif opened:
        message = _("The answering window is open: agencies can answer.")
    else:
        message = _("The answering window is closed: agencies' answers are read-only.")
    return _back(request, "administration", place, message)


# -- agencies -------------------------------------------------------------------------------


def _agency_values(form: FormData) -> dict[str, Any]:
    return {"short_name": _text(form, "short_name", 200), "name": _text(form, "name", 400),
            "role_code": _text(form, "role_code", 60), "active": form.get("active") in ("1", "on"),
            "area_code": _text(form, "area_code", 20)}


def _errors(refusal: Refusal) -> dict[str, str]:
    """The fields a refusal names (a `Problems`), else nothing: its message is then the page's."""
    return refusal.errors if isinstance(refusal, admin.Problems) else {}


def _agencies(request: Request, session: Session, place: Place, catalogue: Catalogue, *,
              values: dict[str, Any] | None = None, refusal: Refusal | None = None) -> Response:
    return render(request, "administration/agencies.html", {
        "place": place,
        "tab": "agencies",
        "rows": admin.agency_rows(session, place.regency.code, saved_id(place.assessment.id)),
        "roles": catalogue.agencies,
        "values": values or {"short_name": "", "name": "", "role_code": "", "active": True, "area_code": ""},
        "errors": _errors(refusal) if refusal else {},
        "kecamatan": admin.kecamatan_choices(session, place.regency.code),
        "kecamatan_role": admin.KECAMATAN_ROLE,
    }, status_code=refusal.status if refusal else 200)


@router.get("/opd", name="admin_agencies")
def admin_agencies(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep) -> Response:
    response = _agencies(request, session, place, catalogue)
    session.commit()  # the kecamatan list, loaded on first use (app.services.areas)
    return response


@router.post("/opd", name="admin_agency_create")
def admin_agency_create(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                        catalogue: CatalogueDep, form: FormDep) -> Response:
    values = _agency_values(form)
    try:
        agency = admin.create_agency(session, catalogue, user, place.regency.code, values["short_name"],
                                     values["name"], values["role_code"], values["area_code"])
    except Refusal as refusal:
        session.rollback()  # the kecamatan list may have been loaded: the page loads it again
        return _agencies(request, session, place, catalogue, values=values, refusal=refusal)
    session.commit()
    return _back(request, "admin_agencies", place, _("Agency %(name)s added.") % {"name": agency.short_name})


def _agency_edit(request: Request, place: Place, catalogue: Catalogue, agency: Agency, *,
                 values: dict[str, Any] | None = None, refusal: Refusal | None = None) -> Response:
    return render(request, "administration/agency.html", {
        "place": place,
        "tab": "agencies",
        "agency": agency,
        "roles": catalogue.agencies,
        "values": values or {"short_name": agency.short_name, "name": agency.name, "role_code": agency.role_code,
                             "active": agency.active},
        "errors": _errors(refusal) if refusal else {},
    }, status_code=refusal.status if refusal else 200)


@router.get("/opd/{agency_id}", name="admin_agency_edit")
def admin_agency_edit(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep,
                      agency_id: RowId) -> Response:
    return _agency_edit(request, place, catalogue, agency_in(session, place, agency_id))


@router.post("/opd/{agency_id}", name="admin_agency_update")
def admin_agency_update(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                        catalogue: CatalogueDep, form: FormDep, agency_id: RowId) -> Response:
    agency = agency_in(session, place, agency_id)
    values = _agency_values(form)
    try:
        changed = admin.update_agency(session, catalogue, user, agency, values["short_name"], values["name"],
                                      values["role_code"], values["active"])
    except Refusal as refusal:
        return _agency_edit(request, place, catalogue, agency, values=values, refusal=refusal)
    session.commit()
    message = _("Agency %(name)s saved.") % {"name": agency.short_name} if changed else _("Nothing changed.")
    if changed and not agency.active:
        message += " " + _("Its accounts cannot log in while the agency is inactive.")
    return _back(request, "admin_agencies", place, message)


# -- accounts -------------------------------------------------------------------------------


def _users(request: Request, session: Session, place: Place, *, values: dict[str, str] | None = None,
           refusal: Refusal | None = None, issued: dict[str, Any] | None = None,
           email_form: dict[str, Any] | None = None) -> Response:
    rows = admin.region_users(session, place.regency.code)
    errors = _errors(refusal) if refusal else {}
    response = render(request, "administration/users.html", {
        "place": place,
        "tab": "users",
        "rows": rows,
        "locked": locked_minutes(session, [u.username for u, _agency in rows]),
        # Active accounts shut out by their agency's deactivation (app.services.accounts.may_log_in).
        "agency_off": {u.id for u, agency in rows if u.active and not may_log_in(u, agency)},
        "agencies": admin.agencies_of(session, place.regency.code, active_only=True),
        "values": values or {"username": "", "full_name": "", "role": Role.OPD, "agency_id": ""},
        "roles": Role,
        "errors": errors,
        "issued": issued,
        "message": refusal.message if refusal and not errors else None,
        # A refused change of an account's address: which row, what was typed (kept in its field).
        "email_form": email_form or {},
    }, status_code=refusal.status if refusal else 200)
    if issued:
        response.headers.update(NO_STORE)  # the temporary password must not stay in a cache
    return response


def _target_user(session: Session, place: Place, user_id: int) -> User:
    target = admin.user_in(session, place.regency.code, user_id)
    if target is None:
        raise HTTPException(404)
    return target


@router.get("/akun", name="admin_users")
def admin_users(request: Request, place: AdminPlace, session: SessionDep) -> Response:
    return _users(request, session, place)


@router.post("/akun", name="admin_user_create")
def admin_user_create(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                      form: FormDep) -> Response:
    values = {"username": _text(form, "username", 80).lower(), "full_name": _text(form, "full_name", 200),
              "role": _text(form, "role", 20), "agency_id": _text(form, "agency_id", 20)}
    agency = None
    if agency_id := parse_id(values["agency_id"]):
        found = session.get(Agency, agency_id)
        if found is not None and found.regency_code == place.regency.code and found.active:
            agency = found
    elif not values["agency_id"] and values["role"] == Role.DP3A:
        agency = admin.coordinator_agency(session, place.regency.code)  # a DP3A account sits in the DP3A
    values["email"] = _text(form, "email", 254)  # issue 24, surel: optional, for the account's reminders
    try:
        email = notice_preferences.check_email(values["email"])  # issue 24, surel
        created, password = admin.create_user(session, user, place.regency.code, values["username"],
                                              values["full_name"], values["role"], agency,
                                              bool(values["agency_id"]))
    except Refusal as refusal:
        if refusal.code == "bad_email":  # issue 24, surel: shown next to the field, what was typed kept
            refusal = admin.Problems({"email": refusal.message})
        return _users(request, session, place, values=values, refusal=refusal)
    if email:  # issue 24, surel: audited as the account's e-mail settings
        notice_preferences.save(session, user, created, notice_preferences.Choice(email, created.language, []))
    session.commit()
    return _users(request, session, place, issued={"user": created, "password": password, "new": True})


@router.post("/akun/{user_id}/sandi", name="admin_user_reset")
def admin_user_reset(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, form: FormDep,
                     user_id: RowId) -> Response:
    target = _target_user(session, place, user_id)
    if form.get("confirm") != "1":
        return _users(request, session, place,
                      refusal=Refusal(_("Use the button in the list of accounts to reset a password.")))
    try:
        password = admin.reset_password(session, user, target)
    except Refusal as refusal:
        return _users(request, session, place, refusal=refusal)
    session.commit()
    return _users(request, session, place, issued={"user": target, "password": password, "new": False})


@router.post("/akun/{user_id}/status", name="admin_user_status")
def admin_user_status(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, form: FormDep,
                      user_id: RowId) -> Response:
    target = _target_user(session, place, user_id)
    wanted = form.get("active")
    if wanted not in ("1", "0"):
        return _users(request, session, place, refusal=Refusal(_("Choose activate or deactivate.")))
    try:
        changed = admin.set_user_active(session, user, target, wanted == "1")
    except Refusal as refusal:
        return _users(request, session, place, refusal=refusal)
    session.commit()
    if not changed:
        message = _("Nothing changed.")
    elif wanted == "1":
        message = _("The account %(name)s is active again.") % {"name": target.username}
    else:
        message = _("The account %(name)s is deactivated: it can no longer log in.") % {"name": target.username}
    return _back(request, "admin_users", place, message)


@router.post("/akun/{user_id}/surel", name="admin_user_email")
def admin_user_email(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser, form: FormDep,
                     user_id: RowId) -> Response:
    """An existing account's e-mail address (issue 24, surel): the person's own page (/akun/surel) keeps
    their language and the kinds they turned off; an empty address turns their e-mail off."""
    target = _target_user(session, place, user_id)
    typed = _text(form, "email", 400)
    try:
        changed = notice_preferences.set_address(session, user, target, typed)
    except Refusal as refusal:
        return _users(request, session, place, refusal=refusal, email_form={"user_id": target.id, "email": typed})
    session.commit()
    if not changed:
        message = _("Nothing changed.")
    elif target.email:
        message = _("The e-mail address of %(name)s is now %(email)s.") % {"name": target.username, "email": target.email}
    else:
        message = _("%(name)s has no e-mail address now: no reminders go out to this account.") % {
            "name": target.username}
    return _back(request, "admin_users", place, message)


@router.post("/akun/{user_id}/buka", name="admin_user_unlock")
def admin_user_unlock(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                      user_id: RowId) -> Response:
    target = _target_user(session, place, user_id)
    lifted = admin.lift_lock(session, user, target)
    session.commit()
    if lifted:
        message = _("The account %(name)s can log in again: its failed attempts are cleared.") % {"name": target.username}
    else:
        message = _("Nothing changed.")
    return _back(request, "admin_users", place, message)


# -- assignments ----------------------------------------------------------------------------


@router.get("/penugasan", name="admin_assignments")
def admin_assignments(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep,
                      part: str | None = None) -> Response:
    chosen = catalogue.parts.get(part or "") or catalogue.data.parts[0]
    agencies = admin.agencies_of(session, place.regency.code, active_only=True)
    codes = [q.code for indicator in chosen.indicators for q in indicator.questions]
    assessment_id = saved_id(place.assessment.id)
    pairs = admin.assigned_pairs(session, assessment_id, codes)
    active_ids = {a.id for a in agencies}
    return render(request, "administration/assignments.html", {
        "place": place,
        "tab": "assignments",
        "parts": catalogue.data.parts,
        "part": chosen,
        "agencies": agencies,
        "pairs": pairs,
        "covered": {code for code, agency_id in pairs if agency_id in active_ids},
        "unassigned": admin.unassigned_count(session, assessment_id, catalogue),
        "toggle_url": request.url_for("admin_assignment_toggle", regency_code=place.regency.code,
                                      year=place.cycle.year).path,
    })


@router.post("/penugasan", name="admin_assignment_toggle")
def admin_assignment_toggle(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                            catalogue: CatalogueDep, form: FormDep) -> Response:
    code = _text(form, "question", 60)
    agency_id = parse_id(_text(form, "agency_id", 20))
    if not code or agency_id is None:
        raise HTTPException(422, _("Choose a question and an agency."))
    ref = catalogue.questions.get(code)
    if ref is None:
        raise HTTPException(404)
    agency = agency_in(session, place, agency_id)
    # An unchecked box sends nothing: only "1" assigns.
    assigned = form.get("assigned") == "1"
    try:
        admin.toggle_assignment(session, user, place.assessment, code, agency, assigned)
    except Refusal as refusal:
        raise HTTPException(refusal.status, refusal.message) from None
    session.commit()
    assessment_id = saved_id(place.assessment.id)
    covered = admin.covered_codes(session, assessment_id, [code])
    return templates.TemplateResponse(request, "administration/_toggle.html", {
        "q": ref.question,
        "agency": agency,
        "on": assigned,
        "row_covered": code in covered,
        "unassigned": admin.unassigned_count(session, assessment_id, catalogue),
        "toggle_url": request.url_for("admin_assignment_toggle", regency_code=place.regency.code,
                                      year=place.cycle.year).path,
    })

