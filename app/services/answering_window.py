"""The answering window of a kab/kota's assessment: the DP3A opens and closes it for its agencies, with an
optional deadline shown to them (`questions.may_edit` reads it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.i18n import gettext as _
from app.models import Assessment, User, utcnow
from app.refusals import Refusal
from app.services import audit
from scoring import Stage


def as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def set_window(session: Session, by: User, assessment: Assessment, open_: bool, closes_at: datetime | None) -> bool:
    """Open or close the answering window and set its deadline. False when nothing changed."""
    if open_ and closes_at is not None and closes_at < utcnow():
        raise Refusal(_("The deadline is already past. Choose a later time, or leave it empty."))
    before = {"window_open": assessment.window_open, "window_closes_at": as_utc(assessment.window_closes_at)}
    after = {"window_open": open_, "window_closes_at": as_utc(closes_at)}
    if before == after:
        return False
    assessment.window_open = open_
    assessment.window_closes_at = closes_at
    session.add(assessment)
    audit.record(session, by, "assessment.window", "assessment", assessment.id,
                 regency_code=assessment.regency_code, before=before, after=after)
    return True


def deadline_passed(assessment: Assessment) -> bool:
    closes = as_utc(assessment.window_closes_at)
    return closes is not None and closes < utcnow()


def handed_on(assessment: Assessment) -> bool:
    """The DP3A has submitted the self-assessment: agencies can no longer change answers, window or not."""
    return assessment.stage != Stage.SELF
