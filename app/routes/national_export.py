"""The national workbook for the ministry, built by the job runner (app/exports/national_job.py).

POST asks for it (from the national view) and answers at once with a redirect to the job's status
page: progress while the runner writes it (htmx polls every 2 s; without JavaScript a plain refresh
link), then the download. A workbook already built at the same data revision is there at once.
Only the ministry (`access.may_see_nation`) may ask, watch or download: the workbook holds every
submitted kab/kota's answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app import access
from app.deps import CurrentUser, RowId, SessionDep, SettingsDep
from app.exports import national_job
from app.exports.common import XLSX_MEDIA_TYPE
from app.models import Job, JobState, User
from app.templating import render

router = APIRouter(tags=["exports"])
Year = Annotated[int, Path(ge=2000, le=2100)]
POLL_SECONDS = 2


def _ministry_only(user: User) -> None:
    if not access.may_see_nation(user):
        raise HTTPException(403)


@router.post("/nasional/{year}/ekspor", name="export_national")
def export_national(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser,
                    year: Year) -> Response:
    """Ask for the national workbook of `year` (the same revision twice: one job)."""
    _ministry_only(user)
    job = national_job.request_workbook(session, settings, user, year)
    session.commit()
    return RedirectResponse(request.url_for("export_national_status", year=year, job_id=job.id).path, status_code=303)


def _job(session: SessionDep, user: User, year: int, job_id: int) -> Job:
    _ministry_only(user)
    job = national_job.job_of(session, job_id, year)
    if job is None:
        raise HTTPException(404)
    return job


@router.get("/nasional/{year}/ekspor/{job_id}", name="export_national_status")
def export_national_status(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser,
                           year: Year, job_id: RowId) -> Response:
    """Where the workbook stands: waiting, being written (with progress), ready or failed."""
    job = _job(session, user, year, job_id)
    ready = national_job.file_of(settings, job) is not None
    finished = ready or job.state == JobState.FAILED or (job.state == JobState.DONE and not ready)
    context = {
        "year": year, "job": job, "ready": ready, "finished": finished,
        "current": national_job.is_current(session, job), "built_at": national_job.built_at(job),
        "note": (job.result or {}).get("note", ""), "poll_seconds": POLL_SECONDS,
    }
    response = render(request, "exports/national.html", context, block="status")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/nasional/{year}/ekspor/{job_id}/rekap-nasional.xlsx", name="export_national_download")
def export_national_download(session: SessionDep, settings: SettingsDep, user: CurrentUser, year: Year,
                             job_id: RowId) -> Response:
    """The finished workbook, as an attachment (never shown inline, never cached)."""
    job = _job(session, user, year, job_id)
    path = national_job.file_of(settings, job)
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type=XLSX_MEDIA_TYPE, filename=f"rekap-nasional-{year}.xlsx",
                        content_disposition_type="attachment",
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
