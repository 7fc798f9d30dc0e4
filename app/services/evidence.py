"""Attaching, reusing and removing evidence files on answers, and who may see which file.

The bytes live in the content-addressed store (app.evidence); the database
keeps one `StoredFile` per content and one `Evidence` row per attachment, so a
file reused on another question costs no second copy. Removing an attachment
keeps its row (removed_at): earlier versions stay visible to reviewers.

Sensitive files (`EvidenceAccess`) are the one rule every path that names, counts, opens,
copies, removes, carries over or exports evidence goes through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session, col, select

from app import access
from app.evidence import EvidenceStore, RefusedFile, StoredFile, safe_filename
from app.i18n import gettext as _
from app.models import Answer, Assessment, Assignment, Document, Evidence, Role, User, saved_id, utcnow
from app.models import StoredFile as StoredFileRow
from app.services import audit, documents
from indicators import Catalogue

if TYPE_CHECKING:
    from starlette.datastructures import UploadFile

    from app.deps import Place


class FileRow(Protocol):
    """An `Evidence` row, or a plain row of its columns (what the review desk reads)."""

    id: int | None
    sha256: str
    filename: str
    removed_at: datetime | None


@dataclass
class UploadResult:
    filename: str
    evidence: Evidence | None = None
    refused: RefusedFile | None = None


def register(session: Session, stored: StoredFile) -> None:
    if session.get(StoredFileRow, stored.sha256) is None:
        session.add(StoredFileRow(sha256=stored.sha256, size=stored.size, media_type=stored.media_type,
                                  kind=stored.kind))
        session.flush()


def attach(
    session: Session,
    assessment: Assessment,
    answer: Answer,
    stored: StoredFile,
    original_name: str,
    user: User,
) -> Evidence:
    register(session, stored)
    filename = safe_filename(original_name, stored.extension)
    document = documents.library_document(session, answer.assessment_id, stored.sha256, filename, user)
    evidence = documents.link(session, saved_id(answer.id), document, user, filename)
    audit.record(session, user, "evidence.upload", "evidence", evidence.id, regency_code=assessment.regency_code,
                 after={"question": answer.question_code, "file": evidence.filename, "sha256": stored.sha256,
                        "size": stored.size})
    return evidence


async def store_upload(store: EvidenceStore, upload: UploadFile) -> StoredFile:
    """Stream an UploadFile into the store (hashing, counting, sniffing on the way)."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await upload.read(256 * 1024):
            yield chunk

    return await store.save_stream(chunks())


def already_attached(session: Session, answer_id: int, sha256: str) -> Evidence | None:
    """The current attachment of these bytes to this answer, if any: attaching them again (a double
    click, the same file uploaded twice) changes nothing. Callers hold the answer's row
    (`answers.lock_answers`), so two requests at once see each other's attachment."""
    return session.exec(select(Evidence).where(Evidence.answer_id == answer_id, Evidence.sha256 == sha256,
                                               col(Evidence.removed_at).is_(None))).first()


def reuse(session: Session, assessment: Assessment, answer: Answer, source: Evidence, user: User) -> Evidence:
    document = (session.get(Document, source.document_id) if source.document_id is not None
                else documents.library_document(session, answer.assessment_id, source.sha256, source.filename, user))
    assert document is not None  # a foreign key
    evidence = documents.link(session, saved_id(answer.id), document, user, source.filename)
    audit.record(session, user, "evidence.reuse", "evidence", evidence.id, regency_code=assessment.regency_code,
                 after={"question": answer.question_code, "file": evidence.filename, "from": source.id})
    return evidence


def remove(session: Session, assessment: Assessment, evidence: Evidence, user: User) -> None:
    evidence.removed_at = utcnow()
    evidence.removed_by = user.id
    session.add(evidence)
    audit.record(session, user, "evidence.remove", "evidence", evidence.id, regency_code=assessment.regency_code,
                 before={"file": evidence.filename, "sha256": evidence.sha256})


def attached(session: Session, answer_id: int) -> list[Evidence]:
    """Every attachment of an answer, current first, then removed ones (newest first)."""
    rows = session.exec(select(Evidence).where(Evidence.answer_id == answer_id).order_by(col(Evidence.id).desc())).all()
    return sorted(rows, key=lambda e: e.removed_at is not None)


