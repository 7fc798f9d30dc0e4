"""Attaching, reusing and removing evidence files on answers.

The bytes live in the content-addressed store (app.evidence); the database
keeps one `StoredFile` per content and one `Evidence` row per attachment, so a
file reused on another question costs no second copy. Removing an attachment
keeps its row (removed_at): earlier versions stay visible to reviewers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.evidence import EvidenceStore, RefusedFile, StoredFile, safe_filename
from app.models import Answer, Assessment, Evidence, User, utcnow
from app.models import StoredFile as StoredFileRow
from app.services import audit


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
    evidence = Evidence(answer_id=answer.id, sha256=stored.sha256,
                        filename=safe_filename(original_name, stored.extension), uploaded_by=user.id)
    session.add(evidence)
    session.flush()
    audit.record(session, user, "evidence.upload", "evidence", evidence.id, regency_code=assessment.regency_code,
                 after={"question": answer.question_code, "file": evidence.filename, "sha256": stored.sha256,
                        "size": stored.size})
    return evidence


async def store_upload(store: EvidenceStore, upload) -> StoredFile:
    """Stream an UploadFile into the store (hashing, counting, sniffing on the way)."""

    async def chunks():
        while chunk := await upload.read(256 * 1024):
            yield chunk

    return await store.save_stream(chunks())


def reuse(session: Session, assessment: Assessment, answer: Answer, source: Evidence, user: User) -> Evidence:
    evidence = Evidence(answer_id=answer.id, sha256=source.sha256, filename=source.filename, uploaded_by=user.id)
    session.add(evidence)
    session.flush()
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
    rows = session.exec(select(Evidence).where(Evidence.answer_id == answer_id).order_by(Evidence.id.desc())).all()
    return sorted(rows, key=lambda e: e.removed_at is not None)


def reusable(session: Session, assessment_id: int, question_codes: list[str] | None,
             exclude: list[str] | None = None) -> list[Evidence]:
    """Files already attached in this assessment that the user may attach again (one per content),
    except those of the `exclude` questions."""
    query = (
        select(Evidence)
        .join(Answer, Answer.id == Evidence.answer_id)
        .where(Answer.assessment_id == assessment_id, Evidence.removed_at.is_(None))
        .order_by(Evidence.id.desc())
    )
    if question_codes is not None:
        query = query.where(Answer.question_code.in_(question_codes))
    if exclude:
        query = query.where(Answer.question_code.notin_(exclude))
    seen: set[str] = set()
    result = []
    for evidence in session.exec(query):
        if evidence.sha256 not in seen:
            seen.add(evidence.sha256)
            result.append(evidence)
    return result
