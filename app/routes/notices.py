"""E-mail settings of every signed-in user (`/akun/surel`), and the job runner's work for the ministry's
admin (`/kementerian/tugas`): counts by state, the failed and retrying jobs, "try again". Forms are
parsed here; the rules live in `app.notices.preferences` and `app.jobs.queue`. Writes commit once, here."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.deps import CurrentUser, FormDep, RowId, SessionDep, SettingsDep
from app.i18n import LANGUAGES
from app.i18n import gettext as _
from app.jobs import queue
from app.models import Job, JobState, Role, User
from app.notices import kinds_for, overview, preferences
from app.notices.smtp import enabled
from app.refusals import Refusal
from app.services import audit
from app.templating import render

router = APIRouter(tags=["e-mail"])


def _settings_page(request: Request, session: Session, user: User, email_on: bool, *,
                   values: Mapping[str, object] | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
    kinds = kinds_for(user.role)
    return render(request, "notices/preferences.html", {
        "values": values or {"email": user.email, "language": user.language,
                             "wanted": [k.value for k in kinds if k.value not in (user.email_off or [])]},
        "kinds": [(k.value, preferences.kind_label(k)) for k in kinds],
        "languages": LANGUAGES,
        "email_on": email_on,
        "error": error,
        "kind_names": preferences.short_labels(),
        # The DP3A sees the e-mails to its kab/kota's accounts that did not get through.
        "troubles": overview.troubles(session, regency_code=user.regency_code)
        if user.role == Role.DP3A and user.regency_code else [],
    }, status_code=status_code)


@router.get("/akun/surel", name="email_settings")
def email_settings(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> Response:
    return _settings_page(request, session, user, enabled(settings))


@router.post("/akun/surel", name="email_settings_save")
def email_settings_save(request: Request, session: SessionDep, user: CurrentUser, form: FormDep,
                        settings: SettingsDep) -> Response:
    email = str(form.get("email", ""))[:400]
    language = str(form.get("language", ""))[:5]
    wanted = [str(value)[:20] for value in form.getlist("kinds")][:10]
    try:
        choice = preferences.read(email, language, wanted, user)
    except Refusal as refusal:
        values = {"email": email, "language": language, "wanted": wanted}
        return _settings_page(request, session, user, enabled(settings), values=values, error=refusal.message,
                              status_code=refusal.status)
    changed = preferences.save(session, user, user, choice)
    session.commit()
    request.session["flash"] = _("Your e-mail settings are saved.") if changed else _("Nothing changed.")
    return RedirectResponse(str(request.url_for("email_settings")), status_code=303)


def _admin(user: User) -> User:
    if user.role != Role.ADMIN:
        raise HTTPException(403)
    return user


@router.get("/kementerian/tugas", name="jobs_overview")
def jobs_overview(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> Response:
    _admin(user)
    counts = overview.counts(session)
    return render(request, "notices/jobs.html", {
        "counts": counts, "totals": overview.totals(counts), "troubles": overview.troubles(session),
        "email_on": enabled(settings), "states": JobState, "kind_names": preferences.short_labels(),
    })


@router.post("/kementerian/tugas/{job_id}/ulang", name="job_retry")
def job_retry(request: Request, session: SessionDep, user: CurrentUser, job_id: RowId) -> Response:
    _admin(user)
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(404)
    retried = queue.retry(session, job)
    if retried:
        audit.record(session, user, "job.retry", "job", job.id, after={"kind": job.kind, "key": job.key})
    session.commit()
    request.session["flash"] = (_("The job will be tried again at once.") if retried
                                else _("Nothing changed: the job has not failed."))
    return RedirectResponse(str(request.url_for("jobs_overview")), status_code=303)