def reusable(session: Session, assessment_id: int, question_codes: list[str] | None,
             exclude: list[str] | None = None) -> list[Evidence]:
    """Files already attached in this assessment that the user may attach again (one per content),
    except those of the `exclude` questions."""
    query = (
        select(Evidence)
        .join(Answer, col(Answer.id) == col(Evidence.answer_id))
        .where(Answer.assessment_id == assessment_id, col(Evidence.removed_at).is_(None))
        .order_by(col(Evidence.id).desc())
    )
    if question_codes is not None:
        query = query.where(col(Answer.question_code).in_(question_codes))
    if exclude:
        query = query.where(col(Answer.question_code).notin_(exclude))
    seen: set[str] = set()
    result = []
    for evidence in session.exec(query):
        if evidence.sha256 not in seen:
            seen.add(evidence.sha256)
            result.append(evidence)
    return result


# -- sensitive files -------------------------------------------------------------------------


def sensitive_refusal() -> str:
    """Why a file cannot go onto this question (`EvidenceAccess.may_attach` said no)."""
    return _("A file of a sensitive question cannot be attached to a question that is not sensitive: "
             "it can name child victims.")


def sensitive_codes(catalogue: Catalogue) -> list[str]:
    return [code for code, ref in catalogue.questions.items() if ref.question.sensitive]


def sensitive_contents(session: Session, catalogue: Catalogue, regency_code: str) -> set[str]:
    """The SHA-256 of every file whose content entered this kab/kota on a sensitive question: its
    first current attachment here (the lowest `Evidence` id with that content, in any cycle, not
    removed) is on a sensitive question. Removed attachments do not count: a file put on a sensitive
    question by mistake (an agency's Perda on 22A.2) is released by removing it there, instead of
    staying sensitive for good. One read, of the rows sharing content with a sensitive question's files."""
    codes = sensitive_codes(catalogue)
    if not codes:
        return set()
    in_region = (select(Evidence.sha256, Evidence.id, Answer.question_code)
                 .join(Answer, col(Answer.id) == col(Evidence.answer_id))
                 .join(Assessment, col(Assessment.id) == col(Answer.assessment_id))
                 .where(Assessment.regency_code == regency_code, col(Evidence.removed_at).is_(None)))
    on_sensitive = (select(Evidence.sha256).join(Answer, col(Answer.id) == col(Evidence.answer_id))
                    .join(Assessment, col(Assessment.id) == col(Answer.assessment_id))
                    .where(Assessment.regency_code == regency_code, col(Answer.question_code).in_(codes),
                           col(Evidence.removed_at).is_(None)))
    first: dict[str, tuple[int, str]] = {}
    for sha256, evidence_id, code in session.exec(in_region.where(col(Evidence.sha256).in_(on_sensitive))):
        assert evidence_id is not None  # a stored row's
        if sha256 not in first or evidence_id < first[sha256][0]:
            first[sha256] = (evidence_id, code)
    wanted = set(codes)
    return {sha256 for sha256, (_id, code) in first.items() if code in wanted}


