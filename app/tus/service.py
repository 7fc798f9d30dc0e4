"""Who may start, continue, end and read a resumable upload, and what becomes of it when complete.

The rules are the plain upload form's, asked in the same functions: the target (the question's plain
upload route) must be one this user works on (`access.may_work_in`, `questions.open_question`) and may
take a file now (`questions.check_upload`), at creation and again when the last byte arrives (the
question may have been closed meanwhile). An upload is bound to the user who created it: for anyone
else its id is no upload at all (404, as for an id that never existed).

Creating and terminating a partial upload writes no audit entry: until the store accepts the bytes
nothing in the assessment has changed. What the upload changes (the evidence attached to the
question) is audited by `evidence.attach`, exactly as for the plain form.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from fastapi import HTTPException
from sqlalchemy import ColumnElement, CursorResult, delete, func, or_, update
from sqlmodel import Session, col, select

from app import access
from app.config import Settings
from app.deps import Place, find_place
from app.evidence import EvidenceStore, RefusedFile
from app.i18n import gettext as _
from app.models import Upload, User, saved_id, utcnow
from app.refusals import NotAllowed, Refusal
from app.services import questions
from app.services import uploads as upload_service
from app.services.questions import QuestionAt
from app.tus.partials import Partials
from app.tus.protocol import Target, TusError, valid_id
from indicators import Catalogue

# A PATCH holds its upload this long, renewed while bytes keep coming (app.routes.tus): a worker that
# died frees it after at most this.
LEASE_SECONDS = 120
# A partial file without a row is removed once it is this old (a creation whose commit failed).
ORPHAN_SECONDS = 3600


@dataclass
class Outcome:
    """What the last byte led to, kept on the row for `GET /tus/{id}/hasil`: the messages of the plain
    form's answer, whether a file was attached now, the status the plain form would have answered
    with, and the documents read from the new file."""

    ok: bool
    status: int
    messages: list[str]
    read: list[int]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "status": self.status, "messages": self.messages, "read": self.read}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Outcome:
        return cls(bool(data.get("ok")), int(data.get("status", 422)), [str(m) for m in data.get("messages", [])],
                   [int(i) for i in data.get("read", [])])

    @property
    def accepted(self) -> bool:
        return self.status < 400


def expires(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(hours=settings.tus_expiry_hours)


def check_target(session: Session, catalogue: Catalogue, user: User, target: Target) -> tuple[Place, QuestionAt]:
    """The plain upload route's checks on `target`, for one file: TusError with its status and reason.
    A "not now" (a closed window, a submitted answer) is 403: a tus client retries a 409."""
    try:
        place = find_place(session, target.regency_code, target.year)
        if not access.may_work_in(user, place.regency.code):
            raise HTTPException(403)
        question = questions.open_question(session, place, user, catalogue, target.code)
        questions.check_upload(place, user, question, 1)
    except HTTPException as exc:
        messages = {403: _("You do not have access to this page or this region."),
                    404: _("The page you asked for does not exist.")}
        raise TusError(exc.status_code, messages.get(exc.status_code, "")) from exc
    except NotAllowed as refusal:
        raise TusError(403, refusal.message) from refusal
    except Refusal as refusal:
        raise TusError(refusal.status, refusal.message) from refusal
    return place, question


def check_room(session: Session, settings: Settings, user: User, now: datetime) -> None:
    """Refuse (429) a new upload while this account has `tus_max_open_uploads` unfinished ones: each may
    hold up to the size limit on disk until it expires, unseen by anyone (one account must not fill the
    disk). Finished, cancelled and expired uploads do not count. Two creations at the same moment may
    both pass: the cap is a bound on waste, not an exact count."""
    count = session.exec(select(func.count()).select_from(Upload).where(
        col(Upload.user_id) == user.id, col(Upload.finished_at).is_(None), col(Upload.expires_at) > now)).one()
    if count >= settings.tus_max_open_uploads:
        raise TusError(429, _("You have %(n)s uploads that have not finished. Let them finish, or cancel one, "
                              "before starting another; an upload left alone is removed after %(hours)s hours.")
                       % {"n": count, "hours": settings.tus_expiry_hours})


def create(session: Session, settings: Settings, partials: Partials, user: User, target: Target, length: int,
           filename: str, filetype: str) -> Upload:
    """A new upload of `length` bytes for `target` (already checked), with its empty partial file."""
    now = utcnow()
    upload = Upload(id=secrets.token_urlsafe(32), user_id=saved_id(user.id), regency_code=target.regency_code,
                    year=target.year, question_code=target.code, length=length, filename=filename[:255],
                    filetype=filetype[:255], created_at=now, expires_at=expires(settings, now))
    session.add(upload)
    session.flush()
    partials.create(upload.id)
    return upload


def owned(session: Session, user: User, upload_id: str) -> Upload | None:
    """The upload `upload_id` if it is this user's; None for anyone else's and for no upload alike."""
    if not valid_id(upload_id):
        return None
    upload = session.get(Upload, upload_id)
    return upload if upload is not None and upload.user_id == user.id else None


def expired(upload: Upload, now: datetime) -> bool:
    return upload.finished_at is None and upload.expires_at <= now


def _free(now: datetime) -> ColumnElement[bool]:
    """No PATCH holds the upload (asked in the statement that changes it, not on a row read before)."""
    return or_(col(Upload.locked_until).is_(None), col(Upload.locked_until) <= now)


def take(session: Session, upload_id: str, now: datetime) -> str | None:
    """Hold the upload for one PATCH (a conditional UPDATE: of two PATCHes at once, across workers and
    machines, one gets it); the token that holds it, or None: another PATCH is writing (423).
    The caller commits at once, so that the other workers see it."""
    token = secrets.token_hex(16)
    result = session.execute(
        update(Upload).where(col(Upload.id) == upload_id, _free(now))
        .values(locked_by=token, locked_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False))
    return token if cast(CursorResult[Any], result).rowcount == 1 else None


def renew(session: Session, upload_id: str, token: str, now: datetime) -> bool:
    """Extend the hold while bytes keep coming; False: it was lost (the lease ran out and another took it)."""
    result = session.execute(
        update(Upload).where(col(Upload.id) == upload_id, col(Upload.locked_by) == token)
        .values(locked_until=now + timedelta(seconds=LEASE_SECONDS)).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def release(session: Session, settings: Settings, upload_id: str, token: str, now: datetime) -> datetime:
    """Let go after a PATCH: its activity moves the expiry on. Returns the new expiry."""
    until = expires(settings, now)
    session.execute(update(Upload).where(col(Upload.id) == upload_id, col(Upload.locked_by) == token)
                    .values(locked_by=None, locked_until=None, expires_at=until)
                    .execution_options(synchronize_session=False))
    return until


def locked(upload: Upload, now: datetime) -> bool:
    return upload.locked_until is not None and upload.locked_until > now


def assemble(session: Session, settings: Settings, store: EvidenceStore, partials: Partials, catalogue: Catalogue,
             user: User, upload: Upload) -> Outcome:
    """The last byte is here: check the target again, hand the bytes to the store (its every check, as
    for the plain form), attach them as the plain form does; the partial goes whatever the result.
    The route commits."""
    target = Target(upload.regency_code, upload.year, upload.question_code)
    try:
        try:
            place, question = check_target(session, catalogue, user, target)
        except TusError as refusal:
            return _finish(session, upload, Outcome(False, 422, [refusal.message], []))
        try:
            with partials.path(upload.id).open("rb") as handle:
                stored = store.save_file(handle)
        except RefusedFile as refused:
            text = upload_service.refused_text(refused, settings.max_upload_mb)
            return _finish(session, upload, Outcome(False, 422, [f"{upload.filename}: {text}"], []))
        attached = upload_service.attach_uploads(session, store, catalogue, place, user, target.code,
                                                 question.answer, [(stored, upload.filename)], [])
        return _finish(session, upload, Outcome(attached.ok, attached.status, attached.messages,
                                                [d.id for d in attached.read if d.id is not None]))
    finally:
        partials.remove(upload.id)


def _finish(session: Session, upload: Upload, outcome: Outcome) -> Outcome:
    upload.finished_at = utcnow()
    upload.outcome = outcome.as_json()
    session.add(upload)
    return outcome


def terminate(session: Session, partials: Partials, upload: Upload, now: datetime) -> bool:
    """End the upload, its row and its bytes; False (nothing done) while a PATCH holds it. The hold is
    checked in the DELETE itself: a PATCH may take it between the route's read and this."""
    result = session.execute(delete(Upload).where(col(Upload.id) == upload.id, _free(now))
                             .execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    session.expunge(upload)
    partials.remove(upload.id)
    return True


def remove_expired(session: Session, partials: Partials, now: datetime) -> int:
    """Remove every upload past its expiry (its row and its partial bytes; a finished one's result too)
    that no PATCH holds, and partial files no row names. Idempotent; says how many uploads went."""
    due = list(session.exec(select(Upload.id).where(col(Upload.expires_at) <= now, _free(now))))
    removed = 0
    for upload_id in due:
        # Expired and free asked again in the DELETE: a PATCH may have taken the upload since the look
        # (its bytes would go from under it). One at a time: a scan finds few.
        result = session.execute(delete(Upload).where(col(Upload.id) == upload_id, col(Upload.expires_at) <= now,
                                                      _free(now)).execution_options(synchronize_session=False))
        if cast(CursorResult[Any], result).rowcount == 1:
            partials.remove(upload_id)
            removed += 1
    partials.sweep_orphans(session.exec(select(Upload.id)).all(), ORPHAN_SECONDS)
    return removed

