"""The tus 1.0.0 endpoint at /tus/ (issue 25): resumable evidence uploads (core, creation, termination,
expiration). The protocol's words are app.tus.protocol's, the rules app.tus.service's (the plain
upload form's own), the bytes app.tus.partials'.

Every request needs a signed-in user (401 otherwise, not the login page's redirect: the client is a
script) and, past OPTIONS, Tus-Resumable: 1.0.0 (412). The app's CSRF check runs first, as for every
route: POST, PATCH and DELETE need the page's X-CSRF-Token. An upload id is its creator's: for anyone
else it answers 404, like an id that never existed.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import BinaryIO

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from app import access
from app.config import Settings
from app.context import Workspace
from app.deps import CatalogueDep, OptionalUser, ScorerDep, SessionDep, SettingsDep, find_place
from app.evidence import refusal_message
from app.i18n import current_language
from app.i18n import gettext as _
from app.models import Document, Upload, User, utcnow
from app.routes.evidence import evidence_response
from app.services import questions
from app.tus import service
from app.tus.partials import Partials
from app.tus.protocol import (
    EXTENSIONS,
    OFFSET_TYPE,
    PREFIX,
    VERSION,
    TusError,
    http_date,
    parse_int,
    parse_metadata,
    parse_target,
    plain,
)
from indicators import Catalogue

router = APIRouter(prefix=PREFIX, tags=["tus"])
RENEW_SECONDS = 30  # how often a long PATCH renews its hold (service.LEASE_SECONDS)


def _partials(request: Request) -> Partials:
    return Partials(request.app.state.settings.evidence_dir)


def _refused(request: Request, user: User | None, *, head: bool = False) -> Response | None:
    """The checks every protocol request starts with: signed in, then the protocol's version."""
    if user is None:
        return plain(401, "" if head else _("Your session has ended. Sign in again; the upload can continue."))
    if request.headers.get("Tus-Resumable") != VERSION:
        return plain(412, "" if head else _("This upload client is not supported."), {"Tus-Version": VERSION})
    return None


def _gone(head: bool = False) -> Response:
    return plain(410, "" if head else _("This upload has expired or ended. Send the file again."))


def _missing(head: bool = False) -> Response:
    return plain(404, "" if head else _("There is no such upload."))


@router.options("/", name="tus_options")
async def tus_options(user: OptionalUser, settings: SettingsDep) -> Response:
    if user is None:
        return plain(401)
    return plain(204, headers={"Tus-Version": VERSION, "Tus-Extension": EXTENSIONS,
                               "Tus-Max-Size": str(settings.max_upload_bytes)})


@router.post("/", name="tus_create")
def tus_create(request: Request, session: SessionDep, settings: SettingsDep, catalogue: CatalogueDep,
               user: OptionalUser) -> Response:
    if (refusal := _refused(request, user)) is not None:
        return refusal
    assert user is not None
    headers = request.headers
    if "Upload-Defer-Length" in headers:
        return plain(400, _("Uploads of unknown length are not supported."))
    length = parse_int(headers.get("Upload-Length"))
    metadata = parse_metadata(headers.get("Upload-Metadata"))
    if length is None or metadata is None:
        return plain(400, _("The upload's length or description is not valid."))
    if length > settings.max_upload_bytes:
        return plain(413, refusal_message("too_large", current_language.get(), limit_mb=settings.max_upload_mb))
    if length == 0:
        return plain(422, refusal_message("empty", current_language.get()))
    filename = metadata.get("filename", "").strip()
    target = parse_target(metadata.get("target", ""))
    if not filename or target is None:
        return plain(400, _("The upload does not say which file it is or which question it is for."))
    try:
        service.check_target(session, catalogue, user, target)
        service.check_room(session, settings, user, utcnow())
    except TusError as error:
        return plain(error.status, error.message)
    upload = service.create(session, settings, _partials(request), user, target, length, filename,
                            metadata.get("filetype", ""))
    session.commit()
    return plain(201, headers={"Location": f"{PREFIX}/{upload.id}", "Upload-Expires": http_date(upload.expires_at)})


