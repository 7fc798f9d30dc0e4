"""The document library of a kab/kota in one cycle: each evidence file is a `Document` with its
metadata, entered once and linked to every question it serves (each link an `Evidence` row).

Who may see a document is `EvidenceAccess`'s rule on the files that are its links (a document with
no link yet: its uploader's agency and the DP3A).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.evidence import metadata
from app.evidence.metadata import Extracted
from app.i18n import N_
from app.i18n import gettext as _
from app.models import Assessment, Document, DocumentKind, Evidence, Role, User, saved_id, utcnow
from app.refusals import NotAllowed, Refusal
from app.services import answers as answer_service
from app.services import audit
from app.services.locks import hold

if TYPE_CHECKING:
    from app.deps import Place


def live_document(session: Session, assessment_id: int, sha256: str) -> Document | None:
    """The library's current document of these bytes, if there is one."""
    return session.exec(select(Document).where(Document.assessment_id == assessment_id, Document.sha256 == sha256,
                                               col(Document.removed_at).is_(None))
                        .order_by(col(Document.id))).first()


def library_document(session: Session, assessment_id: int, sha256: str, filename: str, user: User) -> Document:
    """The document of these bytes in this assessment's library, or a new, untitled one: the same
    content uploaded twice in one cycle is one document (its metadata entered once). Two uploads of the
    same content at once: the kab/kota's row orders them, so the second finds the first's document (a
    partial unique index, `uq_document_live_content`, backs this)."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is not None:
        hold(session, assessment)
    found = live_document(session, assessment_id, sha256)
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


# -- metadata ----------------------------------------------------------------------------------------

KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.PERDA: N_("Regional regulation (Perda)"),
    DocumentKind.PERKADA: N_("Regent's or mayor's regulation (Perbup/Perwal)"),
    DocumentKind.SK: N_("Decree (SK)"),
    DocumentKind.SURAT_EDARAN: N_("Circular (Surat Edaran)"),
    DocumentKind.SOP: N_("Standard operating procedure (SOP)"),
    DocumentKind.REPORT: N_("Report"),
    DocumentKind.MINUTES: N_("Minutes"),
    DocumentKind.PHOTO: N_("Photo"),
    DocumentKind.MOU: N_("MoU or cooperation agreement"),
    DocumentKind.BUDGET: N_("Budget extract (DPA)"),
    DocumentKind.CERTIFICATE: N_("Certificate"),
    DocumentKind.NEWS: N_("News clipping"),
    DocumentKind.DATA: N_("Data or recapitulation"),
    DocumentKind.OTHER: N_("Other"),
}
MIN_YEAR = 1945


def kind_label(kind: str) -> str:
    """The kind's name in the UI language; an unknown value as it is."""
    try:
        return _(KIND_LABELS[DocumentKind(kind)])
    except (ValueError, KeyError):
        return str(kind)


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, kind_label(kind)) for kind in DocumentKind]


def prefill(document: Document, found: Extracted) -> bool:
    """Keep what was read from the file in `extracted` and copy it into the fields a person has not
    filled yet; whether anything changed. Run once per document (its `extracted` is then set)."""
    if document.extracted or found.empty:
        return False
    document.extracted = found.as_dict()
    if found.kind and document.kind == DocumentKind.OTHER:
        document.kind = DocumentKind(found.kind)
    for field in ("title", "number", "issuer"):
        if not getattr(document, field) and getattr(found, field):
            setattr(document, field, getattr(found, field))
    if document.issued_on is None and found.issued_on is not None:
        document.issued_on = found.issued_on
    if document.year is None and found.year is not None:
        document.year = found.year
    return True


def prefill_from_file(session: Session, document_id: int | None, path: Path, stored_kind: str) -> Document | None:
    """`prefill` a document from its stored file (`stored_kind`: the sniffed kind, "pdf", "jpeg" ...)."""
    document = session.get(Document, document_id) if document_id is not None else None
    if document is None or document.extracted:
        return document
    if prefill(document, metadata.extract_file(path, stored_kind)):
        session.add(document)
        session.flush()
    return document


@dataclass
class MetadataInput:
    """The metadata form as typed (strings): `update_metadata` reads and checks it."""

    kind: str = ""
    title: str = ""
    number: str = ""
    issued_on: str = ""
    year: str = ""
    issuer: str = ""
    valid_until: str = ""


