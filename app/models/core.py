"""Database tables of the assessment itself (the season after the province: `app.models.season`). Schema changes go through Alembic migrations (`migrations/`).

Question codes are stored as text and resolved against the catalogue of the
assessment's cycle: the instrument lives in YAML, not in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Index,
    Numeric,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel, col

from scoring import Stage


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    ADMIN = "admin"  # the ministry's national team: field verification, final verification, the award
    REVIEWER = "reviewer"  # a ministry reviewer, assigned to provinces (User.provinces): peninjauan
    VERIFIER = "verifier"  # a field verifier, from any ministry, on the team of some kab/kota (FieldTeamMember)
    PROVINCE = "province"  # one province's verifiers
    DP3A = "dp3a"  # one kab/kota's coordinator (task-force secretariat)
    OPD = "opd"  # one agency of one kab/kota


class AnswerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class EnumText(TypeDecorator[StrEnum]):
    """A StrEnum stored as its plain value in a text column (the columns of Stage, ReviewAction and
    CarryStatus predate the enums, and hold "self", "approved", ...), read back as the member."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)




class ReviewAction(StrEnum):
    """What a review event records: the kab/kota's submission or a verifier's decision."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class CarryStatus(StrEnum):
    """The DP3A's answer to an answer carried over from last cycle."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Province(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)
    name: str = Field(max_length=100)


class Regency(SQLModel, table=True):
    """A kabupaten or kota."""

    code: str = Field(primary_key=True, max_length=5)
    province_code: str = Field(foreign_key="province.code", index=True, max_length=2)
    name: str = Field(max_length=100)


class Agency(SQLModel, table=True):
    """An OPD of one kab/kota, mapped onto a generic agency role of the catalogue."""

    # One office per kecamatan: two creations at once cannot both pass the service's check.
    __table_args__ = (UniqueConstraint("regency_code", "short_name"),
                      Index("uq_agency_kecamatan", "regency_code", "area_code", unique=True,
                            sqlite_where=text("area_code IS NOT NULL"), postgresql_where=text("area_code IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    regency_code: str = Field(foreign_key="regency.code", index=True, max_length=5)
    role_code: str = Field(max_length=40)  # e.g. DINKES; DP3A marks the coordinator
    short_name: str = Field(max_length=40)  # the local acronym, e.g. DP3APPKB
    name: str = Field(max_length=200)
    active: bool = True
    # A kecamatan's own "agency" (Kelana/Dekela): its accounts record the criteria of that kecamatan
    # and its desa/kelurahan only (`app.services.areas`); None for every other agency.
    area_code: str | None = Field(default=None, max_length=13)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=80)
    full_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role = Field(max_length=20)
    province_code: str | None = Field(default=None, foreign_key="province.code", max_length=2)
    regency_code: str | None = Field(default=None, foreign_key="regency.code", max_length=5)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Start of the current and of the previous visit to one's notifications: "new since last visit".
    notices_seen_at: datetime | None = None
    # A ministry reviewer's provinces (codes); empty for every other role.
    provinces: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False,
                                                                         server_default="[]"))
    # Where a field verifier (or a reviewer) works: "KemenPPPA", "Kemenkes", "Kemendikdasmen"...
    organisation: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    # E-mail (reminders, `app/notices/`): the address, the language it is written in, and the kinds of
    # message the user turned off (`NoticeKind` values). No address: no e-mail.
    email: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})
    language: str = Field(default="id", max_length=5, sa_column_kwargs={"server_default": "id"})
    email_off: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False,
                                                                         server_default="[]"))


