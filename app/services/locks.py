"""The one lock that orders two writes to one kab/kota: the second request waits for the first's commit,
then finds its row (a double click, two uploads of one file at once) instead of inserting a twin."""

from __future__ import annotations

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app import sqlite_writer
from app.models import Assessment


def hold(session: Session, assessment: Assessment) -> None:
    """Hold the assessment's row until the commit (PostgreSQL), or this worker's SQLite write lock.
    Taken after any answer's lock (a review decision's order: answers, then the kab/kota)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(col(Assessment.id)).where(col(Assessment.id) == assessment.id).with_for_update())
        return
    sqlite_writer.reserve(session.connection().connection.dbapi_connection)
