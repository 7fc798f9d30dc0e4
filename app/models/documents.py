"""Tables of evidence as documents, answers as data, Kelana/Dekela records and the hand-off to the
ministry's application (rules: `app/services/documents.py`, `figures.py`, `areas.py`, `handoff.py`).

An `Evidence` row stays what links a file to an answer; its `document_id` names the `Document` of the
kab/kota's library for that cycle that the file is, with its metadata. One Perda entered once serves
every question it is linked to: each link is an `Evidence` row pointing at the same document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.core import EnumText, utcnow

# -- documents -----------------------------------------------------------------------------------


class DocumentKind(StrEnum):
    """What a document is (jenis dokumen), as the ministry's application titles attachments."""

    PERDA = "perda"  # Peraturan Daerah
    PERKADA = "perkada"  # Peraturan Bupati / Peraturan Wali Kota
    SK = "sk"  # Surat Keputusan
    SURAT_EDARAN = "surat_edaran"
    SOP = "sop"
    REPORT = "report"  # laporan (kegiatan, pemantauan, profil)
    MINUTES = "minutes"  # notulen / berita acara
    PHOTO = "photo"
    MOU = "mou"  # MoU / perjanjian kerja sama
    BUDGET = "budget"  # potongan DPA / anggaran
    CERTIFICATE = "certificate"  # sertifikat (pelatihan KHA ...)
    NEWS = "news"  # kliping berita / publikasi
    DATA = "data"  # data, rekap, matriks
    OTHER = "other"


class Document(SQLModel, table=True):
    """A document of one kab/kota's library in one cycle (the assessment): a stored file with what
    a reviewer needs to know about it. Removing one keeps the row, like an `Evidence` row.

    One live document per content in a library: the same bytes uploaded twice, or by two requests at
    once, are one document (`documents.library_document` holds the kab/kota's row; the index backs it)."""

    __table_args__ = (Index("uq_document_live_content", "assessment_id", "sha256", unique=True,
                            sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    sha256: str = Field(foreign_key="storedfile.sha256", index=True, max_length=64)
    filename: str = Field(max_length=160)
    kind: DocumentKind = Field(default=DocumentKind.OTHER, sa_type=EnumText(DocumentKind))
    title: str = Field(default="", max_length=300)
    number: str = Field(default="", max_length=120)  # "Nomor 5 Tahun 2021", "188.45/123/2024"
    issued_on: date | None = None  # the date it bears, when known
    year: int | None = None  # its year: issued_on's, or the only thing known
    issuer: str = Field(default="", max_length=200)  # "Wali Kota Palangka Raya", "Dinas Kesehatan"
    valid_until: date | None = None  # where it applies (an SK of a term, a certificate)
    # What was read from the file when it was uploaded (PDF metadata, the first page's text): shown
    # as "read from the file" until a person confirms or changes it.
    extracted: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False,
                                                                             server_default="{}"))
    agency_id: int | None = Field(default=None, foreign_key="agency.id")  # the uploader's agency; None: DP3A
    # Carried over from the previous cycle's library (`carry_over`): the document it copies.
    carried_from: int | None = Field(default=None, foreign_key="document.id")
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id")


# -- answers as data -------------------------------------------------------------------------------


class Figure(SQLModel, table=True):
    """One year's figure of a data question (`Question.figures`): a numerator and, for a share, its
    denominator, in the unit the question declares (kept here as entered, for the exports)."""

    __table_args__ = (UniqueConstraint("answer_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    year: int
    numerator: Decimal = Field(sa_column=Column(Numeric(16, 4), nullable=False))
    denominator: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 4), nullable=True))
    unit: str = Field(default="", max_length=60)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


# -- Kelana/Dekela ---------------------------------------------------------------------------------


class AreaLevel(StrEnum):
    KECAMATAN = "kecamatan"
    DESA = "desa"  # desa or kelurahan


class Area(SQLModel, table=True):
    """A kecamatan or a desa/kelurahan (Kemendagri codes, from npm `idn-area-data`, ODbL)."""

    code: str = Field(primary_key=True, max_length=13)  # "62.71.01" / "62.71.01.1001"
    level: AreaLevel = Field(sa_type=EnumText(AreaLevel))
    regency_code: str = Field(foreign_key="regency.code", index=True, max_length=5)
    parent_code: str | None = Field(default=None, max_length=8)  # a desa's kecamatan
    name: str = Field(max_length=100)


class AreaRecord(SQLModel, table=True):
    """Whether one kecamatan or desa meets one Kelana/Dekela question's criterion in one cycle."""

    __table_args__ = (UniqueConstraint("assessment_id", "area_code", "question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    area_code: str = Field(foreign_key="area.code", max_length=13)
    question_code: str = Field(max_length=40)
    meets: bool = False
    note: str = Field(default="", max_length=1000)
    document_id: int | None = Field(default=None, foreign_key="document.id")  # its evidence
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


# -- the hand-off to the ministry's application ------------------------------------------------------


class HandoffMark(SQLModel, table=True):
    """The DP3A's "sudah diunggah" tick of one question in the ministry's application, and that
    application's own score (Nilai EM) for it when the DP3A records it."""

    __table_args__ = (UniqueConstraint("assessment_id", "question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    question_code: str = Field(max_length=40)
    entered: bool = False
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    entered_at: datetime | None = None
    official_score: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 2), nullable=True))
    official_by: int | None = Field(default=None, foreign_key="user.id")
    official_at: datetime | None = None
