"""The job runner's table (`app/jobs/`): work that happens away from a web request (e-mails, the
national workbook, closing windows at their deadline), done once whichever runner takes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.models.core import EnumText, utcnow


class JobState(StrEnum):
    PENDING = "pending"  # waits for its run_at (a retry waits too)
    RUNNING = "running"  # taken by a runner until locked_until (a runner that died: taken again after)
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts; the admin sees it and can try again


class Job(SQLModel, table=True):
    """One unit of work. `key` says what makes two jobs the same (an e-mail about one return to one
    person; the national workbook of one year at one data revision): enqueuing a key that exists
    changes nothing, so whatever plans a job twice, it is done once."""

    __table_args__ = (Index("ix_job_due", "state", "run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # the handler: "email", "export.national" ...
    key: str = Field(max_length=200, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: JobState = Field(default=JobState.PENDING, sa_type=EnumText(JobState))
    run_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    max_attempts: int = 5
    last_error: str = Field(default="", max_length=2000)
    locked_by: str | None = Field(default=None, max_length=80)  # the runner that took it: host:pid
    locked_until: datetime | None = None
    progress: int = 0  # percent, for long jobs (the national workbook)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    regency_code: str | None = Field(default=None, max_length=5, index=True)  # whose it is, when it is one kab/kota's
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # asked by, or addressed to
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
