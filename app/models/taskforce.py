"""Tables of the Gugus Tugas (the kab/kota's KLA task force) and the year between evaluations: the task
force and its cluster coordinators, meetings and activities linked to questions, and the action plan
(RAD KLA) with its progress reports. Rules: `app/services/taskforce/`.

All of it belongs to one assessment (a kab/kota in one cycle), as the document library does: an SK,
minutes, attendance lists and photos are library `Document`s, and linking a meeting to a question
links its documents as that question's evidence.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.core import EnumText, utcnow

# -- the task force ----------------------------------------------------------------------------------


class TaskForce(SQLModel, table=True):
    """The Gugus Tugas KLA of a kab/kota for the cycle: its SK, its chair and its secretariat, and
    whether the cluster coordinators review their cluster's answers before the DP3A (off by default;
    the DP3A switches it on)."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", unique=True)
    sk_document_id: int | None = Field(default=None, foreign_key="document.id")  # the SK Gugus Tugas
    chair_agency_id: int | None = Field(default=None, foreign_key="agency.id")  # often Bappeda or the Setda
    chair_name: str = Field(default="", max_length=160)  # the person or office as the SK names it
    secretariat_agency_id: int | None = Field(default=None, foreign_key="agency.id")  # the DP3A
    coordinator_review: bool = False
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class ClusterCoordinator(SQLModel, table=True):
    """The coordinator of one part of the instrument (a cluster, or the institutional part) in the task
    force: an agency's account. One per part; one account may coordinate several."""

    __table_args__ = (UniqueConstraint("assessment_id", "part_code", name="uq_coordinator_part"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    part_code: str = Field(max_length=20)  # the catalogue's part code (KL, K1 ... K5, KD)
    user_id: int = Field(foreign_key="user.id", index=True)
    appointed_by: int = Field(foreign_key="user.id")
    appointed_at: datetime = Field(default_factory=utcnow)


# -- meetings and activities -------------------------------------------------------------------------


class MeetingKind(StrEnum):
    """What a meeting or activity of the task force is."""

    COORDINATION = "coordination"  # rapat koordinasi
    TPPO = "tppo"  # rapat koordinasi pencegahan TPPO / perlindungan anak
    SOCIALISATION = "socialisation"  # sosialisasi
    TRAINING = "training"  # pelatihan KHA
    MONITORING = "monitoring"  # monitoring dan evaluasi
    CHILD_FORUM = "child_forum"  # musrenbang / konsultasi anak, Forum Anak
    OTHER = "other"


class MeetingDocumentRole(StrEnum):
    """What a document is to the meeting."""

    INVITATION = "invitation"  # undangan
    MINUTES = "minutes"  # notulen / berita acara
    ATTENDANCE = "attendance"  # daftar hadir
    PHOTO = "photo"  # foto kegiatan
    OTHER = "other"  # materi, laporan


class Meeting(SQLModel, table=True):
    """A meeting or activity of the task force. Removing one keeps the row (its links are audited)."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    title: str = Field(max_length=300)
    kind: MeetingKind = Field(default=MeetingKind.COORDINATION, sa_type=EnumText(MeetingKind))
    held_on: date
    place: str = Field(default="", max_length=200)
    agenda: str = Field(default="", max_length=4000)
    summary: str = Field(default="", max_length=4000)  # what was agreed: the minutes in a few lines
    # Bodies outside the kab/kota's agencies, one per line: Polres, Kejaksaan, Pengadilan Agama, Forum Anak, TP-PKK
    outside_participants: str = Field(default="", max_length=2000)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id")


class MeetingAgency(SQLModel, table=True):
    """An agency of the kab/kota that took part."""

    __table_args__ = (UniqueConstraint("meeting_id", "agency_id", name="uq_meeting_agency"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")


class MeetingDocument(SQLModel, table=True):
    """A library document of the meeting (minutes, attendance list, photos ...)."""

    __table_args__ = (UniqueConstraint("meeting_id", "document_id", name="uq_meeting_document"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    role: MeetingDocumentRole = Field(default=MeetingDocumentRole.OTHER, sa_type=EnumText(MeetingDocumentRole))


class MeetingQuestion(SQLModel, table=True):
    """A question the meeting serves as evidence for: its documents are linked to that question's answer."""

    __table_args__ = (UniqueConstraint("meeting_id", "question_code", name="uq_meeting_question"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    question_code: str = Field(max_length=40)
    linked_by: int = Field(foreign_key="user.id")
    linked_at: datetime = Field(default_factory=utcnow)


# -- RAD KLA -----------------------------------------------------------------------------------------


class RadStatus(StrEnum):
    """Where an activity of the action plan stands."""

    PLANNED = "planned"
    ONGOING = "ongoing"
    DONE = "done"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


class RadActivity(SQLModel, table=True):
    """An activity of the action plan (Rencana Aksi Daerah KLA) for one indicator, the agency that
    carries it out, the year, its budget and where it stands (the latest report's)."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    indicator_code: str = Field(max_length=20)
    title: str = Field(max_length=300)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    year: int
    budget: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2), nullable=True))  # rupiah
    target: str = Field(default="", max_length=300)  # the output promised ("12 sekolah", "1 Perwal")
    status: RadStatus = Field(default=RadStatus.PLANNED, sa_type=EnumText(RadStatus))
    progress: int = 0  # percent, 0..100: the latest report's
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id")


class RadReport(SQLModel, table=True):
    """A progress report on an activity by its agency (or the DP3A), with evidence. Appended, never
    edited: the latest sets the activity's status and progress."""

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="radactivity.id", index=True)
    status: RadStatus = Field(sa_type=EnumText(RadStatus))
    progress: int  # percent, 0..100
    realised: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2), nullable=True))  # rupiah spent
    note: str = Field(default="", max_length=4000)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    reported_by: int = Field(foreign_key="user.id")
    reported_at: datetime = Field(default_factory=utcnow)
