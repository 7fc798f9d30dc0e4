"""The document library of a kab/kota in one cycle: each evidence file is a `Document` with its
metadata, entered once and linked to every question it serves (each link an `Evidence` row).

Who may see a document is `EvidenceAccess`'s rule on the files that are its links (a document with
no link yet: its uploader's agency and the DP3A).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.models import Document, Evidence, Role, User, saved_id


def library_document(session: Session, assessment_id: int, sha256: str, filename: str, user: User) -> Document:
    """The document of these bytes in this assessment's library, or a new, untitled one: the same
    content uploaded twice in one cycle is one document (its metadata entered once)."""
    found = session.exec(select(Document).where(Document.assessment_id == assessment_id, Document.sha256 == sha256,
                                                col(Document.removed_at).is_(None))
                         .order_by(col(Document.id))).first()
    if found is not None:
        return found
    document = Document(assessment_id=assessment_id, sha256=sha256, filename=filename,
                        agency_id=user.agency_id if user.role == Role.OPD else None, created_by=saved_id(user.id))
    session.add(document)
    session.flush()
    return document


def link(session: Session, answer_id: int, document: Document, user: User, filename: str | None = None) -> Evidence:
    """Attach a document to an answer: a new `Evidence` row naming it (the caller audits)."""
    evidence = Evidence(answer_id=answer_id, sha256=document.sha256, filename=filename or document.filename,
                        uploaded_by=saved_id(user.id), document_id=saved_id(document.id))
    session.add(evidence)
    session.flush()
    return evidence


def carry_document(session: Session, assessment_id: int, source: Document, user: User) -> Document:
    """The copy in this cycle's library of a document of an earlier cycle, marked as carried over
    (`carried_from`), with its metadata; one copy however many answers bring it along."""
    found = session.exec(select(Document).where(Document.assessment_id == assessment_id,
                                                Document.sha256 == source.sha256,
                                                col(Document.removed_at).is_(None))
                         .order_by(col(Document.id))).first()
    if found is not None:
        return found
    document = Document(assessment_id=assessment_id, sha256=source.sha256, filename=source.filename,
                        kind=source.kind, title=source.title, number=source.number, issued_on=source.issued_on,
                        year=source.year, issuer=source.issuer, valid_until=source.valid_until,
                        extracted=dict(source.extracted), agency_id=source.agency_id,
                        carried_from=saved_id(source.id), created_by=saved_id(user.id))
    session.add(document)
    session.flush()
    return document


def adopt_unlinked(session: Session, assessment_id: int) -> None:
    """Give every attachment of this assessment without a document one (one per content), as
    migration 0009 did for the files that existed before the library: for bulk writers (the demo)
    that insert `Evidence` rows by the thousand instead of through `link`."""
    session.flush()
    session.execute(text("""
        INSERT INTO document (assessment_id, sha256, filename, kind, title, number, issuer, extracted,
                              created_by, created_at)
        SELECT a.assessment_id, e.sha256, MIN(e.filename), 'other', '', '', '', '{}',
               MIN(e.uploaded_by), MIN(e.uploaded_at)
        FROM evidence e JOIN answer a ON a.id = e.answer_id
        WHERE a.assessment_id = :assessment AND e.document_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM document d WHERE d.assessment_id = a.assessment_id
                          AND d.sha256 = e.sha256 AND d.removed_at IS NULL)
        GROUP BY a.assessment_id, e.sha256
    """), {"assessment": assessment_id})
    session.execute(text("""
        UPDATE evidence SET document_id = (
            SELECT MIN(d.id) FROM document d JOIN answer a ON a.assessment_id = d.assessment_id
            WHERE a.id = evidence.answer_id AND d.sha256 = evidence.sha256 AND d.removed_at IS NULL)
        WHERE document_id IS NULL
          AND answer_id IN (SELECT id FROM answer WHERE assessment_id = :assessment)
    """), {"assessment": assessment_id})