@router.head("/{upload_id}", name="tus_head")
def tus_head(request: Request, session: SessionDep, user: OptionalUser, upload_id: str) -> Response:
    if (refusal := _refused(request, user, head=True)) is not None:
        return refusal
    assert user is not None
    upload = service.owned(session, user, upload_id)
    if upload is None:
        return _missing(head=True)
    offset = upload.length if upload.outcome is not None else _partials(request).offset(upload.id)
    if (upload.outcome is not None and not service.Outcome.of(upload.outcome).accepted
            or service.expired(upload, utcnow()) or offset is None):
        return _gone(head=True)
    return plain(200, headers={"Upload-Offset": str(offset), "Upload-Length": str(upload.length),
                               "Upload-Expires": http_date(upload.expires_at)})


@router.patch("/{upload_id}", name="tus_patch")
async def tus_patch(request: Request, session: SessionDep, settings: SettingsDep, catalogue: CatalogueDep,
                    user: OptionalUser, upload_id: str) -> Response:
    if (refusal := _refused(request, user)) is not None:
        return refusal
    assert user is not None
    if request.headers.get("Content-Type", "").split(";")[0].strip().lower() != OFFSET_TYPE:
        return plain(415, _("The upload was sent in a form this server does not accept."))
    offset = parse_int(request.headers.get("Upload-Offset"))
    if offset is None:
        return plain(400, _("The upload's position is missing."))
    upload = await run_in_threadpool(service.owned, session, user, upload_id)
    if upload is None:
        return _missing()
    if (done := _done(upload, offset)) is not None:
        return done
    engine = request.app.state.engine
    token = await run_in_threadpool(_hold, engine, upload.id)
    if token is None:
        return plain(423, _("This upload is being sent from elsewhere at this moment. Wait a moment."))
    try:
        # Read again under the hold: the PATCH that had it may have completed the upload meanwhile.
        await run_in_threadpool(session.refresh, upload)
        if (done := _done(upload, offset)) is not None:
            return done
        return await _write(request, session, settings, catalogue, user, upload, offset, token)
    finally:
        await run_in_threadpool(_let_go, engine, settings, upload.id, token)


def _done(upload: Upload, offset: int) -> Response | None:
    """The answer for an upload that takes no more bytes: complete (a repeated last PATCH learns it is
    done), refused or expired; None when it does."""
    if upload.outcome is not None:
        if service.Outcome.of(upload.outcome).accepted and offset == upload.length:
            return plain(204, headers={"Upload-Offset": str(upload.length)})
        return _gone()
    return _gone() if service.expired(upload, utcnow()) else None


async def _write(request: Request, session: Session, settings: Settings, catalogue: Catalogue, user: User,
                 upload: Upload, offset: int, token: str) -> Response:
    partials = _partials(request)
    on_disk = partials.offset(upload.id)
    if on_disk is None:
        return _gone()
    if offset != on_disk:
        return plain(409, _("The upload continues from another position; the client asks again."),
                     {"Upload-Offset": str(on_disk)})
    declared = parse_int(request.headers.get("Content-Length"))
    if declared is not None and on_disk + declared > upload.length:
        return plain(413, _("More bytes were sent than the upload announced."))
    written, too_much, renewed = 0, False, time.monotonic()
    # Unbuffered: every byte accepted is in the file at once, so that nothing held in a buffer of this
    # request lands in it later (at close), after the bytes of a PATCH that took over a lapsed hold.
    handle = os.fdopen(partials.open_append(upload.id), "ab", buffering=0)
    try:
        async for chunk in request.stream():
            # The hold is renewed (and so confirmed) before a write, not after: a PATCH that stalled past
            # its lease, while another took the upload over, must not append its late bytes.
            if time.monotonic() - renewed > RENEW_SECONDS:
                renewed = time.monotonic()
                if not await run_in_threadpool(_renew, request.app.state.engine, upload.id, token):
                    return plain(409, _("The upload was interrupted; the client asks where to continue."))
            room = upload.length - on_disk - written
            if len(chunk) > room:
                chunk, too_much = chunk[:room], True
            _append(handle, chunk)  # small page-cache writes, as EvidenceStore.save_stream's
            written += len(chunk)
            if too_much:
                break
    except ClientDisconnect:
        pass  # the line dropped: what arrived stays, and HEAD says how much that is
    finally:
        await asyncio.to_thread(_close, handle)
    if too_much:
        # Refused whole: the bytes it brought up to the length go too, or HEAD would call the upload
        # complete while nothing checked or stored it (the hold is still ours).
        await run_in_threadpool(partials.truncate, upload.id, on_disk)
        return plain(413, _("More bytes were sent than the upload announced."))
    if on_disk + written < upload.length:
        return plain(204, headers={"Upload-Offset": str(on_disk + written),
                                   "Upload-Expires": http_date(service.expires(settings, utcnow()))})
    return await run_in_threadpool(_complete, request, session, settings, catalogue, user, upload)


