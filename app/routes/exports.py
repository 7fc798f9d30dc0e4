"""Excel out and back in: the kab/kota rekap and the province comparison as .xlsx (the national workbook
is built by the job runner: app/routes/national_export.py), and the import
of a rekap filled in offline by the DP3A (upload, preview of exactly what changes, confirm).

Between preview and confirmation the uploaded file waits in the evidence store's temp folder
under its SHA-256 (swept after an hour like any unfinished upload); the confirmation names
that hash, which must match the one this session previewed, and the file is read again and
compared with the answers as they are at that moment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app import access
from app.deps import (
    AdminPlace,
    CatalogueDep,
    CurrentUser,
    Place,
    ProvinceCode,
    ReviewPlace,
    ScorerDep,
    SessionDep,
    SettingsDep,
    StoreDep,
    on_team,
)
from app.exports.common import XLSX_MEDIA_TYPE
from app.exports.importer import (
    MAX_IMPORT_BYTES,
    ImportRefused,
    apply_import,
    check_file,
    plan_import,
    stage_closed_message,
    too_large_message,
)
from app.exports.province import build_province_workbook
from app.exports.rekap import build_regency_workbook
from app.i18n import gettext as _
from app.models import Province
from app.refusals import Refusal
from app.services.evidence import EvidenceAccess
from app.services.pipeline import sees_fixed_awards, sees_fixed_awards_in
from app.templating import render
from scoring import Stage

router = APIRouter(tags=["exports"])

SESSION_KEY = "import_preview"
_SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 256 * 1024
KEEP_SECONDS = 3600  # a preview can be confirmed for an hour


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


@router.get("/r/{regency_code}/{year}/ekspor.xlsx", name="export_regency")
def export_regency(request: Request, place: ReviewPlace, session: SessionDep, user: CurrentUser,
                   catalogue: CatalogueDep, scorer: ScorerDep) -> Response:
    base_url = str(request.base_url).rstrip("/")
    # Names only the files this reader may see (today every reader of the rekap may: the DP3A, and the
    # verifiers once the kab/kota has submitted; the rule decides, not this route).
    data = build_regency_workbook(session, catalogue, scorer, place.assessment, base_url,
                                  evidence_access=EvidenceAccess.of(session, catalogue, user, place,
                                                                    on_team(session, place.assessment, user)),
                                  show_awards=sees_fixed_awards(user, place.cycle))
    return _xlsx(data, f"rekap-{place.regency.code}-{place.cycle.year}.xlsx")


@router.get("/provinsi/{province_code}/{year}/ekspor.xlsx", name="export_province")
def export_province(
    session: SessionDep, user: CurrentUser, catalogue: CatalogueDep, scorer: ScorerDep,
    province_code: ProvinceCode, year: Annotated[int, Path(ge=2000, le=2100)],
) -> Response:
    if not access.may_see_province(user, province_code):
        raise HTTPException(403)
    if session.get(Province, province_code) is None:
        raise HTTPException(404)
    data = build_province_workbook(session, catalogue, scorer, province_code, year,
                                   show_awards=sees_fixed_awards_in(session, user, year))
    return _xlsx(data, f"rekap-{province_code}-{year}.xlsx")


# -- import -------------------------------------------------------------------------------------


def _page(request: Request, place: Place, *, status_code: int = 200, **context: Any) -> Response:  # noqa: ANN401
    context.setdefault("plan", None)
    context.setdefault("report", None)
    context.setdefault("messages", [])
    context.setdefault("sha256", "")
    context["place"] = place
    context["closed"] = place.assessment.stage != Stage.SELF
    page: Response = render(request, "exports/import.html", context, status_code=status_code)
    return page


@router.get("/r/{regency_code}/{year}/impor", name="import_form")
def import_form(request: Request, place: AdminPlace) -> Response:
    return _page(request, place)


@router.post("/r/{regency_code}/{year}/impor", name="import_preview")
async def import_preview(request: Request, place: AdminPlace, session: SessionDep, catalogue: CatalogueDep,
                         scorer: ScorerDep, store: StoreDep, settings: SettingsDep) -> Response:
    if place.assessment.stage != Stage.SELF:
        return _page(request, place, messages=[stage_closed_message()], status_code=409)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, place, messages=[_("Choose the rekap file (.xlsx) to upload.")], status_code=422)
    _sweep(store.tmp_dir)
    try:
        sha256, path = await _keep_upload(store.tmp_dir, upload, settings.max_upload_bytes)
    except Refusal as refused:  # ImportRefused: the file as a whole
        return _page(request, place, messages=[refused.message], status_code=refused.status)
    try:
        plan = await run_in_threadpool(plan_import, session, catalogue, scorer, place.assessment, path)
    except Refusal as refused:
        path.unlink(missing_ok=True)
        return _page(request, place, messages=[refused.message], status_code=refused.status)
    if plan.ok and plan.changes:
        request.session[SESSION_KEY] = f"{place.assessment.id}:{sha256}"
    else:
        path.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
    return _page(request, place, plan=plan, sha256=sha256, filename=upload.filename[:160],
                 status_code=200 if plan.ok else 422)


@router.post("/r/{regency_code}/{year}/impor/konfirmasi", name="import_confirm")
async def import_confirm(request: Request, place: AdminPlace, session: SessionDep, user: CurrentUser,
                         catalogue: CatalogueDep, scorer: ScorerDep, store: StoreDep) -> Response:
    if place.assessment.stage != Stage.SELF:
        return _page(request, place, messages=[stage_closed_message()], status_code=409)
    form = await request.form()
    sha256 = str(form.get("sha256", ""))
    expected = request.session.get(SESSION_KEY)
    path = _kept_path(store.tmp_dir, sha256)
    if path is None or expected != f"{place.assessment.id}:{sha256}" or not _fresh(path):
        return _page(request, place, messages=[_(
            "There is nothing to confirm: the preview has expired or belongs to another file. Upload the "
            "rekap again.")], status_code=422)
    try:
        plan = await run_in_threadpool(plan_import, session, catalogue, scorer, place.assessment, path)
    except Refusal as refused:  # ImportRefused: the file as a whole
        return _page(request, place, messages=[refused.message], status_code=refused.status)
    if not plan.ok:  # something changed since the preview (e.g. an answer was submitted meanwhile)
        return _page(request, place, plan=plan, sha256=sha256, status_code=422)
    report = await run_in_threadpool(apply_import, session, scorer, place.assessment, plan, user)
    # The whole import is one unit of work; committed off the event loop, like the saves themselves.
    await run_in_threadpool(session.commit)
    path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)
    return _page(request, place, report=report)


def _kept_path(folder: FilePath, sha256: str) -> FilePath | None:
    if not _SHA256.fullmatch(sha256):
        return None
    return folder / f"import-{sha256}.xlsx"


def _fresh(path: FilePath) -> bool:
    try:
        return time.time() - path.stat().st_mtime < KEEP_SECONDS
    except FileNotFoundError:
        return False


def _sweep(folder: FilePath) -> None:
    """Drop previews nobody confirmed."""
    if not folder.is_dir():
        return
    for entry in folder.glob("import-*.xlsx"):
        if not _fresh(entry):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


async def _keep_upload(folder: FilePath, upload: UploadFile, upload_limit: int) -> tuple[str, FilePath]:
    """Copy the upload to the temp folder (counting and hashing), check it is an .xlsx, name it by hash."""
    limit = min(MAX_IMPORT_BYTES, upload_limit)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="import-", suffix=".part", dir=folder)
    temp = FilePath(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(descriptor, "wb") as handle:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ImportRefused(too_large_message(limit))
                digest.update(chunk)
                handle.write(chunk)
        await run_in_threadpool(check_file, temp)
        sha256 = digest.hexdigest()
        final = folder / f"import-{sha256}.xlsx"
        os.replace(temp, final)
        return sha256, final
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
