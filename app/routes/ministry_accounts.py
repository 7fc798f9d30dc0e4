"""The ministry's accounts (reviewers by province, field verifiers by organisation): only its
administrators. Forms are parsed here and re-rendered with messages; the rules and the audited
writes live in `app.services.ministry_accounts`. Each request that writes commits once, here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.deps import CurrentUser, FormDep, RowId, SessionDep
from app.i18n import gettext as _
from app.models import Role, User
from app.refusals import Refusal
from app.services import ministry_accounts as accounts
from app.services.accounts import locked_minutes
from app.templating import render

router = APIRouter(prefix="/kementerian/akun", tags=["ministry accounts"])

NO_STORE = {"Cache-Control": "no-store"}


def _manager(user: User) -> User:
    if not accounts.may_manage(user):
        raise HTTPException(403)
    return user


def _text(form: FormData, name: str, limit: int = 400) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _codes(form: FormData) -> list[str]:
    return [str(code)[:2] for code in form.getlist("provinces")][:40]


def _page(request: Request, session: Session, *, values: dict[str, Any] | None = None,
          refusal: Refusal | None = None, issued: dict[str, Any] | None = None, edit_id: int | None = None) -> Response:
    rows = accounts.ministry_users(session)
    errors = getattr(refusal, "errors", {}) if refusal else {}
    response = render(request, "ministry/users.html", {
        "rows": rows,
        "locked": locked_minutes(session, [u.username for u in rows]),
        "provinces": accounts.provinces(session),
        "organisations": accounts.ORGANISATIONS,
        "values": values or {"username": "", "full_name": "", "role": Role.REVIEWER, "provinces": [],
                             "organisation": ""},
        "edit_id": edit_id,
        "roles": Role,
        "errors": errors,
        "issued": issued,
        "message": refusal.message if refusal and not errors else None,
    }, status_code=refusal.status if refusal else 200)
    if issued:
        response.headers.update(NO_STORE)  # the temporary password must not stay in a cache
    return response


def _target(session: Session, user_id: int) -> User:
    target = accounts.ministry_user(session, user_id)
    if target is None:
        raise HTTPException(404)
    return target


def _back(request: Request, message: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(str(request.url_for("ministry_users")), status_code=303)


@router.get("", name="ministry_users")
def ministry_users(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    _manager(user)
    return _page(request, session)


@router.post("", name="ministry_user_create")
def ministry_user_create(request: Request, session: SessionDep, user: CurrentUser, form: FormDep) -> Response:
    _manager(user)
    username, full_name = _text(form, "username", 80).lower(), _text(form, "full_name", 200)
    role, codes, organisation = _text(form, "role", 20), _codes(form), _text(form, "organisation", 200)
    values = {"username": username, "full_name": full_name, "role": role, "provinces": codes,
              "organisation": organisation}
    try:
        created, password = accounts.create_user(session, user, username, full_name, role, codes, organisation)
    except Refusal as refusal:
        return _page(request, session, values=values, refusal=refusal)
    session.commit()
    return _page(request, session, issued={"user": created, "password": password, "new": True})


@router.post("/{user_id}", name="ministry_user_update")
def ministry_user_update(request: Request, session: SessionDep, user: CurrentUser, form: FormDep,
                         user_id: RowId) -> Response:
    _manager(user)
    target = _target(session, user_id)
    try:
        changed = accounts.update_user(session, user, target, _codes(form), _text(form, "organisation", 200))
    except Refusal as refusal:
        session.rollback()
        return _page(request, session, refusal=refusal, edit_id=target.id)
    session.commit()
    return _back(request, _("Saved: %(name)s.") % {"name": target.username} if changed
                 else _("Nothing changed: %(name)s.") % {"name": target.username})


@router.post("/{user_id}/sandi", name="ministry_user_reset")
def ministry_user_reset(request: Request, session: SessionDep, user: CurrentUser, form: FormDep,
                        user_id: RowId) -> Response:
    _manager(user)
    target = _target(session, user_id)
    if form.get("confirm") != "1":
        return _page(request, session, refusal=Refusal(_("Use the button in the list of accounts to reset a password.")))
    try:
        password = accounts.reset_password(session, user, target)
    except Refusal as refusal:
        return _page(request, session, refusal=refusal)
    session.commit()
    return _page(request, session, issued={"user": target, "password": password, "new": False})


@router.post("/{user_id}/status", name="ministry_user_status")
def ministry_user_status(request: Request, session: SessionDep, user: CurrentUser, form: FormDep,
                         user_id: RowId) -> Response:
    _manager(user)
    target = _target(session, user_id)
    wanted = form.get("active")
    if wanted not in ("0", "1"):
        return _page(request, session, refusal=Refusal(_("Choose activate or deactivate.")))
    try:
        changed = accounts.set_user_active(session, user, target, wanted == "1")
    except Refusal as refusal:
        return _page(request, session, refusal=refusal)
    session.commit()
    if not changed:
        message = _("Nothing changed: %(name)s.") % {"name": target.username}
    elif target.active:
        message = _("The account %(name)s is active again.") % {"name": target.username}
    else:
        message = _("The account %(name)s is deactivated: it can no longer log in.") % {"name": target.username}
    return _back(request, message)
