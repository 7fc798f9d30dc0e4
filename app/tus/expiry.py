"""Abandoned resumable uploads go: the job runner's scan, and the same at every app start (an
installation without a runner still loses them, at its next restart)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.jobs.registry import JobContext, scan
from app.models import utcnow
from app.tus import service
from app.tus.partials import Partials


@scan("tus_expired")
def expired_uploads(session: Session, context: JobContext, now: datetime) -> int:
    """Uploads past their Upload-Expires, with their partial bytes (the runner commits)."""
    return service.remove_expired(session, Partials(context.settings.evidence_dir), now)


def at_start(engine: Engine, settings: Settings) -> int:
    """The scan's work as a worker starts. A database without the table yet (before `kla db upgrade`)
    or away for a moment must not stop the start: the next start or scan does it."""
    try:
        with Session(engine) as session:
            removed = service.remove_expired(session, Partials(settings.evidence_dir), utcnow())
            session.commit()
            return removed
    except Exception as exc:
        logging.getLogger("kla").warning("expired uploads not removed at start (%s: %s)", type(exc).__name__, exc)
        return 0
