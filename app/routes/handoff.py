"""The hand-off package (paket serah terima): what it holds, and the ZIP of the answers and files in
the instrument's order for the ministry's application. The DP3A of the kab/kota only: the package
holds every file, its sensitive ones in their own folder (`app.services.handoff`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from app.deps import AdminPlace, CatalogueDep, CurrentUser, SessionDep, StoreDep
from app.i18n import format_file_size
from app.models import saved_id
from app.services import audit
from app.services.evidence import EvidenceAccess
from app.services.handoff import SENSITIVE_FOLDER, build_package, plan_handoff
from app.templating import render

router = APIRouter(prefix="/r/{regency_code}/{year}/serah-terima", tags=["handoff"])


@router.get("", name="handoff")
def handoff_page(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                 catalogue: CatalogueDep, store: StoreDep) -> Response:
    access = EvidenceAccess.of(session, catalogue, user, place)
    plan = plan_handoff(session, catalogue, store, place.assessment, access, with_sensitive=access.sees_sensitive)
    page: Response = render(request, "handoff/index.html", {
        "place": place, "plan": plan, "files_size": format_file_size(plan.files_size),
        "sensitive_folder": SENSITIVE_FOLDER,
    })
    page.headers["Cache-Control"] = "private, no-store"
    return page


@router.get("/paket.zip", name="handoff_download")
def handoff_download(place: AdminPlace, session: SessionDep, user: CurrentUser, catalogue: CatalogueDep,
                     store: StoreDep) -> Response:
    """The ZIP, streamed: the workbook is written to a temporary file first (removed once sent), every
    evidence file read from the store as the download reaches it."""
    access = EvidenceAccess.of(session, catalogue, user, place)
    plan = plan_handoff(session, catalogue, store, place.assessment, access, with_sensitive=access.sees_sensitive)
    package = build_package(plan, store)
    try:
        audit.record(session, user, "handoff.download", "assessment", saved_id(place.assessment.id),
                     regency_code=place.regency.code,
                     after={"questions": len(plan.answered), "files": len(plan.files),
                            "sensitive": plan.sensitive_included, "withheld": plan.sensitive_withheld})
        session.commit()
    except BaseException:
        package.close()
        raise
    return StreamingResponse(package.chunks(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{plan.zip_name}"',
        "Content-Length": str(package.size),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }, background=BackgroundTask(package.close))
