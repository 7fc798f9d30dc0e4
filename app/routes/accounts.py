"""Log in, log out, change one's password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.deps import CurrentUser, FormDep, OptionalUser, SessionDep
from app.i18n import gettext as _
from app.passwords import MIN_LENGTH, verify_password
from app.services.accounts import authenticate, password_problem, set_password
from app.templating import render

router = APIRouter(tags=["accounts"])


def _safe_next(target: str | None) -> str:
    """Only local paths: never send a person off to another site after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/masuk", name="login")
def login_page(request: Request, user: OptionalUser, next: str | None = None):
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/masuk", name="login_submit")
def login_submit(request: Request, session: SessionDep, form: FormDep):
    username = str(form.get("username", ""))[:80]
    password = str(form.get("password", ""))[:200]
    target = _safe_next(str(form.get("next", "/")))
    client = request.client.host if request.client else "?"
    result = authenticate(session, username, password, client)
    if result.user is None:
        error = (
            _("Too many failed attempts. Wait 15 minutes, or ask your DP3A administrator to reset your password.")
            if result.refused == "throttled"
            else _("Wrong username or password.")
        )
        context = {"next": target, "error": error, "username": username}
        return render(request, "accounts/login.html", context, status_code=429 if result.refused == "throttled" else 401)
    request.session.clear()  # a fresh session (and CSRF token) at every login
    request.session["uid"] = result.user.id
    request.session["sv"] = result.user.session_version
    return RedirectResponse(target, status_code=303)


@router.post("/keluar", name="logout")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


@router.get("/akun/sandi", name="password")
def password_page(request: Request, user: CurrentUser):
    return render(request, "accounts/password.html", {"error": None, "done": False, "min_length": MIN_LENGTH})


@router.post("/akun/sandi", name="password_submit")
def password_submit(request: Request, session: SessionDep, user: CurrentUser, form: FormDep):
    current = str(form.get("current", ""))
    new = str(form.get("new", ""))
    confirm = str(form.get("confirm", ""))
    problems = {
        "too_short": _("The new password needs at least %(n)s characters.") % {"n": MIN_LENGTH},
        "mismatch": _("The two new passwords are not the same."),
        "same_as_username": _("The new password must not be your username."),
    }
    error = None
    if not verify_password(current, user.password_hash):
        error = _("Your current password is not correct.")
    else:
        code = password_problem(new, confirm, user.username)
        error = problems[code] if code else None
    if error:
        return render(request, "accounts/password.html", {"error": error, "done": False, "min_length": MIN_LENGTH},
                      status_code=400)
    set_password(session, user, new, by=user)
    request.session["sv"] = user.session_version  # this session stays; the others end
    return render(request, "accounts/password.html", {"error": None, "done": True, "min_length": MIN_LENGTH})