_FIELDS = ("kind", "title", "number", "issued_on", "year", "issuer", "valid_until")


def parse_date(text: str, label: str) -> date | None:
    """A date as a date field sends it (2024-01-12) or as people type it (12-01-2024, 12/01/2024)."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            value = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if MIN_YEAR <= value.year <= 2100:
            return value
    raise Refusal(_("%(field)s is not a date: write it as dd-mm-yyyy, for example 12-01-2024.") % {"field": label})


def _checked(data: MetadataInput, max_year: int) -> dict[str, object]:
    try:
        kind = DocumentKind(data.kind.strip() or DocumentKind.OTHER)
    except ValueError as exc:
        raise Refusal(_("Choose the kind of document from the list.")) from exc
    issued_on = parse_date(data.issued_on, _("The date"))
    valid_until = parse_date(data.valid_until, _("Valid until"))
    year: int | None = None
    if data.year.strip():
        text = data.year.strip()
        if not (text.isascii() and text.isdigit() and len(text) == 4):
            raise Refusal(_("The year is a number of four digits, for example 2024."))
        year = int(text)
    if year is not None and not MIN_YEAR <= year <= max_year:
        raise Refusal(_("The year must be between %(low)s and %(high)s.") % {"low": MIN_YEAR, "high": max_year})
    if issued_on is not None and issued_on.year > max_year:
        raise Refusal(_("The date cannot be later than %(high)s.") % {"high": max_year})
    if issued_on is not None:
        if year is not None and year != issued_on.year:
            raise Refusal(_("The year and the date disagree: the date is in %(year)s.") % {"year": issued_on.year})
        year = issued_on.year
    if valid_until is not None and issued_on is not None and valid_until <= issued_on:
        raise Refusal(_("'Valid until' must come after the document's date."))
    values: dict[str, object] = {"kind": kind, "title": data.title, "number": data.number, "issuer": data.issuer}
    limits = {"title": 300, "number": 120, "issuer": 200}
    for field, limit in limits.items():
        text = " ".join(str(values[field]).split())
        if len(text) > limit:
            raise Refusal(_("Too long: at most %(n)s characters.") % {"n": limit})
        values[field] = text
    values.update(issued_on=issued_on, year=year, valid_until=valid_until)
    return values


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def update_metadata(session: Session, place: Place, user: User, document: Document, data: MetadataInput,
                    *, may_change: bool) -> bool:
    """Set a document's metadata as the focal point confirmed or corrected it; whether anything
    changed (the same form sent twice changes nothing and writes no second audit entry).
    `may_change`: `LibraryView.may_change`'s answer for this document."""
    answer_service.check_not_frozen(place.cycle)
    if not may_change:
        raise NotAllowed(_("This document's questions are read-only now: its data cannot be changed."))
    values = _checked(data, place.cycle.year + 1)
    before = {field: _shown(getattr(document, field)) for field in _FIELDS}
    after = {field: _shown(values[field]) for field in _FIELDS}
    if before == after:
        return False
    for field in _FIELDS:
        setattr(document, field, values[field])
    document.updated_by, document.updated_at = user.id, utcnow()
    session.add(document)
    audit.record(session, user, "document.update", "document", document.id, regency_code=place.regency.code,
                 before={k: v for k, v in before.items() if v != after[k]},
                 after={k: v for k, v in after.items() if v != before[k]})
    return True


@dataclass(frozen=True)
class Summary:
    """What a question's card says of a file's document: its kind, title, number and year."""

    id: int
    kind_label: str
    title: str
    number: str
    year: int | None
    extracted: dict[str, str]

    @property
    def described(self) -> bool:
        return bool(self.title)


def summaries(session: Session, document_ids: Iterable[int | None]) -> dict[int, Summary]:
    """The documents of these ids (one query), keyed by id, for the card's file lists."""
    ids = sorted({i for i in document_ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(select(Document).where(col(Document.id).in_(ids)))
    return {saved_id(d.id): Summary(saved_id(d.id), kind_label(d.kind), d.title, d.number, d.year, dict(d.extracted))
            for d in rows}