class EvidenceAccess:
    """What one user may do with the evidence files of one kab/kota's assessment: the one place
    for the rule on sensitive files (they can name child victims).

    A file (an `Evidence` row) is *sensitive* when
    - the question it is attached to is sensitive, or
    - its content (SHA-256) entered this kab/kota on a sensitive question: the first current
      attachment of those bytes here, in any cycle, is on a sensitive question (`sensitive_contents`).
    The second half matters because attachments share their bytes: a reused, carried-over or
    re-uploaded copy serves the same file, so a copy on an ordinary question (such as those the
    old reuse let through) must not open what the sensitive original keeps closed.
    Content that entered on an ordinary question stays ordinary when it is also attached to a
    sensitive one (an SK or a Perda used as evidence there too): the agencies had it already, and
    hiding it then would make their own files vanish from their questions. Its copy on the
    sensitive question is closed to them like any file of that question.

    Who may see a file (name it, open it, copy it, remove it): the DP3A of the kab/kota every file;
    a focal point the files of the questions assigned to its agency, except sensitive ones; the
    province's verifiers and the ministry every file once the assessment is submitted (the guards
    of their routes admit them only then). Counts are not names: a focal point may learn how many
    files a question of its own holds (a sensitive question needs its file like any other).

    A sensitive file is never attached to a question that is not sensitive (`may_attach`), and
    every opening of a sensitive file is written to the audit log (`record_opening`).

    A question code today's instrument does not know (an older instrument's, a retired question)
    counts as sensitive: nobody can tell what its files hold, so agencies do not open them.
    """

    def __init__(self, session: Session, catalogue: Catalogue, user: User, *, regency_code: str, province_code: str,
                 assessment_id: int, stage: str, on_team: bool = False) -> None:
        self.session, self.catalogue, self.user = session, catalogue, user
        self.regency_code, self.assessment_id = regency_code, assessment_id
        # `on_team`: the field team of the kab/kota (`app.deps.on_team`), who verify the sensitive
        # questions too: without it a verifier on the team never opens their files.
        self.sees_sensitive = access.may_open_sensitive(user, regency_code, province_code, stage, on_team)
        self._contents: set[str] | None = None
        self._own_codes: set[str] | None = None

    @classmethod
    def of(cls, session: Session, catalogue: Catalogue, user: User, place: Place,
           on_team: bool = False) -> EvidenceAccess:
        """For the assessment a route's guard resolved (`app.deps.Place`) and has admitted the user to;
        `on_team`: the user is on its field team (`app.deps.on_team`)."""
        return cls(session, catalogue, user, regency_code=place.regency.code,
                   province_code=place.regency.province_code, assessment_id=saved_id(place.assessment.id),
                   stage=place.assessment.stage, on_team=on_team)

    def question_sensitive(self, code: str) -> bool:
        ref = self.catalogue.questions.get(code)
        return ref is None or ref.question.sensitive

    def content_sensitive(self, sha256: str) -> bool:
        if self._contents is None:
            self._contents = sensitive_contents(self.session, self.catalogue, self.regency_code)
        return sha256 in self._contents

    def is_sensitive(self, evidence: FileRow, question_code: str) -> bool:
        """`evidence`: an Evidence row (or a plain row with its columns) attached to `question_code`."""
        return self.question_sensitive(question_code) or self.content_sensitive(evidence.sha256)

    def _on_own_question(self, question_code: str) -> bool:
        if self.user.role != Role.OPD:
            return True
        if self._own_codes is None:
            self._own_codes = set(self.session.exec(select(Assignment.question_code).where(
                Assignment.assessment_id == self.assessment_id, Assignment.agency_id == self.user.agency_id)))
        return question_code in self._own_codes

    def may_see(self, evidence: FileRow, question_code: str) -> bool:
        """Name, open, copy or remove this file (attached to `question_code` of this assessment)."""
        if not self._on_own_question(question_code):
            return False
        return self.sees_sensitive or not self.is_sensitive(evidence, question_code)

    def split(self, rows: Iterable[FileRow], question_code: str) -> tuple[list[FileRow], int]:
        """The rows of one question this user may see (current and removed), and how many current
        ones it may not (counted, never named)."""
        shown, hidden = [], 0
        for row in rows:
            if self.may_see(row, question_code):
                shown.append(row)
            elif row.removed_at is None:
                hidden += 1
        return shown, hidden

    def may_attach(self, sha256: str, target_code: str) -> bool:
        """A sensitive file goes onto sensitive questions only."""
        return self.question_sensitive(target_code) or not self.content_sensitive(sha256)

    def offerable(self, rows: Iterable[FileRow]) -> list[FileRow]:
        """Of files on ordinary questions (offered for reuse), those that are not sensitive."""
        return [row for row in rows if not self.content_sensitive(row.sha256)]

    def record_opening(self, evidence: FileRow, question_code: str) -> None:
        """Served a file: a sensitive one leaves an "opened" entry in the audit log (the route commits)."""
        if self.is_sensitive(evidence, question_code):
            audit.record(self.session, self.user, "evidence.download", "evidence", evidence.id,
                         regency_code=self.regency_code, after={"file": evidence.filename, "sensitive": True})

    def attached(self) -> None:
        """A file was attached since this was asked: which contents are sensitive is read again (an
        attachment to a sensitive question makes its content sensitive when it is its first here)."""
        self._contents = None
