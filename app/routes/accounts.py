"""Log in, log out, change one's password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.deps import CurrentUser, FormDep, OptionalUser, SessionDep, SettingsDep
from app.i18n import gettext as _
from app.passwords import MAX_LENGTH, MIN_LENGTH
from app.services import sessions
from app.services.accounts import (
    LoginResult,
    authenticate,
    check_current_password,
    password_problem,
    set_password,
)
from app.templating import render

router = APIRouter(tags=["accounts"])


def _safe_next(target: str | None) -> str:
    """Only local paths: never send a person off to another site after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _throttled(result: LoginResult) -> str:
    if result.cause == "address":  # no reset lifts it: say so, instead of sending people to the DP3A
        return _("Too many failed logins from this network (for example your office) for accounts that have "
                 "not logged in here before. Wait %(n)s min and try again.") % {"n": result.wait_minutes}
    return _("Too many failed attempts. Wait %(n)s min and try again, or ask your DP3A administrator "
             "to reset your password.") % {"n": result.wait_minutes}


def _login_error(result: LoginResult) -> str:
    if result.refused == "throttled":
        return _throttled(result)
    if result.refused == "inactive":
        return _("Your account, or your agency, has been deactivated by the DP3A. Ask the DP3A of your "
                 "kab/kota to activate it again.")
    return _("Wrong username or password.")


@router.get("/masuk", name="login")
def login_page(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": _safe_next(next), "error": None, "username": "",
                                                   "max_length": MAX_LENGTH})


@router.post("/masuk", name="login_submit")
def login_submit(request: Request, session: SessionDep, form: FormDep, settings: SettingsDep) -> Response:
    username = str(form.get("username", ""))[:80]
    # Not cut short: a longer entry than any password may be fails as it is (app.passwords.MAX_LENGTH).
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    result = authenticate(session, username, password, _client(request))
    if result.user is None:
        session.commit()  # the failure counts
        context = {"next": target, "error": _login_error(result), "username": username, "max_length": MAX_LENGTH}
        status = {"throttled": 429, "inactive": 403}.get(result.refused or "", 401)
        return render(request, "accounts/login.html", context, status_code=status)
    sessions.end(session, request.session.get(sessions.COOKIE_KEY))  # a login over another one replaces it
    token = sessions.start(session, result.user, settings.session_hours)
    session.commit()
    request.session.clear()  # a fresh session (and CSRF token) at every login
    request.session[sessions.COOKIE_KEY] = token
    request.session["uid"] = result.user.id  # for the request log only; `sid` is what is checked
    return RedirectResponse(target, status_code=303)


@router.post("/keluar", name="logout")
def logout(request: Request, session: SessionDep) -> Response:
    sessions.end(session, request.session.get(sessions.COOKIE_KEY))
    session.commit()
    request.session.clear()
    # issue 25, offline: the browser drops what it cached for this site (the service worker also empties
    # its copy of the workspace when it sees this request: see templates/offline/sw.js).
    return RedirectResponse("/masuk", status_code=303, headers={"Clear-Site-Data": '"cache"'})


def _password_page(request: Request, *, error: str | None = None, done: bool = False,
                   status_code: int = 200) -> Response:
    return render(request, "accounts/password.html", {"error": error, "done": done, "min_length": MIN_LENGTH,
                                                      "max_length": MAX_LENGTH}, status_code=status_code)


@router.get("/akun/sandi", name="password")
def password_page(request: Request, user: CurrentUser) -> Response:
    return _password_page(request)


@router.post("/akun/sandi", name="password_submit")
def password_submit(request: Request, session: SessionDep, user: CurrentUser, form: FormDep,
                    settings: SettingsDep) -> Response:
    current = str(form.get("current", ""))
    new = str(form.get("new", ""))
    confirm = str(form.get("confirm", ""))
    problems = {
        "too_short": _("The new password needs at least %(n)s characters.") % {"n": MIN_LENGTH},
        "too_long": _("The new password is too long (at most %(n)s characters).") % {"n": MAX_LENGTH},
        "common": _("This password is too easy to guess (a common password, a name of the app or the place, "
                    "repeated or sequential characters). Choose another one, e.g. a few words of your own "
                    "with a number."),
        "mismatch": _("The two new passwords are not the same."),
        "same_as_username": _("The new password must not be your username."),
    }
    checked = check_current_password(session, user, current, _client(request))
    if checked.refused == "throttled":
        return _password_page(request, error=_throttled(checked), status_code=429)
    if checked.user is None:
        session.commit()  # a wrong current password counts like a failed login
        return _password_page(request, error=_("Your current password is not correct."), status_code=400)
    code = password_problem(new, confirm, user.username)
    if code:
        return _password_page(request, error=problems[code], status_code=400)
    set_password(session, user, new, by=user)
    token = sessions.start(session, user, settings.session_hours)
    session.commit()
    request.session[sessions.COOKIE_KEY] = token  # this browser stays signed in, under a new session
    return _password_page(request, done=True)