def _complete(request: Request, session: Session, settings: Settings, catalogue: Catalogue, user: User,
              upload: Upload) -> Response:
    outcome = service.assemble(session, settings, request.app.state.evidence, _partials(request), catalogue, user,
                               upload)
    session.commit()
    if not outcome.accepted:
        return plain(422, "\n".join(outcome.messages))
    return plain(204, headers={"Upload-Offset": str(upload.length)})


def _append(handle: BinaryIO, chunk: bytes) -> None:
    """All of `chunk` (an unbuffered write may take less at once)."""
    view = memoryview(chunk)
    while view:
        view = view[handle.write(view) or 0:]


def _close(handle: BinaryIO) -> None:
    """The partial is durable before the answer gives its offset."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


# The hold on an upload is its own small unit of work: the other workers must see it at once, and the
# request's own session stays for the attachment.
def _hold(engine: Engine, upload_id: str) -> str | None:
    with Session(engine) as session:
        token = service.take(session, upload_id, utcnow())
        session.commit()
        return token


def _renew(engine: Engine, upload_id: str, token: str) -> bool:
    with Session(engine) as session:
        kept = service.renew(session, upload_id, token, utcnow())
        session.commit()
        return kept


def _let_go(engine: Engine, settings: Settings, upload_id: str, token: str) -> None:
    with Session(engine) as session:
        service.release(session, settings, upload_id, token, utcnow())
        session.commit()


@router.delete("/{upload_id}", name="tus_delete")
def tus_delete(request: Request, session: SessionDep, user: OptionalUser, upload_id: str) -> Response:
    if (refusal := _refused(request, user)) is not None:
        return refusal
    assert user is not None
    upload = service.owned(session, user, upload_id)
    if upload is None:
        return _missing()
    if service.locked(upload, utcnow()) or not service.terminate(session, _partials(request), upload, utcnow()):
        return plain(423, _("This upload is being sent from elsewhere at this moment. Wait a moment."))
    session.commit()
    return plain(204)


@router.get("/{upload_id}/hasil", name="tus_result")
def tus_result(request: Request, session: SessionDep, catalogue: CatalogueDep, scorer: ScorerDep,
               user: OptionalUser, upload_id: str) -> Response:
    """The plain upload form's answer for a finished upload (its card, refreshed out of band)."""
    if user is None:
        return plain(401)
    upload = service.owned(session, user, upload_id)
    if upload is None or upload.outcome is None:
        raise HTTPException(404, _("There is no such upload."))
    place = find_place(session, upload.regency_code, upload.year)
    if not access.may_work_in(user, place.regency.code):
        raise HTTPException(404, _("There is no such upload."))
    try:  # the card only to whom the workspace still shows it (the DP3A may have moved the question since)
        questions.open_question(session, place, user, catalogue, upload.question_code)
    except HTTPException:
        raise HTTPException(404, _("There is no such upload.")) from None
    outcome = service.Outcome.of(upload.outcome)
    read = [d for d in (session.get(Document, i) for i in outcome.read) if d is not None]
    ws = Workspace(request, session, place, user, catalogue, scorer)
    return evidence_response(ws, upload.question_code, outcome.messages, status=outcome.status, ok=outcome.ok,
                             read=read)