class LoginAttempt(SQLModel, table=True):
    """Logins, kept in the database so throttling holds across workers (`app.services.accounts`).

    Failures (ok false) live for the throttling window; a success (ok true) marks the address as
    one the account logs in from, which the limits per account and per address let through.
    """

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=80)
    client: str = Field(index=True, max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UserSession(SQLModel, table=True):
    """A signed-in browser. Its cookie carries a random token; the row is keyed by the token's
    SHA-256 (a copy of the table logs nobody in). Every request needs a live row: deleting it
    (logout, password change or reset, deactivation) ends the session at once."""

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class Cycle(SQLModel, table=True):
    """One evaluation year with the instrument version it uses."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True, index=True)
    instrument_code: str = Field(max_length=40)
    instrument_version: str = Field(max_length=20)
    # The award list of the year is published: from then on the cycle's scores are frozen.
    published_at: datetime | None = None
    published_by: int | None = Field(default=None, foreign_key="user.id")


class Assessment(SQLModel, table=True):
    """One kab/kota in one cycle."""

    __table_args__ = (UniqueConstraint("cycle_id", "regency_code"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    regency_code: str = Field(foreign_key="regency.code", index=True, max_length=5)
    window_open: bool = True  # agencies may answer while the DP3A keeps the window open
    window_closes_at: datetime | None = None
    stage: Stage = Field(default=Stage.SELF, sa_type=EnumText(Stage))  # where the assessment is
    submitted_at: datetime | None = None  # handed to the province by the DP3A
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    # Bumped by every audited change to the kab/kota (`audit.record`): pages that show many
    # answers cache what they compute per (assessment, revision) instead of recounting.
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Assignment(SQLModel, table=True):
    """Which agency answers which question (defaults from the catalogue; the DP3A changes it)."""

    __table_args__ = (UniqueConstraint("assessment_id", "question_code", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_code: str = Field(max_length=40)
    agency_id: int = Field(foreign_key="agency.id", index=True)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("assessment_id", "question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_code: str = Field(max_length=40)
    option: str | None = Field(default=None, max_length=40)
    value: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 4), nullable=True))
    note: str = Field(default="", max_length=4000)
    not_applicable: bool = False
    status: AnswerStatus = Field(default=AnswerStatus.DRAFT, max_length=20)
    # Optimistic locking: a save must name the version it started from.
    version: int = 1
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class StoredFile(SQLModel, table=True):
    """File content, stored once by SHA-256 however often it is attached."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    """A file attached to an answer (a link of a library `Document` to a question). Removing one keeps
    the row: old versions stay visible."""

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    sha256: str = Field(foreign_key="storedfile.sha256", index=True, max_length=64)
    filename: str = Field(max_length=160)
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id")
    # The library document this file is (`app.models.documents.Document`, same sha256): every link of
    # one document to a question is an Evidence row naming it. Set on every row since migration 0009.
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)


class ReviewEvent(SQLModel, table=True):
    """A decision or a submission on an answer. Never edited afterwards."""

    # The reminder scans (`app/notices/`) read the recent events of every kab/kota on every tick.
    __table_args__ = (Index("ix_reviewevent_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    stage: Stage = Field(sa_type=EnumText(Stage))
    action: ReviewAction = Field(sa_type=EnumText(ReviewAction))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=4000)
    # A verifier's own figure for the question (never above the self-assessed points).
    score: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 2), nullable=True))
    user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class CarryOver(SQLModel, table=True):
    """An answer of last cycle proposed for this one; the DP3A accepts or rejects each."""

    __table_args__ = (UniqueConstraint("assessment_id", "question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_code: str = Field(max_length=40)  # the code in the new instrument
    source_answer_id: int = Field(foreign_key="answer.id")
    status: CarryStatus = Field(default=CarryStatus.PROPOSED, sa_type=EnumText(CarryStatus))
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


class Reopening(SQLModel, table=True):
    """A verifier hands one answer back to the kab/kota for a short window (the 2x24 hours practice)."""

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    stage: Stage = Field(sa_type=EnumText(Stage))
    until: datetime
    note: str = Field(default="", max_length=4000)
    opened_by: int = Field(foreign_key="user.id")
    opened_at: datetime = Field(default_factory=utcnow)
    # Set when a verifier approves the answer before the deadline: the kab/kota must not change what
    # was just approved (a return leaves the window open until its deadline).
    closed_at: datetime | None = None

    @classmethod
    def open_at(cls, now: datetime) -> ColumnElement[bool]:
        """SQL: the reopenings whose window is open at `now`."""
        return (col(cls.until) > now) & (col(cls.closed_at).is_(None))


class Seen(SQLModel, table=True):
    """When a user last looked at an answer: drives "unread" and "changed since you looked"."""

    __table_args__ = (UniqueConstraint("user_id", "answer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only log; each entry carries the hash of the one before it in its chain.

    `chain` is the kab/kota code ("" for national actions): each kab/kota has its own chain, so
    that writes in different regions do not queue for one lock. NULL: an entry written before
    chains were split (migration 0005), a link of the single chain of those days.
    """

    __table_args__ = (Index("ix_auditentry_chain_id", "chain", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=80)
    regency_code: str | None = Field(default=None, max_length=5, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
    chain: str | None = Field(default=None, max_length=5)


def saved_id(row_id: int | None) -> int:
    """The id of a row that has been flushed or read. SQLModel types every id optional (a row not yet
    written has none); code past the flush says so with this instead of an assert at each use."""
    if row_id is None:
        raise ValueError("the row has not been written yet")
    return row_id
