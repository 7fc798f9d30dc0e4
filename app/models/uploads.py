"""Resumable uploads in progress (the tus protocol, `app/tus/`; issue 25, tus).

One row per upload a browser has announced (`POST /tus/`): whose it is, the question it is for, how
long it will be, when it expires, and once the last byte arrived, what became of it (`outcome`, read
by `GET /tus/{id}/hasil`). How many bytes have arrived is never stored: it is the size of the partial
file on disk (`app.tus.partials`), so a crash between a write and a database update cannot make them
disagree. The bytes themselves are not evidence until the store has checked them: no row here is
ever shown in the library, on a card or for download.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.core import utcnow


class Upload(SQLModel, table=True):
    __tablename__ = "tus_upload"

    id: str = Field(primary_key=True, max_length=64)  # secrets.token_urlsafe: the URL's only name
    user_id: int = Field(foreign_key="user.id", index=True)  # bound to it: anyone else gets 404
    regency_code: str = Field(max_length=5)
    year: int
    question_code: str = Field(max_length=20)
    length: int  # Upload-Length: bytes the browser announced
    filename: str = Field(max_length=255)
    filetype: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)  # last activity + settings.tus_expiry_hours
    # A PATCH holds the upload while it writes (several workers, one file): who and until when.
    locked_by: str | None = Field(default=None, max_length=64)
    locked_until: datetime | None = None
    finished_at: datetime | None = None
    # What the last byte led to: {"ok", "status", "messages", "read"} (see app.tus.service.Outcome).
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
