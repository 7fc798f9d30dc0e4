"""Database tables (SQLModel). `core`: regions, accounts, cycles, answers, evidence, review, audit;
`season`: stage changes, field verification, the award, recommendations; `documents`: the document
library, yearly figures, Kelana/Dekela records, the hand-off marks; `taskforce`: the Gugus Tugas, its
coordinators, meetings and the RAD KLA; `jobs`: the job runner's work. Callers import from here."""

from app.models.core import (
    Agency,
    Answer,
    AnswerStatus,
    Assessment,
    Assignment,
    AuditEntry,
    CarryOver,
    CarryStatus,
    Cycle,
    EnumText,
    Evidence,
    LoginAttempt,
    Province,
    Regency,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    Seen,
    StoredFile,
    User,
    UserSession,
    saved_id,
    utcnow,
)
from app.models.documents import (
    Area,
    AreaLevel,
    AreaRecord,
    Document,
    DocumentKind,
    Figure,
    HandoffMark,
)
from app.models.jobs import Job, JobState
from app.models.season import (
    ActivityKind,
    Award,
    FieldActivity,
    FieldMode,
    FieldSchedule,
    FieldTeamMember,
    Finding,
    FindingFile,
    FollowUp,
    FollowUpFile,
    Recommendation,
    RecommendationAgency,
    RecommendationStatus,
    StageChange,
)
from app.models.taskforce import (
    ClusterCoordinator,
    Meeting,
    MeetingAgency,
    MeetingDocument,
    MeetingDocumentRole,
    MeetingKind,
    MeetingQuestion,
    RadActivity,
    RadReport,
    RadStatus,
    TaskForce,
)
from app.models.uploads import Upload  # issue 25, tus: resumable uploads in progress

__all__ = [
    "ActivityKind", "Agency", "Area", "AreaLevel", "AreaRecord", "Document", "DocumentKind", "Figure",
    "HandoffMark", "Answer", "AnswerStatus", "Assessment", "Assignment", "AuditEntry", "Award",
    "CarryOver", "CarryStatus", "Cycle", "EnumText", "Evidence", "FieldActivity", "FieldMode", "FieldSchedule",
    "FieldTeamMember", "Finding", "FindingFile", "FollowUp", "FollowUpFile", "LoginAttempt", "Province",
    "Recommendation", "RecommendationAgency", "RecommendationStatus", "Regency", "Reopening", "ReviewAction",
    "ReviewEvent", "Role", "Seen", "StageChange", "StoredFile", "User", "UserSession", "saved_id", "utcnow",
    "ClusterCoordinator", "Job", "JobState", "Meeting", "MeetingAgency", "MeetingDocument", "MeetingDocumentRole",
    "MeetingKind", "MeetingQuestion", "RadActivity", "RadReport", "RadStatus", "TaskForce",
    "Upload",  # issue 25, tus
]
