"""Tables of the season after the province: stage changes, field verification, the award, and
the recommendations the kab/kota follows up (rules: `app/services/season.py`, `field.py`,
`award.py`, `recommendations.py`). Review decisions of every stage stay `ReviewEvent`s."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.core import EnumText, utcnow
from scoring import Move, Stage


class StageChange(SQLModel, table=True):
    """An assessment moved from one stage to another (`scoring.season.Move`): the season's timeline."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    move: Move = Field(sa_type=EnumText(Move))
    from_stage: Stage = Field(sa_type=EnumText(Stage))
    to_stage: Stage = Field(sa_type=EnumText(Stage))
    note: str = Field(default="", max_length=4000)
    user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


# -- field verification -----------------------------------------------------------------------------


class FieldMode(StrEnum):
    ONLINE = "online"  # sessions with the task force online
    SITE = "site"  # visits on site
    HYBRID = "hybrid"  # both


class ActivityKind(StrEnum):
    ONLINE_SESSION = "online_session"  # with the Gugus Tugas
    SITE_VISIT = "site_visit"  # Polres, Puskesmas, a school, UPTD PPA, Puspaga...
    CHILD_INTERVIEW = "child_interview"  # Forum Anak: always sensitive
    DOCUMENT_CHECK = "document_check"  # originals, legalisation


class FieldSchedule(SQLModel, table=True):
    """When and how the ministry verifies one kab/kota in the field."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", unique=True)
    starts_on: date
    ends_on: date
    mode: FieldMode = Field(default=FieldMode.HYBRID, sa_type=EnumText(FieldMode))
    note: str = Field(default="", max_length=4000)
    scheduled_by: int = Field(foreign_key="user.id")
    scheduled_at: datetime = Field(default_factory=utcnow)


class FieldTeamMember(SQLModel, table=True):
    """A verifier on the field team of one kab/kota (members may come from several ministries)."""

    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    lead: bool = False
    added_by: int = Field(foreign_key="user.id")
    added_at: datetime = Field(default_factory=utcnow)


class FieldActivity(SQLModel, table=True):
    """One session or visit of field verification."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    on: date
    kind: ActivityKind = Field(sa_type=EnumText(ActivityKind))
    place: str = Field(default="", max_length=200)  # "Polres Pulang Pisau", "Zoom"...
    note: str = Field(default="", max_length=4000)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Finding(SQLModel, table=True):
    """What the field team found about one indicator. Score adjustments are FIELD review events on
    its questions. A sensitive finding (an interview with children) is seen by the team and the
    ministry only."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    indicator_code: str = Field(max_length=40)
    activity_id: int | None = Field(default=None, foreign_key="fieldactivity.id")
    text: str = Field(max_length=4000)
    sensitive: bool = False
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class FindingFile(SQLModel, table=True):
    """A photo, minutes or other file of a finding (stored once in the evidence store)."""

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    sha256: str = Field(foreign_key="storedfile.sha256", max_length=64)
    filename: str = Field(max_length=160)
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id")


# -- the award ------------------------------------------------------------------------------------


class Award(SQLModel, table=True):
    """The category the ministry fixes for one kab/kota. The bands decide (`band_category`, from the
    final total); a different `category` needs a written `reason`."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", unique=True)
    total: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))  # the final score
    band_category: str = Field(max_length=40)  # what the bands give the total ("" below Pratama)
    category: str = Field(max_length=40)  # what the ministry fixed ("" for no award)
    reason: str = Field(default="", max_length=4000)
    decided_by: int = Field(foreign_key="user.id")
    decided_at: datetime = Field(default_factory=utcnow)


# -- recommendations --------------------------------------------------------------------------------


class RecommendationStatus(StrEnum):
    OPEN = "open"  # made by a reviewer, not yet given to an agency
    ASSIGNED = "assigned"  # the DP3A gave it to one or more agencies with a due date
    REPORTED = "reported"  # an agency reported its follow-up
    CLOSED = "closed"  # the DP3A closed it


class Recommendation(SQLModel, table=True):
    """A reviewer's note turned into a recommendation (rekomendasi) for the kab/kota, at any stage,
    tied to an indicator and perhaps one question."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    stage: Stage = Field(sa_type=EnumText(Stage))
    indicator_code: str = Field(max_length=40)
    question_code: str | None = Field(default=None, max_length=40)
    text: str = Field(max_length=4000)
    source_event_id: int | None = Field(default=None, foreign_key="reviewevent.id")
    status: RecommendationStatus = Field(default=RecommendationStatus.OPEN, sa_type=EnumText(RecommendationStatus))
    due_on: date | None = None
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = None
    close_note: str = Field(default="", max_length=4000)


class RecommendationAgency(SQLModel, table=True):
    """An agency the DP3A gave a recommendation to."""

    __table_args__ = (UniqueConstraint("recommendation_id", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)


class FollowUp(SQLModel, table=True):
    """An agency's report of what it did about a recommendation."""

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    note: str = Field(max_length=4000)
    user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class FollowUpFile(SQLModel, table=True):
    """Evidence of a follow-up (stored once in the evidence store)."""

    id: int | None = Field(default=None, primary_key=True)
    follow_up_id: int = Field(foreign_key="followup.id", index=True)
    sha256: str = Field(foreign_key="storedfile.sha256", max_length=64)
    filename: str = Field(max_length=160)
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
